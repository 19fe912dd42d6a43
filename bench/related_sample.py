"""Related articles on a judged sample: Whoosh's more_like (the method before) against
``search.related``, on the full archive's index.

    python bench/related_sample.py --config /tmp/hs-bench.toml --sample 30 --seed 1
    python bench/related_sample.py --seed 2 --quiet                # numbers only
    python bench/related_sample.py --seed 2 --set terms=15 --set min_shared=3
    python bench/related_sample.py --seed 1 --pending /tmp/pending.tsv   # pairs to judge

A reproducible random sample of the index's live articles, a third each Korean,
simplified and traditional Chinese (``--sample``, ``--seed``). For each article: its
title and the opening of its body, then the top ``--top`` related articles, each with its
source and date, of (a) the method before (``old_related`` below: Whoosh's ``more_like``
on the body's first 20,000 characters, 12 terms, as SearchService.related did up to
584a8cd) and (b) ``search.related.related_documents`` with ``search.related.TUNING``,
changed by ``--set field=value``. Then the median and largest time of one call of each
(the same searcher; old and new in turn on each article).

Precision: every listed (article, related article) pair is judged by a person, from the
titles and, when unsure, the first 100 characters of the bodies: 1 when the listed
article reports the same story or event (another outlet's own report, a follow-up, its
background), continues the same series (the next part of a column or a lecture), or
covers the same specific topic (the same case, policy or person's matter, the same
recurring report such as a weekly freight index or a market's daily open); 0 when it
shares only a broad field (crime, COVID-19, the US election in general), and 0 for a copy
of the article itself (its own text under another address). Judgments are kept by
document id in ``--judgments`` (default bench/related_judgments.tsv: label, article id,
related id, titles as a note), so a change of method needs only its new pairs judged:
``--pending FILE`` writes the unjudged pairs of this run in article order, the method
not shown, with label ``?``; set each to 1 or 0 and append them to the judgments.

Reported: precision@k (related among the k places; a place left empty counts as not
related) and the precision of what was listed, per language and overall, with the
number of pairs still unjudged (left out of both); related per article, old/new; and
the best precision@k the judged pairs allow (every article judged related to the
sample's article by any method or setting so far).
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from search.config import load_settings  # noqa: E402
from search.related import TUNING, related_documents  # noqa: E402
from search.searcher import SearchService  # noqa: E402

LANGS = ("ko", "zh-Hans", "zh-Hant")
DEFAULT_JUDGMENTS = REPO / "bench" / "related_judgments.tsv"
OLD_TEXT_CHARS = 20_000


def old_related(searcher, docnum: int, limit: int) -> list[tuple[int, float]]:
    """SearchService.related before search.related (commit 584a8cd): Whoosh's more_like."""
    body = searcher.stored_fields(docnum).get("body", "")[:OLD_TEXT_CHARS]
    try:
        results = searcher.more_like(docnum, "body", text=body, top=limit, numterms=12)
    except ValueError:  # an empty body: more_like reads the stored field, finds None
        print(f"  (old method failed on document {docnum}: its body is empty)")
        return []
    return [(hit.docnum, hit.score) for hit in results]


def sample(searcher, columns, size: int, seed: int) -> list[int]:
    """``size`` live articles, a third of each language of LANGS, in a seeded order."""
    rng = random.Random(seed)
    reader = searcher.reader()
    codes, values = columns.codes["lang"], columns.values["lang"]
    chosen = []
    for i, lang in enumerate(LANGS):
        count = size // len(LANGS) + (1 if i < size % len(LANGS) else 0)
        pool = [
            d
            for d in range(searcher.doc_count_all())
            if values[codes[d]] == lang and not reader.is_deleted(d)
        ]
        chosen += rng.sample(pool, count)
    return chosen


def load_judgments(path: Path) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    if not path.exists():
        return found
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.reader(file, delimiter="\t"):
            if len(row) >= 3 and row[0] in ("0", "1"):
                found[(row[1], row[2])] = int(row[0])
    return found


def _tuning(settings: list[str]):
    tuning = TUNING
    types = {f.name: type(getattr(TUNING, f.name)) for f in fields(TUNING)}
    for setting in settings:
        name, _, value = setting.partition("=")
        if name not in types:
            raise SystemExit(f"unknown parameter {name!r}: one of {', '.join(types)}")
        kind = types[name]
        parsed = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
        tuning = replace(tuning, **{name: parsed})
    return tuning


def _line(stored: dict) -> str:
    published = stored.get("published_local") or str(stored.get("published") or "")
    return f"{stored.get('title', '')}  [{stored.get('source', '')} {published[:10]}]"


def _clip(text: str, chars: int) -> str:
    return " ".join(text.split())[:chars]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=Path("/tmp/hs-bench.toml"))
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--judgments", type=Path, default=DEFAULT_JUDGMENTS)
    parser.add_argument("--pending", type=Path, help="write the unjudged pairs here")
    parser.add_argument("--set", action="append", default=[], help="a Tuning field=value")
    parser.add_argument("--quiet", action="store_true", help="numbers only, no titles")
    args = parser.parse_args()
    tuning = _tuning(args.set)
    judgments = load_judgments(args.judgments)

    service = SearchService(load_settings(args.config, environ={}))
    service.warm_up()
    with service._using() as opened:
        searcher, columns, words = opened.searcher, opened.columns, opened.builder.words
        print(f"index: {searcher.doc_count()} articles; sample {args.sample}, seed {args.seed}")
        print(f"tuning: {tuning}\n")
        chosen = sample(searcher, columns, args.sample, args.seed)
        old_related(searcher, chosen[0], args.top)  # warm-up: first reads of the files
        related_documents(searcher, columns, words, chosen[0], args.top, tuning)
        times = {"old": [], "new": []}
        lists: dict[int, dict[str, list[int]]] = {}
        for docnum in chosen:
            started = time.perf_counter()
            old = old_related(searcher, docnum, args.top)
            times["old"].append(time.perf_counter() - started)
            started = time.perf_counter()
            new = related_documents(searcher, columns, words, docnum, args.top, tuning)
            times["new"].append(time.perf_counter() - started)
            lists[docnum] = {"old": [d for d, _ in old], "new": [d for d, _ in new]}

        def stored(d: int) -> dict:
            return searcher.stored_fields(d)

        pending: list[list[str]] = []
        scores = {m: {lang: [0, 0, 0] for lang in LANGS} for m in ("old", "new")}
        unjudged = {"old": 0, "new": 0}
        per_article: dict[str, list[int]] = {"old": [], "new": []}
        codes, values = columns.codes["lang"], columns.values["lang"]
        known: dict[str, int] = {}  # per article: related articles judged so far, any method
        for (article_id, _), label in judgments.items():
            known[article_id] = known.get(article_id, 0) + label
        reachable = 0
        for number, docnum in enumerate(chosen, 1):
            article = stored(docnum)
            lang = values[codes[docnum]]
            reachable += min(args.top, known.get(article["id"], 0))
            if not args.quiet:
                print(f"{number:2}. [{lang}] {_line(article)}")
                print(f"    {_clip(article.get('body', ''), 100)}")
            seen: set[str] = set()
            for method in ("old", "new"):
                listed = lists[docnum][method]
                relevant = judged = 0
                for rank, d in enumerate(listed, 1):
                    other = stored(d)
                    label = judgments.get((article["id"], other["id"]))
                    if label is None:
                        unjudged[method] += 1
                        if other["id"] not in seen:
                            pending.append(
                                [
                                    "?",
                                    article["id"],
                                    other["id"],
                                    f"{article.get('title', '')} || {_line(other)} || "
                                    f"{_clip(other.get('body', ''), 100)}",
                                ]
                            )
                    else:
                        judged += 1
                        relevant += label
                    seen.add(other["id"])
                    if not args.quiet:
                        mark = {None: "?", 1: "+", 0: "-"}[label]
                        print(f"    {method} {rank} {mark} {_line(other)}")
                per_article[method].append(relevant)
                row = scores[method][lang]
                row[0] += relevant
                row[1] += judged
                row[2] += args.top - len(listed)  # empty places
            if not args.quiet:
                print()

        print(
            f"related articles known (judged 1 for any method or setting): "
            f"P@{args.top} at most {reachable / (args.top * len(chosen)):.2f}"
        )
        pairs = zip(per_article["old"], per_article["new"], strict=True)
        print("related per article, old/new: " + " ".join(f"{o}/{n}" for o, n in pairs))
        print(
            f"median time per call: old {statistics.median(times['old']) * 1000:.1f} ms, "
            f"new {statistics.median(times['new']) * 1000:.1f} ms "
            f"(max old {max(times['old']) * 1000:.0f} ms, new {max(times['new']) * 1000:.0f} ms)"
        )
        for method in ("old", "new"):
            parts = []
            total = [0, 0, 0]
            for lang in LANGS:
                relevant, judged, empty = scores[method][lang]
                total = [a + b for a, b in zip(total, (relevant, judged, empty), strict=True)]
                parts.append(f"{lang} {_precisions(relevant, judged, empty)}")
            overall = _precisions(*total)
            print(
                f"{method}: P@{args.top} {overall}; "
                + "; ".join(parts)
                + f"; unjudged {unjudged[method]}"
            )
        if args.pending:
            with args.pending.open("w", encoding="utf-8", newline="") as file:
                csv.writer(file, delimiter="\t", lineterminator="\n").writerows(pending)
            print(f"{len(pending)} unjudged pairs written to {args.pending}")


def _precisions(relevant: int, judged: int, empty: int) -> str:
    """P@k (empty places count as not related) / precision of what was listed."""
    places = judged + empty
    at_k = relevant / places if places else 0.0
    listed = relevant / judged if judged else 0.0
    return f"{at_k:.2f} (listed {listed:.2f} of {judged})"


if __name__ == "__main__":
    main()
