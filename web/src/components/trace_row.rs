//! One trace row as a component of its own: keyed by step and with equal props for every
//! row the step did not change, so a step re-renders two rows, not the whole window.
use crate::components::trace::{row, RowControls};
use iommu_engine::scenario::Run;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TraceRowProps {
    pub run: Rc<Run>,
    /// The step (0-based; the row shows `index + 1`).
    pub index: usize,
    /// The cursor clamped to `index ..= index + 2`: all a row draws of it (done, current,
    /// ahead), so a step leaves the other rows' props equal.
    pub cursor: usize,
    /// Seeks to a step (the row's own number on a click).
    pub seek: Callback<usize>,
}

#[function_component(TraceRow)]
pub fn trace_row(p: &TraceRowProps) -> Html {
    let open = use_state(|| false);
    let Some(st) = p.run.steps.get(p.index) else {
        return html! {};
    };
    let (seek, n) = (p.seek.clone(), p.index + 1);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_| open.set(!*open))
    };
    row(
        &p.run,
        p.index,
        st,
        p.cursor,
        RowControls {
            seek: Callback::from(move |_| seek.emit(n)),
            open: *open,
            toggle,
        },
    )
}
