//! Topology: the PCI tree and platform devices as an SVG, laid out by `layout-rs` (a dot
//! layout), each iommu group a coloured region around its members with its current domain
//! and DMA owner as badges, bound drivers on the devices, devices in an invariant breach
//! outlined red. Everything is drawn from the run's snapshot at the cursor.
use crate::components::acs_what_if::AcsWhatIf;
use crate::components::explain::Explain;
use crate::components::legend::Legend;
use crate::components::topo_view::TopoView;
use crate::state::{use_app_state, Action};
use crate::topo_layout::{layout, region, Drawing, NodeKind, Region};
use iommu_engine::scenario::explain::{concept, domain_concept, Topic};
use iommu_engine::scenario::Run;
use iommu_engine::snapshot::Snapshot;
use iommu_engine::vec_map::{VecMap, VecSet};
use iommu_engine::DeviceId;
use std::rc::Rc;
use yew::prelude::*;

/// The Okabe–Ito colour (a CSS variable) of group `id`: stable across steps and eras.
pub fn group_colour(id: u32) -> String {
    format!("var(--g{})", id % 8)
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

#[function_component(TopologyPanel)]
pub fn topology_panel() -> Html {
    let state = use_app_state();
    let report = state.drawn().cloned();
    let drawing = use_memo(report.clone(), |r| {
        r.as_deref()
            .map(|r| {
                let group_of: VecMap<DeviceId, u32> = r
                    .groups
                    .iter()
                    .flat_map(|g| g.members.iter().map(move |m| (m.device, g.id.0)))
                    .collect();
                layout(&r.topology, &group_of)
            })
            .unwrap_or_default()
    });
    let Some(run) = report else {
        return html! {
            <section class="pane topology" aria-label="Topology">
                <h2>{ "topology" }</h2>
                <p class="muted">{ if state.errors().is_some() { "Fix the scenario's errors to see its machine." } else { "Run the scenario to see its machine." } }</p>
            </section>
        };
    };
    let snap = state.snapshot().cloned();
    // The state one step back: a badge that this step changed flashes once.
    let prev = state
        .cursor
        .checked_sub(1)
        .and_then(|c| iommu_engine::scenario::view::snapshot_at(&run, c))
        .cloned();
    let breach_devs: Vec<DeviceId> = state
        .cursor
        .checked_sub(1)
        .and_then(|i| run.steps.get(i))
        .map(|s| {
            s.event
                .breaches
                .iter()
                .flat_map(|b| b.devices.clone())
                .collect()
        })
        .unwrap_or_default();
    let selected = state.selected.clone();
    html! {
        <section class={classes!("pane", "topology", state.drawn_stale().then_some("stale"), drawing.nodes.is_empty().then_some("empty"))} aria-label="Topology">
            <div class="pane-head">
                <h2>{ "topology" }<span class="h2-note">{ format!(" · {} at step {}", run.era, state.cursor) }</span></h2>
                <Legend />
            </div>
            if let Some(note) = state.stale_note() {
                <p class="stale-note" data-stale="">{ note }</p>
            }
            if drawing.nodes.is_empty() {
                <p class="muted">{ "This scenario declares no devices." }</p>
            } else {
                { svg(&state, &run, &drawing, snap.as_ref(), prev.as_ref(), &breach_devs) }
            }
            if snap.is_none() && !drawing.nodes.is_empty() {
                <p class="muted">{ "Before the first probe: no device has an iommu group yet. Step forward (→)." }</p>
            }
            if let Some(sel) = selected {
                { details(&run, snap.as_ref(), &sel) }
            } else if !drawing.nodes.is_empty() {
                <p class="muted hint">{ "Click a device for its details and the reasons for its group." }</p>
            }
        </section>
    }
}

fn svg(
    state: &crate::state::StateHandle,
    run: &Rc<Run>,
    d: &Drawing,
    snap: Option<&Snapshot>,
    prev: Option<&Snapshot>,
    breach: &[DeviceId],
) -> Html {
    let name = |id: DeviceId| {
        run.topology
            .devices
            .iter()
            .find(|x| x.id == id)
            .map_or_else(|| format!("dev#{}", id.0), |x| x.name.clone())
    };
    // Group regions: the rows of members present at the cursor, never a foreign device.
    let regions: Vec<Html> = snap
        .map(|s| {
            s.groups
                .iter()
                .filter_map(|g| {
                    let members: VecSet<DeviceId> = g.devices.iter().copied().collect();
                    let Region { runs, links } = region(d, &members);
                    let first = *runs.first()?;
                    let colour = group_colour(g.id.0);
                    let names: Vec<String> = g.devices.iter().map(|&m| name(m)).collect();
                    let dom = s.group_domain_badge(g.id);
                    let owner = s.group_owner_badge(g.id);
                    let was = prev.map(|p| (p.group_domain_badge(g.id), p.group_owner_badge(g.id)));
                    let dom_changed = was.as_ref().is_some_and(|(d, _)| *d != dom);
                    let owner_changed = was.as_ref().is_some_and(|(_, o)| *o != owner);
                    // Two lines in the band above the first row of members; squeezed to
                    // its width when longer (about 6.6 px a character at 11 px).
                    let fit = |t: &str| {
                        let need = t.chars().count() as f64 * 6.6;
                        (need > first.w - 10.0).then(|| f(first.w - 10.0))
                    };
                    let line1 = format!("{}  ▢ {dom}", g.id);
                    let line2 = format!("owner: {owner}");
                    let style = format!("fill: {colour}; stroke: {colour}");
                    Some(html! {
                        <g class="group-region" data-group={g.id.0.to_string()} data-members={names.join(" ")}>
                            <title>{ format!("{}: {}", g.id, names.join(", ")) }</title>
                            { for runs.iter().map(|p| html! {
                                <rect class="region" x={f(p.x)} y={f(p.y)} width={f(p.w)} height={f(p.h)} rx="8" style={style.clone()} />
                            }) }
                            // Links overlap the runs' outlines by a pixel: one shape to the eye.
                            { for links.iter().map(|p| html! {
                                <rect class="region link" x={f(p.x)} y={f(p.y - 1.0)} width={f(p.w)} height={f(p.h + 2.0)} style={style.clone()} />
                            }) }
                            <text x={f(first.x + 6.0)} y={f(first.y + 13.0)} class="region-label"
                                textLength={fit(&line1)} lengthAdjust="spacingAndGlyphs">
                                <tspan class="group-id">{ g.id.to_string() }</tspan>
                                <tspan class={classes!("badge-domain", dom_changed.then_some("changed"))} dx="6">{ format!("▢ {dom}") }</tspan>
                            </text>
                            <text x={f(first.x + 6.0)} y={f(first.y + 26.0)} class="region-label"
                                textLength={fit(&line2)} lengthAdjust="spacingAndGlyphs">
                                <tspan class={classes!("badge-owner", owner_changed.then_some("changed"))}>{ line2.clone() }</tspan>
                            </text>
                        </g>
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let edges = d.edges.iter().filter_map(|&(a, b)| {
        let (a, b) = (d.nodes.get(a)?, d.nodes.get(b)?);
        Some(html! {
            <line class="edge" x1={f(a.x)} y1={f(a.y + a.h / 2.0)} x2={f(b.x)} y2={f(b.y - b.h / 2.0)} />
        })
    });
    let nodes = d.nodes.iter().map(|n| {
        let (x, y) = (n.x - n.w / 2.0, n.y - n.h / 2.0);
        match &n.kind {
            NodeKind::Root(label) => html! {
                <g class="root-node">
                    <rect x={f(x)} y={f(y)} width={f(n.w)} height={f(n.h)} rx="13" />
                    <text x={f(n.x)} y={f(n.y + 4.0)} text-anchor="middle">{ label.clone() }</text>
                </g>
            },
            NodeKind::Device(id) => {
                let dev = run.topology.devices.iter().find(|x| x.id == *id);
                let dname = dev.map_or_else(String::new, |x| x.name.clone());
                let view = snap.and_then(|s| s.devices.iter().find(|v| v.id == *id));
                let driver = view
                    .and_then(|v| v.driver.as_ref())
                    .map_or_else(|| "no driver".to_string(), |drv| drv.name.clone());
                let ty = dev.map_or("", |x| x.type_keyword());
                // A device translated by another domain than its group's (I1's picture).
                let stray = view.and_then(|v| {
                    let s = snap?;
                    let gdom = v.group.and_then(|g| s.group_effective_domain(g));
                    (v.domain.is_some() && v.domain != gdom).then(|| {
                        v.domain
                            .and_then(|d| s.domains.iter().find(|x| x.id == d))
                            .map_or_else(|| "?".to_string(), |x| x.label.clone())
                    })
                });
                let present = view.is_some();
                let sel = state.selected.as_deref() == Some(dname.as_str());
                let select = {
                    let state = state.clone();
                    let dname = dname.clone();
                    move || state.dispatch(Action::Select(if sel { None } else { Some(dname.clone()) }))
                };
                let onclick = {
                    let select = select.clone();
                    Callback::from(move |_: MouseEvent| select())
                };
                // Keyboard reachable: Enter or Space on a focused device selects it.
                let onkeydown = Callback::from(move |e: KeyboardEvent| {
                    if matches!(e.key().as_str(), "Enter" | " ") {
                        e.prevent_default();
                        select();
                    }
                });
                let cls = classes!(
                    "device",
                    (!present).then_some("absent"),
                    breach.contains(id).then_some("breach"),
                    sel.then_some("selected")
                );
                let group = view.and_then(|v| v.group).map(|g| g.0.to_string());
                html! {
                    <g class={cls} data-device={dname.clone()} data-group={group} {onclick} {onkeydown} role="button" tabindex="0"
                        aria-label={format!("device {dname}")}>
                        <rect x={f(x)} y={f(y)} width={f(n.w)} height={f(n.h)} rx="5" />
                        <text x={f(n.x)} y={f(n.y - 3.0)} text-anchor="middle" class="dev-name">{ dname.clone() }</text>
                        <text x={f(n.x)} y={f(n.y + 13.0)} text-anchor="middle" class="dev-driver">{ format!("{ty} · {driver}") }</text>
                        if let Some(stray) = stray {
                            <text x={f(n.x)} y={f(n.y + n.h / 2.0 + 12.0)} text-anchor="middle" class="dev-stray">{ format!("DMA → {stray}") }</text>
                        }
                    </g>
                }
            }
        }
    });
    html! {
        <TopoView width={d.width} height={d.height}
            label="PCI tree and platform devices with their iommu groups">
            { for edges }
            { for regions }
            { for nodes }
        </TopoView>
    }
}

fn details(run: &Run, snap: Option<&Snapshot>, sel: &str) -> Html {
    let Some(dev) = run.topology.devices.iter().find(|d| d.name == sel) else {
        return html! {};
    };
    let view = snap.and_then(|s| s.devices.iter().find(|v| v.id == dev.id));
    let group = run
        .groups
        .iter()
        .find(|g| g.members.iter().any(|m| m.device == dev.id));
    let dom_view = view
        .and_then(|v| v.domain)
        .and_then(|d| snap.and_then(|s| s.domains.iter().find(|x| x.id == d)));
    let dom = dom_view.map(|x| format!("{} ({})", x.label, x.ty));
    let dom_concept = dom_view.and_then(|x| domain_concept(x.ty));
    let owner = view
        .and_then(|v| v.group)
        .and_then(|g| snap.map(|s| s.group_owner_badge(g)));
    html! {
        <div class="details" aria-live="polite">
            <h3 class="mono">{ dev.name.clone() }</h3>
            <dl>
                <dt>{ "type" }</dt><dd>{ format!("{} ({})", dev.ty_long, dev.type_keyword()) }</dd>
                if let Some(acs) = &dev.acs { <dt>{ "ACS" }</dt><dd class="mono">{ acs.to_string() }</dd> }
                if !dev.sids.is_empty() { <dt>{ "stream IDs" }</dt><dd class="mono">{ dev.sids.join(", ") }</dd> }
                <dt>{ "iommu" }</dt><dd>{ dev.iommu.clone().unwrap_or_else(|| "none".into()) }</dd>
                <dt>{ "driver" }</dt><dd>{ view.and_then(|v| v.driver.as_ref()).map_or_else(|| "none".to_string(), |d| d.name.clone()) }</dd>
                <dt>{ "DMA translated by" }</dt><dd>{ dom.unwrap_or_else(|| if view.is_some() { "nothing (no domain)".into() } else { "not probed at this step".into() }) }
                    if let Some(c) = dom_concept { { " " }<Explain concept={c} /> }</dd>
                if let Some(owner) = owner {
                    <dt>{ "group owner" }</dt><dd>{ owner }
                        if let Some(c) = concept(Topic::Owner, "owner") { { " " }<Explain concept={c} /> }</dd>
                }
            </dl>
            if let (Some(acs), true) = (dev.acs, dev.is_acs_port()) {
                <AcsWhatIf key={dev.name.clone()} device={dev.name.clone()} {acs} />
            }
            if let Some(g) = group {
                <p class="why">{ format!("iommu {} — why its members share it:", g.id) }
                    if let Some(c) = concept(Topic::Group, "group") { { " " }<Explain concept={c} /> }</p>
                <ul class="reasons">
                    { for g.members.iter().map(|m| html! {
                        <li><span class="mono">{ m.name.clone() }</span>{ format!(": {}", m.reason) }</li>
                    }) }
                </ul>
            }
        </div>
    }
}
