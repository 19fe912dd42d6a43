"""Furniture left in cleaned article bodies: lines of known residue patterns, counted over a
whole corpus read as ``hansearch rebuild`` reads it.

The units the rebuild plans (``plan_units`` over the corpus's top-level folders, the options
of ``read_options``), the furniture it learns (``learn_furniture``, timed), then every unit
read (``read_unit``) and cleaned of furniture (``without_furniture``) on ``--workers``
spawned processes. Every line of every body is matched against the patterns below, which
are this benchmark's own yardstick, not the product's rules, so two checkouts are measured
alike: run it with ``PYTHONPATH`` pointing at another checkout for its numbers.

    python bench/residue.py /tmp/corpus                  # every top-level folder, 2 processes
    python bench/residue.py /tmp/corpus --workers 1 --examples 3

Prints documents and body lines per collection (top-level folder), then for each pattern the
lines matching it per collection, and a few example lines (``--examples``). JSON to
``bench/results/residue.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import multiprocessing
import re
import sys
import time
from collections import Counter
from pathlib import Path

from indexer.build import read_options
from indexer.furniture import learn_furniture, without_furniture
from indexer.units import plan_units, read_unit
from search.config import load_settings
from search.document import Document

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"

PATTERNS = {
    "......more": re.compile(r"(?:\.{3}|…)\s*more$", re.IGNORECASE),
    "Embed from Getty Images": re.compile(r"^embed from getty images$", re.IGNORECASE),
    "（欢迎点击此处订阅…）": re.compile(
        r"^[（(]?(?:欢迎|歡迎)(?:点击|點擊)此(?:处|處)(?:订阅|訂閱)"
    ),
    "20/01/2021 - 20:31": re.compile(r"^\d{2}/\d{2}/\d{4} - \d{2}:\d{2}$"),
    "Drupal … 在 星期日, … 提交": re.compile(
        r"在 ?星期[一二三四五六日天], ?\d{1,2}/\d{1,2}/\d{4} - \d{1,2}:\d{2} 提交$"
    ),
    "image file name": re.compile(r"^[\w.-]+\.(?:jpe?g|png|gif|webp|bmp)$", re.IGNORECASE),
    "ISO timestamp": re.compile(
        r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
    ),
    "RFC 2822 … GMT": re.compile(
        r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})?"
        r" (?:GMT|UTC|[+-]\d{4})$"
    ),
    "iYouPort post meta": re.compile(r"\d{4}年\d{1,2}月\d{1,2}日\s+\d+\s+Minutes?$", re.IGNORECASE),
    "<br>": re.compile(r"<br\s*/?>", re.IGNORECASE),
}


def count_unit(task) -> tuple[Counter, Counter, dict[str, list[str]]]:
    """(matches per (pattern, collection), documents and lines per collection, examples)."""
    unit, options, furniture, examples = task
    matches: Counter = Counter()
    sizes: Counter = Counter()
    shown: dict[str, list[str]] = {}
    for rel, item in read_unit(unit, options):
        if not isinstance(item, Document):
            continue
        collection = rel.split("/", 1)[0]
        doc = without_furniture(item, furniture)
        sizes[("docs", collection)] += 1
        for line in doc.body.split("\n"):
            line = line.strip()
            if not line:
                continue
            sizes[("lines", collection)] += 1
            for name, pattern in PATTERNS.items():
                if pattern.search(line):
                    matches[(name, collection)] += 1
                    if len(shown.setdefault(name, [])) < examples:
                        shown[name].append(f"{rel}: {line[:120]}")
    return matches, sizes, shown


def learn(plan, options, workers: int):
    """``learn_furniture`` as the rebuild calls it (older checkouts take no worker count)."""
    if "workers" in inspect.signature(learn_furniture).parameters:
        return learn_furniture(plan, options, workers)
    return learn_furniture(plan, options)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="folder whose top-level folders are read")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--examples", type=int, default=2, help="example lines per pattern")
    parser.add_argument("--config", type=Path, default=REPO / "config.toml")
    parser.add_argument("--out", type=Path, default=RESULTS / "residue.json")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"{args.corpus}: not a folder")
    paths = sorted(p for p in args.corpus.iterdir() if not p.name.startswith("."))
    options = read_options(load_settings(args.config))
    started = time.perf_counter()
    plan = plan_units(paths, options)
    planned = time.perf_counter()
    furniture = learn(plan, options, args.workers)
    learned = time.perf_counter()
    print(
        f"{len(plan.units):,} units, ~{plan.estimated_docs:,} documents;"
        f" plan {planned - started:.1f} s, learn_furniture {learned - planned:.1f} s",
        flush=True,
    )
    matches: Counter = Counter()
    sizes: Counter = Counter()
    shown: dict[str, list[str]] = {}
    tasks = [(unit, options, furniture, args.examples) for unit in plan.units]
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for unit_matches, unit_sizes, unit_shown in pool.imap_unordered(count_unit, tasks):
            matches.update(unit_matches)
            sizes.update(unit_sizes)
            for name, lines in unit_shown.items():
                room = args.examples - len(shown.setdefault(name, []))
                shown[name].extend(lines[: max(room, 0)])
    collections = sorted({collection for _, collection in sizes})
    print_table(matches, sizes, collections)
    for name, lines in shown.items():
        for line in lines:
            print(f"  e.g. {name}: {line}")
    print(f"read and counted in {time.perf_counter() - learned:.0f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "learn_furniture_s": round(learned - planned, 1),
        "collections": {c: {k: sizes[(k, c)] for k in ("docs", "lines")} for c in collections},
        "matches": {name: {c: matches[(name, c)] for c in collections} for name in PATTERNS},
    }
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    return 0


def print_table(matches: Counter, sizes: Counter, collections: list[str]) -> None:
    rows = [
        ("documents", [sizes[("docs", c)] for c in collections]),
        ("body lines", [sizes[("lines", c)] for c in collections]),
        *((name, [matches[(name, c)] for c in collections]) for name in PATTERNS),
    ]
    print("| lines | " + " | ".join(collections) + " | all |")
    print("|---|" + "---:|" * (len(collections) + 1))
    for name, counts in rows:
        cells = " | ".join(f"{count:,}" for count in [*counts, sum(counts)])
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    raise SystemExit(main())
