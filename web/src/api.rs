//! The wasm API for JavaScript users of the bundle (Trunk exposes it as
//! `window.wasmBindings`; the page's bin, `src/main.rs`, exports these functions, so the
//! worker module, which links this library too, does not): parse and print scenarios.
//! Only translation: all behaviour is the engine's.
//! `run(text, era)` and `compare(text)` give the engine's run report and the six eras side
//! by side; a bad scenario (a parse error or a runtime input error) throws a JS `Error`
//! with `line` and `col`.
use iommu_engine::scenario::{
    compare as compare_scenario, parse as parse_scenario, run_scenario, CheckOutcome, Compare,
    Options, ParseErrors, Step,
};
use iommu_engine::Era;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// One parse error, as JS sees it.
#[derive(Serialize)]
pub struct JsParseError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// What `parse` returns.
#[derive(Serialize)]
pub struct JsParsed {
    pub ok: bool,
    /// The canonical text (`null` when the text does not parse).
    pub canonical: Option<String>,
    /// The header's generation (`null` when the text does not parse).
    pub generation: Option<&'static str>,
    pub errors: Vec<JsParseError>,
}

fn js_errors(e: &ParseErrors) -> Vec<JsParseError> {
    e.errors
        .iter()
        .map(|e| JsParseError {
            line: e.line(),
            col: e.col(),
            message: e.message(),
        })
        .collect()
}

/// Plain data to a JS object (maps as objects).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))
}

/// A JS `Error` whose message is the first error (`LINE:COL: message`) and which carries
/// `line`, `col` and `errors` (all of them) as properties.
pub fn parse_error(e: &ParseErrors) -> JsValue {
    let err = js_sys::Error::new(&e.first().map(|f| f.to_string()).unwrap_or_default());
    let first = e.first();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str(k), &v);
    };
    set("line", first.map_or(JsValue::NULL, |f| f.line().into()));
    set("col", first.map_or(JsValue::NULL, |f| f.col().into()));
    set("errors", to_js(&js_errors(e)).unwrap_or(JsValue::NULL));
    err.into()
}

/// `parse(text)` → `{ok, canonical, generation, errors: [{line, col, message}]}`.
pub fn parse(text: &str) -> Result<JsValue, JsValue> {
    let out = match parse_scenario(text) {
        Ok(s) => JsParsed {
            ok: true,
            canonical: Some(s.print()),
            generation: Some(s.era().name()),
            errors: Vec::new(),
        },
        Err(e) => JsParsed {
            ok: false,
            canonical: None,
            generation: None,
            errors: js_errors(&e),
        },
    };
    to_js(&out)
}

/// `print(text)` → the canonical text; throws the parse error (with `line`, `col`).
pub fn print(text: &str) -> Result<String, JsValue> {
    parse_scenario(text)
        .map(|s| s.print())
        .map_err(|e| parse_error(&e))
}

/// `mountWidgets()`: mounts a widget on every `[data-iommu-scenario]` element added to
/// the page since the last call (the bundle mounts those present at start by itself);
/// returns how many it mounted.
pub fn mount_widgets() -> usize {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .map_or(0, |b| crate::embed::mount_widgets(&b))
}

/// What `run` returns.
#[derive(Serialize)]
pub struct JsRun<'a> {
    pub generation: &'static str,
    pub steps: &'a [Step],
    pub checks: &'a [CheckOutcome],
    pub groups: &'a [iommu_engine::group::Group],
    pub sysfs: &'a str,
    pub crashed: Option<&'a str>,
    pub passed: bool,
}

/// `run(text, era?)` → `{generation, steps, checks, groups, sysfs, crashed, passed}`; `era`
/// (`legacy` … `current`) overrides the file's `generation` line. Throws on a bad scenario
/// (with `line`, `col`) or an unknown era.
pub fn run(text: &str, era: Option<String>) -> Result<JsValue, JsValue> {
    let generation = match era.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(e) => Some(
            Era::parse(e)
                .ok_or_else(|| JsValue::from(js_sys::Error::new(&format!("unknown era {e:?}"))))?,
        ),
    };
    let s = parse_scenario(text).map_err(|e| parse_error(&e))?;
    let opts = Options {
        era: generation,
        snapshots: false,
    };
    let r = run_scenario(&s, text, &opts).map_err(|e| parse_error(&ParseErrors::from(e)))?;
    to_js(&JsRun {
        generation: r.era.name(),
        steps: &r.steps,
        checks: &r.checks,
        groups: &r.groups,
        sysfs: &r.sysfs,
        crashed: r.crashed.as_deref(),
        passed: r.passed(),
    })
}

/// `compare(text)` → `{generations, rows: [{line, call, results: [6], differs}], failing}`:
/// the scenario run in every era, the call results lined up by source line (the same
/// table as `iommu-play compare --all`). Throws on a bad scenario (with `line`, `col`).
pub fn compare(text: &str) -> Result<JsValue, JsValue> {
    let s = parse_scenario(text).map_err(|e| parse_error(&e))?;
    let c: Compare = compare_scenario(&s, text).map_err(|e| parse_error(&ParseErrors::from(e)))?;
    to_js(&c)
}
