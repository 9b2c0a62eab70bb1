//! Page tables: for every paging domain alive at the cursor, its ARM LPAE table and IOTLB
//! counters (PTE writes, tables, invalidations, stale hits) and its DMA cookie's (IOVA
//! rcache, flush queue). A counter the cursor's step changed is marked.
use crate::state::use_app_state;
use iommu_engine::iommu::TableView;
use iommu_engine::mapping::MapCounters;
use iommu_engine::trace::Delta;
use iommu_engine::DomainId;
use yew::prelude::*;

/// The counters shown, as (column heading, tooltip, value).
pub fn columns(c: &MapCounters) -> [(&'static str, &'static str, u64); 10] {
    [
        (
            "PTE writes",
            "descriptor stores: leaf writes, leaf clears, table installs",
            c.pte_writes,
        ),
        (
            "tables",
            "table pages held now, the top level included",
            c.tables_live,
        ),
        (
            "alloc/freed",
            "table pages allocated (freed below)",
            c.tables_allocated,
        ),
        ("freed", "table pages freed", c.tables_freed),
        (
            "IOTLB",
            "translations the modelled IOTLB caches now",
            c.iotlb_entries,
        ),
        (
            "inv range",
            "range invalidations (iotlb_sync, walk flushes)",
            c.iotlb_inv_range,
        ),
        (
            "inv all",
            "full invalidations (flush_iotlb_all)",
            c.iotlb_inv_full,
        ),
        (
            "stale hits",
            "device accesses served by an IOTLB entry whose PTE was already cleared (I6)",
            c.iotlb_stale_hits,
        ),
        (
            "rcache hit/miss",
            "IOVA rcache hits (misses beside)",
            c.rcache_hits,
        ),
        ("FQ", "IOVAs waiting in the flush queue", c.fq_pending),
    ]
}

#[function_component(PageTablePanel)]
pub fn page_table_panel() -> Html {
    let state = use_app_state();
    let snap = state.snapshot();
    // The counters before the cursor's step, where it changed them.
    let before: Vec<(DomainId, MapCounters)> = state
        .report
        .as_deref()
        .zip(state.cursor.checked_sub(1))
        .and_then(|(r, i)| r.steps.get(i))
        .map(|s| {
            s.event
                .deltas
                .iter()
                .filter_map(|d| match d {
                    Delta::Mapping { domain, before, .. } => Some((*domain, *before)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let domains: Vec<_> = snap
        .map(|s| {
            s.domains
                .iter()
                .filter(|d| !d.freed)
                .filter_map(|d| d.counters.map(|c| (d, c)))
                .collect()
        })
        .unwrap_or_default();
    html! {
        <section class="pane page-table" aria-label="Page table">
            <h2>{ "page tables" }</h2>
            if domains.is_empty() {
                <p class="muted">{ "No paging domain exists at this step (identity and blocking domains have no page table)." }</p>
            } else {
                <div class="pt-scroll">
                <table class="counters">
                    <thead><tr>
                        <th>{ "domain" }</th>
                        { for columns(&MapCounters::default()).iter().filter(|c| c.0 != "freed").map(|(h, tip, _)| html! {
                            <th title={*tip}>{ *h }</th>
                        }) }
                    </tr></thead>
                    <tbody>
                        { for domains.iter().map(|(d, c)| {
                            let prev = before.iter().find(|(id, _)| *id == d.id).map(|(_, b)| columns(b));
                            let cols = columns(c);
                            let changed = |i: usize| prev.as_ref().and_then(|p| p.get(i)).zip(cols.get(i)).is_some_and(|(a, b)| a.2 != b.2);
                            let cell = |i: usize, text: String| html! {
                                <td class={classes!("num", changed(i).then_some("changed"))}>{ text }</td>
                            };
                            let v = |i: usize| cols.get(i).map_or(0, |c| c.2);
                            html! {
                                <tr data-domain={d.label.clone()}>
                                    <th scope="row"><span class="mono">{ d.label.clone() }</span>
                                        <span class="muted">{ format!(" {}", d.ty) }</span></th>
                                    { cell(0, v(0).to_string()) }
                                    { cell(1, v(1).to_string()) }
                                    { cell(2, format!("{}/{}", v(2), v(3))) }
                                    { cell(4, v(4).to_string()) }
                                    { cell(5, v(5).to_string()) }
                                    { cell(6, v(6).to_string()) }
                                    <td class={classes!("num", (v(7) > 0).then_some("err"), changed(7).then_some("changed"))}>{ v(7) }</td>
                                    { cell(8, format!("{}/{}", c.rcache_hits, c.rcache_misses)) }
                                    { cell(9, v(9).to_string()) }
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
                </div>
                { for domains.iter().filter_map(|(d, _)| d.table.as_ref().filter(|t| !t.ranges.is_empty()).map(|t| (d, t))).map(|(d, t)| ranges(&d.label, t)) }
            }
        </section>
    }
}

/// `4K`, `2M`, `1G`, or bytes in hex.
pub fn size_text(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
    UNITS
        .iter()
        .find(|(u, _)| n >= *u && n.is_multiple_of(*u))
        .map_or_else(|| format!("{n:#x}"), |(u, s)| format!("{}{s}", n / u))
}

/// What a level's leaves are (LPAE stage 1 with a 4K granule: L3 pages, L2/L1 blocks).
fn leaf_kind(level: u32) -> &'static str {
    if level == 3 {
        "page"
    } else {
        "block"
    }
}

/// The mapped ranges of one domain: a bar of the IOVA span they cover and the list.
fn ranges(label: &str, t: &TableView) -> Html {
    let lo = t.ranges.first().map_or(0, |r| r.iova);
    let hi = t.ranges.last().map_or(0, |r| r.iova + r.size);
    let span = (hi - lo).max(1) as f64;
    let shown = 12;
    html! {
        <div class="ranges" data-domain={label.to_string()}>
            <div class="ranges-head">
                <span class="mono">{ label.to_string() }</span>
                { format!(" maps {} range{}", t.ranges.len(), if t.ranges.len() == 1 { "" } else { "s" }) }
                if t.truncated { { format!(" (first {} leaves)", TableView::LIMIT) } }
                if !t.ranges.is_empty() {
                    <span class="muted mono">{ format!(" · IOVA {lo:#x}–{:#x}", hi - 1) }</span>
                }
            </div>
            if !t.ranges.is_empty() {
                <svg class="iova-bar" viewBox="0 0 1000 10" preserveAspectRatio="none" role="img"
                    aria-label="Mapped IOVA ranges">
                    <rect class="iova-space" x="0" y="0" width="1000" height="10" />
                    { for t.ranges.iter().map(|r| {
                        let x = (r.iova - lo) as f64 / span * 1000.0;
                        let w = (r.size as f64 / span * 1000.0).max(2.0);
                        html! { <rect class={classes!("iova-mapped", format!("lvl{}", r.level))}
                            x={format!("{x:.1}")} y="0" width={format!("{w:.1}")} height="10" /> }
                    }) }
                </svg>
                <ul class="range-list mono">
                    { for t.ranges.iter().take(shown).map(|r| html! {
                        <li>
                            { format!("{:#x}–{:#x} → {:#x}  ", r.iova, r.iova + r.size - 1, r.phys) }
                            <span class="muted">{ format!("L{} {} {}×{}  {}", r.level, leaf_kind(r.level),
                                size_text(r.size / r.leaves.max(1)), r.leaves, if r.writable { "RW" } else { "RO" }) }</span>
                        </li>
                    }) }
                    if t.ranges.len() > shown {
                        <li class="muted">{ format!("… {} more", t.ranges.len() - shown) }</li>
                    }
                </ul>
            }
        </div>
    }
}
