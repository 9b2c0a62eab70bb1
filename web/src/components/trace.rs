//! The trace: one row per step of the engine's run (the boot probes, then the calls), a
//! cursor that every panel draws, and the step controls (buttons, slider, ←/→).
//!
//! A row shows the statement, its result (errors red, WARN amber, BUG black, n/a dim), the
//! invariant breaches it caused with their sentence and the expectations that failed on its
//! line; it expands to the nested kernel calls and the state it changed.
use crate::components::trace_row::TraceRow;
use crate::state::{use_app_state, Action};
use iommu_engine::scenario::view::{result_text, step_label, why};
use iommu_engine::scenario::{CheckOutcome, Phase, Run, Step};
use iommu_engine::snapshot::Snapshot;
use iommu_engine::trace::{Delta, Nested, Severity, WarnKind};
use iommu_engine::{DeviceId, DomainId};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The CSS class of a result's [`Severity`]: `err`, `bug`, `na` or `ok`.
pub fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "err",
        Severity::Bug => "bug",
        Severity::NotAvailable => "na",
        Severity::Ok | Severity::Info | Severity::Warning => "ok",
    }
}

fn dev_name(run: &Run, d: DeviceId) -> String {
    run.topology
        .devices
        .iter()
        .find(|x| x.id == d)
        .map_or_else(|| format!("dev#{}", d.0), |x| x.name.clone())
}

fn dom_name(snap: Option<&Snapshot>, d: Option<DomainId>) -> String {
    let Some(d) = d else {
        return "NULL".into();
    };
    snap.and_then(|s| s.domains.iter().find(|x| x.id == d))
        .map_or_else(|| format!("domain#{}", d.0), |x| x.label.clone())
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "none".into())
}

/// One state change as a sentence fragment (`group 1 domain: default#0(DMA) → d1`).
pub fn delta_text(run: &Run, snap: Option<&Snapshot>, d: &Delta) -> String {
    match d {
        Delta::GroupDomain {
            group,
            before,
            after,
        } => format!(
            "{} domain: {} → {}",
            group,
            dom_name(snap, *before),
            dom_name(snap, *after)
        ),
        Delta::GroupOwner {
            group,
            before,
            after,
        } => format!("{} owner: {} → {}", group, opt(before), opt(after)),
        Delta::OwnerCnt {
            group,
            before,
            after,
        } => format!("{} owner_cnt: {before} → {after}", group),
        Delta::AttachCnt {
            group,
            before,
            after,
        } => format!("{} attach_cnt: {before} → {after}", group),
        Delta::DeviceDomain {
            device,
            before,
            after,
        } => format!(
            "{} translated by: {} → {}",
            dev_name(run, *device),
            dom_name(snap, *before),
            dom_name(snap, *after)
        ),
        Delta::DeviceDriver {
            device,
            before,
            after,
        } => format!(
            "{} driver: {} → {}",
            dev_name(run, *device),
            opt(before),
            opt(after)
        ),
        Delta::GroupMembers {
            group,
            before,
            after,
        } => {
            let names = |v: &[DeviceId]| {
                let n: Vec<String> = v.iter().map(|d| dev_name(run, *d)).collect();
                format!("[{}]", n.join(", "))
            };
            format!("{} members: {} → {}", group, names(before), names(after))
        }
        Delta::DomainAllocated { domain, ty } => {
            format!("allocated {} ({ty})", dom_name(snap, Some(*domain)))
        }
        Delta::DomainFreed { domain } => format!("freed {}", dom_name(snap, Some(*domain))),
        Delta::Mapping {
            domain,
            before,
            after,
        } => format!(
            "{} PTE writes {} → {}, tables {} → {}, IOTLB entries {} → {}",
            dom_name(snap, Some(*domain)),
            before.pte_writes,
            after.pte_writes,
            before.tables_live,
            after.tables_live,
            before.iotlb_entries,
            after.iotlb_entries
        ),
    }
}

fn nested_tree(n: &[Nested]) -> Html {
    html! {
        <ul class="nested">
            { for n.iter().map(|c| {
                let res = if c.result.is_void() { String::new() } else { format!(" = {}", c.result) };
                let bad = c.result.severity().is_failure();
                html! {
                    <li>
                        // A "… N more" entry stands for the calls the engine did not record.
                        <code>{ c.call_text() }</code>
                        <code class={classes!("res", bad.then_some("err"))}>{ res }</code>
                        if !c.children.is_empty() { { nested_tree(&c.children) } }
                    </li>
                }
            }) }
        </ul>
    }
}

/// The failed expectations checked on `step`'s line (a call's own `=> VALUE`, or an
/// `expect` right after it on the same line).
fn failed_checks<'a>(run: &'a Run, step: &Step) -> Vec<&'a CheckOutcome> {
    if step.phase == Phase::Boot {
        return Vec::new();
    }
    run.checks
        .iter()
        .filter(|c| !c.ok && c.line == step.line)
        .collect()
}

/// The expectations that failed between `step` and the next step (standalone `expect`
/// lines), shown under the step they follow.
fn failed_after(run: &Run, i: usize) -> Vec<&CheckOutcome> {
    let Some(step) = run.steps.get(i) else {
        return Vec::new();
    };
    let next = run.steps.get(i + 1).map_or(u32::MAX, |s| s.line);
    run.checks
        .iter()
        .filter(|c| !c.ok && c.line > step.line && c.line < next)
        .collect()
}

#[function_component(TracePanel)]
pub fn trace_panel() -> Html {
    let state = use_app_state();
    let steps = state.steps();
    let cursor = state.cursor;
    let step = |d: isize| {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Step(d)))
    };
    // One callback for every row (equal props: unchanged rows are not re-rendered).
    let seek_to = {
        let d = state.dispatcher();
        use_callback((), move |n: usize, _| d.dispatch(Action::Seek(n)))
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
    // The current row stays in view while stepping (only the trace list scrolls).
    let list = use_node_ref();
    {
        let list = list.clone();
        use_effect_with(cursor, move |_| {
            let row = list
                .cast::<web_sys::Element>()
                .and_then(|l| l.query_selector(".trace-row.current").ok().flatten());
            // Scroll the trace's own box, never the page (a widget on a documentation page
            // must not move the reader).
            let boxed = row.and_then(|r| Some((r.closest(".trace").ok().flatten()?, r)));
            if let Some((container, row)) = boxed {
                let (c, r) = (
                    container.get_bounding_client_rect(),
                    row.get_bounding_client_rect(),
                );
                let top = container.scroll_top();
                if r.top() < c.top() {
                    container.set_scroll_top(top - (c.top() - r.top()).ceil() as i32);
                } else if r.bottom() > c.bottom() {
                    container.set_scroll_top(top + (r.bottom() - c.bottom()).ceil() as i32);
                }
            }
        });
    }
    let status = match (state.drawn(), state.errors()) {
        (None, _) if state.running.is_some() => {
            "running in a Web Worker: the trace comes when it ends".to_string()
        }
        (Some(_), _) if state.running.is_some() => {
            format!("step {cursor}/{steps} of the last run that finished · running")
        }
        (Some(_), None) if state.drawn_stale() => {
            format!("step {cursor}/{steps} of the last run that finished · the run was cancelled")
        }
        (Some(_), Some(_)) => format!(
            "step {cursor}/{steps} of the last good run · the text has errors: fix them and Run"
        ),
        (_, Some(_)) if state.parses() => "the run stopped at an error in the scenario".to_string(),
        (_, Some(_)) => "the scenario has errors: nothing to run".to_string(),
        (None, None) => "press Run to run the scenario".to_string(),
        (Some(_), None) if state.stale => {
            format!("step {cursor}/{steps} · edited since the run: Run (Ctrl-Enter) to update")
        }
        (Some(_), None) => format!("step {cursor}/{steps}"),
    };
    let summary = state.drawn().map(|r| {
        let failed = r.failures().count();
        let breaches: usize = r.steps.iter().map(|s| s.event.breaches.len()).sum();
        (r.checks.len() - failed, failed, breaches, r.crashed.clone())
    });
    html! {
        <section class={classes!("trace", state.drawn_stale().then_some("stale"))} aria-label="Trace" tabindex="0" {onkeydown}>
            // Sticky (style.css): the controls, counter, slider and verdict stay in view
            // while the rows scroll under them.
            <div class="trace-bar" data-trace-controls="">
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
                if let Some((ok, failed, breaches, _)) = &summary {
                    <span class={classes!("verdict", (*failed > 0).then_some("err"), (*ok + *failed == 0).then_some("muted"))}>
                        { match (*ok, *failed) {
                            (0, 0) => "no expectations".to_string(),
                            (ok, 0) => format!("{ok} expectations hold"),
                            (ok, failed) => format!("{failed} of {} expectations fail", ok + failed),
                        } }
                        if *breaches > 0 { <span class="err">{ format!(" · {breaches} invariant breaches") }</span> }
                    </span>
                }
            </div>
            if let Some(rc) = state.drawn().cloned() {
                if rc.steps.is_empty() {
                    <p class="muted">{ "This scenario makes no calls and declares no devices." }</p>
                } else {
                    <ol class="trace-rows" ref={list}>
                        {{
                            let run = &*rc;
                            let (from, to) = window(run.steps.len(), cursor);
                            html! { <>
                                if from > 0 {
                                    <li class="trace-gap muted">{ format!("… {from} earlier steps (the slider reaches them)") }</li>
                                }
                                <>{ for (from..to).map(|i| html! {
                                    <TraceRow key={i} run={rc.clone()} index={i} cursor={cursor.clamp(i, i + 2)} seek={seek_to.clone()} />
                                }) }</>
                                if to < run.steps.len() {
                                    <li class="trace-gap muted">{ format!("… {} later steps", run.steps.len() - to) }</li>
                                }
                            </> }
                        }}
                    </ol>
                }
                if let Some(bug) = &rc.crashed {
                    <p class="crashed">{ format!("kernel BUG: {bug} — the run stopped here") }</p>
                }
            }
        </section>
    }
}

/// Rows drawn at most: a long trace shows the rows around the cursor, so a step costs the
/// same on a 10,000-call trace as on a short one.
pub const WINDOW: usize = 300;

/// The rows `from..to` drawn for a trace of `len` steps with the cursor at `cursor`.
pub fn window(len: usize, cursor: usize) -> (usize, usize) {
    if len <= WINDOW {
        return (0, len);
    }
    let from = cursor.saturating_sub(WINDOW / 2).min(len - WINDOW);
    (from, from + WINDOW)
}

/// How a row answers the pointer: a click anywhere on it seeks to its step (`seek`), except
/// on its details, which have their own control (`toggle`, open when `open`). Nothing in a
/// row changes size on hover or when it becomes current, so nothing moves under the pointer.
pub(crate) struct RowControls {
    pub seek: Callback<MouseEvent>,
    pub open: bool,
    pub toggle: Callback<MouseEvent>,
}

pub(crate) fn row(run: &Run, i: usize, st: &Step, cursor: usize, c: RowControls) -> Html {
    let n = i + 1;
    let e = &st.event;
    let warned = e.warns.iter().any(|w| w.kind == WarnKind::Warn);
    let cls = classes!(
        "trace-row",
        (n == cursor).then_some("current"),
        (n < cursor).then_some("done"),
        (st.phase == Phase::Boot).then_some("boot"),
        (!e.breaches.is_empty()).then_some("breach")
    );
    let snap = e.snapshot.as_ref();
    let checks = failed_checks(run, st);
    let after = failed_after(run, i);
    let more = !e.nested.is_empty() || !e.deltas.is_empty();
    let seek = c.seek.clone();
    let onclick = Callback::from(move |ev: MouseEvent| {
        let in_details = ev
            .target_dyn_into::<web_sys::Element>()
            .and_then(|t| t.closest(".row-more, .row-details").ok().flatten())
            .is_some();
        if !in_details {
            seek.emit(ev);
        }
    });
    let toggle = c.toggle.clone();
    let ontoggle = Callback::from(move |ev: MouseEvent| {
        ev.stop_propagation();
        toggle.emit(ev);
    });
    let summary = format!(
        "{} nested calls, {} state changes",
        count_nested(&e.nested),
        e.deltas.len()
    );
    html! {
        <li class={cls} aria-current={(n == cursor).then_some("step")} {onclick}>
            <div class="row-line">
                <button type="button" class="row-seek" title="Go to this step">
                    <span class="step-no">{ n }</span>
                    <span class="line-no">{ if st.line > 0 { format!("line {}", st.line) } else { String::new() } }</span>
                    <code>{ step_label(st) }</code>
                    <span class={classes!("result", severity_class(e.result.severity()), warned.then_some("warned"))}>
                        if warned { <span class="warn-tag">{ WarnKind::Warn.as_str() }</span> }
                        { result_text(st) }
                        if !checks.is_empty() { <span class="fail-tag">{ "✗" }</span> }
                    </span>
                </button>
                if more {
                    <button type="button" class="row-details" onclick={ontoggle} aria-expanded={c.open.to_string()}
                        title={summary.clone()} aria-label={format!("Details of step {n}: {summary}")}>
                        { if c.open { "▾" } else { "▸" } }
                    </button>
                }
            </div>
            <div class="row-notes">
                // Why it failed, in the engine's words (the owner, the blocking driver).
                if let Some(why) = why(run, i) {
                    <div class="note why">{ why }</div>
                }
                { for e.warns.iter().map(|w| html! {
                    <div class={classes!("note", if matches!(w.kind.severity(), Severity::Warning | Severity::Bug) { "warn" } else { "muted" })}>
                        { w.to_string() }
                    </div>
                }) }
                { for e.breaches.iter().map(|b| html! {
                    <div class="note breach-note">{ format!("breach {}: {}", b.invariant, b.message) }</div>
                }) }
                { for checks.iter().chain(after.iter()).map(|c| html! {
                    <div class="note check-failed">{ format!("✗ line {}: {} — expected {}, got {}", c.line, c.source, c.expected, c.actual) }</div>
                }) }
                if more {
                    <div class="row-more" hidden={!c.open}>
                        <div class="row-more-summary muted">{ summary }</div>
                        if !e.nested.is_empty() { { nested_tree(&e.nested) } }
                        if !e.deltas.is_empty() {
                            <ul class="deltas">
                                { for e.deltas.iter().map(|d| html! { <li>{ delta_text(run, snap, d) }</li> }) }
                            </ul>
                        }
                    </div>
                }
            </div>
        </li>
    }
}

fn count_nested(n: &[Nested]) -> usize {
    n.iter().map(|c| 1 + count_nested(&c.children)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_trace_draws_the_rows_around_the_cursor() {
        assert_eq!(window(10, 3), (0, 10));
        assert_eq!(window(10_000, 0), (0, WINDOW));
        assert_eq!(
            window(10_000, 5_000),
            (5_000 - WINDOW / 2, 5_000 + WINDOW / 2)
        );
        assert_eq!(window(10_000, 10_000), (10_000 - WINDOW, 10_000));
    }

    #[test]
    fn results_are_coloured_by_kind() {
        use iommu_engine::trace::Ret;
        use iommu_engine::Errno;
        assert_eq!(severity_class(Ret::Err(Errno::EBUSY).severity()), "err");
        assert_eq!(severity_class(Ret::Bug.severity()), "bug");
        assert_eq!(severity_class(Ret::NotAvailable.severity()), "na");
        assert_eq!(severity_class(Ret::Value(0x1000).severity()), "ok");
    }
}
