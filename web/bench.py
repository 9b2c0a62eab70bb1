#!/usr/bin/env python3
"""Runs the playground's `?bench` mode (web/src/bench.rs) in headless Chromium through
chromedriver (plain WebDriver HTTP, no packages) and prints its report.

    trunk build --release
    (cd dist && python3 -m http.server 8114 &)
    python3 web/bench.py http://127.0.0.1:8114/   # chromedriver on PATH or $CHROMEDRIVER
"""
import json, os, subprocess, sys, time, urllib.request

url = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8114/").rstrip("/") + "/?bench"
port = 9516
driver = subprocess.Popen([os.environ.get("CHROMEDRIVER", "chromedriver"), f"--port={port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"


def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"{}")


try:
    for _ in range(50):
        try:
            call("GET", "/status")
            break
        except OSError:
            time.sleep(0.1)
    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900",
            "--disable-background-networking", "--disable-component-update", "--no-first-run"]
    caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"args": args}}}}
    sid = call("POST", "/session", caps)["value"]["sessionId"]
    try:
        call("POST", f"/session/{sid}/url", {"url": url})
        script = "const e = document.getElementById('bench-result'); return e && e.textContent;"
        for _ in range(600):
            out = call("POST", f"/session/{sid}/execute/sync", {"script": script, "args": []})["value"]
            if out:
                print(out)
                break
            time.sleep(0.5)
        else:
            sys.exit("no #bench-result after 300 s")
    finally:
        call("DELETE", f"/session/{sid}")
finally:
    driver.terminate()
