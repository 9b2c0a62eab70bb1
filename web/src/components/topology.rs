//! Topology: the PCI tree and platform devices with their iommu groups, domains and owners.
//!
//! SEAM (the lead fills this): draw `state.report`'s groups (regions with reasons),
//! domains and owners at `state.cursor`. Until then the panel lists only what the scenario
//! text declares — no group, domain or owner is invented here.
use crate::state::{use_app_state, Action};
use iommu_engine::scenario::{Scenario, StmtKind};
use yew::prelude::*;

/// The devices the scenario declares, in file order: PCI functions by BDF, then nothing
/// else is inferred (platform devices by name).
pub fn declared_devices(s: &Scenario) -> Vec<String> {
    s.stmts
        .iter()
        .filter_map(|st| match &st.kind {
            StmtKind::Pci(p) => Some(p.bdf.node.to_string()),
            StmtKind::Platform(p) => Some(p.name.node.clone()),
            _ => None,
        })
        .collect()
}

#[function_component(TopologyPanel)]
pub fn topology_panel() -> Html {
    let state = use_app_state();
    let devices = match state.parsed.as_ref() {
        Ok(s) => declared_devices(s),
        Err(_) => Vec::new(),
    };
    let selected = state.selected.clone();
    html! {
        <section class="pane topology" aria-label="Topology">
            <h2>{ "topology" }</h2>
            <p class="placeholder">
                { "The PCI tree and platform devices will be drawn here, each iommu group as a coloured \
                   region around its members with its domain (DMA, identity, blocking, private) and \
                   DMA owner as badges, and the bound driver on each device — from the engine's run, \
                   at the trace step selected below." }
            </p>
            if state.errors().is_some() {
                <p class="muted">{ "Fix the scenario's errors to see its devices." }</p>
            } else {
                <p class="muted">{ "Declared devices (click one for its details):" }</p>
                <ul class="devices">
                    { for devices.iter().map(|d| {
                        let is_sel = selected.as_deref() == Some(d.as_str());
                        let onclick = {
                            let state = state.clone();
                            let d = d.clone();
                            Callback::from(move |_| state.dispatch(Action::Select(if is_sel { None } else { Some(d.clone()) })))
                        };
                        html! {
                            <li><button type="button" class={classes!("device", is_sel.then_some("selected"))}
                                aria-pressed={is_sel.to_string()} {onclick}>{ d.clone() }</button></li>
                        }
                    }) }
                </ul>
                if let Some(sel) = selected {
                    <p class="details">
                        <span class="mono">{ sel.to_string() }</span>
                        { ": its iommu group, the reasons for it, its domain and driver will be shown here \
                           once the engine runs the scenario." }
                    </p>
                }
            }
        </section>
    }
}
