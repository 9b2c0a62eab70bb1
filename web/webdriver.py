"""Headless Chromium through chromedriver, by plain WebDriver HTTP (no packages): the
session web/bench.py and web/worker_bench.py drive. chromedriver on PATH or $CHROMEDRIVER."""
import contextlib, json, os, subprocess, time, urllib.request

ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900",
        "--disable-background-networking", "--disable-component-update", "--no-first-run"]


@contextlib.contextmanager
def session(port):
    """Yields `call(method, path, body=None)` for the WebDriver commands of one browser
    session (`path` below `/session/ID`); the browser and chromedriver end with it."""
    driver = subprocess.Popen([os.environ.get("CHROMEDRIVER", "chromedriver"), f"--port={port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def call(method, path, body=None):
        req = urllib.request.Request(base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=300) as r:
            return json.loads(r.read() or b"{}")

    try:
        for _ in range(50):
            try:
                call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"args": ARGS}}}}
        sid = call("POST", "/session", caps)["value"]["sessionId"]
        try:
            yield lambda method, path, body=None: call(method, f"/session/{sid}{path}", body)
        finally:
            call("DELETE", f"/session/{sid}")
    finally:
        driver.terminate()
