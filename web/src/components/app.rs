//! The full playground: toolbar, editor, and the panels that draw the run.
use crate::components::{
    editor::Editor, notice::Notice, page_table::PageTablePanel, toolbar::Toolbar,
    topology::TopologyPanel, trace::TracePanel,
};
use crate::persist;
use crate::state::{State, StateHandle};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The state to start from ([`persist::boot`] in the browser, anything in tests).
    pub initial: State,
    /// Keep the text in localStorage and the view in the URL hash (off in tests).
    #[prop_or(true)]
    pub persist: bool,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let initial = props.initial.clone();
    let state = use_reducer(move || initial);
    {
        let persist_on = props.persist;
        let key = (state.text.clone(), state.era, state.cursor);
        use_effect_with(key, move |(text, era, cursor)| {
            if persist_on {
                persist::save(text, *era, *cursor);
            }
        });
    }
    html! {
        <ContextProvider<StateHandle> context={state}>
            <div class="playground">
                <Toolbar />
                <Notice />
                <div class="panes">
                    <Editor />
                    <div class="views">
                        <TopologyPanel />
                        <PageTablePanel />
                    </div>
                </div>
                <TracePanel />
            </div>
        </ContextProvider<StateHandle>>
    }
}
