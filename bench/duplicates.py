"""Near-duplicate clusters of a whole corpus, computed as ``hansearch rebuild`` computes them.

The units ``rebuild`` plans (``plan_units``), the furniture it learns, every unit read and
cleaned on worker processes, each article's signature computed there
(``search.duplicates.signature``), then clustered in document order (unit by unit) by one
``Clusterer``, as the build's parent process does; repeated ids are then resolved as the
build resolves them (``Manifest.winners``), so the counts are those of the index.

Prints the documents, those with a signature, the clusters of more than one article, the
articles folded (every member of such a cluster but its first), the distribution of
cluster sizes, the time, and a reproducible random sample of clusters with each member's
source, date, estimated similarity to the cluster's first article, title and first body
characters, to judge false merges by eye.

``--simhash`` also clusters by the design this replaced, a 64-bit SimHash of the same
shingles (an article joins the cluster of the first earlier one at most 3 bits away),
with a sample of its merges, so the two can be compared on the same articles.

Run from the repository root:

    python bench/duplicates.py                      # /tmp/corpus (unpack.sh DEST)
    python bench/duplicates.py --sample 30 --seed 1
    python bench/duplicates.py --similarity 0.75    # another threshold (also
                                                    # --short-similarity, --window-days)
    python bench/duplicates.py --simhash            # and the SimHash baseline
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexer.build import read_options  # noqa: E402
from indexer.furniture import learn_furniture, without_furniture  # noqa: E402
from indexer.manifest import FileEntry, Manifest  # noqa: E402
from indexer.units import plan_units, read_unit  # noqa: E402
from search import duplicates  # noqa: E402
from search.config import CorpusSettings, Settings  # noqa: E402
from search.document import Document  # noqa: E402

DEFAULT_CORPUS = Path("/tmp/corpus")
RESULTS = REPO / "bench" / "results"
BODY_CHARS = 80


@dataclass
class Article:
    rel: str
    id: str
    content_hash: str
    signature: duplicates.Signature | None
    simhash: int | None
    source: str
    published: str
    title: str
    opening: str  # the first BODY_CHARS characters of the body


def corpus_paths(corpus: Path) -> list[Path]:
    """The corpus's visible top-level entries (its folders), as a config would list them."""
    entries = sorted(p for p in corpus.iterdir() if not p.name.startswith("."))
    return entries or [corpus]


_state: dict = {}


def _start(options, furniture, with_simhash: bool) -> None:
    _state.update(options=options, furniture=furniture, simhash=with_simhash)


def simhash(text: str) -> int:
    """The baseline: a 64-bit SimHash (Charikar 2002) of the same shingle hashes as the
    MinHash: bit i set when more than half of the shingles' hashes have it set."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    count = len(codes) - duplicates.SHINGLE + 1
    hashes = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(duplicates.SHINGLE):
            hashes = hashes * duplicates._BASE + codes[offset : offset + count] + np.uint64(1)
        hashes = duplicates._mix(hashes)
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8).reshape(count, 8), axis=1)
    ones = bits.sum(axis=0, dtype=np.int64)
    return sum(1 << bit for bit, n in enumerate(ones) if 2 * n > count)


def simhash_clusters(articles: list[Article], max_bits: int = 3) -> list[str | None]:
    """The baseline's clusters: the cluster of the first earlier article at most
    ``max_bits`` bits away, found through ``max_bits + 1`` tables of 64 / (max_bits + 1)
    bit bands."""
    bands = max_bits + 1
    width = 64 // bands
    tables: list[dict[int, list[int]]] = [{} for _ in range(bands)]
    clusters: list[str | None] = []
    for number, article in enumerate(articles):
        sig = article.simhash
        if sig is None:
            clusters.append(None)
            continue
        keys = [(sig >> (band * width)) & ((1 << width) - 1) for band in range(bands)]
        earlier = sorted({o for band, key in enumerate(keys) for o in tables[band].get(key, ())})
        first = next(
            (o for o in earlier if (articles[o].simhash ^ sig).bit_count() <= max_bits), None
        )
        clusters.append(clusters[first] if first is not None else f"{sig:016x}-{number}")
        for band, key in enumerate(keys):
            tables[band].setdefault(key, []).append(number)
    return clusters


def _read(unit) -> tuple[list[Article], float]:
    """A unit's articles as a rebuild worker sees them, with their signatures, and the
    seconds the signatures took."""
    found = []
    signing = 0.0
    for rel, item in read_unit(unit, _state["options"]):
        if not isinstance(item, Document):
            continue
        doc = without_furniture(item, _state["furniture"])
        published = doc.published.isoformat()[:16] if doc.published else ""
        started = time.process_time()
        sig = duplicates.signature(doc.title, doc.body, doc.published, doc.source)
        signing += time.process_time() - started
        text = duplicates.signature_text(doc.title, doc.body) if _state["simhash"] else None
        found.append(
            Article(
                rel,
                doc.id,
                doc.content_hash,
                sig,
                simhash(text) if text is not None else None,
                doc.source,
                published,
                doc.title,
                " ".join(doc.body[: BODY_CHARS * 2].split())[:BODY_CHARS],
            )
        )
    return found, signing


def read_corpus(corpus: Path, workers: int, with_simhash: bool) -> tuple[list[Article], dict]:
    """Every article of ``corpus`` in the build's document order, and the time each step
    took."""
    settings = Settings(corpus=CorpusSettings(paths=corpus_paths(corpus)))
    options = read_options(settings)
    times = {}
    started = time.perf_counter()
    plan = plan_units(settings.corpus.paths, options)
    times["plan_s"] = time.perf_counter() - started
    started = time.perf_counter()
    furniture = learn_furniture(plan, options, workers)
    times["furniture_s"] = time.perf_counter() - started
    started = time.perf_counter()
    articles: list[Article] = []
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, _start, (options, furniture, with_simhash)) as pool:
        times["sign_cpu_s"] = 0.0
        for number, (found, signing) in enumerate(pool.imap(_read, plan.units), 1):
            articles.extend(found)
            times["sign_cpu_s"] += signing
            if number % 500 == 0:
                print(f"  {number:,} of {len(plan.units):,} units", file=sys.stderr, flush=True)
    times["read_and_sign_s"] = time.perf_counter() - started
    return articles, times


def cluster(articles: list[Article]) -> list[str | None]:
    """Each article's cluster, assigned in document order as the build assigns it."""
    clusterer = duplicates.Clusterer()
    return [clusterer.assign(article.signature) for article in articles]


def indexed(articles: list[Article]) -> list[int]:
    """The positions of the articles a rebuild keeps: one copy per id (``Manifest``)."""
    manifest = Manifest()
    for article in articles:
        entry = manifest.files.setdefault(article.rel, FileEntry(0, 0))
        entry.docs.append((article.id, article.content_hash))
    winners = manifest.winners()
    seen: set[str] = set()
    kept = []
    for position, article in enumerate(articles):
        if winners[article.id] == (article.rel, article.content_hash) and article.id not in seen:
            seen.add(article.id)
            kept.append(position)
    return kept


def summary(articles: list[Article], clusters: list[str | None], kept: list[int]) -> dict:
    members: dict[str, list[int]] = {}
    for position in kept:
        if clusters[position] is not None:
            members.setdefault(clusters[position], []).append(position)
    multi = {name: found for name, found in members.items() if len(found) > 1}
    sizes = Counter(len(found) for found in multi.values())
    by_source = Counter(articles[p].source or "-" for found in multi.values() for p in found[1:])
    return {
        "documents": len(kept),
        "with_signature": sum(1 for p in kept if clusters[p] is not None),
        "clusters_over_1": len(multi),
        "folded": sum(len(found) - 1 for found in multi.values()),
        "sizes": dict(sorted(sizes.items())),
        "folded_by_source": dict(by_source.most_common(15)),
        "multi": multi,
    }


def size_buckets(sizes: dict[int, int]) -> list[tuple[str, int]]:
    edges = [(2, 2), (3, 3), (4, 5), (6, 10), (11, 20), (21, 50), (51, 10**9)]
    rows = []
    for low, high in edges:
        count = sum(n for size, n in sizes.items() if low <= size <= high)
        label = str(low) if low == high else (f"{low}-{high}" if high < 10**9 else f"{low}+")
        rows.append((label, count))
    return rows


def show_sample(articles, multi: dict[str, list[int]], count: int, seed: int) -> None:
    """``count`` clusters drawn at random (``seed``): each member's source, date, estimated
    similarity to the first member (SimHash: bits apart), title and opening."""
    names = sorted(multi)
    chosen = random.Random(seed).sample(names, min(count, len(names)))
    for number, name in enumerate(chosen, 1):
        found = multi[name]
        print(f"\n[{number}] cluster {name}: {len(found)} articles")
        first = articles[found[0]]
        for position in found[:6]:
            a = articles[position]
            if a.signature is not None and first.signature is not None:
                near = f"{duplicates.similarity(first.signature, a.signature):.2f}"
            else:
                near = "-"
            if a.simhash is not None and first.simhash is not None:
                near += f" / {(first.simhash ^ a.simhash).bit_count()} bits"
            print(f"  {a.source or '-'} | {a.published or '-'} | {near} | {a.title[:60]}")
            print(f"      {a.opening}")
        if len(found) > 6:
            print(f"  … and {len(found) - 6} more")


def show_largest(articles, multi: dict[str, list[int]], count: int) -> None:
    """The ``count`` largest clusters, each member's source, date and title: where
    different stories of one template would pile up."""
    for found in sorted(multi.values(), key=lambda f: (-len(f), f[0]))[:count]:
        print(f"\n  {len(found)} articles:")
        for position in found[:12]:
            a = articles[position]
            print(f"    {a.source or '-'} | {a.published[:10] or '-'} | {a.title[:50]}")
            print(f"        {a.opening[:70]}")
        if len(found) > 12:
            print(f"    … and {len(found) - 12} more")


def report(name: str, articles, clusters, kept, sample: int, seed: int, largest: int = 0) -> dict:
    result = summary(articles, clusters, kept)
    multi = result.pop("multi")
    print(f"\n== {name}")
    print(f"documents (one per id, indexed):  {result['documents']:,}")
    print(f"documents with a signature:       {result['with_signature']:,}")
    print(f"clusters with more than 1:        {result['clusters_over_1']:,}")
    print(f"documents folded:                 {result['folded']:,}")
    sizes = ", ".join(f"{label}: {n:,}" for label, n in size_buckets(result["sizes"]))
    print(f"cluster sizes:                    {sizes}")
    print(f"largest clusters:                 {sorted(result['sizes'], reverse=True)[:8]}")
    by_source = ", ".join(f"{s} {n:,}" for s, n in result["folded_by_source"].items())
    print(f"folded by source:                 {by_source}")
    print(f"\n{name}: {min(sample, len(multi))} clusters drawn at random (seed {seed})")
    show_sample(articles, multi, sample, seed)
    if largest:
        print(f"\n{name}: the {largest} largest clusters")
        show_largest(articles, multi, largest)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--similarity", type=float, default=duplicates.SIMILARITY)
    parser.add_argument("--short-similarity", type=float, default=duplicates.SHORT_SIMILARITY)
    parser.add_argument("--window-days", type=int, default=duplicates.WINDOW_DAYS)
    parser.add_argument("--sample", type=int, default=30, help="clusters shown")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--largest", type=int, default=5, help="largest clusters shown")
    parser.add_argument("--simhash", action="store_true", help="and the SimHash baseline")
    args = parser.parse_args()
    # The clustering runs in this process: other thresholds apply to it.
    duplicates.SIMILARITY = args.similarity
    duplicates.SHORT_SIMILARITY = args.short_similarity
    duplicates.WINDOW_DAYS = args.window_days
    if not args.corpus.is_dir():
        print(
            f"{args.corpus} not found: sh ../shared/corpus/unpack.sh {args.corpus}",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    articles, times = read_corpus(args.corpus, args.workers, args.simhash)
    t0 = time.process_time()
    clusters = cluster(articles)
    times["cluster_cpu_s"] = time.process_time() - t0
    kept = indexed(articles)
    times["total_s"] = time.perf_counter() - started
    print(
        f"MinHash of {duplicates.SHINGLE}-character shingles, {duplicates.HASHES} values,"
        f" LSH {duplicates.LSH_BANDS} x {duplicates.LSH_ROWS}; near-duplicates at similarity"
        f" >= {args.similarity} (>= {args.short_similarity} under {duplicates.SHORT_CHARS}"
        f" chars), published within {args.window_days} days unless >= {duplicates.SAME_TEXT}"
        f" under one title; one publisher's headline under {duplicates.CAPTION_CHARS} chars:"
        f" >= {duplicates.SAME_SOURCE_TEXT}; text read {duplicates.TEXT_CHARS:,} chars;"
        f" body under {duplicates.MIN_BODY_CHARS} chars: no signature"
    )
    print(f"articles read (every copy):       {len(articles):,}")
    print(
        "time: plan {plan_s:.1f} s, furniture {furniture_s:.1f} s, read + clean + sign"
        " {read_and_sign_s:.1f} s ({workers} processes), clustering {cluster_cpu_s:.1f} CPU s"
        " (one process), total {total_s:.1f} s".format(workers=args.workers, **times)
    )
    print(
        f"signatures alone: {times['sign_cpu_s']:.1f} CPU s in the workers,"
        f" {times['sign_cpu_s'] / max(len(articles), 1) * 1000:.2f} ms per article"
    )
    out = {
        "settings": {
            "similarity": args.similarity,
            "short_similarity": args.short_similarity,
            "window_days": args.window_days,
        },
        "times": times,
        "minhash": report(
            "MinHash (the build)", articles, clusters, kept, args.sample, args.seed, args.largest
        ),
    }
    if args.simhash:
        t0 = time.perf_counter()
        baseline = simhash_clusters(articles)
        print(f"\nSimHash clustering: {time.perf_counter() - t0:.2f} s")
        out["simhash"] = report(
            "SimHash 64 bits, <= 3 bits (baseline)",
            articles,
            baseline,
            kept,
            args.sample,
            args.seed,
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "duplicates.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
