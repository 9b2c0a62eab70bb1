//! The full playground: toolbar, editor, and the panels that draw the run.
use crate::components::{
    compare::ComparePanel,
    editor::Editor,
    iova_space::IovaSpacePanel,
    notice::Notice,
    page_table::PageTablePanel,
    splitter::{Axis, Splitter},
    toolbar::Toolbar,
    topology::TopologyPanel,
    trace::TracePanel,
    workload_charts::WorkloadCharts,
};
use crate::persist;
use crate::state::{Action, State, StateHandle};
use gloo_events::EventListener;
use wasm_bindgen::JsCast;
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
    crate::worker::use_worker_runs(&state);
    let root = use_node_ref();
    // The presets' texts, in the background once the first render is on screen.
    use_effect_with((), |_| crate::presets::prefetch());
    {
        let persist_on = props.persist;
        let key = (
            state.text.clone(),
            state.era,
            state.cursor,
            state.compare_open(),
            state.import.clone(),
        );
        use_effect_with(key, move |(text, era, cursor, compare, import)| {
            if persist_on {
                persist::save_view(text, *era, *cursor, *compare, import.as_deref());
            }
        });
    }
    {
        // The user's own scenario is kept among the last few: typing replaces its entry,
        // a scenario opened from the list starts a new one.
        let persist_on = props.persist;
        let last_seq = use_mut_ref(|| None::<u32>);
        use_effect_with((state.mine.clone(), state.mine_seq), move |(mine, seq)| {
            if let (true, Some(mine)) = (persist_on, mine) {
                let same = *last_seq.borrow() == Some(*seq);
                persist::keep_mine(mine, same);
                *last_seq.borrow_mut() = Some(*seq);
            }
        });
    }
    {
        // ←/→ step the trace from anywhere on the page, except in text fields and menus
        // (where the arrows move the caret or the choice) and when a panel already handled
        // the key (the trace panel itself does, and marks it handled).
        let dispatcher = state.dispatcher();
        let root = root.clone();
        // Esc closes compare (the share popover, listening first, takes an Esc of its own),
        // unless the import sheet is open over the panes: that Esc closes the sheet (its own
        // listener) and compare waits for the next one.
        let compare_open = use_mut_ref(|| false);
        *compare_open.borrow_mut() = state.compare_open() && state.import.is_none();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                EventListener::new(&w, "keydown", move |e| {
                    let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    let d = match e.key().as_str() {
                        "ArrowLeft" => -1,
                        "ArrowRight" => 1,
                        "Escape" => 0,
                        _ => return,
                    };
                    if e.default_prevented() || e.ctrl_key() || e.alt_key() || e.meta_key() {
                        return;
                    }
                    if d == 0 {
                        if *compare_open.borrow() {
                            dispatcher.dispatch(Action::ToggleCompare);
                        }
                        return;
                    }
                    let target = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                    let in_field = target.as_ref().is_some_and(|el| {
                        matches!(el.tag_name().as_str(), "TEXTAREA" | "INPUT" | "SELECT")
                    });
                    // A key pressed in another app on the page is that app's; a key with
                    // nothing focused (the body) steps every app.
                    let elsewhere = match (&target, root.get()) {
                        (Some(t), Some(r)) => {
                            !matches!(t.tag_name().as_str(), "BODY" | "HTML")
                                && !r.contains(Some(t.unchecked_ref::<web_sys::Node>()))
                        }
                        _ => false,
                    };
                    if !in_field && !elsewhere {
                        e.prevent_default();
                        dispatcher.dispatch(Action::Step(d));
                    }
                })
            });
            move || drop(listener)
        });
    }
    // On a phone (the playground 600 px wide or less) one panel at a time, chosen by tabs.
    let tab = use_state(|| "machine");
    let tabs = [
        ("editor", "Scenario"),
        ("machine", "Machine"),
        ("trace", "Trace"),
    ];
    html! {
        <ContextProvider<StateHandle> context={state}>
            <div class="playground-shell">
            <div class={classes!("playground", format!("tab-{}", *tab))} ref={root.clone()}>
                <Toolbar />
                <Notice />
                <nav class="phone-tabs" role="tablist" aria-label="Panels">
                    { for tabs.iter().map(|&(id, label)| {
                        let tab = tab.clone();
                        let selected = *tab == id;
                        html! {
                            <button type="button" role="tab" data-tab={id} aria-selected={selected.to_string()}
                                class={classes!("phone-tab", selected.then_some("on"))}
                                onclick={Callback::from(move |_| tab.set(id))}>{ label }</button>
                        }
                    }) }
                </nav>
                <div class="panes">
                    <Editor />
                    <Splitter axis={Axis::Columns} var="--editor-w" key_name="iommu-play.editor-w"
                        target={root.clone()} min={240.0} label="Resize the editor" />
                    <div class="views">
                        <ComparePanel />
                        <TopologyPanel />
                        <WorkloadCharts />
                        <IovaSpacePanel />
                        <PageTablePanel />
                    </div>
                </div>
                <Splitter axis={Axis::Rows} var="--trace-h" key_name="iommu-play.trace-h"
                    target={root} min={96.0} label="Resize the trace" />
                <TracePanel />
            </div>
            </div>
        </ContextProvider<StateHandle>>
    }
}
