//! The run in the worker: the workload pairs done of the total, a bar, and Cancel.
use crate::state::{use_app_state, Action};
use iommu_engine::trace::thousands;
use yew::prelude::*;

#[function_component(RunProgress)]
pub fn run_progress() -> Html {
    let state = use_app_state();
    let Some(r) = state.running.clone() else {
        return html! {};
    };
    let cancel = {
        let d = state.dispatcher();
        let id = r.id;
        // The worker stops in the click itself, not at the next render.
        Callback::from(move |_| {
            crate::worker::cancel(id);
            d.dispatch(Action::CancelRun)
        })
    };
    html! {
        <div class="run-progress" role="status" aria-live="polite"
            data-run-progress={r.done.to_string()} data-run-total={r.total.to_string()}>
            <progress max={r.total.to_string()} value={r.done.to_string()}></progress>
            <span class="run-count" title="workload pairs done / in the scenario">{ format!("{} / {}", thousands(r.done), thousands(r.total)) }</span>
            <button type="button" class="run-cancel" data-run-cancel="" onclick={cancel}
                title="Stop the run (the last run that finished stays drawn)">{ "Cancel" }</button>
        </div>
    }
}
