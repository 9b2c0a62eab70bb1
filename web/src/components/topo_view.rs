//! The topology's viewport: the drawing fits the pane (never cut off), and zooms and pans —
//! the wheel or a pinch zooms around the pointer, a drag pans, the +, − and Fit buttons, and
//! on the focused viewport + and −, Home (fit) and the arrows (when zoomed in). The view resets when the
//! drawing changes size.
use iommu_engine::vec_map::VecMap;
use std::rc::Rc;
use yew::prelude::*;

/// The most a drawing is magnified (over fitting the pane).
const MAX_SCALE: f64 = 8.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    /// 1 = the whole drawing fits.
    pub scale: f64,
    /// The drawing point at the centre of the viewport.
    pub cx: f64,
    pub cy: f64,
}

impl View {
    fn fit(w: f64, h: f64) -> View {
        View {
            scale: 1.0,
            cx: w / 2.0,
            cy: h / 2.0,
        }
    }

    /// Clamped: scale in [1, MAX_SCALE], the visible box inside the drawing.
    fn clamp(self, w: f64, h: f64) -> View {
        let scale = self.scale.clamp(1.0, MAX_SCALE);
        let (vw, vh) = (w / scale, h / scale);
        View {
            scale,
            cx: self.cx.clamp(vw / 2.0, w - vw / 2.0),
            cy: self.cy.clamp(vh / 2.0, h - vh / 2.0),
        }
    }

    fn zoomed(self, factor: f64) -> View {
        View {
            scale: self.scale * factor,
            ..self
        }
    }

    fn panned(self, dx: f64, dy: f64) -> View {
        View {
            cx: self.cx + dx,
            cy: self.cy + dy,
            ..self
        }
    }

    fn view_box(self, w: f64, h: f64) -> (f64, f64, f64, f64) {
        let (vw, vh) = (w / self.scale, h / self.scale);
        (self.cx - vw / 2.0, self.cy - vh / 2.0, vw, vh)
    }
}

#[derive(Properties, PartialEq)]
pub struct TopoViewProps {
    /// The drawing's natural size.
    pub width: f64,
    pub height: f64,
    pub label: AttrValue,
    pub children: Html,
}

/// The svg's box on the page and the drawing's pixels per unit at `view` (meet: the
/// smaller ratio), with the drawn box's left/top.
fn geometry(svg: &web_sys::Element, w: f64, h: f64, view: View) -> (f64, f64, f64) {
    let r = svg.get_bounding_client_rect();
    let (_, _, vw, vh) = view.view_box(w, h);
    let k = (r.width() / vw).min(r.height() / vh).max(1e-6);
    let left = r.left() + (r.width() - vw * k) / 2.0;
    let top = r.top() + (r.height() - vh * k) / 2.0;
    (k, left, top)
}

/// `view` zoomed by `factor` keeping the drawing point under (`px`, `py`) in place.
fn zoom_at(
    svg: &web_sys::Element,
    w: f64,
    h: f64,
    view: View,
    factor: f64,
    px: f64,
    py: f64,
) -> View {
    let (k, left, top) = geometry(svg, w, h, view);
    let (vx, vy, _, _) = view.view_box(w, h);
    let (dx, dy) = (vx + (px - left) / k, vy + (py - top) / k);
    let next = View {
        scale: (view.scale * factor).clamp(1.0, MAX_SCALE),
        ..view
    };
    let (k2, left2, top2) = geometry(svg, w, h, next);
    let (vw2, vh2) = (w / next.scale, h / next.scale);
    View {
        cx: dx - (px - left2) / k2 + vw2 / 2.0,
        cy: dy - (py - top2) / k2 + vh2 / 2.0,
        ..next
    }
    .clamp(w, h)
}

#[function_component(TopoView)]
pub fn topo_view(p: &TopoViewProps) -> Html {
    let (w, h) = (p.width, p.height);
    let view = use_state(|| View::fit(w, h));
    let svg_ref = use_node_ref();
    // Pointers down: id → (x, y); the view and pointers when the gesture began.
    let pointers = use_mut_ref(VecMap::<i32, (f64, f64)>::new);
    let start = use_mut_ref(|| None::<(View, VecMap<i32, (f64, f64)>)>);
    {
        let view = view.clone();
        use_effect_with((w.to_bits(), h.to_bits()), move |_| {
            view.set(View::fit(w, h));
        });
    }
    let set = {
        let view = view.clone();
        Rc::new(move |v: View| view.set(v.clamp(w, h)))
    };
    let button = |label: &'static str, title: &'static str, f: Rc<dyn Fn(View) -> View>| {
        let view = view.clone();
        let set = set.clone();
        let onclick = Callback::from(move |_: MouseEvent| set(f(*view)));
        html! { <button type="button" class="zoom-btn" {onclick} {title} aria-label={title}>{ label }</button> }
    };
    let zoom_in: Rc<dyn Fn(View) -> View> = Rc::new(|v| v.zoomed(1.4));
    let zoom_out: Rc<dyn Fn(View) -> View> = Rc::new(|v| v.zoomed(1.0 / 1.4));
    let fit: Rc<dyn Fn(View) -> View> = Rc::new(move |_| View::fit(w, h));
    let onwheel = {
        let (view, set, svg_ref) = (view.clone(), set.clone(), svg_ref.clone());
        Callback::from(move |e: WheelEvent| {
            let Some(svg) = svg_ref
                .get()
                .and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok())
            else {
                return;
            };
            e.prevent_default();
            let factor = (-e.delta_y() * 0.0015).exp();
            set(zoom_at(
                &svg,
                w,
                h,
                *view,
                factor,
                f64::from(e.client_x()),
                f64::from(e.client_y()),
            ));
        })
    };
    let onpointerdown = {
        let (view, pointers, start) = (view.clone(), pointers.clone(), start.clone());
        Callback::from(move |e: PointerEvent| {
            if e.button() > 0 {
                return;
            }
            pointers.borrow_mut().insert(
                e.pointer_id(),
                (f64::from(e.client_x()), f64::from(e.client_y())),
            );
            *start.borrow_mut() = Some((*view, pointers.borrow().clone()));
        })
    };
    let onpointermove = {
        let (pointers, start, set, svg_ref) = (
            pointers.clone(),
            start.clone(),
            set.clone(),
            svg_ref.clone(),
        );
        Callback::from(move |e: PointerEvent| {
            let id = e.pointer_id();
            let at = (f64::from(e.client_x()), f64::from(e.client_y()));
            if !pointers.borrow().contains_key(&id) {
                return;
            }
            pointers.borrow_mut().insert(id, at);
            let (Some((v0, p0)), Some(svg)) =
                (start.borrow().clone(), svg_ref.cast::<web_sys::Element>())
            else {
                return;
            };
            let now = pointers.borrow().clone();
            let (k, _, _) = geometry(&svg, w, h, v0);
            if now.len() >= 2 && p0.len() >= 2 {
                // Pinch: the distance between the first two pointers scales the view.
                let dist = |m: &VecMap<i32, (f64, f64)>| {
                    let mut it = m.values();
                    match (it.next(), it.next()) {
                        (Some(a), Some(b)) => ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt(),
                        _ => 0.0,
                    }
                };
                let (d0, d1) = (dist(&p0), dist(&now));
                if d0 > 1.0 {
                    set(View {
                        scale: v0.scale * d1 / d0,
                        ..v0
                    });
                }
            } else if let Some(&(x0, y0)) = p0.get(&id) {
                let (dx, dy) = (at.0 - x0, at.1 - y0);
                // A small move is a click (on a device), not a pan; the pointer is captured
                // only once it pans, so a click still reaches the device under it.
                if dx.abs() + dy.abs() > 3.0 {
                    let _ = svg.set_pointer_capture(id);
                    set(View {
                        cx: v0.cx - dx / k,
                        cy: v0.cy - dy / k,
                        ..v0
                    });
                }
            }
        })
    };
    let onpointerup = {
        let (view, pointers, start) = (view.clone(), pointers.clone(), start.clone());
        Callback::from(move |e: PointerEvent| {
            pointers.borrow_mut().remove(&e.pointer_id());
            let left = pointers.borrow().clone();
            *start.borrow_mut() = (!left.is_empty()).then(|| (*view, left));
        })
    };
    let onkeydown = {
        let (view, set) = (view.clone(), set.clone());
        Callback::from(move |e: KeyboardEvent| {
            let v = *view;
            // A unit of panning: a tenth of the visible box.
            let (_, _, vw, vh) = v.view_box(w, h);
            let (pan_x, pan_y) = (vw / 10.0, vh / 10.0);
            let zoomed = v.scale > 1.0;
            let next = match e.key().as_str() {
                "+" | "=" => v.zoomed(1.4),
                "-" | "_" => v.zoomed(1.0 / 1.4),
                "Home" | "f" => View::fit(w, h),
                "ArrowLeft" if zoomed => v.panned(-pan_x, 0.0),
                "ArrowRight" if zoomed => v.panned(pan_x, 0.0),
                "ArrowUp" if zoomed => v.panned(0.0, -pan_y),
                "ArrowDown" if zoomed => v.panned(0.0, pan_y),
                _ => return,
            };
            e.prevent_default();
            set(next);
        })
    };
    let (x, y, vw, vh) = view.view_box(w, h);
    html! {
        <div class="topo-view" tabindex="0" {onkeydown}
            aria-label="Topology drawing: + and − zoom, Home fits, arrows pan when zoomed in"
            data-scale={format!("{:.2}", view.scale)}>
            <div class="zoom-bar" role="group" aria-label="Zoom">
                { button("+", "Zoom in (+)", zoom_in) }
                { button("−", "Zoom out (−)", zoom_out) }
                { button("Fit", "Fit the drawing to the pane (Home)", fit) }
            </div>
            <svg ref={svg_ref} class="topo-svg" preserveAspectRatio="xMidYMin meet"
                style={format!("max-width: {:.0}px; max-height: {:.0}px", w * view.scale, h * view.scale)}
                viewBox={format!("{x:.1} {y:.1} {vw:.1} {vh:.1}")} role="img" aria-label={p.label.clone()}
                {onwheel} {onpointerdown} {onpointermove} onpointerup={onpointerup.clone()} onpointercancel={onpointerup}>
                { p.children.clone() }
            </svg>
        </div>
    }
}
