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
//! build time from the playground's, [`WIDGET_CSS`]): `embed.js` links it once, so a host
//! page keeps its own fonts, margins and colours, and the page's theme class (mdBook's `light`, `navy`,
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
/// The id of the element holding the widgets' scoped stylesheet: `embed.js`'s `<link>` to
/// `widget.scoped.css` (beside the bundle), or the `<style>` [`inject_style`] adds.
pub const STYLE_ID: &str = "iommu-widget-style";
/// The widgets' stylesheet: the playground's, every rule under `.iommu-widget`, as
/// `web/build.rs` makes it from `static/style.css` and `static/widget.css`. The bundle
/// does not carry it (28 KB, 5.6 KB of the gzipped bundle): Trunk copies the same text,
/// committed as `static/widget.scoped.css` (a test keeps the two equal), beside the
/// bundle, and `embed.js` links it before the widgets mount. The browser tests' runner
/// serves no such file, so their build (`embedded-widget-css`) injects it instead.
#[cfg(any(test, feature = "embedded-widget-css"))]
pub const WIDGET_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.css"));

/// Adds the widgets' scoped stylesheet to `doc` once, where `embed.js` has not linked it.
#[cfg(feature = "embedded-widget-css")]
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

/// The page's `embed.js` links the widgets' stylesheet (`widget.scoped.css`).
#[cfg(not(feature = "embedded-widget-css"))]
fn inject_style(_doc: &web_sys::Document) {}

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

#[cfg(test)]
mod tests {
    /// `static/widget.scoped.css`, which Trunk ships beside the bundle, is what `build.rs`
    /// makes from the playground's stylesheets now. After editing `static/style.css` or
    /// `static/widget.css`: `UPDATE_WIDGET_CSS=1 cargo test -p iommu-web --lib widget`.
    #[test]
    fn the_shipped_widget_stylesheet_is_the_scoped_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../static/widget.scoped.css");
        if std::env::var("UPDATE_WIDGET_CSS").is_ok_and(|v| v == "1") {
            std::fs::write(path, super::WIDGET_CSS).expect("static/widget.scoped.css written");
        }
        let shipped = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            shipped == super::WIDGET_CSS,
            "static/widget.scoped.css is stale: run UPDATE_WIDGET_CSS=1 cargo test -p iommu-web --lib widget"
        );
        assert!(shipped.starts_with(".iommu-widget {"));
    }
}
