//! The page-table walk of one IOVA, drawn level by level (issue 15 §1): for the domain's
//! granule and IAS, each level's table page, the IOVA bits that index it (highlighted in the
//! address), the descriptor and what it decodes to, ending in the physical address with the
//! arithmetic, or in the fault where the walk stops. The walk itself is the engine's
//! ([`iommu_engine::pgtable::arm_lpae::WalkTables::iova_walk`]); this only draws it.
use iommu_engine::pgtable::arm_lpae::{IovaWalk, WalkEnd, WalkKind, WalkLevel, WalkTables};
use yew::prelude::*;

/// `0x10_0000`, `1048576` or `10_0000` (hex without prefix if it has a hex letter).
pub fn parse_iova(s: &str) -> Option<u64> {
    let t: String = s.trim().chars().filter(|c| *c != '_').collect();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    }
}

fn kind_name(k: WalkKind) -> &'static str {
    match k {
        WalkKind::Table => "table",
        WalkKind::Block => "block",
        WalkKind::Page => "page",
        WalkKind::Invalid => "invalid",
    }
}

/// The IOVA split into the fields the walk reads: one span per level's index bits, then
/// the offset bits.
fn address(w: &IovaWalk) -> Html {
    let field = |hi: u32, lo: u32| {
        let mask = if hi >= 63 {
            u64::MAX
        } else {
            (1u64 << (hi + 1)) - 1
        };
        (w.iova & mask) >> lo
    };
    let off_bits = match w.end {
        WalkEnd::Mapped { off_bits, .. } => Some(off_bits),
        _ => None,
    };
    let last_lo = w.levels.last().map_or(w.ias, |l| l.idx_lo);
    html! {
        <div class="walk-address mono" aria-label="IOVA bits">
            { format!("{:#x} = ", w.iova) }
            { for w.levels.iter().map(|l| html! {
                <span class={classes!("bits", format!("lvl{}", l.level))} title={format!("level {} index", l.level)}>
                    { format!("[{}:{}] {:#x}", l.idx_hi, l.idx_lo, field(l.idx_hi, l.idx_lo)) }
                </span>
            }) }
            if let Some(b) = off_bits {
                <span class="bits offset" title="offset in the page or block">
                    { format!("[{}:0] {:#x}", b - 1, field(b - 1, 0)) }
                </span>
            } else if last_lo > 0 {
                <span class="bits rest muted">{ format!("[{}:0] {:#x}", last_lo - 1, field(last_lo - 1, 0)) }</span>
            }
        </div>
    }
}

fn level(l: &WalkLevel) -> Html {
    let f = &l.fields;
    let detail = match l.kind {
        WalkKind::Table => format!("next table at {:#x}", f.output),
        WalkKind::Block | WalkKind::Page => format!(
            "output {:#x} · AP {:02b} {} · AttrIndx {} {} · SH {:02b} · AF {}",
            f.output,
            f.ap,
            f.ap_text(),
            f.attr_indx,
            f.attr_text(),
            f.sh,
            u8::from(f.af)
        ),
        WalkKind::Invalid => "type bits 0: not valid".to_string(),
    };
    html! {
        <li class={classes!("walk-level", format!("lvl{}", l.level), kind_name(l.kind))}
            data-pt-level={l.level.to_string()}>
            <span class="walk-lvl">{ format!("L{}", l.level) }</span>
            <span class="mono walk-index">{ format!("table {:#x}[{:#x}] of {} ← IOVA[{}:{}]", l.table_pa, l.index, l.entries, l.idx_hi, l.idx_lo) }</span>
            <span class="mono walk-desc">{ format!("{:#018x}", l.desc) }</span>
            <span class="walk-kind">{ kind_name(l.kind) }</span>
            <span class="walk-fields muted">{ detail }</span>
        </li>
    }
}

fn end(w: &IovaWalk) -> Html {
    match w.end {
        WalkEnd::Mapped {
            out_base,
            offset,
            off_bits,
            phys,
        } => html! {
            <p class="walk-end mapped mono">
                { format!("PA = {out_base:#x} + IOVA[{}:0] {offset:#x} = {phys:#x}", off_bits - 1) }
            </p>
        },
        WalkEnd::Fault { level } => html! {
            <p class="walk-end fault">
                { format!("translation fault at level {level}: the descriptor is invalid, the walk stops (a device access here gets -EFAULT)") }
            </p>
        },
        WalkEnd::BeyondIas => html! {
            <p class="walk-end fault">
                { format!("address size fault: bits above IAS {} are set, no table is read", w.ias) }
            </p>
        },
        WalkEnd::Unknown => html! {
            <p class="walk-end muted">{ "the table is too large to keep at every step: this walk is not recorded" }</p>
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct WalkProps {
    pub label: String,
    pub tables: WalkTables,
    pub iova: u64,
}

/// The walk of `iova` in domain `label`'s table.
#[function_component(PtWalk)]
pub fn pt_walk(p: &WalkProps) -> Html {
    let Some(w) = p.tables.iova_walk(p.iova) else {
        return html! {};
    };
    let granule = iommu_engine_size(w.granule);
    html! {
        <div class="pt-walk" data-domain={p.label.clone()} aria-live="polite">
            <h3>{ "walk " }<span class="mono">{ format!("{} @ {:#x}", p.label, w.iova) }</span>
                <span class="muted">{ format!(" · {granule} granule, IAS {}: levels {}–3", w.ias, w.start_level) }</span></h3>
            { address(&w) }
            <ol class="walk-levels">{ for w.levels.iter().map(level) }</ol>
            { end(&w) }
        </div>
    }
}

fn iommu_engine_size(n: u64) -> String {
    super::page_table::size_text(n)
}

#[cfg(test)]
mod tests {
    use super::parse_iova;

    #[test]
    fn iova_input_takes_hex_and_decimal() {
        assert_eq!(parse_iova(" 0x10_0000 "), Some(0x10_0000));
        assert_eq!(parse_iova("4096"), Some(4096));
        assert_eq!(parse_iova("0xzz"), None);
    }
}
