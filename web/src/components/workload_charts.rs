//! Charts of the workload series (issue 15 §3): rcache hit rate, tree-walking allocations,
//! IOTLB range vs full invalidations, flush-queue depth, live IOVAs, fragmentation — one row
//! per series, one column per `workload` step done at the cursor (strict and lazy side by
//! side), each row on one y scale so the columns compare.
//!
//! Each line is an SVG polyline drawn here, not by a plotting crate: `plotters` (SVG
//! backend and line series only) drew the same lines for 7,426 B more of the gzipped bundle
//! (BENCHMARKS.md "Bundle size"), which is over its size guard already, and gave an SVG
//! string to inject rather than elements Yew draws. The series are the engine's
//! ([`iommu_engine::scenario::series`]).
use crate::state::use_app_state;
use iommu_engine::scenario::series::{mode_name, workload_series, Series, SeriesKind};
use iommu_engine::scenario::Run;
use iommu_engine::trace::thousands;
use iommu_engine::workload::WorkloadSummary;
use std::rc::Rc;
use yew::prelude::*;

/// The drawing's box in SVG units (it stretches to its cell).
const W: f64 = 300.0;
const H: f64 = 60.0;

/// `1,234` for whole numbers, one decimal otherwise.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v >= 0.0 {
        thousands(v as u64)
    } else {
        format!("{v:.1}")
    }
}

/// The points of `s` in the box: x by pairs done (0 … `pairs`), y from 0 (bottom) to `max`.
pub fn polyline(s: &Series, pairs: u64, max: f64) -> String {
    let xs = pairs.max(1) as f64;
    let ys = if max > 0.0 { max } else { 1.0 };
    s.points
        .iter()
        .map(|&(x, y)| format!("{:.1},{:.1}", x as f64 / xs * W, H - y / ys * H))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One chart: the series of one workload.
fn chart(s: &Series, pairs: u64, max: f64) -> Html {
    html! {
        <div class="chart" data-series={format!("{:?}", s.kind)} data-points={s.points.len().to_string()}
            role="img" aria-label={format!("{}: {} points, last {}", s.kind.label(), s.points.len(), num(s.last()))}>
            <div class="chart-plot">
                <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" aria-hidden="true">
                    <polyline points={polyline(s, pairs, max)} />
                </svg>
            </div>
            <span class="chart-last mono">{ format!("last {}", num(s.last())) }</span>
        </div>
    }
}

#[derive(Properties)]
struct GridProps {
    run: Rc<Run>,
    /// The workload steps drawn (their indices in the run).
    steps: Vec<usize>,
}

impl PartialEq for GridProps {
    /// The same run (by pointer: a run is never changed in place) and the same steps: the
    /// charts are not drawn again while the cursor moves between workloads.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.run, &other.run) && self.steps == other.steps
    }
}

#[function_component(ChartGrid)]
fn chart_grid(p: &GridProps) -> Html {
    let done: Vec<(usize, &WorkloadSummary, Vec<Series>)> = p
        .steps
        .iter()
        .filter_map(|&i| {
            let w = p.run.steps.get(i)?.event.workload.as_deref()?;
            Some((i, w, workload_series(w)))
        })
        .collect();
    let dev = |i: usize| {
        p.run
            .steps
            .get(i)
            .and_then(|s| s.event.args.first())
            .cloned()
            .unwrap_or_default()
    };
    let mode = |w: &WorkloadSummary| if w.lazy { "lazy" } else { "strict" };
    html! {
        <div class="charts" style={format!("--cols: {}", done.len())}>
            <span></span>
            { for done.iter().map(|(i, w, _)| html! {
                <span class={classes!("chart-head", mode(w))} data-workload={i.to_string()}>
                    <span class="mono">{ dev(*i) }</span>{ format!(" {}", mode_name(w)) }
                    <span class="muted">{ format!(" · {} pairs", thousands(w.last().pairs)) }</span>
                </span>
            }) }
            { for SeriesKind::ALL.iter().enumerate().map(|(k, kind)| {
                let row: Vec<(&WorkloadSummary, &Series)> = done
                    .iter()
                    .filter_map(|(_, w, ss)| ss.get(k).map(|s| (*w, s)))
                    .collect();
                let max = row.iter().map(|(_, s)| s.max()).fold(0.0, f64::max);
                html! {
                    <>
                        <span class="chart-label">{ kind.label() }
                            <span class="muted mono">{ format!(" max {}", num(max)) }</span></span>
                        { for row.iter().map(|(w, s)| html! {
                            <div class={classes!("chart-cell", mode(w))}>{ chart(s, w.last().pairs, max) }</div>
                        }) }
                    </>
                }
            }) }
        </div>
    }
}

#[function_component(WorkloadCharts)]
pub fn workload_charts() -> Html {
    let state = use_app_state();
    let Some(run) = state.drawn() else {
        return html! {};
    };
    let all: Vec<usize> = run
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.event.workload.is_some())
        .map(|(i, _)| i)
        .collect();
    if all.is_empty() {
        return html! {};
    }
    // The workloads done at the cursor.
    let steps: Vec<usize> = all.iter().copied().filter(|&i| i < state.cursor).collect();
    html! {
        <ChartsPane done={steps.len()}>
            if steps.is_empty() {
                <p class="muted">{ format!("{} workload{} in this run: step past one to chart its series.",
                    all.len(), if all.len() == 1 { "" } else { "s" }) }</p>
            } else {
                <ChartGrid run={run.clone()} {steps} />
            }
        </ChartsPane>
    }
}

#[derive(Properties, PartialEq)]
struct ChartsPaneProps {
    /// Workloads done at the cursor.
    done: usize,
    children: Html,
}

/// The charts' pane. When the cursor steps past one more workload, the pane is scrolled
/// into its column's view (the topology above it keeps its height), so every series row
/// of the workload just run is on screen without scrolling by hand.
#[function_component(ChartsPane)]
fn charts_pane(p: &ChartsPaneProps) -> Html {
    let pane = use_node_ref();
    let seen = use_mut_ref(|| 0usize);
    {
        let pane = pane.clone();
        use_effect_with(p.done, move |&done| {
            let more = done > *seen.borrow();
            *seen.borrow_mut() = done;
            if more {
                if let Some(el) = pane.cast::<web_sys::Element>() {
                    reveal(&el);
                }
            }
        });
    }
    html! {
        <section ref={pane} class="pane workload-charts" aria-label="Workload series"
            data-done={p.done.to_string()}>
            <h2>{ "fast path series" }</h2>
            { p.children.clone() }
        </section>
    }
}

/// Scrolls `el`'s scrolling parent the least that shows all of `el` (its top if it is
/// taller than the view).
fn reveal(el: &web_sys::Element) {
    let Some(column) = el.parent_element() else {
        return;
    };
    let (r, c) = (
        el.get_bounding_client_rect(),
        column.get_bounding_client_rect(),
    );
    let top = column.scroll_top();
    if r.top() < c.top() || r.height() > c.height() {
        column.set_scroll_top(top - (c.top() - r.top()).ceil() as i32);
    } else if r.bottom() > c.bottom() {
        column.set_scroll_top(top + (r.bottom() - c.bottom()).ceil() as i32);
    }
}

#[cfg(test)]
mod tests {
    use super::polyline;
    use iommu_engine::scenario::series::{Series, SeriesKind};

    #[test]
    fn polyline_has_one_vertex_per_point_scaled_to_the_box() {
        let s = Series {
            kind: SeriesKind::TreeAllocs,
            points: vec![(100, 0.0), (200, 2.0), (400, 1.0)],
        };
        assert_eq!(polyline(&s, 400, 2.0), "75.0,60.0 150.0,0.0 300.0,30.0");
        // A flat zero series sits on the axis.
        assert_eq!(polyline(&s, 400, 0.0).split(' ').count(), 3);
    }
}
