//! A divider between two panes that resizes them: drag it, or focus it and use the arrows
//! (Home restores the default). It sets a CSS length (`--editor-w`, `--trace-h`) on the
//! playground and remembers it in localStorage.
use crate::storage;
use yew::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// A vertical bar: sets a width measured from the container's left.
    Columns,
    /// A horizontal bar: sets a height measured up from the container's bottom.
    Rows,
}

#[derive(Properties, PartialEq)]
pub struct SplitterProps {
    pub axis: Axis,
    /// The CSS custom property it sets on `target`.
    pub var: &'static str,
    /// The localStorage key it keeps the size under.
    pub key_name: &'static str,
    /// The element whose box the size is measured in and that carries the property.
    pub target: NodeRef,
    pub min: f64,
    pub label: &'static str,
}

fn apply(target: &NodeRef, var: &str, px: Option<f64>) {
    if let Some(el) = target.cast::<web_sys::HtmlElement>() {
        let style = el.style();
        let _ = match px {
            Some(px) => style.set_property(var, &format!("{px:.0}px")),
            None => style.remove_property(var).map(|_| ()),
        };
    }
}

/// The size `target` allows at `px`: at least `min`, and leaving `min` to the other pane.
fn clamp(target: &NodeRef, axis: Axis, min: f64, px: f64) -> f64 {
    let total = target
        .cast::<web_sys::Element>()
        .map(|e| e.get_bounding_client_rect())
        .map_or(px, |r| match axis {
            Axis::Columns => r.width(),
            Axis::Rows => r.height(),
        });
    px.min(total - min).max(min)
}

#[function_component(Splitter)]
pub fn splitter(p: &SplitterProps) -> Html {
    let dragging = use_mut_ref(|| false);
    let size = use_mut_ref(|| None::<f64>);
    {
        let (target, var, key, size) = (p.target.clone(), p.var, p.key_name, size.clone());
        use_effect_with((), move |_| {
            if let Some(px) = storage::get::<f64>(key) {
                *size.borrow_mut() = Some(px);
                apply(&target, var, Some(px));
            }
        });
    }
    let measure = {
        let (target, axis) = (p.target.clone(), p.axis);
        move |e: &PointerEvent| {
            let r = target
                .cast::<web_sys::Element>()?
                .get_bounding_client_rect();
            Some(match axis {
                Axis::Columns => f64::from(e.client_x()) - r.left(),
                Axis::Rows => r.bottom() - f64::from(e.client_y()),
            })
        }
    };
    let onpointerdown = {
        let dragging = dragging.clone();
        Callback::from(move |e: PointerEvent| {
            *dragging.borrow_mut() = true;
            if let Some(el) = e.target_dyn_into::<web_sys::Element>() {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            e.prevent_default();
        })
    };
    let onpointermove = {
        let (dragging, size, target, var, axis, min) = (
            dragging.clone(),
            size.clone(),
            p.target.clone(),
            p.var,
            p.axis,
            p.min,
        );
        Callback::from(move |e: PointerEvent| {
            if !*dragging.borrow() {
                return;
            }
            if let Some(px) = measure(&e) {
                let px = clamp(&target, axis, min, px);
                *size.borrow_mut() = Some(px);
                apply(&target, var, Some(px));
            }
        })
    };
    let onpointerup = {
        let (dragging, size, key) = (dragging.clone(), size.clone(), p.key_name);
        Callback::from(move |_: PointerEvent| {
            if std::mem::replace(&mut *dragging.borrow_mut(), false) {
                if let Some(px) = *size.borrow() {
                    storage::set(key, &px);
                }
            }
        })
    };
    let onkeydown = {
        let (size, target, var, key, axis, min) = (
            size.clone(),
            p.target.clone(),
            p.var,
            p.key_name,
            p.axis,
            p.min,
        );
        Callback::from(move |e: KeyboardEvent| {
            let now = (*size.borrow()).or_else(|| {
                // The pane's current size: the first child's (columns) or the last's (rows).
                let el = target.cast::<web_sys::Element>()?;
                let pane = match axis {
                    Axis::Columns => el.query_selector(".editor-pane").ok()??,
                    Axis::Rows => el.query_selector(".trace").ok()??,
                };
                let r = pane.get_bounding_client_rect();
                Some(match axis {
                    Axis::Columns => r.width(),
                    Axis::Rows => r.height(),
                })
            });
            let step = 24.0;
            let next = match (axis, e.key().as_str()) {
                (Axis::Columns, "ArrowLeft") | (Axis::Rows, "ArrowDown") => now.map(|n| n - step),
                (Axis::Columns, "ArrowRight") | (Axis::Rows, "ArrowUp") => now.map(|n| n + step),
                (_, "Home") => {
                    e.prevent_default();
                    *size.borrow_mut() = None;
                    apply(&target, var, None);
                    storage::delete(key);
                    return;
                }
                _ => return,
            };
            e.prevent_default();
            if let Some(px) = next.map(|n| clamp(&target, axis, min, n)) {
                *size.borrow_mut() = Some(px);
                apply(&target, var, Some(px));
                storage::set(key, &px);
            }
        })
    };
    let orientation = match p.axis {
        Axis::Columns => "vertical",
        Axis::Rows => "horizontal",
    };
    html! {
        <div class={classes!("splitter", orientation)} role="separator" tabindex="0"
            aria-orientation={orientation} aria-label={p.label}
            title={format!("{} (drag, or arrows; Home resets)", p.label)}
            {onpointerdown} {onpointermove} onpointerup={onpointerup.clone()} onpointercancel={onpointerup} {onkeydown}>
        </div>
    }
}
