//! Helpers the browser tests share (`browser.rs`, `book.rs`): waiting for Yew's renders and
//! finding elements.
#![allow(dead_code)]

use std::time::Duration;
use wasm_bindgen::JsCast;
use web_sys::Element;

pub async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
    yew::scheduler::flush().await;
}

/// Waits (up to about 2 s) until `ok` holds: a page with many apps mounted may take more
/// than one settle to redraw them all.
pub async fn until(ok: impl Fn() -> bool) {
    for _ in 0..60 {
        if ok() {
            return;
        }
        settle().await;
    }
}

pub fn find(root: &Element, sel: &str) -> Element {
    root.query_selector(sel)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no {sel} in {}", root.inner_html()))
}

pub fn all(root: &Element, sel: &str) -> Vec<Element> {
    let list = root.query_selector_all(sel).expect("a valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}
