//! `iommu-web`: the playground's Yew app and the wasm-bindgen entry points.
//!
//! This crate only translates: every kernel behaviour comes from `iommu-engine`.
//! `state` holds the one reducer state (the text, the engine's run report with a snapshot
//! per step, the cursor); `components/` draws it; `share` and `persist` keep it in the URL and localStorage;
//! `embed` mounts read-only widgets; `api` is the JS API.

pub mod api;
#[cfg(feature = "bench")]
pub mod bench;
pub mod components;
#[cfg(test)]
mod css_scope;
pub mod embed;
pub mod exercise;
pub mod persist;
pub mod presets;
pub mod share;
pub mod state;
pub mod storage;
pub mod syntax;
pub mod topo_layout;
#[macro_use]
pub mod wire;
pub mod worker;

pub use components::app::{App, AppProps};
pub use state::State;

/// Mounts the full playground on `element`, starting from the URL hash, localStorage or
/// the default preset, and keeping the view in both.
pub fn mount(element: web_sys::Element) {
    mount_with(element, persist::boot(), true);
}

/// Mounts the full playground on `element` starting from `initial`; `persist` keeps the
/// view in localStorage and the URL hash. Whatever `element` held (web/index.html's loading
/// state, shown before the wasm starts) is replaced.
pub fn mount_with(element: web_sys::Element, initial: State, persist: bool) {
    element.set_inner_html("");
    yew::Renderer::<App>::with_root_and_props(element, AppProps { initial, persist }).render();
}

pub use embed::{mount_embed, mount_widgets};

/// What `main` does on any page: the playground on `#playground` (read-only with
/// `?embed`; with the `bench` feature, `?bench` runs the benchmark instead), and a widget on every `[data-iommu-scenario]` element.
pub fn start() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(root) = doc.get_element_by_id("playground") {
        root.set_inner_html("");
        #[cfg(feature = "bench")]
        if bench::requested() {
            bench::spawn(root);
            return;
        }
        if persist::is_embed() {
            mount_embed(root);
        } else {
            mount(root);
        }
    }
    if let Some(body) = doc.body() {
        mount_widgets(&body);
    }
}
