"""What a results page weighs and how soon a reader sees its first result.

    python bench/page_weight.py                          # the index of ./config.toml
    python bench/page_weight.py --config /tmp/hs.toml --runs 20

`hansearch serve` runs on a free port (one worker). For each query:

  weight       bytes of the results page's HTML and of the CSS and JS it links, as sent
               and gzip-compressed (level 6, what a compressing proxy would send)
  first result a warm server (each page loaded once before) and a warm browser cache:
               when Chromium painted the first result, from the start of the navigation
               (Element Timing), median and slowest of --runs; and the same seen from
               outside (navigation started until Playwright finds the result visible)

Chromium is Debian's (/usr/bin/chromium) driven by Playwright. Results go to
bench/results/page_weight.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import unicodedata
import urllib.request
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import sync_playwright

RESULTS = Path(__file__).parent / "results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUERIES = ["吓阻", "美日 安全磋商", "주일미군 사령부", "사령부"]
# When the browser painted the first result's title (Element Timing: the template marks
# it with elementtiming="first-result"), in ms from the start of the navigation.
_RENDERED = """new Promise((done) => {
  new PerformanceObserver((entries) => {
    const entry = entries.getEntries().find((e) => e.identifier === "first-result");
    if (entry) done(entry.renderTime || entry.loadTime);
  }).observe({type: "element", buffered: true});
  setTimeout(() => done(-1), 5000);
})"""
# (on the title's block: Chromium times text by the block that holds it, not by a link)
_ASSET = re.compile(r'<(?:link rel="stylesheet"|script) (?:href|src)="([^"]+)"')


def weight(base: str, query: str) -> dict[str, tuple[int, int]]:
    """(raw, gzip) bytes of the page's HTML, CSS and JS."""
    html = _get(f"{base}/search?q={quote(query)}")
    found = {"html": html}
    for asset in _ASSET.findall(html.decode()):
        kind = "css" if ".css" in asset else "js"
        found[kind] = _get(base + asset)
    return {kind: (len(body), len(gzip.compress(body, 6))) for kind, body in found.items()}


def first_result(base: str, query: str, runs: int) -> dict[str, float]:
    """Milliseconds until the first result shows, over ``runs`` navigations."""
    url = f"{base}/search?q={quote(query)}"
    seen, painted = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)  # warm: the server's searcher and the browser's cache
        for _ in range(runs):
            page.goto("about:blank")
            started = time.perf_counter()
            page.goto(url, wait_until="commit")
            page.locator(".hit").first.wait_for(state="visible")
            seen.append((time.perf_counter() - started) * 1000)
            page.wait_for_load_state("load")
            painted.append(page.evaluate(_RENDERED))
        browser.close()
    return {
        "painted_median_ms": statistics.median(painted),
        "painted_max_ms": max(painted),
        "seen_median_ms": statistics.median(seen),
    }


def serve(config: Path):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hansearch", "--config", str(config), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "HANSEARCH_SERVER_WORKERS": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("hansearch serve exited:\n" + server.stderr.read().decode())
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=5) as response:
                if response.status == 200:
                    return server, base
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("hansearch serve did not answer within 60 s")


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` columns, CJK characters counting two."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - columns)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--config", type=Path, default=Path("config.toml"))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--query", action="append", help="a query (repeat; default: four)")
    args = parser.parse_args()
    queries = args.query or QUERIES

    server, base = serve(args.config)
    report = {}
    try:
        print(
            f"{'query':<16} {'HTML':>15} {'CSS':>15} {'JS':>13} {'total':>15}"
            f" {'first result':>13} {'slowest':>8} {'seen':>7}"
        )
        print(
            f"{'':<16} {'raw / gzip':>15} {'raw / gzip':>15} {'raw / gzip':>13} {'raw / gzip':>15}"
        )
        for query in queries:
            sizes = weight(base, query)
            timing = first_result(base, query, args.runs)
            total = tuple(sum(size[i] for size in sizes.values()) for i in (0, 1))
            report[query] = {"bytes": {**sizes, "total": total}, **timing}
            cells = [f"{raw:,} / {packed:,}" for raw, packed in (*sizes.values(), total)]
            print(
                f"{_pad(query, 16)} {cells[0]:>15} {cells[1]:>15} {cells[2]:>13} {cells[3]:>15}"
                f" {timing['painted_median_ms']:>10.0f} ms {timing['painted_max_ms']:>5.0f} ms"
                f" {timing['seen_median_ms']:>4.0f} ms"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "page_weight.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
