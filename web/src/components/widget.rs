//! An embedded view of one scenario (`?embed`, and every `<div data-iommu-scenario>` of a
//! documentation page): its text, topology and trace, and a link that opens it in the full
//! playground. Each widget has its own state. Read-only, except an exercise
//! (`data-iommu-exercise`): its text is editable, Run runs it, and a banner says whether
//! its expectations hold ([`crate::exercise`]).
use crate::components::editor_text::EditorText;
use crate::components::preset_menu::title;
use crate::components::{
    code_view::CodeView, run_progress::RunProgress, topology::TopologyPanel, trace::TracePanel,
};
use crate::exercise::{verdict, Verdict};
use crate::state::{Action, State, StateHandle};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct WidgetProps {
    pub initial: State,
    /// The full playground's URL: "open in playground" goes there with the starting
    /// view's share hash (made asynchronously by the browser's compressor; until then the
    /// link opens the playground as it is).
    pub playground: AttrValue,
    /// An exercise: the text is editable and judged by its expectations.
    #[prop_or_default]
    pub exercise: bool,
    /// The expectations a solution must keep (the starting text's count).
    #[prop_or_default]
    pub required: usize,
}

#[function_component(Widget)]
pub fn widget(props: &WidgetProps) -> Html {
    let initial = props.initial.clone();
    let state = use_reducer(move || initial);
    crate::worker::use_worker_runs(&state);
    let link = use_state(|| props.playground.to_string());
    {
        let link = link.clone();
        let base = props.playground.to_string();
        let base = base.split('#').next().unwrap_or_default().to_string();
        let shared = crate::share::Shared {
            text: props.initial.text.to_string(),
            era: props.initial.era,
            cursor: props.initial.cursor,
        };
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let hash = crate::share::encode_async(&shared).await;
                link.set(format!("{base}#{hash}"));
            });
        });
    }
    let heading = title("scenario", &state.text);
    let errors = state.errors().cloned();
    let code = if props.exercise {
        html! { <ExerciseEditor required={props.required} /> }
    } else {
        html! {
            <details class="widget-code" open={errors.is_some()}>
                <summary>{ "scenario text" }</summary>
                <CodeView text={AttrValue::from(state.text.to_string())} {errors} />
            </details>
        }
    };
    html! {
        <ContextProvider<StateHandle> context={state.clone()}>
            <div class={classes!("iommu-widget", props.exercise.then_some("exercise"))}>
                <div class="widget-bar">
                    <strong class="widget-title">{ heading }</strong>
                    <span class="badge">{ format!("era {}", state.era) }</span>
                    <span class="spacer"></span>
                    <RunProgress />
                    <a class="open-link" href={(*link).clone()} target="_blank" rel="noopener">{ "open in playground ↗" }</a>
                </div>
                if let Some(notice) = state.notice.clone() {
                    <p class="notice" role="alert">{ notice.to_string() }</p>
                }
                { code }
                <TopologyPanel />
                <TracePanel />
            </div>
        </ContextProvider<StateHandle>>
    }
}

#[derive(Properties, PartialEq)]
struct ExerciseProps {
    required: usize,
}

/// The exercise's editor, its Run button and the verdict of the last run.
#[function_component(ExerciseEditor)]
fn exercise_editor(p: &ExerciseProps) -> Html {
    let state = crate::state::use_app_state();
    let area = use_node_ref();
    let run = {
        let d = state.dispatcher();
        Callback::from(move |_| d.dispatch(Action::Run))
    };
    let v = verdict(&state, p.required);
    let (class, words) = match &v {
        Verdict::Pass { checks } => ("pass", format!("✓ Passed: all {checks} expectations hold.")),
        Verdict::Fail { failed, checks } => (
            "fail",
            format!("✗ Not yet: {} of {checks} expectations fail.", failed.len()),
        ),
        Verdict::Missing { checks, required } => (
            "fail",
            format!("✗ Not yet: the exercise has {required} expectations, this text {checks}. Keep them."),
        ),
        Verdict::Broken => ("fail", "✗ The text has an error (see its line above).".to_string()),
        Verdict::NotRun => ("stale", "Edited: Run (Ctrl-Enter) to check it.".to_string()),
    };
    let errors = state.errors().cloned();
    html! {
        <div class="widget-editor">
            <EditorText text={AttrValue::from(state.text.clone())} errors={errors.clone()} area={area}
                dispatch={state.dispatcher()} />
            if let Some(errors) = errors {
                <ul class="errors">
                    { for errors.errors.iter().map(|e| html! {
                        <li class="error"><span class="pos">{ format!("{}:{}", e.line(), e.col()) }</span>
                            { " " }{ e.message() }</li>
                    }) }
                </ul>
            }
            <div class="exercise-bar">
                <button type="button" class="primary exercise-run" onclick={run}
                    disabled={!state.parses()}>{ "Run" }<kbd>{ "Ctrl-Enter" }</kbd></button>
            </div>
            <div class={classes!("exercise-verdict", class)} data-exercise={v.tag()} role="status" aria-live="polite">
                { words }
                if let Verdict::Fail { failed, .. } = &v {
                    <ul class="exercise-failures">
                        { for failed.iter().map(|f| html! {
                            <li>{ format!("line {}: ", f.line) }<code>{ f.source.clone() }</code>
                                { format!(" — found {}", f.actual) }</li>
                        }) }
                    </ul>
                }
            </div>
        </div>
    }
}
