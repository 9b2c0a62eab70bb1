//! Browser tests: run in headless Chromium by `./x test` (wasm-bindgen-test + chromedriver).
#![cfg(target_arch = "wasm32")]

use std::time::Duration;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_root() -> web_sys::Element {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let root = doc.create_element("div").expect("a div");
    doc.body()
        .expect("a body")
        .append_child(&root)
        .expect("appended");
    root
}

#[wasm_bindgen_test]
async fn playground_mounts_and_shows_engine_output() {
    let root = fresh_root();
    iommu_web::mount(root.clone());
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("IOMMU Playground"), "rendered: {text}");
    assert!(text.contains("-EBUSY = 16"), "rendered: {text}");
}
