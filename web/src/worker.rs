//! The work the page hands to a Web Worker: a scenario with a large `workload` (off the
//! page's thread, so the page stays responsive, shows the pairs done and can cancel), and
//! "Import your machine"'s import (the engine's `import::import`, which the page's bundle
//! does not link).
//!
//! The worker is a second wasm module, the `iommu-worker` bin (`src/bin/iommu-worker.rs`,
//! built by Trunk beside the page's bundle as `iommu-worker.js` and
//! `iommu-worker_bg.wasm`): its `main` is [`serve`]. The page starts a small module worker
//! that imports that glue (its URL resolved against the page bundle's own glue,
//! `import.meta.url`, so the book's widgets find it too) and initialises it; the module
//! loads only when a first large run or an import asks for it. Only the worker links
//! [`serve`], the run's encoder and the import, so the page's bundle holds none of them
//! (BENCHMARKS.md "Bundle size"). Messages are the typed [`ToWorker`] / [`FromWorker`] in
//! the binary form of [`crate::wire`], posted as transferred `ArrayBuffer`s.
//!
//! The browser tests' runner serves no second module: with the `test-worker` feature (the
//! dev-dependency turns it on) a run's worker is the test module itself (it is posted its
//! compiled `WebAssembly.Module` and calls the exported `iommuWorkerMain`), and an import
//! is answered on the page, through the same messages encoded and decoded. `./x test`'s
//! `web/dist_check.py` checks the real second module in the built `dist/`.
//!
//! One worker per job. Cancelling terminates it: a worker inside the engine's run cannot
//! see a message until the run returns (reading a flag shared with the page needs a
//! `SharedArrayBuffer`, which browsers give only to cross-origin-isolated pages, and the
//! playground and the book are served as plain static files), and `terminate()` stops it
//! at once. The engine's progress callback is where the pairs done are posted
//! (every 65,536 pairs, `run_scenario_with_progress`).

use crate::wire::{decode, encode, Reader, Wire};
use iommu_engine::scenario::{
    compare_with_progress, parse, run_scenario_with_progress, Compare, ErrorKind, Options,
    ParseError, ParseErrors, Run, Span,
};
use iommu_engine::topology::Bdf;
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
    /// Import `paste` ("Import your machine") with the default options.
    Import { id: u32, paste: String },
    /// The compare view of `text` (it parses): its six runs, one per era.
    Compare { id: u32, text: String },
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
    /// Import `id` finished: what the import panel draws, or where the paste could not be
    /// read.
    Imported {
        id: u32,
        result: Result<ImportSummary, ImportFailure>,
    },
    /// Compare `id` finished (`None`: the scenario did not run).
    Compared {
        id: u32,
        compare: Option<Box<Compare>>,
    },
}

/// How a run in the worker ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Ran(Box<Run>),
    /// The errors at their spans, with the words the editor shows.
    Failed(Vec<(Span, String)>),
}

/// What "Import your machine" draws of an import (the engine's `import::Imported`, the
/// fields the panel uses).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportSummary {
    /// The scenario the paste became.
    pub scenario_text: String,
    /// Whether the simulated groups equal the real ones.
    pub reproduced: bool,
    /// The pasted `/proc/cmdline`'s settings, as the scenario's `config` line writes them.
    pub config: String,
    pub groups: Vec<ImportGroup>,
    pub facts: Vec<ImportFact>,
    pub differences: Vec<ImportDifference>,
}

/// One real group beside the simulated groups holding its members.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportGroup {
    pub real: u32,
    pub members: Vec<Bdf>,
    pub simulated: Vec<Vec<Bdf>>,
    pub same: bool,
}

/// A fact not read from the listing: its kind (`quirk`, `known`, `inferred`, `parent`).
#[derive(Clone, Debug, PartialEq)]
pub struct ImportFact {
    pub kind: String,
    pub bdf: Bdf,
    pub text: String,
}

/// A device the simulation groups otherwise than the machine, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportDifference {
    pub device: Bdf,
    pub sentence: String,
}

/// Where an import stopped: line, column (1-based) and the engine's words.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportFailure {
    pub line: u32,
    pub col: u32,
    pub message: String,
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

wire_struct! {
    Bdf { segment, bus, dev, func }
    ImportSummary { scenario_text, reproduced, config, groups, facts, differences }
    ImportGroup { real, members, simulated, same }
    ImportFact { kind, bdf, text }
    ImportDifference { device, sentence }
    ImportFailure { line, col, message }
}

wire_enum! {
    ToWorker { 0 Run { id, era, text }, 1 Import { id, paste }, 2 Compare { id, text } }
    Outcome { 0 Ran(run), 1 Failed(errors) }
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
                outcome.put(w);
            }
            FromWorker::Compared { id, compare } => {
                4u8.put(w);
                id.put(w);
                compare.put(w);
            }
            FromWorker::Imported { id, result } => {
                3u8.put(w);
                id.put(w);
                match result {
                    Ok(summary) => {
                        0u8.put(w);
                        summary.put(w);
                    }
                    Err(failure) => {
                        1u8.put(w);
                        failure.put(w);
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
                outcome: Wire::get(r),
            },
            4 => FromWorker::Compared {
                id: Wire::get(r),
                compare: Wire::get(r),
            },
            3 => FromWorker::Imported {
                id: Wire::get(r),
                result: match u8::get(r) {
                    0 => Ok(Wire::get(r)),
                    tag => {
                        if tag != 1 {
                            r.fail();
                        }
                        Err(Wire::get(r))
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

/// Imports `paste` as the worker does (the engine's import, default options): what the
/// import panel draws of it.
pub fn import_text(paste: &str) -> Result<ImportSummary, ImportFailure> {
    use iommu_engine::import::{import, ImportOptions};
    let imported = import(paste, &ImportOptions::default()).map_err(|e| ImportFailure {
        line: e.line,
        col: e.col,
        message: e.message,
    })?;
    let r = imported.report;
    Ok(ImportSummary {
        scenario_text: imported.scenario_text,
        reproduced: r.reproduced,
        config: r.config,
        groups: r
            .groups
            .into_iter()
            .map(|g| ImportGroup {
                real: g.real,
                members: g.members,
                simulated: g.simulated.into_iter().map(|s| s.members).collect(),
                same: g.same,
            })
            .collect(),
        facts: r
            .facts
            .into_iter()
            .map(|f| ImportFact {
                kind: format!("{:?}", f.kind).to_lowercase(),
                bdf: f.bdf,
                text: f.text,
            })
            .collect(),
        differences: r
            .differences
            .into_iter()
            .map(|d| ImportDifference {
                device: d.device,
                sentence: d.sentence,
            })
            .collect(),
    })
}

/// The worker's answer to `request`: progress (a run's), then the end, each given to `post`.
pub fn answer(request: ToWorker, post: &dyn Fn(&FromWorker)) {
    match request {
        ToWorker::Run { id, era, text } => {
            let outcome = run_text(&text, era, &mut |done, total| {
                post(&FromWorker::Progress { id, done, total });
                true
            });
            post(&FromWorker::Done { id, outcome });
        }
        ToWorker::Import { id, paste } => {
            post(&FromWorker::Imported {
                id,
                result: import_text(&paste),
            });
        }
        ToWorker::Compare { id, text } => {
            let compare = parse(&text).ok().and_then(|s| {
                compare_with_progress(&s, &text, &mut |done, total| {
                    post(&FromWorker::Progress { id, done, total });
                    true
                })
                .ok()
            });
            post(&FromWorker::Compared {
                id,
                compare: compare.map(Box::new),
            });
        }
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

/// The worker's side: answers every [`ToWorker`] message ([`answer`]). The `iommu-worker`
/// module's `main`; only that module links it (and so the run's encoder and the import).
pub fn serve() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post = {
        let scope = scope.clone();
        move |m: &FromWorker| {
            let (bytes, transfer) = to_js(m);
            let _ = scope.post_message_with_transfer(&bytes, &transfer);
        }
    };
    let answering = post.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if let Some(request) = from_js::<ToWorker>(&e.data()) {
                answer(request, &answering);
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Ready);
}

/// The tests' worker: the test module itself, started by the worker script.
#[cfg(feature = "test-worker")]
#[wasm_bindgen(js_name = iommuWorkerMain)]
pub fn worker_main() {
    serve();
}

#[wasm_bindgen]
extern "C" {
    /// The page bundle's JavaScript glue (an ES module): the worker module's glue, the
    /// presets and the widgets' stylesheet are beside it.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE_URL: String;
}

/// `path` beside the bundle's glue (its `import.meta.url`): on the playground's page and
/// on any page whose widgets `embed.js` loaded from the playground. (No `inline_js`
/// snippet: the page's and the worker's bins are one crate, and Trunk gathers both bins'
/// snippets into one `snippets/<crate>/` folder, where a snippet numbered otherwise in the
/// other bin would overwrite this one's and fail its integrity check.)
pub fn beside_bundle(path: &str) -> Option<String> {
    let glue = GLUE_URL.with(String::clone);
    web_sys::Url::new_with_base(path, &glue)
        .ok()
        .map(|u| u.href())
}

/// What the page hears about a job.
pub enum Update {
    Progress {
        done: u64,
        total: u64,
    },
    Done(Box<Result<Run, ParseErrors>>),
    Imported(Box<Result<ImportSummary, ImportFailure>>),
    Compared(Option<Box<Compare>>),
    /// The worker could not start (its module did not load): the job is gone.
    Lost(String),
}

/// A job in a worker, as the page holds it.
struct Job {
    worker: web_sys::Worker,
    /// Kept alive while the worker may post.
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

thread_local! {
    static JOBS: RefCell<VecMap<u32, Job>> = const { RefCell::new(VecMap::new()) };
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
}

/// A new job id (ids are never reused, so a late message of a cancelled job is ignored).
pub fn next_id() -> u32 {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    })
}

/// Whether jobs can go to a worker here: a page (not a worker, not native tests) whose
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

/// The worker script: imports the worker module's glue, `iommu-worker.js`, and initialises
/// its module, `iommu-worker_bg.wasm` (its `main`, [`serve`], then listens), both beside
/// the page bundle's glue. Trunk names a worker's files after its bin, without a content
/// hash, so both URLs carry the page bundle's glue file name (content hashed) as `?v=`: a
/// worker module the browser cached from another build, whose messages may differ, is not
/// used. (A module's `import.meta.url` has no query: its last segment is the file name.)
#[cfg(not(feature = "test-worker"))]
fn worker_script() -> Option<String> {
    let glue = GLUE_URL.with(String::clone);
    Some(format!(
        "const g = {glue:?}, v = '?v=' + g.split('/').pop();\n\
         const m = await import(new URL('iommu-worker.js', g) + v);\n\
         await m.default({{ module_or_path: new URL('iommu-worker_bg.wasm', g) + v }});\n"
    ))
}

/// The tests' worker script: imports the test module's glue, instantiates the module it is
/// sent and starts [`serve`] through `iommuWorkerMain`.
#[cfg(feature = "test-worker")]
fn worker_script() -> Option<String> {
    let glue = GLUE_URL.with(String::clone);
    Some(format!(
        "import init, * as m from {glue:?};\n\
         self.onmessage = async (e) => {{ self.onmessage = null; \
         await init({{ module_or_path: e.data }}); m.iommuWorkerMain(); }};\n"
    ))
}

fn spawn() -> Option<web_sys::Worker> {
    let parts = Array::of1(&JsValue::from_str(&worker_script()?));
    let props = web_sys::BlobPropertyBag::new();
    props.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &props).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let opts = web_sys::WorkerOptions::new();
    opts.set_type(web_sys::WorkerType::Module);
    let worker = web_sys::Worker::new_with_options(&url, &opts).ok();
    let _ = web_sys::Url::revoke_object_url(&url);
    let worker = worker?;
    #[cfg(feature = "test-worker")]
    worker.post_message(&wasm_bindgen::module()).ok()?;
    Some(worker)
}

/// Starts `request` (job `id`) in a new worker; `on` hears its progress and its end.
/// `false` if no worker could be started (the caller does the job itself).
fn start(id: u32, request: ToWorker, on: Rc<dyn Fn(Update)>) -> bool {
    let Some(worker) = spawn() else {
        return false;
    };
    let w = worker.clone();
    let heard = on.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            match from_js::<FromWorker>(&e.data()) {
                Some(FromWorker::Ready) => {
                    let (bytes, transfer) = to_js(&request);
                    let _ = w.post_message_with_transfer(&bytes, &transfer);
                }
                Some(FromWorker::Progress { id: i, done, total }) if i == id => {
                    heard(Update::Progress { done, total });
                }
                Some(FromWorker::Done { id: i, outcome }) if i == id => {
                    finish(id);
                    heard(Update::Done(Box::new(outcome.into_result())));
                }
                Some(FromWorker::Imported { id: i, result }) if i == id => {
                    finish(id);
                    heard(Update::Imported(Box::new(result)));
                }
                Some(FromWorker::Compared { id: i, compare }) if i == id => {
                    finish(id);
                    heard(Update::Compared(compare));
                }
                _ => {}
            }
        });
    // The module did not load (or the worker failed): the job ends here.
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        e.prevent_default();
        if JOBS.with(|j| j.borrow().contains_key(&id)) {
            finish(id);
            on(Update::Lost(e.message()));
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    JOBS.with(|j| {
        j.borrow_mut().insert(
            id,
            Job {
                worker,
                _on_message: on_message,
                _on_error: on_error,
            },
        )
    });
    true
}

/// Starts run `id` of `text` in `era` in a new worker; `on` hears its progress and its
/// end. `false` if no worker could be started (the caller runs it itself).
pub fn start_run(id: u32, text: &str, era: Era, on: Rc<dyn Fn(Update)>) -> bool {
    let text = text.to_string();
    start(id, ToWorker::Run { id, era, text }, on)
}

/// Starts compare `id` of `text` (its six runs) in a new worker; `on` hears its progress
/// and [`Update::Compared`]. `false` if no worker could be started.
pub fn start_compare(id: u32, text: &str, on: Rc<dyn Fn(Update)>) -> bool {
    let text = text.to_string();
    start(id, ToWorker::Compare { id, text }, on)
}

/// Imports `paste` in a worker (job `id`); `on` hears [`Update::Imported`] (or
/// [`Update::Lost`] when no worker could start).
#[cfg(not(feature = "test-worker"))]
pub fn start_import(id: u32, paste: &str, on: Rc<dyn Fn(Update)>) {
    let request = ToWorker::Import {
        id,
        paste: paste.to_string(),
    };
    if !(available() && start(id, request, on.clone())) {
        on(Update::Lost(
            "this browser cannot start the importer (a module Web Worker)".into(),
        ));
    }
}

/// The tests' import (`test-worker`: no second module is served): the same messages,
/// encoded and decoded, answered on the page after the current task.
#[cfg(feature = "test-worker")]
pub fn start_import(id: u32, paste: &str, on: Rc<dyn Fn(Update)>) {
    let request = encode(&ToWorker::Import {
        id,
        paste: paste.to_string(),
    });
    yew::platform::spawn_local(async move {
        yew::platform::time::sleep(std::time::Duration::ZERO).await;
        let heard = RefCell::new(None);
        if let Some(request) = decode::<ToWorker>(&request) {
            answer(request, &|m| *heard.borrow_mut() = decode(&encode(m)));
        }
        match heard.into_inner() {
            Some(FromWorker::Imported { id: i, result }) if i == id => {
                on(Update::Imported(Box::new(result)))
            }
            _ => on(Update::Lost("no answer".into())),
        }
    });
}

/// Ends job `id`'s worker (nothing if it already ended).
fn finish(id: u32) {
    let job = JOBS.with(|j| j.borrow_mut().remove(&id));
    if let Some(job) = job {
        job.worker.set_onmessage(None);
        job.worker.set_onerror(None);
        job.worker.terminate();
    }
}

/// Cancels job `id`: its worker stops at once and nothing more is heard of it.
pub fn cancel(id: u32) {
    finish(id);
}

/// Jobs in workers now (tests).
pub fn in_flight() -> usize {
    JOBS.with(|j| j.borrow().len())
}

/// Starts the state's run in a worker when it asks for one ([`crate::state::Running`]),
/// feeding its progress and its run back as actions; a newer run, a cancel or the component
/// going away ends the worker. A worker that could not start (its module did not load)
/// runs the job on the page.
#[yew::hook]
pub fn use_worker_runs(state: &crate::state::StateHandle) {
    use crate::state::Action;
    use_job(
        state,
        state.running.clone(),
        |id, job, on| start_run(id, &job.text, job.era, on),
        |id, u| match u {
            Update::Progress { done, total } => Some(Action::Progress { id, done, total }),
            Update::Done(result) => Some(Action::Ran(id, result)),
            Update::Lost(_) => Some(Action::RunHere(id)),
            Update::Imported(_) | Update::Compared(_) => None,
        },
        Action::RunHere,
    );
    // The compare view's six runs, the same way.
    use_job(
        state,
        state.comparing.clone(),
        |id, job, on| start_compare(id, &job.text, on),
        |id, u| match u {
            Update::Progress { done, total } => Some(Action::CompareProgress { id, done, total }),
            Update::Compared(c) => Some(Action::Compared(id, c)),
            Update::Lost(_) => Some(Action::CompareHere(id)),
            Update::Done(_) | Update::Imported(_) => None,
        },
        Action::CompareHere,
    );
}

/// Who hears a job's [`Update`]s.
type Heard = Rc<dyn Fn(Update)>;

/// One kind of job of the state's (`job`, while it asks for a worker): `start` starts it,
/// what it hears goes back as the action `act` makes of it, and `here` is the action that
/// does it on the page when no worker could start. A newer job or unmounting ends it.
#[yew::hook]
fn use_job(
    state: &crate::state::StateHandle,
    job: Option<Rc<crate::state::Running>>,
    start: fn(u32, &crate::state::Running, Heard) -> bool,
    act: fn(u32, Update) -> Option<crate::state::Action>,
    here: fn(u32) -> crate::state::Action,
) {
    let id = job.as_ref().map(|r| r.id);
    let state = state.clone();
    yew::use_effect_with(id, move |id| {
        let id = *id;
        if let (Some(id), Some(job)) = (id, job) {
            let d = state.dispatcher();
            let on: Rc<dyn Fn(Update)> = Rc::new(move |u| {
                if let Some(a) = act(id, u) {
                    d.dispatch(a);
                }
            });
            if !start(id, &job, on) {
                state.dispatch(here(id));
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

    /// The import's answer: the report fields the panel draws, the same as the engine's
    /// import, through the wire unchanged; a failed import's place and words too.
    #[test]
    fn an_import_round_trips() {
        let paste = include_str!("../../engine/src/import/fixtures/asrock-z170-gaming-itx.txt");
        let done = import_text(paste).expect("imports");
        let direct = iommu_engine::import::import(paste, &Default::default()).expect("imports");
        assert_eq!(done.scenario_text, direct.scenario_text);
        assert_eq!(done.groups.len(), 14);
        assert_eq!(done.groups.len(), direct.report.groups.len());
        assert!(done.reproduced && done.groups.iter().all(|g| g.same));
        let g1 = done.groups.iter().find(|g| g.real == 1).expect("group 1");
        let names: Vec<String> = g1.members.iter().map(|b| b.to_string()).collect();
        assert_eq!(names, ["00:01.0", "01:00.0", "01:00.1"]);
        assert_eq!(done.facts.len(), direct.report.facts.len());
        assert!(done
            .facts
            .iter()
            .all(|f| ["quirk", "known", "inferred", "parent"].contains(&f.kind.as_str())));
        let failed = import_text("hello\nnothing here is lspci\n");
        let Err(e) = &failed else {
            panic!("not a listing")
        };
        let Err(want) =
            iommu_engine::import::import("hello\nnothing here is lspci\n", &Default::default())
        else {
            panic!("not a listing")
        };
        assert_eq!(
            (e.line, e.col, e.message.as_str()),
            (want.line, want.col, want.message.as_str())
        );
        for m in [
            FromWorker::Imported {
                id: 1,
                result: Ok(done),
            },
            FromWorker::Imported {
                id: 2,
                result: failed,
            },
        ] {
            let bytes = encode(&m);
            assert_eq!(decode::<FromWorker>(&bytes), Some(m));
            assert!(
                decode::<FromWorker>(bytes.get(..bytes.len() - 1).unwrap_or_default()).is_none()
            );
        }
        let req = ToWorker::Import {
            id: 9,
            paste: paste.into(),
        };
        assert_eq!(decode::<ToWorker>(&encode(&req)), Some(req));
        // A tag no `put` writes is refused.
        assert!(decode::<FromWorker>(&[5]).is_none());
        assert!(decode::<ToWorker>(&[3, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
    }

    #[test]
    fn a_compare_round_trips() {
        let text = "iommu dmar0 kind=generic\nhost pci0 iommu=dmar0\npci 00:01.0 ep\n\
                    d = iommu_domain_alloc(dmar0)\niommu_attach_device_shared(d, 00:01.0)\n";
        let req = ToWorker::Compare {
            id: 4,
            text: text.into(),
        };
        assert_eq!(decode::<ToWorker>(&encode(&req)), Some(req.clone()));
        // The worker's answer to it: the engine's compare, whole.
        let heard = RefCell::new(Vec::new());
        answer(req, &|m| {
            heard.borrow_mut().push(decode::<FromWorker>(&encode(m)))
        });
        let sc = parse(text).expect("parses");
        let want = iommu_engine::scenario::compare(&sc, text).expect("compares");
        assert!(want.rows.iter().any(|r| r.differs), "the eras differ");
        assert_eq!(
            heard.into_inner(),
            vec![Some(FromWorker::Compared {
                id: 4,
                compare: Some(Box::new(want)),
            })]
        );
        let none = FromWorker::Compared {
            id: 5,
            compare: None,
        };
        let bytes = encode(&none);
        assert_eq!(decode::<FromWorker>(&bytes), Some(none));
        assert!(decode::<FromWorker>(bytes.get(..bytes.len() - 1).unwrap_or_default()).is_none());
    }
}
