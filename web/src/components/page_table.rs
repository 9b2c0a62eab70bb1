//! Page tables: the selected domain's ARM LPAE levels, PTEs, the IOVA space and counters.
//!
//! SEAM (the lead fills this): draw the domain's table from `state.report` at
//! `state.cursor`.
use crate::state::use_app_state;
use yew::prelude::*;

#[function_component(PageTablePanel)]
pub fn page_table_panel() -> Html {
    let _state = use_app_state();
    html! {
        <section class="pane page-table" aria-label="Page table">
            <h2>{ "page table" }</h2>
            <p class="placeholder">
                { "The selected domain's page table will appear here: its levels (L0–L3), each PTE's \
                   type, output address and AP/XN/AttrIndx bits, the IOVA space with the mapped \
                   ranges, and the IOVA rcache and IOTLB counters — from the engine's run." }
            </p>
        </section>
    }
}
