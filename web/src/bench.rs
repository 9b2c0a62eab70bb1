//! `?bench`: the figures BENCHMARKS.md "Web UI" reports, measured in the release bundle in
//! a real browser (no timed tests). It mounts the default scenario and times its first
//! render, then mounts a generated long trace and times single steps (→ key, as a user
//! presses it). Each time runs from the action to the DOM updated and laid out (a forced
//! reflow); painting is not included. Results go to `<pre id="bench-result">` and the
//! console; `web/bench.py` drives headless Chromium through chromedriver and prints them.
//! Built only with the `bench` feature (`trunk build --release --features bench`), which
//! also turns on Yew's `test` feature for `yew::scheduler::flush` (render now, not later).
use crate::state::State;

/// Calls in the long trace (the parser takes at most 10,000 statements, the `iommu`
/// declaration is one).
pub const CALLS: usize = 9_999;
/// Steps timed on it.
pub const STEPS: usize = 400;

/// A scenario of `calls` calls on one SMMUv3 domain: a domain allocation, then 4K maps of
/// consecutive pages and their unmaps (every step changes the page table).
pub fn long_scenario(calls: usize) -> String {
    let mut s = String::from("iommu smmu0 kind=arm-smmu-v3\nd1 = iommu_domain_alloc(smmu0)\n");
    let rest = calls.saturating_sub(1);
    let maps = rest.div_ceil(2);
    for i in 0..maps {
        let off = i as u64 * 0x1000;
        s.push_str(&format!(
            "iommu_map(d1, {:#x}, {:#x}, 4K, RW)\n",
            0x10_0000 + off,
            0x8000_0000u64 + off
        ));
    }
    for i in 0..rest - maps {
        s.push_str(&format!(
            "iommu_unmap(d1, {:#x}, 4K)\n",
            0x10_0000 + i as u64 * 0x1000
        ));
    }
    s
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}

/// Forces style and layout of the whole page (what the browser would do before painting).
fn reflow() -> i32 {
    document()
        .and_then(|d| d.body())
        .map_or(0, |b| b.offset_height())
}

/// Waits until Yew has rendered what the last action scheduled (`done` holds; at most
/// 1000 scheduler flushes), then lays the page out.
async fn rendered(done: impl Fn() -> bool) -> bool {
    for _ in 0..1000 {
        yew::scheduler::flush().await;
        if done() {
            reflow();
            return true;
        }
    }
    false
}

fn count(sel: &str) -> u32 {
    document()
        .and_then(|d| d.query_selector_all(sel).ok())
        .map_or(0, |l| l.length())
}

fn text_of(sel: &str) -> String {
    document()
        .and_then(|d| d.query_selector(sel).ok().flatten())
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

fn right_arrow() {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("ArrowRight");
    init.set_bubbles(true);
    if let (Some(w), Ok(e)) = (
        web_sys::window(),
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init),
    ) {
        let _ = w.dispatch_event(&e);
    }
}

/// A line on the console while the benchmark runs (where a slow phase is).
fn progress(msg: &str) {
    web_sys::console::log_1(&format!("bench: {msg}").into());
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

/// Runs the benchmark on `root` (the playground's element) and reports.
pub async fn run(root: web_sys::Element) {
    let mut out = Vec::new();
    // 1. First render of the default scenario: parse, run (with a snapshot per step), lay
    //    out the topology, render every panel.
    let since_load = now();
    let t0 = now();
    let app = mount(root.clone(), State::initial());
    let ok = rendered(|| count(".topology g.group-region") > 0).await;
    let first = now() - t0;
    progress(&format!("first render {first:.1} ms"));
    let groups = count(".topology g.group-region");
    if !ok {
        out.push("first render: not seen".into());
    }
    out.push(format!(
        "first_render_ms {first:.1} (default scenario, {groups} group regions drawn; page load to first render {:.1})",
        since_load + first
    ));
    // 2. The long trace: its run and first render, then single steps.
    app.destroy();
    rendered(|| count(".topology") == 0).await;
    let Some(holder) = document().and_then(|d| d.create_element("div").ok()) else {
        return;
    };
    let _ = root.append_child(&holder);
    let text = long_scenario(CALLS);
    let t0 = now();
    let state = State::booted(&text, None);
    let run_ms = now() - t0;
    progress(&format!("long trace run {run_ms:.1} ms"));
    let steps = state.steps();
    let start = steps / 2;
    let state = State {
        cursor: start,
        ..state
    };
    let t0 = now();
    let _app = mount(holder, state);
    let current = || text_of(".trace-row.current .step-no");
    let ok = rendered(|| current() == start.to_string()).await;
    if !ok {
        out.push(format!(
            "long trace: not rendered ({} rows, current {:?}, {:?})",
            count(".trace-row"),
            text_of(".trace-row.current"),
            text_of(".trace h2")
        ));
    }
    let mount_ms = now() - t0;
    progress(&format!("long trace mounted {mount_ms:.1} ms"));
    out.push(format!(
        "long_trace {steps} steps: run {run_ms:.1} ms, first render at step {start} {mount_ms:.1} ms"
    ));
    let mut times = Vec::with_capacity(STEPS);
    for i in 1..=STEPS {
        let want = (start + i).to_string();
        let t = now();
        right_arrow();
        if !rendered(|| current() == want).await {
            out.push(format!("step {want}: not rendered"));
            break;
        }
        times.push(now() - t);
        if i % 50 == 1 {
            progress(&format!("step {i}: {:.1} ms", now() - t));
        }
    }
    let at = text_of(".topology h2 .h2-note");
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    out.push(format!(
        "step_ms median {:.2} mean {mean:.2} p95 {:.2} max {:.2} over {STEPS} steps (→) from step {start};{at}",
        pct(&times, 0.5),
        pct(&times, 0.95),
        pct(&times, 1.0),
    ));
    let report = out.join("\n");
    web_sys::console::log_1(&report.clone().into());
    if let Some(d) = document() {
        if let (Ok(pre), Some(body)) = (d.create_element("pre"), d.body()) {
            pre.set_id("bench-result");
            pre.set_text_content(Some(&report));
            let _ = body.append_child(&pre);
        }
    }
}

fn mount(root: web_sys::Element, initial: State) -> yew::AppHandle<crate::App> {
    yew::Renderer::<crate::App>::with_root_and_props(
        root,
        crate::AppProps {
            initial,
            persist: false,
        },
    )
    .render()
}

/// Whether the page was opened with `?bench`.
pub fn requested() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|s| s.trim_start_matches('?').split('&').any(|kv| kv == "bench"))
}

/// Starts [`run`] on `root` (used by [`crate::start`]).
pub fn spawn(root: web_sys::Element) {
    yew::platform::spawn_local(run(root));
}
