//! Compare: the scenario run in all six eras side by side, one row per call line, the
//! calls whose results differ highlighted — the debate between the eras made visible.
use crate::components::trace::severity_class;
use crate::state::{use_app_state, Action};
use iommu_engine::trace::thousands;
use yew::prelude::*;

#[function_component(ComparePanel)]
pub fn compare_panel() -> Html {
    let state = use_app_state();
    let close = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::ToggleCompare))
    };
    // The six runs of a large scenario in the worker: their pairs, and Cancel (closes).
    let progress = state.comparing.as_ref().map(|r| {
        html! {
            <div class="compare-progress run-progress" role="status" aria-live="polite"
                data-compare-progress={r.done.to_string()} data-compare-total={r.total.to_string()}>
                <progress max={r.total.to_string()} value={r.done.to_string()}></progress>
                <span>{ format!("running the six eras in a worker: {} / {} workload pairs", thousands(r.done), thousands(r.total)) }</span>
                <button type="button" class="run-cancel" onclick={close.clone()}>{ "Cancel" }</button>
            </div>
        }
    });
    let Some(cmp) = state.compare.clone() else {
        return match progress {
            Some(p) => html! {
                <section class="pane compare" aria-label="Compare eras" data-comparing="">
                    <div class="compare-bar">
                        <h2>{ "compare eras" }</h2>
                        <span class="spacer"></span>
                        <button type="button" class="close" onclick={close} aria-label="Close compare">{ "×" }</button>
                    </div>
                    { p }
                </section>
            },
            None => html! {},
        };
    };
    let differing = cmp.rows.iter().filter(|r| r.differs).count();
    html! {
        <section class="pane compare" aria-label="Compare eras">
            <div class="compare-bar">
                <h2>{ "compare eras" }</h2>
                <span class="muted">{ format!("{differing} of {} calls return differently across eras", cmp.rows.len()) }</span>
                if state.stale { <span class="muted">{ " · edited since: Run to update" }</span> }
                <span class="spacer"></span>
                <button type="button" class="close" onclick={close} aria-label="Close compare">{ "×" }</button>
            </div>
            { progress.unwrap_or_default() }
            if cmp.rows.is_empty() {
                <p class="muted">{ "This scenario makes no calls." }</p>
            } else {
                <div class="compare-scroll">
                    <table class="compare-table">
                        <thead><tr>
                            <th class="call">{ "line · call" }</th>
                            { for cmp.eras.iter().map(|g| html! {
                                <th class={classes!((*g == state.era).then_some("this-era"))}>{ g.name() }</th>
                            }) }
                        </tr></thead>
                        <tbody>
                            { for cmp.rows.iter().map(|r| html! {
                                <tr class={classes!("compare-row", r.differs.then_some("differs"))} data-line={r.line.to_string()}>
                                    <td class="call" title={r.call.clone()}>
                                        <span class="line-no">{ r.line }</span>{ " " }<code>{ r.call.clone() }</code>
                                    </td>
                                    { for r.results.iter().zip(&cmp.eras).map(|(c, g)| {
                                        // A cell seeks to its line's step in its era.
                                        let seek = {
                                            let (state, era, line) = (state.clone(), *g, r.line);
                                            Callback::from(move |_| state.dispatch(Action::SeekEraLine(era, line)))
                                        };
                                        html! {
                                            <td class={classes!("cell", severity_class(c.severity()), (*g == state.era).then_some("this-era"))}
                                                data-era={g.name()} title={format!("{}: {} — click to see this step in {}", g.name(), c.text, g.name())}
                                                onclick={seek}>{ c.text.clone() }</td>
                                        }
                                    }) }
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
            if !cmp.failing.is_empty() {
                <p class="err">{ format!("expectations fail in: {}", cmp.failing.iter().map(|g| g.name()).collect::<Vec<_>>().join(", ")) }</p>
            }
        </section>
    }
}
