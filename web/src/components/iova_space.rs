//! The IOVA space at the trace cursor (issue 15 §2), per DMA domain: iova.c's ranges as a
//! map of the space — the 32-bit window and the space above it, each on a log scale of the
//! distance below its top, since the allocator works top-down — with `cached32_node` /
//! `cached_node` marked, and the rcache per size class: each CPU's loaded and previous
//! magazine (fill / IOVA_MAG_SIZE) and the depot. The data is the engine's
//! ([`iommu_engine::iova::IovaView`] in the snapshot); this only draws it.
use crate::components::page_table::size_text as bytes_text;
use crate::state::use_app_state;
use iommu_engine::iova::view::{FqView, IovaSpan, RcacheView};
use iommu_engine::iova::{Iova, IovaView, IOVA_MAG_SIZE};
use iommu_engine::snapshot::{DomainView, Snapshot};
use yew::prelude::*;

/// log2(1 + n), exact at powers of two and linear between them: monotonic, enough for a
/// drawing, and no libm `log` in the bundle.
fn log2_1p(n: u64) -> f64 {
    let v = n.saturating_add(1);
    let e = 63 - v.leading_zeros();
    let base = 1u64 << e;
    f64::from(e) + (v - base) as f64 / base as f64
}

/// One band of the map: the pfns `[floor, top)`, drawn right to left from `top` on a log
/// scale of the depth below it.
struct Band {
    floor: u64,
    top: u64,
    shift: u32,
}

impl Band {
    /// Where the pfn boundary `b` sits, from 0 (the floor, left) to 1 (the top, right).
    fn x(&self, b: u64) -> f64 {
        let depth = self.top.saturating_sub(b.clamp(self.floor, self.top));
        1.0 - log2_1p(depth) / log2_1p(self.top - self.floor).max(1.0)
    }

    /// `[lo, hi]` clipped to the band, as (x, width) in 0..1000.
    fn rect(&self, lo: u64, hi: u64) -> Option<(f64, f64)> {
        let lo = lo.max(self.floor);
        let hi = hi.min(self.top.saturating_sub(1));
        (lo <= hi).then(|| {
            let (a, b) = (self.x(lo), self.x(hi + 1));
            (a * 1000.0, ((b - a) * 1000.0).max(1.5))
        })
    }

    /// Ticks at 16^k pages below the top, labelled by distance (`−64K`).
    fn ticks(&self) -> Vec<(f64, String)> {
        let mut out = Vec::new();
        let mut d: u64 = 16;
        while d < self.top - self.floor {
            let bytes = d.checked_shl(self.shift).unwrap_or(u64::MAX);
            out.push((
                self.x(self.top - d) * 100.0,
                format!("−{}", bytes_text(bytes)),
            ));
            d = d.saturating_mul(256);
        }
        out
    }
}

fn range_text(v: &IovaView, s: &IovaSpan) -> String {
    let lo = s.pfn_lo << v.shift;
    let hi = ((s.pfn_hi + 1) << v.shift).wrapping_sub(1);
    format!("{lo:#x}–{hi:#x}")
}

/// The map of one band, its cached-node mark (`name`, the node or `None` for the anchor).
fn band(v: &IovaView, b: &Band, title: &str, name: &str, node: Option<Iova>) -> Html {
    let spans: Vec<(&IovaSpan, (f64, f64))> = v
        .spans
        .iter()
        .filter_map(|s| b.rect(s.pfn_lo, s.pfn_hi).map(|r| (s, r)))
        .collect();
    // The cached node, or the anchor at the top.
    let mark = node.map_or(100.0, |n| b.x(n.pfn_lo) * 100.0);
    let mark_text = match node {
        Some(n) => format!("{name} {:#x}", n.pfn_lo << v.shift),
        None => format!("{name}: anchor"),
    };
    let top = b.top.checked_shl(v.shift).unwrap_or(u64::MAX);
    let (lo_text, top_text) = (
        if b.floor == 0 {
            "0".to_string()
        } else {
            bytes_text(b.floor << v.shift)
        },
        bytes_text(top),
    );
    html! {
        <div class="iova-band" data-band={title.to_string()}>
            <div class="iova-band-head">
                <span>{ title }</span>
                <span class="muted">{ format!(" {lo_text}–{top_text}, log scale below the top · {} in view", spans.len()) }</span>
            </div>
            <div class="iova-map">
                <svg viewBox="0 0 1000 16" preserveAspectRatio="none" role="img"
                    aria-label={format!("IOVA ranges {title}")}>
                    <rect class="iova-space" x="0" y="0" width="1000" height="16" />
                    { for spans.iter().map(|(s, (x, w))| html! {
                        <rect class={classes!("iova-range", s.cached.then_some("cached"), s.queued.then_some("queued"))}
                            data-iova-range={format!("{:#x}-{:#x}", s.pfn_lo, s.pfn_hi)}
                            x={format!("{x:.1}")} y="1" width={format!("{w:.1}")} height="14">
                            <title>{ format!("{}{}", range_text(v, s), span_state(s)) }</title>
                        </rect>
                    }) }
                </svg>
                <span class={classes!("iova-mark", (mark > 60.0).then_some("flip"))}
                    data-cached-node={name.to_string()}
                    data-pfn={node.map(|n| format!("{:#x}", n.pfn_lo))}
                    style={format!("left: {mark:.1}%")}>{ mark_text }</span>
                <div class="iova-ticks muted" aria-hidden="true">
                    { for b.ticks().into_iter().map(|(x, t)| html! {
                        <span style={format!("left: {x:.1}%")}>{ t }</span>
                    }) }
                </div>
            </div>
        </div>
    }
}

/// What a range's colour says, for its tooltip.
fn span_state(s: &IovaSpan) -> &'static str {
    if s.queued {
        " · unmapped, waiting in the flush queue (the IOTLB may still translate it until the next flush)"
    } else if s.cached {
        " · in an rcache (free to the fast path)"
    } else {
        ""
    }
}

/// A DMA_FQ domain's flush queue: each CPU's ring depth and the timer.
fn flush_queue(fq: &FqView, queued: usize) -> Html {
    let rings = fq
        .pending
        .iter()
        .enumerate()
        .map(|(cpu, n)| format!("CPU {cpu} {n}"))
        .collect::<Vec<_>>()
        .join(" · ");
    html! {
        <p class="iova-fq" data-fq-pending={fq.pending.iter().map(usize::to_string).collect::<Vec<_>>().join(",")}
            data-fq-timer={fq.timer_due_ms.map(|t| t.to_string())}>
            <span class="iova-fq-key" aria-hidden="true"></span>
            { format!("flush queue (per CPU, of {}): {rings}", fq.capacity) }
            <span class="muted">{ match fq.timer_due_ms {
                Some(t) => format!(" · fq_timer fires at {t} ms"),
                None => " · timer idle".to_string(),
            } }</span>
            if queued > 0 {
                <span class="muted">{ format!(" · {queued} range{} drawn queued", if queued == 1 { "" } else { "s" }) }</span>
            }
        </p>
    }
}

/// A magazine's fill as a meter.
fn magazine(which: &'static str, fill: usize) -> Html {
    let pct = fill as f64 * 100.0 / IOVA_MAG_SIZE as f64;
    html! {
        <span class="mag" data-magazine={which} data-fill={fill.to_string()}
            title={format!("{which}: {fill} / {IOVA_MAG_SIZE}")}>
            <span class="mag-fill" style={format!("width: {pct:.1}%")}></span>
        </span>
    }
}

fn rcache_row(v: &IovaView, r: &RcacheView) -> Html {
    let size = bytes_text(r.pages << v.shift);
    html! {
        <tr data-rcache-class={r.pages.to_string()}>
            <th scope="row" class="mono">{ size }</th>
            { for r.cpus.iter().enumerate().map(|(cpu, c)| html! {
                <td data-cpu={cpu.to_string()}>
                    { magazine("loaded", c.loaded) }{ magazine("prev", c.prev) }
                    <span class="mag-n mono">{ format!("{}·{}", c.loaded, c.prev) }</span>
                </td>
            }) }
            <td class="num" data-depot={r.depot.to_string()}
                title={r.depot_work_due_ms.map(|t| format!("trimmed at {t} ms (iova_depot_work_func)"))}>
                { format!("{} × {IOVA_MAG_SIZE}", r.depot) }</td>
            <td class="num">{ format!("{}/{}", r.hits, r.misses) }</td>
        </tr>
    }
}

fn domain(snap: &Snapshot, d: &DomainView, v: &IovaView) -> Html {
    let users: Vec<&str> = snap
        .devices
        .iter()
        .filter(|x| x.domain == Some(d.id))
        .map(|x| x.name.as_str())
        .collect();
    let cached = v.spans.iter().filter(|s| s.cached).count();
    let queued = v.spans.iter().filter(|s| s.queued).count();
    let low = Band {
        floor: 0,
        top: v.dma_32bit_pfn,
        shift: v.shift,
    };
    let max_hi = v.spans.iter().map(|s| s.pfn_hi).max().unwrap_or(0);
    let high = (max_hi >= v.dma_32bit_pfn).then(|| Band {
        floor: v.dma_32bit_pfn,
        top: (max_hi + 1)
            .checked_next_power_of_two()
            .unwrap_or(u64::MAX)
            .max(v.dma_32bit_pfn * 2),
        shift: v.shift,
    });
    let ncpus = v.rcaches.first().map_or(0, |r| r.cpus.len());
    html! {
        <div class="iova-domain" data-domain={d.label.clone()}>
            <h3><span class="mono">{ d.label.clone() }</span>
                <span class="muted">{ format!(" {} · {}", d.ty, if users.is_empty() { "no device".to_string() } else { users.join(", ") }) }</span></h3>
            <p class="iova-facts">
                if v.summarised {
                    { format!("{} ranges in the tree, summarised as {} spans", v.ranges, v.spans.len()) }
                } else {
                    { format!("{} range{} in the tree ({cached} in an rcache{})", v.ranges, if v.ranges == 1 { "" } else { "s" },
                        if v.fq.is_some() { format!(", {queued} in the flush queue") } else { String::new() }) }
                }
                <span class="muted">{ format!(" · {} granule", bytes_text(v.granule)) }</span>
                if v.max32_alloc_size < v.dma_32bit_pfn {
                    <span class="warn" data-max32={v.max32_alloc_size.to_string()}>
                        { format!(" · max32_alloc_size {} pages: allocations this large fail below 4G until a range there is freed", v.max32_alloc_size) }
                    </span>
                }
            </p>
            { band(v, &low, "below 4G", "cached32_node", v.cached32_node) }
            if let Some(h) = &high {
                { band(v, h, "above 4G", "cached_node", v.cached_node) }
            }
            if let Some(fq) = &v.fq {
                { flush_queue(fq, queued) }
            }
            <p class="rcache-head muted">{ format!("rcache: per size class, each CPU's loaded · prev magazine (of {IOVA_MAG_SIZE}) and the depot") }</p>
            <div class="rcache-scroll">
            <table class="rcache counters">
                <thead><tr>
                    <th>{ "size" }</th>
                    { for (0..ncpus).map(|c| html! { <th>{ format!("CPU {c}") }</th> }) }
                    <th>{ "depot" }</th>
                    <th title="iova_rcache_get() hits / misses">{ "hit/miss" }</th>
                </tr></thead>
                <tbody>{ for v.rcaches.iter().map(|r| rcache_row(v, r)) }</tbody>
            </table>
            </div>
        </div>
    }
}

/// Whether a domain's allocator has done anything yet (an empty one is not drawn).
fn used(v: &IovaView) -> bool {
    v.ranges > 0 || v.rcaches.iter().any(|r| r.hits + r.misses > 0)
}

#[function_component(IovaSpacePanel)]
pub fn iova_space_panel() -> Html {
    let state = use_app_state();
    let Some(snap) = state.snapshot() else {
        return html! {};
    };
    let domains: Vec<(&DomainView, &IovaView)> = snap
        .domains
        .iter()
        .filter(|d| !d.freed)
        .filter_map(|d| d.iova.as_ref().map(|v| (d, v)))
        .filter(|(_, v)| used(v))
        .collect();
    if domains.is_empty() {
        return html! {};
    }
    html! {
        <section class="pane iova-space" aria-label="IOVA space">
            <h2>{ "IOVA space" }</h2>
            { for domains.iter().map(|(d, v)| domain(snap, d, v)) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::log2_1p;

    #[test]
    fn log2_1p_is_exact_at_powers_of_two_and_monotonic() {
        assert_eq!(log2_1p(0), 0.0);
        assert_eq!(log2_1p(1), 1.0);
        assert_eq!(log2_1p(3), 2.0);
        assert_eq!(log2_1p(2), 1.5);
        assert_eq!(log2_1p(u64::MAX), 64.0);
        let xs: Vec<f64> = (0..5000).map(log2_1p).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]));
    }
}
