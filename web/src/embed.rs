//! Embedding: `?embed` (the whole page is one read-only widget) and documentation pages
//! that mount one widget per `<div data-iommu-scenario="...">`.
//!
//! The attribute holds either a preset's file name (`gpu-audio.iommu`) or scenario text.
//! An optional `data-iommu-era` picks the era, and `data-iommu-playground` the playground
//! URL that "open in playground" goes to (default `./index.html`, beside the page).
use crate::components::widget::{Widget, WidgetProps};
use crate::share::{self, Shared};
use crate::state::{preset, State};
use iommu_engine::Era;
use wasm_bindgen::JsCast;
use yew::AttrValue;

/// The attribute that marks a widget.
pub const ATTR: &str = "data-iommu-scenario";

/// The state a widget starts from: a preset's text if `spec` names one, else `spec`
/// itself as scenario text (capped like share links).
pub fn widget_state(spec: &str, era: Option<Era>) -> State {
    let spec_trim = spec.trim();
    match preset(spec_trim) {
        Some(text) => {
            let mut s = State::booted(text, era);
            s.preset = iommu_engine::corpus::CORPUS
                .iter()
                .find(|(n, _)| *n == spec_trim)
                .map(|(n, _)| *n);
            s
        }
        None if spec.len() > share::MAX_TEXT => State::new("", era, 0).with_notice(format!(
            "this widget's scenario is longer than {} KiB: it was not loaded",
            share::MAX_TEXT / 1024
        )),
        None => State::booted(spec, era),
    }
}

fn hash_of(s: &State) -> String {
    share::encode(&Shared {
        text: s.text.to_string(),
        era: s.era,
        cursor: s.cursor,
    })
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
        let era = el
            .get_attribute("data-iommu-era")
            .and_then(|e| Era::parse(e.trim()));
        let base = el
            .get_attribute("data-iommu-playground")
            .unwrap_or_else(|| "./index.html".into());
        let initial = widget_state(&spec, era);
        let link = format!("{base}#{}", hash_of(&initial));
        let _ = el.set_attribute("data-iommu-mounted", "");
        el.set_inner_html("");
        yew::Renderer::<Widget>::with_root_and_props(
            el,
            WidgetProps {
                initial,
                link: AttrValue::from(link),
            },
        )
        .render();
        n += 1;
    }
    n
}

/// `?embed`: the page's share hash shown as one read-only widget on `root`.
pub fn mount_embed(root: web_sys::Element) {
    let initial = crate::persist::boot_from(&crate::persist::current_hash(), None);
    let link = crate::persist::link_to(&hash_of(&initial));
    yew::Renderer::<Widget>::with_root_and_props(
        root,
        WidgetProps {
            initial,
            link: AttrValue::from(link),
        },
    )
    .render();
}
