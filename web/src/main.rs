//! The page's bundle: the playground, the book's widgets and the JS API
//! (`window.wasmBindings`, [`iommu_web::api`]). Its exports are declared here, not in the
//! library, because every bin that links the library keeps the library's `#[wasm_bindgen]`
//! exports, and the worker module (`src/bin/iommu-worker.rs`) must not.
use wasm_bindgen::prelude::*;

fn main() {
    iommu_web::start();
}

/// `parse(text)` → `{ok, canonical, generation, errors: [{line, col, message}]}`.
#[wasm_bindgen]
pub fn parse(text: &str) -> Result<JsValue, JsValue> {
    iommu_web::api::parse(text)
}

/// `print(text)` → the canonical text; throws the parse error (with `line`, `col`).
#[wasm_bindgen]
pub fn print(text: &str) -> Result<String, JsValue> {
    iommu_web::api::print(text)
}

/// `mountWidgets()`: mounts a widget on every `[data-iommu-scenario]` element added since.
#[wasm_bindgen(js_name = mountWidgets)]
pub fn mount_widgets() -> usize {
    iommu_web::api::mount_widgets()
}

/// `run(text, era?)` → the engine's run report; throws on a bad scenario or era.
#[wasm_bindgen]
pub fn run(text: &str, era: Option<String>) -> Result<JsValue, JsValue> {
    iommu_web::api::run(text, era)
}

/// `compare(text)` → the scenario in every era, lined up by source line.
#[wasm_bindgen]
pub fn compare(text: &str) -> Result<JsValue, JsValue> {
    iommu_web::api::compare(text)
}
