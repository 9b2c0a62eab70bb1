//! Runs a scenario with a large `workload` off the page's thread, in a Web Worker, so the
//! page stays responsive, shows the pairs done and can cancel.
//!
//! The worker is this same wasm module: the page posts the compiled
//! `WebAssembly.Module` (`wasm_bindgen::module()`) to a small module worker that imports
//! this module's JavaScript glue (its URL from `import.meta.url`), instantiates the module
//! with it (no second download or compile, and no second bundle to build) and calls
//! [`worker_main`]. Messages are the typed [`ToWorker`] / [`FromWorker`] in the binary form
//! of [`crate::wire`], posted as transferred `ArrayBuffer`s.
//!
//! One worker per run. Cancelling terminates it: a worker inside the engine's run cannot
//! see a message until the run returns (reading a flag shared with the page needs a
//! `SharedArrayBuffer`, which browsers give only to cross-origin-isolated pages, and the
//! playground and the book are served as plain static files), and `terminate()` stops it
//! at once. The engine's progress callback is where the pairs done are posted
//! (every 65,536 pairs, `run_scenario_with_progress`).

use crate::wire::{decode, encode, Reader, Wire};
use iommu_engine::scenario::{
    parse, run_scenario_with_progress, ErrorKind, Options, ParseError, ParseErrors, Run, Span,
};
use iommu_engine::vec_map::VecMap;
use iommu_engine::Era;
use js_sys::{Array, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Workload pairs from which a scenario runs in the worker: about 5 ms of the engine's
/// fast path in Chromium (BENCHMARKS.md "Web Worker"), less than starting a worker costs;
/// anything larger would hold the page for longer than a frame.
pub const WORKER_PAIRS: u64 = 20_000;

/// What the page asks of a worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToWorker {
    /// Run `text` (it parses) in `era`, with snapshots, as the page's own runs do.
    Run { id: u32, era: Era, text: String },
}

/// What a worker tells the page.
#[derive(Clone, Debug, PartialEq)]
pub enum FromWorker {
    /// The worker listens (messages sent before this would be lost).
    Ready,
    /// `done` of the `total` workload pairs of run `id` are done.
    Progress { id: u32, done: u64, total: u64 },
    /// Run `id` finished: its run, or the input error (line, column, words) it stopped at.
    Done { id: u32, outcome: Outcome },
}

/// How a run in the worker ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Ran(Box<Run>),
    /// The errors at their spans, with the words the editor shows.
    Failed(Vec<(Span, String)>),
}

impl Outcome {
    /// The run, or its errors as the editor lists them.
    pub fn into_result(self) -> Result<Run, ParseErrors> {
        match self {
            Outcome::Ran(run) => Ok(*run),
            Outcome::Failed(errors) => Err(ParseErrors {
                errors: errors
                    .into_iter()
                    .map(|(span, words)| ParseError::new(ErrorKind::Run(words), span))
                    .collect(),
            }),
        }
    }
}

impl Wire for ToWorker {
    fn put(&self, w: &mut Vec<u8>) {
        let ToWorker::Run { id, era, text } = self;
        id.put(w);
        era.put(w);
        text.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Self {
        ToWorker::Run {
            id: Wire::get(r),
            era: Wire::get(r),
            text: Wire::get(r),
        }
    }
}

impl Wire for FromWorker {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            FromWorker::Ready => 0u8.put(w),
            FromWorker::Progress { id, done, total } => {
                1u8.put(w);
                id.put(w);
                done.put(w);
                total.put(w);
            }
            FromWorker::Done { id, outcome } => {
                2u8.put(w);
                id.put(w);
                match outcome {
                    Outcome::Ran(run) => {
                        0u8.put(w);
                        run.put(w);
                    }
                    Outcome::Failed(e) => {
                        1u8.put(w);
                        e.put(w);
                    }
                }
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Self {
        match u8::get(r) {
            1 => FromWorker::Progress {
                id: Wire::get(r),
                done: Wire::get(r),
                total: Wire::get(r),
            },
            2 => FromWorker::Done {
                id: Wire::get(r),
                outcome: match u8::get(r) {
                    0 => Outcome::Ran(Wire::get(r)),
                    tag => {
                        if tag != 1 {
                            r.fail();
                        }
                        Outcome::Failed(Wire::get(r))
                    }
                },
            },
            tag => {
                if tag != 0 {
                    r.fail();
                }
                FromWorker::Ready
            }
        }
    }
}

/// Runs `text` as the worker does: parsed, then run with snapshots in `era`, reporting the
/// workload pairs done.
pub fn run_text(text: &str, era: Era, progress: &mut dyn FnMut(u64, u64) -> bool) -> Outcome {
    let failed =
        |e: ParseErrors| Outcome::Failed(e.errors.iter().map(|e| (e.span, e.message())).collect());
    let scenario = match parse(text) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let opts = Options {
        era: Some(era),
        snapshots: true,
    };
    match run_scenario_with_progress(&scenario, text, &opts, progress) {
        Ok(run) => Outcome::Ran(Box::new(run)),
        Err(e) => failed(ParseErrors::from(e)),
    }
}

/// `message` as a transferred `Uint8Array`: (the array, the transfer list).
fn to_js(message: &impl Wire) -> (Uint8Array, Array) {
    let bytes = Uint8Array::from(encode(message).as_slice());
    let transfer = Array::of1(&bytes.buffer());
    (bytes, transfer)
}

fn from_js<T: Wire>(data: &JsValue) -> Option<T> {
    let bytes = data.dyn_ref::<Uint8Array>()?.to_vec();
    decode(&bytes)
}

/// The worker's side: answers every [`ToWorker::Run`] with progress and the outcome.
/// Called by the worker script once the module is instantiated there.
#[wasm_bindgen(js_name = iommuWorkerMain)]
pub fn worker_main() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post = {
        let scope = scope.clone();
        move |m: &FromWorker| {
            let (bytes, transfer) = to_js(m);
            let _ = scope.post_message_with_transfer(&bytes, &transfer);
        }
    };
    let answer = post.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let Some(ToWorker::Run { id, era, text }) = from_js(&e.data()) else {
                return;
            };
            let outcome = run_text(&text, era, &mut |done, total| {
                answer(&FromWorker::Progress { id, done, total });
                true
            });
            answer(&FromWorker::Done { id, outcome });
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Ready);
}

#[wasm_bindgen]
extern "C" {
    /// This module's JavaScript glue (an ES module): what the worker imports.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE_URL: String;
}

/// What the page hears about a run.
pub enum Update {
    Progress { done: u64, total: u64 },
    Done(Box<Result<Run, ParseErrors>>),
}

/// A run in a worker, as the page holds it.
struct Job {
    worker: web_sys::Worker,
    /// Kept alive while the worker may post.
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

thread_local! {
    static JOBS: RefCell<VecMap<u32, Job>> = const { RefCell::new(VecMap::new()) };
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
}

/// A new run id (ids are never reused, so a late message of a cancelled run is ignored).
pub fn next_id() -> u32 {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    })
}

/// Whether runs can go to a worker here: a page (not a worker, not native tests) whose
/// browser has module workers.
pub fn available() -> bool {
    if !cfg!(target_arch = "wasm32") {
        return false;
    }
    let Some(window) = web_sys::window() else {
        return false;
    };
    js_sys::Reflect::has(&window, &JsValue::from_str("Worker")).unwrap_or(false)
}

/// The worker script: imports the glue, instantiates the module it is sent, starts
/// [`worker_main`].
fn worker_script(glue: &str) -> String {
    format!(
        "import init, * as m from {glue:?};\n\
         self.onmessage = async (e) => {{ self.onmessage = null; \
         await init({{ module_or_path: e.data }}); m.iommuWorkerMain(); }};\n"
    )
}

fn spawn() -> Option<web_sys::Worker> {
    let glue = GLUE_URL.with(String::clone);
    let parts = Array::of1(&JsValue::from_str(&worker_script(&glue)));
    let props = web_sys::BlobPropertyBag::new();
    props.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &props).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let opts = web_sys::WorkerOptions::new();
    opts.set_type(web_sys::WorkerType::Module);
    let worker = web_sys::Worker::new_with_options(&url, &opts).ok();
    let _ = web_sys::Url::revoke_object_url(&url);
    let worker = worker?;
    worker.post_message(&wasm_bindgen::module()).ok()?;
    Some(worker)
}

/// Starts run `id` of `text` in `era` in a new worker; `on` hears its progress and its
/// end. `false` if no worker could be started (the caller runs it itself).
pub fn start(id: u32, text: &str, era: Era, on: Rc<dyn Fn(Update)>) -> bool {
    let Some(worker) = spawn() else {
        return false;
    };
    let request = ToWorker::Run {
        id,
        era,
        text: text.to_string(),
    };
    let w = worker.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            match from_js::<FromWorker>(&e.data()) {
                Some(FromWorker::Ready) => {
                    let (bytes, transfer) = to_js(&request);
                    let _ = w.post_message_with_transfer(&bytes, &transfer);
                }
                Some(FromWorker::Progress { id: i, done, total }) if i == id => {
                    on(Update::Progress { done, total });
                }
                Some(FromWorker::Done { id: i, outcome }) if i == id => {
                    finish(id);
                    on(Update::Done(Box::new(outcome.into_result())));
                }
                _ => {}
            }
        });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    JOBS.with(|j| {
        j.borrow_mut().insert(
            id,
            Job {
                worker,
                _on_message: on_message,
            },
        )
    });
    true
}

/// Ends run `id`'s worker (nothing if it already ended).
fn finish(id: u32) {
    let job = JOBS.with(|j| j.borrow_mut().remove(&id));
    if let Some(job) = job {
        job.worker.set_onmessage(None);
        job.worker.terminate();
    }
}

/// Cancels run `id`: its worker stops at once and nothing more is heard of it.
pub fn cancel(id: u32) {
    finish(id);
}

/// Runs in workers now (tests).
pub fn in_flight() -> usize {
    JOBS.with(|j| j.borrow().len())
}

/// Starts the state's run in a worker when it asks for one ([`crate::state::Running`]),
/// feeding its progress and its run back as actions; a newer run, a cancel or the component
/// going away ends the worker.
#[yew::hook]
pub fn use_worker_runs(state: &crate::state::StateHandle) {
    use crate::state::Action;
    let id = state.running.as_ref().map(|r| r.id);
    let state = state.clone();
    yew::use_effect_with(id, move |id| {
        let id = *id;
        if let (Some(id), Some(job)) = (id, state.running.clone()) {
            let d = state.dispatcher();
            let on: Rc<dyn Fn(Update)> = Rc::new(move |u| match u {
                Update::Progress { done, total } => {
                    d.dispatch(Action::Progress { id, done, total })
                }
                Update::Done(result) => d.dispatch(Action::Ran(id, result)),
            });
            if !start(id, &job.text, job.era, on) {
                state.dispatch(Action::RunHere(id));
            }
        }
        move || {
            if let Some(id) = id {
                cancel(id);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let text = "iommu dmar0 kind=generic\nhost pci0 iommu=dmar0\npci 00:01.0 ep\n\
                    bind 00:01.0 nvme\nworkload 00:01.0 count=100 live=4 seed=3\n";
        let ran = run_text(text, Era::Current, &mut |_, _| true);
        assert!(matches!(ran, Outcome::Ran(_)));
        let failed = run_text(
            "iommu dmar0\nbind 05:00.0 igb\n",
            Era::Current,
            &mut |_, _| true,
        );
        let Outcome::Failed(e) = &failed else {
            panic!("an input error")
        };
        assert_eq!(e.first().map(|(s, _)| (s.line, s.col)), Some((2, 6)));
        for m in [
            FromWorker::Ready,
            FromWorker::Progress {
                id: 3,
                done: 65_536,
                total: 1_000_000,
            },
            FromWorker::Done {
                id: 4,
                outcome: ran,
            },
            FromWorker::Done {
                id: 5,
                outcome: failed.clone(),
            },
        ] {
            assert_eq!(decode::<FromWorker>(&encode(&m)), Some(m));
        }
        let req = ToWorker::Run {
            id: 7,
            era: Era::V5_19,
            text: text.into(),
        };
        assert_eq!(decode::<ToWorker>(&encode(&req)), Some(req));
        // The editor shows the worker's error at the same place with the same words.
        let direct =
            iommu_engine::scenario::run("iommu dmar0\nbind 05:00.0 igb\n", &Options::default())
                .err()
                .and_then(|e| e.first().map(|e| (e.line(), e.col(), e.message())));
        let via = failed
            .into_result()
            .err()
            .and_then(|e| e.first().map(|e| (e.line(), e.col(), e.message())));
        assert_eq!(via, direct);
    }
}
