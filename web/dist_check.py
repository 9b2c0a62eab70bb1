#!/usr/bin/env python3
"""End-to-end check of the built dist/ in headless Chromium (plain WebDriver HTTP, no
packages): the second wasm module (`iommu-worker`, src/bin/iommu-worker.rs) loads and
answers, which the browser tests cannot see (their runner serves no second module).

    trunk build --release
    python3 web/dist_check.py [dist] [--screenshot FILE]   # chromedriver on PATH or $CHROMEDRIVER

It serves dist/ itself on a free port (or $DIST_CHECK_PORT; chromedriver on a free port or
$DIST_CHECK_DRIVER_PORT), opens the playground and checks:
  1. "Import your machine" with a real machine's listing (the asrock-z170-gaming-itx fixture):
     the panel says "Importing…", then data-import="done" with the machine's 14 groups, each
     reproduced, group 1 = 00:01.0 01:00.0 01:00.1; the what-if toggle regroups on the page.
  2. A workload above the worker threshold (30,000 pairs): its progress shows, then the run
     is drawn with its expectation holding.
  3. A book chapter's widget page (dist/book, when built) loads the bundle from another
     directory: a 30,000-pair workload widget mounted there runs in the worker too.
Exits 1 with the reason on the first failure. ./x test runs it after the release build.
"""
import base64, contextlib, functools, http.server, os, pathlib, socket, sys, threading, time, zlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from webdriver import session  # noqa: E402

root = pathlib.Path(__file__).resolve().parent.parent
args = [a for a in sys.argv[1:]]
shot = None
if "--screenshot" in args:
    i = args.index("--screenshot")
    shot = args[i + 1]
    del args[i:i + 2]
dist = pathlib.Path(args[0] if args else root / "dist").resolve()
FIXTURE = (root / "engine/src/import/fixtures/asrock-z170-gaming-itx.txt").read_text()
WORKLOAD = """generation current
config strict=off
iommu dmar0 kind=generic
host pci0 iommu=dmar0
pci 00:07.0 rp acs=SV,RR,CR,UF
pci 02:00.0 ep parent=00:07.0 untrusted
bind 02:00.0 nvme
workload 02:00.0 count=30000 live=16 sizes=4K,16K seed=5
expect counter(02:00.0, maps) == 30000
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The paths the browser asked for, in order (no-store: every load is a request, so the
# worker module's loads are seen wherever the page starts them).
requested = []


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def end_headers(self):
        requested.append(self.path)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def worker_loads():
    """The worker module's files asked for (without their `?v=` query)."""
    return [p.split("?")[0] for p in requested if "iommu-worker" in p]


def versions():
    """The `?v=` of each request for the worker module's files."""
    return {p.partition("?")[2] for p in requested if "iommu-worker" in p}


@contextlib.contextmanager
def serve(directory, port):
    handler = functools.partial(Quiet, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        httpd.shutdown()


def fail(why):
    print(f"dist check FAILED: {why}", file=sys.stderr)
    sys.exit(1)


def main():
    if not list(dist.glob("iommu-worker_bg.wasm")) or not list(dist.glob("iommu-worker.js")):
        fail(f"no iommu-worker.js / iommu-worker_bg.wasm in {dist}")
    # The two bins are one crate: wasm-bindgen snippets (inline_js) of both would land in
    # one snippets/<crate>/ folder and could overwrite each other (web/src/worker.rs
    # beside_bundle), so the page has none.
    if (dist / "snippets").exists():
        fail(f"{dist}/snippets exists: an inline_js snippet in the web crate (see worker::beside_bundle)")
    port = int(os.environ.get("DIST_CHECK_PORT") or free_port())
    driver_port = int(os.environ.get("DIST_CHECK_DRIVER_PORT") or free_port())
    with serve(dist, port) as url, session(driver_port) as call:
        def js(script, *a):
            return call("POST", "/execute/sync", {"script": script, "args": list(a)})["value"]

        def type_into(selector, text):
            """Sets a text area's value as typing does (an `input` event)."""
            js("""
const ta = document.querySelector(arguments[0]);
ta.value = arguments[1];
ta.dispatchEvent(new Event('input', {bubbles: true}));
""", selector, text)

        def wait(what, script, seconds, *a):
            end = time.time() + seconds
            while time.time() < end:
                v = js(script, *a)
                if v:
                    return v
                time.sleep(0.05)
            fail(f"{what} (waited {seconds} s)")

        call("POST", "/window/rect", {"width": 1400, "height": 900})
        call("POST", "/url", {"url": url})
        wait("the playground started", "return !!document.querySelector('textarea.editor-input')", 30)

        if worker_loads():
            fail(f"the worker module loaded at the first render: {worker_loads()}")
        # 0. A share link deflated by the browser (CompressionStream, no compressor in the
        # bundle) that reads back as the view; a preset fetched from presets/ beside it.
        js("document.querySelector('.share > button').click();")
        link = wait("the share link", """
const i = document.querySelector("input.share-link[data-ready='true']");
return i && i.value;""", 10)
        js("document.querySelector('.share > button').click();")
        body = link.split("#s1.", 1)[1]
        raw = zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)), -15)
        text = js("return document.querySelector('textarea.editor-input').value")
        # Stored (uncompressed) blocks would take 4/3 of the bytes in base64: compressed is less.
        if raw.decode() != f"current\n6\n{text}" or len(body) >= len(raw):
            fail(f"share link: {len(body)} characters for {len(raw)} bytes: {raw[:40]!r}")
        js("""
const s = document.querySelector('.preset-menu');
s.value = 'lpae-granules.iommu';
s.dispatchEvent(new Event('change', {bubbles: true}));""")
        wait("a preset fetched from presets/",
             "return document.querySelector('textarea.editor-input').value.includes('granule')", 10)
        print(f"share link deflated by the browser: {len(raw)} bytes in {len(body)} characters; "
              "a preset fetched")
        # 1. The import, in the worker module.
        js("""
document.querySelector('button.import-open').click();
""")
        wait("the import panel opened", "return !!document.querySelector('textarea.import-paste')", 5)
        type_into('textarea.import-paste', FIXTURE)
        time.sleep(0.2)
        js("""
window.__seen = [];
const m = document.querySelector('.import-machine');
new MutationObserver(() => __seen.push(m.dataset.import)).observe(m, {attributes: true});
document.querySelector('button.import-run').click();
""")
        state = wait("the import finished", """
const m = document.querySelector('.import-machine');
return ['done', 'failed'].includes(m.dataset.import) && m.dataset.import;""", 60)
        if state != "done":
            fail("the import failed: " + js("return document.querySelector('.import-body').innerText"))
        seen = js("return window.__seen")
        if "importing" not in seen:
            fail(f"no \"Importing…\" state before the answer: {seen}")
        groups = js("""return [...document.querySelectorAll('.import-group')]
  .map((g) => [g.dataset.real, g.dataset.members, g.dataset.same]);""")
        if len(groups) != 14:
            fail(f"{len(groups)} groups, not 14: {groups}")
        if ["1", "00:01.0 01:00.0 01:00.1", "true"] not in groups:
            fail(f"group 1 is not 00:01.0 01:00.0 01:00.1: {groups}")
        if not all(g[2] == "true" for g in groups):
            fail(f"a group not reproduced: {groups}")
        if js("return document.querySelector('.import-result').dataset.reproduced") != "true":
            fail("data-reproduced is not true")
        js("document.querySelector(\"input[data-setting='pcie_acs_override=downstream']\").click()")
        sims = wait("the what-if regrouped group 1", """
const g = document.querySelector(".import-group[data-real='1']");
return g.dataset.same === 'false' &&
  [...g.querySelectorAll('.import-sim-group')].map((s) => s.dataset.members);""", 5)
        if sims != ["00:01.0", "01:00.0 01:00.1"]:
            fail(f"the what-if's group 1: {sims}")
        js("document.querySelector(\"input[data-setting='pcie_acs_override=downstream']\").click()")
        wait("the toggle went back", """
return document.querySelector(".import-group[data-real='1']").dataset.same === 'true';""", 5)
        if shot:
            js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
            time.sleep(0.3)
            png = call("GET", "/screenshot")["value"]
            pathlib.Path(shot).write_bytes(base64.b64decode(png))
            print(f"screenshot: {shot}")
        loads = worker_loads()
        if "/iommu-worker_bg.wasm" not in loads or "/iommu-worker.js" not in loads:
            fail(f"the import did not load the worker module: {loads}")
        glue = js("return document.querySelector('link[rel=modulepreload]').getAttribute('href')")
        if versions() != {"v=" + glue.rsplit("/", 1)[-1]}:
            fail(f"the worker module's URLs do not carry the page glue's name {glue}: {versions()}")
        print(f"import in the worker module: {len(groups)} groups, reproduced ({' → '.join(seen)}); "
              f"loaded on demand: {' '.join(loads)}")

        # 2. A workload above the threshold, in the worker module.
        requested.clear()
        js("document.querySelector('button.import-open').click();")
        type_into('textarea.editor-input', WORKLOAD)
        time.sleep(0.3)
        js("""
window.__run = {saw: false, done: false};
document.querySelector('button.run').click();
const poll = () => {
  if (document.querySelector('[data-run-progress]')) __run.saw = true;
  else if (__run.saw && document.querySelector('.trace-rows li')) { __run.done = true; return; }
  setTimeout(poll, 2);
};
poll();
""")
        wait("the worker's run arrived", "return window.__run.done", 60)
        verdict = js("return document.querySelector('.verdict').innerText")
        if "1 expectations hold" not in verdict:
            fail(f"the worker's run: {verdict!r}")
        if "/iommu-worker_bg.wasm" not in worker_loads():
            fail(f"the run did not load the worker module: {requested}")
        print(f"workload of 30,000 pairs in the worker module: {verdict.strip()}")

        # 3. From the book's directory (the bundle loaded by embed.js from ../).
        book = dist / "book"
        if book.is_dir():
            page = "book/dist-check.html"
            (book / "dist-check.html").write_text(
                "<!doctype html><html><head><meta charset='utf-8'>"
                "<script type='module' src='../embed.js'></script></head><body>"
                f"<div data-iommu-scenario=\"{WORKLOAD.replace(chr(34), '&quot;')}\"></div>"
                "</body></html>")
            try:
                requested.clear()
                call("POST", "/url", {"url": url + page})
                verdict = wait("the book widget's worker run arrived", """
const v = document.querySelector('[data-iommu-scenario] .verdict');
return v && !document.querySelector('[data-run-progress]') &&
  document.querySelector('[data-iommu-scenario] .trace-rows li') && v.innerText;""", 60)
                if "1 expectations hold" not in verdict:
                    fail(f"the book widget's run: {verdict!r}")
                if "/iommu-worker_bg.wasm" not in worker_loads():
                    fail(f"the book widget's run did not load the worker module: {requested}")
                print(f"a book page's widget, 30,000 pairs in the worker module: {verdict.strip()}")
            finally:
                (book / "dist-check.html").unlink()
    print("dist check passed")


main()
