"""Time of the cleaning and reading passes against the length of one line made to hurt them.

Each line has no space: Hangul, Han, "中国news", "a@b.", "다.", a mix of scripts and
punctuation... (``tests/test_linear_time.py`` uses the same kinds), or repeats a piece of
markup ("[](", "_a ", "(", "<a"). Every step of cleaning
(inline footers, boilerplate, paragraphs, markup, HTML, markdown, author names) and every
reader (text, Jekyll post, markdown, JSON Lines, HTML page, read from a string) takes the
line at 10k, 100k, 1M and 10M characters. A linear pass takes about 10x the time for 10x
the length; the floor is one plain pass over the same text (``" ".join(text.split())``).

With ``--before REV`` the inline-footer and boilerplate passes of commit REV (default
02d3d58, the last before the fix; ``git show REV:indexer/boilerplate.py`` loaded as a
module) are timed too, each run in a child process stopped after ``--cap`` seconds, from 250
characters up until one run is stopped.

Run from the repository root (nothing from ../shared is needed):

    python bench/cleaning_scaling.py                      # 5 kinds, 10k..10M, 3 passes
    python bench/cleaning_scaling.py --sizes 10k,100k,1m  # quicker
    python bench/cleaning_scaling.py --kinds all --steps cut_inline_footer,reader:text
    python bench/cleaning_scaling.py --before 02d3d58 --cap 20

Prints, for each step and kind, the median time at each length, the growth from one
length to the next (x10 when linear) and microseconds per 1,000 characters at the
longest; writes bench/results/cleaning_scaling.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results"

KINDS = {
    "hangul": "가나다라마바사아자차카타파하",
    "han": "中华人民共和国国际论坛",
    "latin": "abcdefghijklmnopqrstuvwxyz",
    "digits": "0123456789",
    "at": "@",
    "dot": ".",
    "dash": "-",
    "news in chinese": "中国news",
    "a@b.": "a@b.",
    "e-mail": "a@b.c",
    "da.": "다.",
    "reporter": "홍길동기자",
    "mixed": "가中a1@.-",
    # markup: each of its marks made some pass read the rest of the line again
    "links": "[](",
    "emphasis": "_a ",
    "parens": "(",
    "tags": "<a",
}
DEFAULT_KINDS = ("hangul", "news in chinese", "a@b.", "da.", "mixed")
FORMATS = ("text", "jekyll-html", "markdown", "jsonl", "html")
BEFORE_SIZES = (250, 500, 1000, 2000, 4000)


def line_of(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def wrapped(fmt: str, line: str) -> tuple[str, str]:
    """(path, text) of a file of ``fmt`` whose body is ``line``."""
    if fmt == "text":
        return "a.txt", f"title\n\n{line}\n"
    if fmt == "jekyll-html":
        return "a.md", f"---\ntitle: t\nfrom: https://example.com/a\n---\n<p>{line}</p>\n"
    if fmt == "markdown":
        return "a.md", f"---\ntitle: t\npublisher: p\n---\n{line}\n"
    if fmt == "jsonl":
        return "a.jsonl", json.dumps({"title": "t", "body": line}, ensure_ascii=False)
    if fmt == "html":
        return "a.html", f"<html><head><title>t</title></head><body><p>{line}</p></body></html>"
    raise ValueError(fmt)


def steps() -> dict[str, Callable[[str], object]]:
    from indexer.boilerplate import cut_inline_footer, strip_boilerplate
    from indexer.byline import clean_author
    from indexer.clean import html_to_text, markup_to_text, normalise_paragraphs
    from indexer.formats import read_documents
    from indexer.formats.markdown import markdown_to_text

    def reader(fmt: str) -> Callable[[str], object]:
        def read(line: str) -> object:
            path, text = wrapped(fmt, line)
            return list(read_documents(text, path))

        return read

    return {
        "floor: split+join": lambda text: " ".join(text.split()),
        "cut_inline_footer": cut_inline_footer,
        "strip_boilerplate": strip_boilerplate,
        "strip_boilerplate feed": lambda text: strip_boilerplate(text, trim_head=False),
        "normalise_paragraphs": normalise_paragraphs,
        "markup_to_text": markup_to_text,
        "html_to_text": lambda text: html_to_text(f"<p>{text}</p>"),
        "markdown_to_text": markdown_to_text,
        "clean_author": clean_author,
        **{f"reader:{fmt}": reader(fmt) for fmt in FORMATS},
    }


def before_steps(rev: str) -> dict[str, Callable[[str], object]]:
    """The passes of commit ``rev`` (modules that import only the standard library)."""
    modules = {}
    for name in ("boilerplate", "byline"):
        source = subprocess.run(
            ["git", "show", f"{rev}:indexer/{name}.py"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        module = types.ModuleType(f"{name}_at_{rev}")
        exec(compile(source, f"{rev}:indexer/{name}.py", "exec"), module.__dict__)
        modules[name] = module
    return {
        "cut_inline_footer": modules["boilerplate"].cut_inline_footer,
        "strip_boilerplate": modules["boilerplate"].strip_boilerplate,
        "clean_author": modules["byline"].clean_author,
    }


def timed(function: Callable[[str], object], text: str, reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        function(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def capped(function: Callable[[str], object], text: str, cap: float) -> float | None:
    """Seconds one call takes, in a child process stopped after ``cap`` (None)."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def run() -> None:
        start = time.perf_counter()
        function(text)
        sender.send(time.perf_counter() - start)

    child = context.Process(target=run, daemon=True)
    child.start()
    seconds = receiver.recv() if receiver.poll(cap) else None
    child.terminate()
    child.join()
    return seconds


def size(text: str) -> int:
    number = float(text.lower().rstrip("km"))
    return int(number * {"k": 1_000, "m": 1_000_000}.get(text.lower()[-1:], 1))


def label(length: int) -> str:
    for unit, value in (("M", 1_000_000), ("k", 1_000)):
        if length >= value and length % value == 0:
            return f"{length // value}{unit}"
    return str(length)


def shown(seconds: float | None, cap: float = 0.0) -> str:
    if seconds is None:
        return f"> {cap:g} s"
    if seconds < 1:
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds:.2f} s"


def row(name: str, kind: str, sizes: list[int], seconds: list[float | None], cap: float) -> str:
    cells = [f"{shown(value, cap):>12}" for value in seconds]
    growth = [
        f"x{later / earlier:.1f}" if earlier and later and earlier > 0 else "-"
        for earlier, later in zip(seconds, seconds[1:], strict=False)
    ]
    done = [(length, value) for length, value in zip(sizes, seconds, strict=True) if value]
    per_k = f"{done[-1][1] * 1e6 / (done[-1][0] / 1000):.2f}" if done else "-"
    return f"{name:<24} {kind:<16}{''.join(cells)}   {' '.join(growth):<22} {per_k:>8}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="10k,100k,1m,10m", help="line lengths, characters")
    parser.add_argument("--kinds", default=",".join(DEFAULT_KINDS), help="'all' or names")
    parser.add_argument("--steps", default="all", help="'all' or step names")
    parser.add_argument("--reps", type=int, default=3, help="timed passes, median reported")
    parser.add_argument("--before", metavar="REV", help="also time the passes of commit REV")
    parser.add_argument("--cap", type=float, default=20.0, help="seconds per run of --before")
    args = parser.parse_args()

    sizes = [size(text) for text in args.sizes.split(",")]
    kinds = list(KINDS) if args.kinds == "all" else args.kinds.split(",")
    every = steps()
    chosen = list(every) if args.steps == "all" else ["floor: split+join", *args.steps.split(",")]
    results: dict[str, dict[str, dict[str, float | None]]] = {}

    header = "".join(f"{label(length) + ' chars':>12}" for length in sizes)
    print(f"{'step':<24} {'kind':<16}{header}   {'growth per step':<22} {'µs/1k':>8}")
    for name in chosen:
        for kind in kinds:
            seconds: list[float | None] = []
            for length in sizes:
                line = line_of(KINDS[kind], length)
                every[name](line[:1000])  # warm up: compiled patterns, imports
                seconds.append(timed(every[name], line, args.reps))
            results.setdefault(name, {})[kind] = dict(zip(map(label, sizes), seconds, strict=True))
            print(row(name, kind, sizes, seconds, args.cap), flush=True)

    if args.before:
        old = before_steps(args.before)
        before_sizes = sorted({*BEFORE_SIZES, *sizes})
        print(f"\nat {args.before}, each run stopped after {args.cap:g} s")
        header = "".join(f"{label(length) + ' chars':>12}" for length in before_sizes)
        print(f"{'step':<24} {'kind':<16}{header}   {'growth per step':<22} {'µs/1k':>8}")
        for name in [name for name in old if name in chosen]:
            for kind in kinds:
                seconds = []
                for length in before_sizes:  # once a run is stopped, longer ones would be too
                    stopped = bool(seconds) and seconds[-1] is None
                    line = line_of(KINDS[kind], length)
                    seconds.append(None if stopped else capped(old[name], line, args.cap))
                key = f"{name} at {args.before}"
                results.setdefault(key, {})[kind] = dict(
                    zip(map(label, before_sizes), seconds, strict=True)
                )
                print(row(name, kind, before_sizes, seconds, args.cap), flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "cleaning_scaling.json"
    out.write_text(json.dumps({"reps": args.reps, "seconds": results}, indent=1), "utf-8")
    print(f"\nwritten {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
