#!/usr/bin/env python3
"""Runs the playground's `?bench` mode (web/src/bench.rs) in headless Chromium through
chromedriver (plain WebDriver HTTP, no packages: web/webdriver.py) and prints its report.

    trunk build --release
    (cd dist && python3 -m http.server 8114 &)
    python3 web/bench.py http://127.0.0.1:8114/   # chromedriver on PATH or $CHROMEDRIVER
"""
import sys, time
from webdriver import session

url = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8114/").rstrip("/") + "/?bench"

with session(9516) as call:
    call("POST", "/url", {"url": url})
    script = "const e = document.getElementById('bench-result'); return e && e.textContent;"
    for _ in range(600):
        out = call("POST", "/execute/sync", {"script": script, "args": []})["value"]
        if out:
            print(out)
            break
        time.sleep(0.5)
    else:
        sys.exit("no #bench-result after 300 s")
