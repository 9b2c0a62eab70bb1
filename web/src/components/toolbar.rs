//! The top bar: title, preset menu, era menu, Run, Compare, "Import your machine", the
//! book, Share.
use crate::components::{
    era_select::EraSelect, import_panel::ImportPanel, preset_menu::PresetMenu,
    run_progress::RunProgress, share_button::ShareButton,
};
use crate::state::{use_app_state, Action};
use yew::prelude::*;

#[function_component(Toolbar)]
pub fn toolbar() -> Html {
    let state = use_app_state();
    let run = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Run))
    };
    let compare = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::ToggleCompare))
    };
    let runnable = state.parses();
    html! {
        <header class="toolbar">
            <h1>{ "IOMMU Playground" }</h1>
            <PresetMenu />
            <EraSelect />
            <button type="button" class="primary run" onclick={run} disabled={!runnable}
                title="Run the scenario (Ctrl-Enter in the editor)">
                { "Run" }<kbd>{ "⌃⏎" }</kbd>
            </button>
            <button type="button" class={classes!("compare-toggle", state.compare_open().then_some("on"))}
                onclick={compare} disabled={!runnable} aria-pressed={state.compare_open().to_string()}
                title="Run the scenario in all six eras and line up the results">
                { "Compare" }
            </button>
            <RunProgress />
            <span class="spacer"></span>
            // "Import your machine": its sheet drops over the panes from the toolbar.
            <ImportPanel />
            // The book of lessons (./x book builds it into dist/book/, beside this page).
            <a class="book-link" href="./book/index.html" title="Lessons with live examples: groups, domains, ownership, page tables, the DMA fast path">{ "Book" }</a>
            <ShareButton />
        </header>
    }
}
