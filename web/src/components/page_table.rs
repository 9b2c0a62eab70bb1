//! Page tables: for every paging domain alive at the cursor, its ARM LPAE table and IOTLB
//! counters (PTE writes, tables, invalidations, stale hits) and its DMA cookie's (IOVA
//! rcache, flush queue). A counter the cursor's step changed is marked.
use crate::components::pt_walk::{parse_iova, PtWalk};
use crate::state::use_app_state;
use iommu_engine::mapping::MapCounters;
use iommu_engine::pgtable::arm_lpae::decode;
use iommu_engine::snapshot::{DomainView, MappedRange, TableView};
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
    // The range whose PTE is shown: (domain label, first IOVA).
    let picked = use_state(|| None::<(String, u64)>);
    // The IOVA whose walk is drawn: (domain label, IOVA), from a range click or typed.
    let walk_at = use_state(|| None::<(String, u64)>);
    let snap = state.snapshot();
    // The IOVA the cursor's step names (`iommu_map`'s, `dma_map_page`'s result, ...): its
    // walk is drawn and its domain's field filled in, still editable (issue 15 §1).
    let prefill: Option<(String, u64)> = state
        .cursor
        .checked_sub(1)
        .and_then(|i| state.drawn()?.steps.get(i))
        .and_then(|s| s.event.iova_at)
        .and_then(|at| {
            let d = snap?
                .domains
                .iter()
                .find(|d| d.id == at.domain && d.table.is_some())?;
            Some((d.label.clone(), at.iova))
        });
    {
        let walk_at = walk_at.clone();
        use_effect_with(prefill, move |p| {
            if let Some(p) = p {
                walk_at.set(Some(p.clone()));
            }
        });
    }
    // The counters before the cursor's step, where it changed them.
    let before: Vec<(DomainId, MapCounters)> = state
        .drawn()
        .map(|r| &**r)
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
    // Nothing mapped yet in any domain (a grouping or ownership scenario): the pane folds
    // to one line, so the machine's drawing has the column; it opens on a click.
    let quiet =
        !domains.is_empty() && walk_at.is_none() && domains.iter().all(|(_, c)| c.pte_writes == 0);
    if quiet {
        return html! {
            <section class="pane page-table quiet" aria-label="Page table">
                <details class="pt-quiet">
                    <summary><h2>{ "page tables" }</h2>
                        <span class="muted">{ format!(" · {} paging domain{}, nothing mapped yet",
                            domains.len(), if domains.len() == 1 { "" } else { "s" }) }</span></summary>
                    { counters_table(&domains, &before) }
                    { for domains.iter().filter_map(|(d, _)| d.table.as_ref().map(|t| (d, t))).map(|(d, _)| walk_input(&d.label, &walk_at)) }
                </details>
            </section>
        };
    }
    html! {
        <section class="pane page-table" aria-label="Page table">
            <h2>{ "page tables" }</h2>
            if domains.is_empty() {
                <p class="muted">{ "No paging domain exists at this step (identity and blocking domains have no page table)." }</p>
            } else {
                { counters_table(&domains, &before) }
                { for domains.iter().filter_map(|(d, _)| d.table.as_ref().filter(|t| !t.ranges.is_empty()).map(|t| (d, t))).map(|(d, t)| ranges(&d.label, t, &picked, &walk_at)) }
                { for domains.iter().filter_map(|(d, _)| d.table.as_ref().map(|t| (d, t))).map(|(d, _)| walk_input(&d.label, &walk_at)) }
                { for walk_at.as_ref().and_then(|(label, iova)| {
                    let d = domains.iter().find(|(d, _)| d.label == *label)?.0;
                    let t = d.table.as_ref()?;
                    Some(html! { <PtWalk label={label.clone()} tables={t.walk.clone()} iova={*iova} /> })
                }) }
                { for picked.as_ref().and_then(|(label, iova)| {
                    let d = domains.iter().find(|(d, _)| d.label == *label)?.0;
                    let r = d.table.as_ref()?.ranges.iter().find(|r| r.iova == *iova)?;
                    Some(pte_details(label, r))
                }) }
            }
        </section>
    }
}

/// Each paging domain's counters, those the cursor's step changed marked.
fn counters_table(
    domains: &[(&DomainView, MapCounters)],
    before: &[(DomainId, MapCounters)],
) -> Html {
    html! {
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
}

/// `4K`, `2M`, `1G`, `256T`, or bytes in hex.
pub fn size_text(n: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    UNITS
        .iter()
        .find(|(u, _)| n >= *u && n.is_multiple_of(*u))
        .map_or_else(|| format!("{n:#x}"), |(u, s)| format!("{}{s}", n / u))
}

/// The PTE of a mapped range (its first leaf; the others differ only in output address):
/// level, page or block size, output address and the descriptor's bits decoded.
fn pte_details(label: &str, r: &MappedRange) -> Html {
    let p = decode(r.pte, r.level);
    let bit = |b: bool| if b { "1" } else { "0" };
    let leaf = size_text(r.size / r.leaves.max(1));
    html! {
        <div class="pte-details" data-domain={label.to_string()} aria-live="polite">
            <h3>{ "PTE " }<span class="mono">{ format!("{label} @ {:#x}", r.iova) }</span></h3>
            <dl>
                <dt>{ "level" }</dt><dd class="pte-level">{ format!("L{} {}", r.level, p.kind) }</dd>
                <dt>{ "size" }</dt><dd class="pte-size">{ format!("{leaf} {} × {}", p.kind, r.leaves) }</dd>
                <dt>{ "output address" }</dt><dd class="mono pte-oa">{ format!("{:#x}", p.output) }</dd>
                <dt>{ "descriptor" }</dt><dd class="mono pte-raw">{ format!("{:#018x}", p.raw) }</dd>
                <dt>{ "AP[2:1]" }</dt><dd class="pte-ap">{ format!("{:02b} {}", p.ap, p.ap_text()) }</dd>
                <dt>{ "XN" }</dt><dd class="pte-xn">{ format!("{:02b} {}", p.xn, if p.xn == 0 { "executable" } else { "execute-never" }) }</dd>
                <dt>{ "AttrIndx" }</dt><dd class="pte-attr">{ format!("{} {}", p.attr_indx, p.attr_text()) }</dd>
                <dt>{ "SH" }</dt><dd class="pte-sh">{ format!("{:02b} {}", p.sh, p.sh_text()) }</dd>
                <dt>{ "AF" }</dt><dd class="pte-af">{ bit(p.af) }</dd>
                <dt>{ "nG" }</dt><dd class="pte-ng">{ bit(p.ng) }</dd>
            </dl>
        </div>
    }
}

/// The mapped ranges of one domain: a bar of the IOVA span they cover and the list.
/// A field to type an IOVA of domain `label` and draw its walk.
fn walk_input(label: &str, walk_at: &UseStateHandle<Option<(String, u64)>>) -> Html {
    let onchange = {
        let walk_at = walk_at.clone();
        let label = label.to_string();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Some(iova) = parse_iova(&input.value()) {
                walk_at.set(Some((label.clone(), iova)));
            }
        })
    };
    // The IOVA walked in this domain (typed, clicked or the step's), as the field's text.
    let value = walk_at
        .as_ref()
        .filter(|(l, _)| l == label)
        .map(|(_, iova)| format!("{iova:#x}"))
        .unwrap_or_default();
    html! {
        <label class="walk-input" data-domain={label.to_string()}>
            { format!("walk an IOVA of {label}: ") }
            <input class="mono walk-iova" type="text" placeholder="0x10_0000" spellcheck="false" {value} {onchange} />
        </label>
    }
}

fn ranges(
    label: &str,
    t: &TableView,
    picked: &UseStateHandle<Option<(String, u64)>>,
    walk_at: &UseStateHandle<Option<(String, u64)>>,
) -> Html {
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
                    { for t.ranges.iter().take(shown).map(|r| {
                        let key = (label.to_string(), r.iova);
                        let on = picked.as_ref() == Some(&key);
                        let pick = {
                            let picked = picked.clone();
                            let walk_at = walk_at.clone();
                            move || {
                                walk_at.set(if on { None } else { Some(key.clone()) });
                                picked.set(if on { None } else { Some(key.clone()) });
                            }
                        };
                        let onclick = {
                            let pick = pick.clone();
                            Callback::from(move |_: MouseEvent| pick())
                        };
                        let onkeydown = Callback::from(move |e: KeyboardEvent| {
                            if matches!(e.key().as_str(), "Enter" | " ") {
                                e.prevent_default();
                                pick();
                            }
                        });
                        html! {
                            <li class={classes!("range", on.then_some("selected"))} role="button" tabindex="0"
                                aria-pressed={on.to_string()} title="Show this range's PTE" {onclick} {onkeydown}>
                                { format!("{:#x}–{:#x} → {:#x}  ", r.iova, r.iova + r.size - 1, r.phys) }
                                <span class="muted">{ format!("L{} {} {}×{}  {}", r.level, decode(r.pte, r.level).kind,
                                    size_text(r.size / r.leaves.max(1)), r.leaves, if r.writable { "RW" } else { "RO" }) }</span>
                            </li>
                        }
                    }) }
                    if t.ranges.len() > shown {
                        <li class="muted">{ format!("… {} more", t.ranges.len() - shown) }</li>
                    }
                </ul>
            }
        </div>
    }
}
