"""Query latency and throughput on a real index, feature by feature, against plain Whoosh.

    python bench/search_latency.py --config /tmp/hs-bench.toml            # latency
    python bench/search_latency.py --config /tmp/hs-bench.toml --load     # + HTTP load

Queries: 200 real-looking ones made from titles in the index (one to four of their words,
some quoted as phrases), half Korean and half Chinese, fixed by --seed. Each query is run
in these stages, one after another in the same process, so each feature's cost shows:

  whoosh          plain Whoosh: AND of the query's word-view terms over body, top 10
  whoosh+facets   the same, counting language, source and month over all matches
                  (Whoosh then scores every match)
  hansearch       SearchService.search without highlights: both views, all words then
                  any word, total and facets over all matches, top 10
  +highlights     SearchService.search as the API runs it

With --load, `hansearch serve` runs on a free port and, for --seconds each:

  uncached        4, 16 and 64 clients send the queries, uniformly, the answer cache off
  skewed          4, 16 and 64 clients send a realistic log: Zipf over the queries (a few
                  make most of the traffic) plus one in four unique (a word pair never
                  asked before), the answer cache on
  overload        16 clients loop the most expensive query the limits allow (1,000
                  characters of the commonest words of both languages, size=100) while 4
                  clients send ordinary queries: the ordinary ones must keep answering

Requests/s and latency percentiles of answered requests, the deliberate 503s (busy) and
any other error are reported, with the peak memory of the server's processes.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from whoosh import sorting
from whoosh.query import And, Term

from search.cache import AnswerCache
from search.config import load_settings
from search.models import SearchError, SearchRequest
from search.query import parse_query
from search.searcher import FACETS, SearchService

RESULTS = Path(__file__).parent / "results"


def make_queries(service: SearchService, count: int, seed: int) -> list[str]:
    """Key words of random titles: one to four words, about one in five quoted."""
    with service._using() as opened:
        return _queries_from_titles(opened, count, seed)


def _queries_from_titles(opened, count: int, seed: int) -> list[str]:
    searcher, words = opened.searcher, opened.builder.words
    rng = random.Random(seed)
    by_lang: dict[str, list[str]] = {"ko": [], "zh": []}
    docnums = list(searcher.reader().all_doc_ids())
    rng.shuffle(docnums)
    for docnum in docnums:
        stored = searcher.stored_fields(docnum)
        lang = "zh" if stored.get("lang", "").startswith("zh") else stored.get("lang")
        if lang not in by_lang or len(by_lang[lang]) >= count // 2:
            continue
        title = stored.get("title", "")
        spine, seen = [], set()
        for token in words(title, positions=True, chars=True):
            if token.pos not in seen and len(token.text) >= 2 and not token.text.isdigit():
                seen.add(token.pos)
                spine.append(title[token.startchar : token.endchar])
        if not spine:
            continue
        if rng.random() < 0.2 and len(spine) >= 2:
            start = rng.randrange(len(spine) - 1)
            quoted = title[
                title.find(spine[start]) : title.find(spine[start + 1]) + len(spine[start + 1])
            ]
            by_lang[lang].append(f'"{quoted}"')
        else:
            by_lang[lang].append(" ".join(rng.sample(spine, min(len(spine), rng.randint(1, 4)))))
        if all(len(v) >= count // 2 for v in by_lang.values()):
            break
    return [q for q in by_lang["ko"] + by_lang["zh"] if _searchable(opened.builder, q)]


def _searchable(builder, q: str) -> bool:
    try:
        builder.build(parse_query(q))
    except SearchError:
        return False
    return True


def time_stages(service: SearchService, queries: list[str]) -> dict[str, list[float]]:
    """Each query through each stage (the answer cache off: every search is computed)."""
    service.cache = AnswerCache(0)
    with service._using() as opened:
        return _time_stages(service, opened, queries)


def _time_stages(service: SearchService, opened, queries: list[str]) -> dict[str, list[float]]:
    searcher, builder = opened.searcher, opened.builder
    stages: dict[str, list[float]] = {
        "whoosh": [],
        "whoosh+facets": [],
        "hansearch": [],
        "+highlights": [],
    }
    facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
    for q in queries:
        terms = [Term("body", t.text) for t in builder.words(q.strip('"'))]
        for name, grouped in (("whoosh", None), ("whoosh+facets", facets)):
            started = time.perf_counter()
            if terms:
                searcher.search(And(terms), limit=10, groupedby=grouped)
            stages[name].append(time.perf_counter() - started)

        for name, highlight in (("hansearch", False), ("+highlights", True)):
            started = time.perf_counter()
            service.search(SearchRequest(q=q, highlight=highlight))
            stages[name].append(time.perf_counter() - started)
    return stages


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def load_test(config: Path, queries: list[str], seconds: float, expensive: str) -> dict:
    report = {}
    with _server(config, {"HANSEARCH_SERVER_CACHE_MB": "0"}) as (base, peak):
        report["uncached"] = {}
        for clients in (4, 16, 64):
            row = _hammer(base, lambda rng: rng.choice(queries), clients, seconds)
            report["uncached"][clients] = row
            print(f"  uncached {clients:>3} clients: {row}", flush=True)
        report["overload"] = _overload(base, queries, expensive, seconds)
        print(f"  overload: {report['overload']}", flush=True)
        report["uncached_peak_rss_mb"] = peak["rss_mb"]
    with _server(config, {}) as (base, peak):
        pick = _skewed(queries)
        report["skewed"] = {}
        for clients in (4, 16, 64):
            row = _hammer(base, pick, clients, seconds)
            report["skewed"][clients] = row
            print(f"  skewed (cache on) {clients:>3} clients: {row}", flush=True)
        report["skewed_peak_rss_mb"] = peak["rss_mb"]
    return report


class _server:
    """``hansearch serve`` on a free port with extra environment; (base URL, peak memory)."""

    def __init__(self, config: Path, env: dict[str, str]) -> None:
        import os

        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hansearch",
                "--config",
                str(config),
                "serve",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **env},
        )
        self.peak = {"rss_mb": 0.0}
        self.stop = threading.Event()

    def __enter__(self):
        base = f"http://127.0.0.1:{self.port}"
        threading.Thread(
            target=_sample_rss, args=(self.process.pid, self.peak, self.stop), daemon=True
        ).start()
        _wait_for(f"{base}/api/health", 180)
        return base, self.peak

    def __exit__(self, *_):
        self.stop.set()
        self.process.terminate()
        self.process.wait(timeout=60)


def _skewed(queries: list[str]):
    """A query log: Zipf (s = 1) over the queries, and one request in four a query never
    seen before (two random words of different queries)."""
    weights = [1 / rank for rank in range(1, len(queries) + 1)]
    words = [w for q in queries for w in q.strip('"').split()]

    def pick(rng: random.Random) -> str:
        if rng.random() < 0.25:
            return f"{rng.choice(words)} {rng.choice(words)} {rng.randrange(10**6)}"
        return rng.choices(queries, weights)[0]

    return pick


def _overload(base: str, queries: list[str], expensive: str, seconds: float) -> dict:
    """16 clients loop the most expensive query while 4 send ordinary ones."""
    results: dict = {}
    threads = [
        threading.Thread(
            target=lambda: results.__setitem__(
                "expensive", _hammer(base, lambda rng: expensive, 16, seconds, size=100)
            )
        ),
        threading.Thread(
            target=lambda: results.__setitem__(
                "ordinary", _hammer(base, lambda rng: rng.choice(queries), 4, seconds)
            )
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _hammer(base: str, pick, clients: int, seconds: float, size: int = 10) -> dict:
    """``clients`` threads each sending ``pick(rng)`` queries for ``seconds``."""
    latencies: list[float] = []
    refused: list[float] = []
    errors: list[str] = []
    timed_out = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        nonlocal timed_out
        rng = random.Random(number)
        while time.monotonic() < deadline:
            q = pick(rng)
            started = time.perf_counter()
            try:
                status, body = _fetch(f"{base}/api/search?size={size}&q={urllib.parse.quote(q)}")
            except Exception as error:  # every failure is counted, none stops the run
                with lock:
                    errors.append(repr(error)[:120])
                continue
            took = time.perf_counter() - started
            with lock:
                if status == 200:
                    latencies.append(took)
                    timed_out += b'"timed_out":true' in body
                elif status == 503 and b'"busy"' in body:
                    refused.append(took)
                else:
                    errors.append(f"HTTP {status}")
            if status == 503:  # as a well-behaved client does: wait Retry-After (1 s)
                time.sleep(1.0)

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed = time.monotonic() - started
    return {
        "answered": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        **{k: round(v, 1) for k, v in summary(latencies or [0.0]).items()},
        "timed_out": timed_out,
        "busy_503": len(refused),
        "busy_503_max_ms": round(max(refused, default=0.0) * 1000, 1),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
    }


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def expensive_query(service: SearchService) -> str:
    """1,000 characters of the commonest words of Korean and Chinese articles."""
    with service._using() as opened:
        reader = opened.searcher.reader()
        common = sorted(
            (
                (info.doc_frequency(), text.decode() if isinstance(text, bytes) else text)
                for text, info in reader.iter_field("body")
            ),
            reverse=True,
        )
    korean = [t for _, t in common if "가" <= t[0] <= "힣" and len(t) >= 2][:200]
    chinese = [t for _, t in common if "\u4e00" <= t[0] <= "\u9fff" and len(t) >= 2][:200]
    words, query = [w for pair in zip(korean, chinese, strict=False) for w in pair], ""
    for word in words:
        if len(query) + len(word) + 1 > 1000:
            break
        query = f"{query} {word}".strip()
    return query


def _get(url: str) -> int:
    return _fetch(url)[0]


def _wait_for(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _get(url) == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sample_rss(pid: int, peak: dict, stop: threading.Event) -> None:
    while not stop.is_set():
        peak["rss_mb"] = max(peak["rss_mb"], sum(_rss_kb(p) for p in _tree(pid)) / 1024)
        time.sleep(0.5)


def _tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pending += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--config", type=Path, required=True, help="config of an index to search")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--load", action="store_true", help="also load-test the HTTP server")
    parser.add_argument("--seconds", type=float, default=20.0, help="per concurrency level")
    args = parser.parse_args()

    service = SearchService(load_settings(args.config))
    service.warm_up()
    queries = make_queries(service, args.queries, args.seed)
    print(f"{len(queries)} queries, e.g. {queries[:3]} … {queries[-3:]}")
    time_stages(service, queries[:20])  # warm caches
    stages = time_stages(service, queries)
    base = statistics.median(stages["whoosh"])
    print(f"\n{'stage':<14} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'x whoosh':>9}")
    report: dict = {"queries": queries, "documents": service.health()["documents"], "stages": {}}
    for name, seconds in stages.items():
        row = summary(seconds)
        report["stages"][name] = row
        print(
            f"{name:<14} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f} {row['max_ms']:>8.1f}"
            f" {statistics.median(seconds) / base:>8.1f}x"
        )
    if args.load:
        expensive = expensive_query(service)
        print(f"\nthe most expensive query: {len(expensive)} characters: {expensive[:60]}…")
        print("HTTP load (hansearch serve):")
        report["load"] = load_test(args.config, queries, args.seconds, expensive)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search_latency.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
