//! The trace: one row per call, a cursor that every panel draws, and the step controls
//! (buttons, slider, ←/→ on the focused panel).
//!
//! SEAM (the lead fills this): rows come from `state.report`'s trace (result, nested calls,
//! state delta, invariant breaches). Until then the placeholder report lists the call
//! statements with no result: nothing has run.
use crate::state::{use_app_state, Action, State, TraceCall};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The rows of the trace: the report's calls (SEAM: the engine's trace rows).
pub fn rows(state: &State) -> Vec<TraceCall> {
    state
        .report
        .as_ref()
        .map(|r| r.calls.clone())
        .unwrap_or_default()
}

#[function_component(TracePanel)]
pub fn trace_panel() -> Html {
    let state = use_app_state();
    let rows = rows(&state);
    let steps = state.steps();
    let cursor = state.cursor;
    let step = |d: isize| {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Step(d)))
    };
    let seek = |n: usize| {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Seek(n)))
    };
    let oninput = {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let i: HtmlInputElement = e.target_unchecked_into();
            if let Ok(n) = i.value().parse::<usize>() {
                state.dispatch(Action::Seek(n));
            }
        })
    };
    let onkeydown = {
        let state = state.clone();
        Callback::from(move |e: KeyboardEvent| {
            let d = match e.key().as_str() {
                "ArrowLeft" => -1,
                "ArrowRight" => 1,
                _ => return,
            };
            // The slider moves itself with the arrows.
            if e.target_dyn_into::<HtmlInputElement>().is_some() {
                return;
            }
            // Handled here: the page-wide arrows (components/app.rs) must not step again.
            e.prevent_default();
            e.stop_propagation();
            state.dispatch(Action::Step(d));
        })
    };
    let status = match (&state.report, state.errors()) {
        (_, Some(_)) => "the scenario has errors: nothing to run".to_string(),
        (None, None) => "press Run to run the scenario".to_string(),
        (Some(_), None) if state.stale => {
            format!("step {cursor}/{steps} · edited since the run: Run (Ctrl-Enter) to update")
        }
        (Some(_), None) => format!("step {cursor}/{steps}"),
    };
    html! {
        <section class="trace" aria-label="Trace" tabindex="0" {onkeydown}>
            <div class="trace-bar">
                <h2>{ "trace" }</h2>
                <div class="stepper" role="group" aria-label="Step through the trace">
                    <button type="button" onclick={seek(0)} disabled={cursor == 0} title="First step" aria-label="First step">{ "|◀" }</button>
                    <button type="button" onclick={step(-1)} disabled={cursor == 0} title="Step back (←)" aria-label="Step back">{ "◀" }</button>
                    <button type="button" onclick={step(1)} disabled={cursor >= steps} title="Step forward (→)" aria-label="Step forward">{ "▶" }</button>
                    <button type="button" onclick={seek(steps)} disabled={cursor >= steps} title="Last step" aria-label="Last step">{ "▶|" }</button>
                </div>
                <span class="step-status">{ status }</span>
                <input type="range" class="slider" min="0" max={steps.to_string()} value={cursor.to_string()}
                    aria-label="Trace step" disabled={steps == 0} {oninput} />
            </div>
            <p class="placeholder">
                { "Each call's result (errors in red, WARN amber, BUG black), its nested kernel calls, \
                   the state it changed and any isolation invariant it breaks will appear on its row \
                   once the engine runs the scenario." }
            </p>
            if !rows.is_empty() {
                <ol class="trace-rows">
                    { for rows.iter().enumerate().map(|(i, r)| {
                        let n = i + 1;
                        let cls = classes!("trace-row", (n == cursor).then_some("current"), (n < cursor).then_some("done"));
                        html! {
                            <li class={cls} aria-current={(n == cursor).then_some("step")}>
                                <button type="button" class="row-seek" onclick={seek(n)} title="Go to this step">
                                    <span class="step-no">{ n }</span>
                                    <span class="line-no">{ format!("line {}", r.line) }</span>
                                    <code>{ r.call.clone() }</code>
                                    <span class="result muted">{ "—" }</span>
                                </button>
                            </li>
                        }
                    }) }
                </ol>
            } else if state.report.is_some() {
                <p class="muted">{ "This scenario makes no calls: it only describes a machine." }</p>
            }
        </section>
    }
}
