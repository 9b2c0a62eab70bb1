//! `iommu-web`: the playground's Yew app and the wasm-bindgen entry points.
//!
//! This crate only translates: every kernel behaviour comes from `iommu-engine`.

pub mod app;

pub use app::App;

/// Mounts the playground on `element` (used by `main.rs` and by documentation embeds).
pub fn mount(element: web_sys::Element) {
    yew::Renderer::<App>::with_root(element).render();
}
