//! Page tables: for every paging domain alive at the cursor, its ARM LPAE table and IOTLB
//! counters (PTE writes, tables, invalidations, stale hits) and its DMA cookie's (IOVA
//! rcache, flush queue). A counter the cursor's step changed is marked.
use crate::state::use_app_state;
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
            }
        </section>
    }
}
