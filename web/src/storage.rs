//! localStorage values as JSON, the format gloo-storage wrote (saved work stays readable),
//! through the browser's `JSON` and serde-wasm-bindgen: no `serde_json` in the bundle
//! (BENCHMARKS.md "Bundle size").
use serde::de::DeserializeOwned;
use serde::Serialize;

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The value under `key`, if there is one and it reads as a `T`.
pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    let text = local()?.get_item(key).ok()??;
    let value = js_sys::JSON::parse(&text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

/// Keeps `value` under `key` (quietly nothing when localStorage is unavailable or full).
pub fn set<T: Serialize>(key: &str, value: &T) {
    let Some(storage) = local() else {
        return;
    };
    let Ok(value) = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()) else {
        return;
    };
    if let Some(text) = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|s| s.as_string())
    {
        let _ = storage.set_item(key, &text);
    }
}

/// Forgets `key`.
pub fn delete(key: &str) {
    if let Some(storage) = local() {
        let _ = storage.remove_item(key);
    }
}
