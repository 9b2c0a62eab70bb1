//! Embedding: `?embed` (the whole page is one read-only widget) and documentation pages
//! that mount one widget per `<div data-iommu-scenario="...">`.
//!
//! The attribute holds either a preset's file name (`gpu-audio.iommu`) or scenario text.
//! An optional `data-iommu-era` picks the era, and `data-iommu-playground` the playground
//! URL that "open in playground" goes to (default `./index.html`, beside the page).
//! `data-iommu-exercise` makes the widget an exercise (an editable text judged by its
//! expectations, [`crate::exercise`]).
//!
//! Widgets carry their own stylesheet, scoped to `.iommu-widget` (`css_scope`, made at
//! build time from the playground's): mounting injects it once, so a host page keeps its
//! own fonts, margins and colours, and the page's theme class (mdBook's `light`, `navy`,
//! …) picks the widget's light or dark colours.
use crate::components::widget::{Widget, WidgetProps};
use crate::share;
use crate::state::{preset, State};
use iommu_engine::Era;
use wasm_bindgen::JsCast;
use yew::AttrValue;

/// The attribute that marks a widget.
pub const ATTR: &str = "data-iommu-scenario";
/// The attribute that makes a widget an exercise.
pub const EXERCISE_ATTR: &str = "data-iommu-exercise";
/// The id of the `<style>` element holding the widgets' scoped stylesheet.
pub const STYLE_ID: &str = "iommu-widget-style";
/// The widgets' stylesheet: the playground's, every rule under `.iommu-widget`.
pub const WIDGET_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.css"));

/// Adds the widgets' scoped stylesheet to `doc` once (nothing if it is there already).
fn inject_style(doc: &web_sys::Document) {
    if doc.get_element_by_id(STYLE_ID).is_some() {
        return;
    }
    let Ok(style) = doc.create_element("style") else {
        return;
    };
    style.set_id(STYLE_ID);
    style.set_text_content(Some(WIDGET_CSS));
    if let Some(head) = doc.head() {
        let _ = head.append_child(&style);
    }
}

/// The state a widget starts from: a preset's text if `spec` names one, else `spec`
/// itself as scenario text (capped like share links).
pub fn widget_state(spec: &str, era: Option<Era>) -> State {
    let spec_trim = spec.trim();
    match preset(spec_trim) {
        Some(text) => {
            let mut s = State::booted(text, era);
            s.preset = crate::presets::index()
                .find(|(n, _)| *n == spec_trim)
                .map(|(n, _)| n);
            s
        }
        None if spec.len() > share::MAX_TEXT => State::new("", era, 0).with_notice(format!(
            "this widget's scenario is longer than {} KiB: it was not loaded",
            share::MAX_TEXT / 1024
        )),
        None => State::booted(spec, era),
    }
}

/// Mounts a widget on every `[data-iommu-scenario]` element under `root`; returns how
/// many were mounted. An element is mounted once (it is marked `data-iommu-mounted`).
pub fn mount_widgets(root: &web_sys::Element) -> usize {
    let Ok(list) = root.query_selector_all(&format!("[{ATTR}]:not([data-iommu-mounted])")) else {
        return 0;
    };
    let mut n = 0;
    for i in 0..list.length() {
        let Some(el) = list
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let spec = el.get_attribute(ATTR).unwrap_or_default();
        let _ = el.set_attribute("data-iommu-mounted", "");
        let name = spec.trim();
        if preset(name).is_none() && crate::presets::index().any(|(n, _)| n == name) {
            // A preset not fetched yet: the widget is mounted when its text is here.
            let name = name.to_string();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = crate::presets::load(&name).await;
                mount_widget(el, &spec);
            });
        } else {
            mount_widget(el, &spec);
        }
        n += 1;
    }
    n
}

/// Mounts one widget on `el` (already marked mounted) for its `spec`.
fn mount_widget(el: web_sys::Element, spec: &str) {
    let era = el
        .get_attribute("data-iommu-era")
        .and_then(|e| Era::parse(e.trim()));
    let base = el
        .get_attribute("data-iommu-playground")
        .unwrap_or_else(|| "./index.html".into());
    let initial = widget_state(spec, era);
    let exercise = el.has_attribute(EXERCISE_ATTR);
    let required = crate::exercise::required(&initial);
    el.set_inner_html("");
    if let Some(doc) = el.owner_document() {
        inject_style(&doc);
    }
    yew::Renderer::<Widget>::with_root_and_props(
        el,
        WidgetProps {
            initial,
            playground: AttrValue::from(base),
            exercise,
            required,
        },
    )
    .render();
}

/// `?embed`: the page's share hash shown as one read-only widget on `root`.
pub fn mount_embed(root: web_sys::Element) {
    let initial = crate::persist::boot_from(&crate::persist::current_hash(), None);
    yew::Renderer::<Widget>::with_root_and_props(
        root,
        WidgetProps {
            initial,
            playground: AttrValue::from(crate::persist::link_to("")),
            exercise: false,
            required: 0,
        },
    )
    .render();
}
