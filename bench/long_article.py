"""What one very long article costs a search: snippets and the document page.

    python bench/long_article.py                 # sizes up to 5 MB
    python bench/long_article.py --before REV    # the old highlighter from git, beside

1. ``snippet_html`` on an article of 100 KB .. 5 MB (Chinese sentences, a match every ~470
   characters), median of 5, beside the highlighter of ``--before`` (default 838041b, the
   code before snippets became linear) loaded from git; the old one is run once per size
   and no more once a size took over 20 s.
2. End to end: an index of the seed articles plus one 5 MB article holding 美国 thousands
   of times; ``q=美国&size=100`` through SearchService and the article's page through the
   app (Flask's test client), median of 5 after a warm-up.
3. Words an article holds hundreds of thousands of times (``--many``): the seeds plus one
   file of one line (``--many-mb``, default 20, the largest ``max_file_mb`` lets in) of a
   Korean sentence over and over, in a Whoosh and a Xapian index; two words and a phrase
   of it searched with and without highlights through SearchService, median of 3, each
   run reading the article anew (no answer cache, the engine's document cache emptied);
   with ``--baseline DIR`` the same indexes searched by DIR's ``search`` beside, in a
   process of its own.

    python bench/long_article.py --many --baseline /tmp/hs-head    # part 3 only
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARAGRAPH = (
    "美国总统今天发表讲话。" + "这是一个很长的句子，讨论了很多不同的问题，包括经济和社会。" * 16
)
SIZES = [100_000, 500_000, 1_000_000, 5_000_000]


def _article(chars: int) -> str:
    return (PARAGRAPH * (chars // len(PARAGRAPH) + 1))[:chars]


def _spans(text: str) -> list[tuple[int, int]]:
    found, start = [], text.find("美国")
    while start >= 0:
        found.append((start, start + 2))
        start = text.find("美国", start + 2)
    return found


def _old_highlight(revision: str):
    source = subprocess.run(
        ["git", "show", f"{revision}:search/highlight.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    folder = Path(tempfile.mkdtemp())
    (folder / "matching.py").write_text("def walk(*a):\n    raise NotImplementedError\n")
    path = folder / "old_highlight.py"
    path.write_text(source.replace("from .matching import walk", "from matching import walk"))
    sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location("old_highlight", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _median_ms(run, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def snippets(revision: str) -> None:
    from search.highlight import snippet_html

    old = _old_highlight(revision)
    print(f"{'article':>10} {'marks':>7} {'now ms':>9} {'before ms':>10} {'ratio':>7}")
    old_too_slow = False
    for size in SIZES:
        text = _article(size)
        spans = _spans(text)
        now = _median_ms(lambda text=text, spans=spans: snippet_html(text, spans))
        before = None
        if not old_too_slow:
            before = _median_ms(lambda text=text, spans=spans: old.snippet_html(text, spans), 1)
            old_too_slow = before > 20_000
        shown = f"{before:>10.1f} {before / now:>6.0f}x" if before else f"{'(skipped)':>10} {'':>7}"
        print(f"{size / 1e6:>8.1f}MB {len(spans):>7,} {now:>9.2f} {shown}", flush=True)


def end_to_end() -> None:
    from indexer.build import rebuild
    from search.config import load_settings
    from search.models import SearchRequest
    from search.searcher import SearchService
    from web.app import create_app

    root = Path(tempfile.mkdtemp())
    corpus = root / "news"
    corpus.mkdir()
    for seed in (REPO / "demo" / "seeds").iterdir():
        (corpus / seed.name).write_bytes(seed.read_bytes())
    (corpus / "long.md").write_text(
        "---\ntitle: 美国长文\ndate: 2024-07-28\nauthor: 测试\n---\n\n" + _article(5_000_000),
        "utf-8",
    )
    config = root / "config.toml"
    config.write_text(
        f'[corpus]\npaths = ["{corpus}"]\nmax_file_mb = 20\n[index]\npath = "{root / "index"}"\n'
        f'[analysis]\nchinese_dictionary = "{REPO}/dicts/zh_user.txt"\n'
        f'korean_dictionary = "{REPO}/dicts/ko_user.txt"\n[server]\ncache_mb = 0\n'
        "search_budget_ms = 0\n",
        "utf-8",
    )
    settings = load_settings(config, environ={})
    started = time.perf_counter()
    rebuild(settings)
    print(f"\nindex of the seeds + one 5 MB article built in {time.perf_counter() - started:.0f} s")
    service = SearchService(settings)
    request = SearchRequest(q="美国", size=100)
    service.search(request)
    search_ms = _median_ms(lambda: service.search(request))
    client = create_app(settings).test_client()
    client.get("/doc?id=news/long.md&q=美国")
    page_ms = _median_ms(lambda: client.get("/doc?id=news/long.md&q=美国"))
    size = len(client.get("/doc?id=news/long.md&q=美国").data)
    print(f"q=美国 size=100 (the 5 MB article among the hits): {search_ms:.1f} ms median")
    print(
        f"its page (/doc, {size / 1e6:.1f} MB of HTML, every match marked): {page_ms:.0f} ms median"
    )


MANY_SENTENCE = "대통령은 국회에서 북한 핵실험 대응을 논의했다. "
MANY_QUERIES = ("대통령 국회 종합", '"대통령은 국회에서"')


def many_places(megabytes: float, baseline: Path | None) -> None:
    from indexer.build import rebuild
    from search.config import load_settings

    root = Path(tempfile.mkdtemp())
    corpus = root / "news"
    corpus.mkdir()
    for seed in (REPO / "demo" / "seeds").iterdir():
        (corpus / seed.name).write_bytes(seed.read_bytes())
    repeat = int(megabytes * 1_000_000 / len(MANY_SENTENCE.encode("utf-8")))
    (corpus / "huge-line.txt").write_text(
        "[단독] 한 줄짜리 거대한 기사\n\n" + MANY_SENTENCE * repeat, "utf-8"
    )
    print(f"\none line of {megabytes:g} MB: {MANY_SENTENCE.strip()!r} {repeat:,} times")
    configs = []
    for engine in ("whoosh", "xapian"):
        config = root / f"{engine}.toml"
        config.write_text(
            f'[corpus]\npaths = ["{corpus}"]\nmax_file_mb = {max(20, megabytes + 1)}\n'
            f'[index]\npath = "{root / engine}"\nengine = "{engine}"\nworkers = 1\n'
            "[server]\ncache_mb = 0\nsearch_budget_ms = 0\n",
            "utf-8",
        )
        started = time.perf_counter()
        rebuild(load_settings(config, environ={}))
        print(f"{engine} index built in {time.perf_counter() - started:.0f} s")
        configs.append(config)
    now = {str(c): time_queries(c) for c in configs}
    before = {str(c): _baseline_times(baseline, c) for c in configs} if baseline else {}
    print(f"\n{'engine':<7} {'query':<22} {'highlights':<10} {'now ms':>8} {'before ms':>10} ratio")
    for config in configs:
        engine = config.stem
        for key, ms in now[str(config)].items():
            q, highlight = key.rsplit("|", 1)
            old = before.get(str(config), {}).get(key)
            shown = f"{old:>10.0f} {ms / old:>5.2f}x" if old else f"{'-':>10}"
            print(f"{engine:<7} {q:<22} {highlight:<10} {ms:>8.0f} {shown}")


def time_queries(config: Path) -> dict[str, float]:
    """Median ms of each of MANY_QUERIES with and without highlights, each run reading the
    article anew (this process's ``search`` package: this checkout's or a baseline's)."""
    from search.config import load_settings
    from search.models import SearchRequest
    from search.searcher import SearchService

    service = SearchService(load_settings(config, environ={}))
    service.warm_up()
    times = {}
    for q in MANY_QUERIES:
        for highlight in (False, True):
            request = SearchRequest(q=q, highlight=highlight)

            def run(request=request):
                with service._using() as engine:
                    getattr(engine, "_data", {}).clear()  # Xapian's decoded documents
                service.search(request)

            times[f"{q}|{highlight}"] = _median_ms(run, 3)
    return times


def _baseline_times(baseline: Path, config: Path) -> dict[str, float]:
    code = (
        f"import json, sys; sys.path[:0] = [{str(baseline)!r}, {str(REPO / 'bench')!r}]; "
        f"import long_article; print(json.dumps(long_article.time_queries({str(config)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=baseline
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--before", default="838041b", help="git revision to compare with")
    parser.add_argument("--many", action="store_true", help="part 3 only")
    parser.add_argument("--many-mb", type=float, default=20.0, help="part 3's line, MB")
    parser.add_argument("--baseline", type=Path, help="part 3: another checkout beside")
    args = parser.parse_args()
    if args.many:
        many_places(args.many_mb, args.baseline)
        return
    snippets(args.before)
    end_to_end()


if __name__ == "__main__":
    main()
