#!/usr/bin/env python3
"""Times scenarios run in the playground's Web Worker (BENCHMARKS.md "Web Worker") in
headless Chromium through chromedriver (plain WebDriver HTTP, no packages).

    trunk build --release
    (cd dist && python3 -m http.server 8411 &)
    python3 web/worker_bench.py http://127.0.0.1:8411/   # chromedriver on PATH or $CHROMEDRIVER

For each scenario: the text is typed into the editor and Run is clicked; the time from the
click until the run is drawn (the progress bar gone, the trace drawn), the longest task
the page's main thread ran meanwhile (PerformanceObserver "longtask": tasks over 50 ms;
0 = none), and the longest wait of a 10 ms timer on the page. Then the same text run
synchronously on the main thread through the JS API (`wasmBindings.run`), as every run
was before the worker.
"""
import os, pathlib, sys, time
from webdriver import session

url = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8411/").rstrip("/") + "/"
rounds = int(os.environ.get("ROUNDS", "3"))
root = pathlib.Path(__file__).resolve().parent.parent

STRICT_1M = """generation current
config strict=off
iommu dmar0 kind=generic
host pci0 iommu=dmar0
pci 00:07.0 rp acs=SV,RR,CR,UF
pci 02:00.0 ep parent=00:07.0 untrusted
bind 02:00.0 nvme
workload 02:00.0 count=1000000 live=64 seed=1
expect counter(02:00.0, rcache_hits) == 999936
"""
SCENARIOS = [
    ("1,000,000 strict pairs", STRICT_1M),
    ("fast-path-at-scale.iommu (2,200,000 pairs)",
     (root / "tests/scenarios/fast-path-at-scale.iommu").read_text()),
]

START = """
const text = arguments[0];
window.__wb = {long: 0, gap: 0, last: performance.now(), start: 0, done: 0, saw: false};
new PerformanceObserver((l) => { for (const e of l.getEntries()) __wb.long = Math.max(__wb.long, e.duration); })
  .observe({type: 'longtask'});
setInterval(() => { const n = performance.now(); __wb.gap = Math.max(__wb.gap, n - __wb.last); __wb.last = n; }, 10);
const ta = document.querySelector('textarea.editor-input');
ta.value = text;
ta.dispatchEvent(new Event('input', {bubbles: true}));
setTimeout(() => {
  __wb.gap = 0; __wb.long = 0; __wb.last = performance.now();
  __wb.start = performance.now();
  document.querySelector('button.run').click();
  const poll = () => {
    const p = document.querySelector('[data-run-progress]');
    if (p) __wb.saw = true;
    if (!p && __wb.saw && document.querySelector('.trace-rows li')) __wb.done = performance.now();
    else setTimeout(poll, 2);
  };
  poll();
}, 300);
"""
RESULT = "return window.__wb && window.__wb.done ? window.__wb : null;"
SYNC = """
const t0 = performance.now();
const out = window.wasmBindings.run(arguments[0]);
return [performance.now() - t0, typeof out];
"""


with session(9517) as call:
    call("POST", "/timeouts", {"script": 300000})
    for name, text in SCENARIOS:
        for i in range(rounds):
            call("POST", "/url", {"url": url})
            for _ in range(100):
                ok = call("POST", "/execute/sync",
                          {"script": "return !!document.querySelector('textarea.editor-input')", "args": []})["value"]
                if ok:
                    break
                time.sleep(0.1)
            call("POST", "/execute/sync", {"script": START, "args": [text]})
            for _ in range(1200):
                r = call("POST", "/execute/sync", {"script": RESULT, "args": []})["value"]
                if r:
                    break
                time.sleep(0.1)
            else:
                sys.exit(f"{name}: no result after 120 s")
            print(f"{name} #{i + 1}: worker end to end {r['done'] - r['start']:.0f} ms, "
                  f"longest main-thread task {r['long']:.0f} ms, longest 10 ms timer wait {r['gap']:.0f} ms")
        ms, _ = call("POST", "/execute/sync", {"script": SYNC, "args": [text]})["value"]
        print(f"{name}: the same on the main thread (JS API run): {ms:.0f} ms")
