"""Ranking quality of hansearch's analysis on the CMRC 2018 trial and DRCD dev question sets.

Every paragraph becomes one document (title = article title, body = paragraph) in a real
Whoosh index on disk, one index per dataset per analyzer configuration. Every question is
analysed by the same analyzer and sent as an any-word query (``Or`` of ``Term`` s, BM25F,
title fields ``field_boost`` 2.0 in every configuration). Reports MRR@10, Recall@10 and
Recall@100 of the paragraph the question was asked on, for the plain baselines (Whoosh's
StandardAnalyzer, a Lucene-CJKAnalyzer-like character bigram analyzer written here) and for
hansearch's word view, character view and both views at several char-view weights; also with
the questions converted to the other Chinese script (DRCD -> simplified, CMRC -> traditional).

Run from the repository root:

    python bench/quality.py                      # full run, ~4,500 questions
    python bench/quality.py --limit 100          # quick check
    python bench/quality.py --configs bigram,hansearch --char-weights 0.5,1
    python bench/quality.py --examples 5         # hansearch misses that bigram finds

Prints one table and writes bench/results/quality.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index
from whoosh.analysis import Analyzer, StandardAnalyzer, StopFilter, Token, Tokenizer
from whoosh.fields import TEXT, Schema
from whoosh.query import Or, Term

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO.parent / "shared"
RESULTS = REPO / "bench" / "results"
TITLE_BOOST = 2.0
DEFAULT_CHAR_WEIGHTS = (0.25, 0.5, 1.0)
CUTOFFS = (10, 100)


# --- Baseline 2: character bigrams like Lucene's CJKAnalyzer (independent of hansearch) ---

_CJK = (
    "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_BIGRAM_RUNS = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # like CJKWidthFilter


class CJKBigramTokenizer(Tokenizer):
    """Runs of CJK characters as overlapping bigrams (a lone character as a unigram), other
    words lowercased whole; full-width ASCII folded; no traditional/simplified folding."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost, token.pos = 1.0, start_pos
            token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        text = value.translate(_FULL_WIDTH)
        pos = start_pos
        for m in _BIGRAM_RUNS.finditer(text):
            run = m.group()
            if m.group(1) is None or len(run) == 1:
                spans = [(m.start(), m.end())]
            else:
                spans = [(m.start() + i, m.start() + i + 2) for i in range(len(run) - 1)]
            for start, end in spans:
                token.text = text[start:end].lower()
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = value[start:end]
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar, token.endchar = start_char + start, start_char + end
                pos += 1
                yield token


def bigram_analyzer() -> Analyzer:
    return CJKBigramTokenizer() | StopFilter(minsize=1)


# --- Data ---


@dataclass
class Dataset:
    name: str
    docs: list[tuple[str, str]]  # (title, body)
    questions: list[tuple[str, frozenset[int]]]  # (question, relevant doc numbers)
    variants: dict[str, list[str]] = field(default_factory=dict)  # variant -> question texts


def load_dataset(name: str, path: Path, convert: str, limit: int | None) -> Dataset:
    import opencc

    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    docs: list[tuple[str, str]] = []
    by_context: dict[str, set[int]] = {}
    asked: list[tuple[str, str]] = []
    for article in data:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            by_context.setdefault(context, set()).add(len(docs))
            docs.append((article.get("title", ""), context))
            asked.extend((qa["question"], context) for qa in paragraph["qas"])
    if limit is not None:
        asked = asked[:limit]
    questions = [(q, frozenset(by_context[c])) for q, c in asked]
    converter = opencc.OpenCC(convert)
    texts = [q for q, _ in questions]
    variants = {name: texts, f"{name}-{convert}": [converter.convert(q) for q in texts]}
    return Dataset(name, docs, questions, variants)


# --- Configurations ---


@dataclass
class View:
    """One analyzer and the fields it fills: (field name, 'title'|'body')."""

    analyzer: Analyzer
    fields: tuple[tuple[str, str], ...]


@dataclass
class Config:
    name: str
    views: list[View]
    # Rows reported for this index: row name -> query-time boost per view (same order).
    rows: dict[str, tuple[float, ...]]


def build_configs(names: list[str], char_weights: tuple[float, ...]) -> list[Config]:
    from search.analysis import char_analyzer, word_analyzer

    dictionaries = user_dictionaries()
    words = (("title", "title"), ("body", "body"))
    chars = (("title_chars", "title"), ("body_chars", "body"))
    makers: dict[str, Callable[[], Config]] = {
        "standard": lambda: Config(
            "standard", [View(StandardAnalyzer(), words)], {"standard": (1.0,)}
        ),
        "bigram": lambda: Config("bigram", [View(bigram_analyzer(), words)], {"bigram": (1.0,)}),
        "hansearch-words": lambda: Config(
            "hansearch-words",
            [View(word_analyzer(dictionaries), words)],
            {"hansearch-words": (1.0,)},
        ),
        "hansearch-chars": lambda: Config(
            "hansearch-chars", [View(char_analyzer(), words)], {"hansearch-chars": (1.0,)}
        ),
        "hansearch": lambda: Config(
            "hansearch",
            [View(word_analyzer(dictionaries), words), View(char_analyzer(), chars)],
            {f"hansearch chars x{w:g}": (1.0, w) for w in char_weights},
        ),
    }
    # The product's own path: its schema, its query language (all words, then any word),
    # SearchService ranking, and its page-size limit of 100.
    makers["search"] = lambda: Config(
        "search",
        [View(word_analyzer(dictionaries), words), View(char_analyzer(), chars)],
        {"hansearch search path": ()},
    )
    unknown = [n for n in names if n not in makers]
    if unknown:
        sys.exit(f"unknown config(s) {unknown}; choose from {list(makers)}")
    return [makers[n]() for n in names]


def user_dictionaries():
    from search.analysis import UserDictionaries, load_user_dictionaries

    zh, ko = REPO / "dicts" / "zh_user.txt", REPO / "dicts" / "ko_user.txt"
    if not zh.exists() and not ko.exists():
        return UserDictionaries()
    return load_user_dictionaries(zh if zh.exists() else None, ko if ko.exists() else None)


# --- Indexing and searching ---


def build_index(directory: Path, config: Config, docs: list[tuple[str, str]]) -> index.Index:
    schema = Schema()
    for view in config.views:
        for name, part in view.fields:
            boost = TITLE_BOOST if part == "title" else 1.0
            schema.add(name, TEXT(analyzer=view.analyzer, field_boost=boost))
    directory.mkdir(parents=True)
    ix = index.create_in(str(directory), schema)
    writer = ix.writer(limitmb=256)
    for title, body in docs:
        parts = {"title": title, "body": body}
        writer.add_document(
            **{name: parts[part] for view in config.views for name, part in view.fields}
        )
    writer.commit()
    return ix


def query_terms(analyzer: Analyzer, text: str) -> list[str]:
    """Distinct token texts of ``text``, in order."""
    return list(dict.fromkeys(t.text for t in analyzer(text, mode="query")))


def make_query(config: Config, boosts: tuple[float, ...], text: str) -> Or:
    terms = []
    for view, boost in zip(config.views, boosts, strict=True):
        for token in query_terms(view.analyzer, text):
            for name, _ in view.fields:
                terms.append(Term(name, token, boost=boost))
    return Or(terms)


def first_relevant_rank(hits: list[int], relevant: frozenset[int]) -> int | None:
    for rank, docnum in enumerate(hits, 1):
        if docnum in relevant:
            return rank
    return None


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    out = {"MRR@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n}
    for k in CUTOFFS:
        out[f"R@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n
    return out


# Set in the parent before the worker processes fork; tasks refer to them by name.
_CONFIGS: dict[str, Config] = {}
_DATASETS: dict[str, Dataset] = {}


def index_task(workdir: Path, config_name: str, ds_name: str) -> tuple[str, str, float]:
    t0 = time.perf_counter()
    config, ds = _CONFIGS[config_name], _DATASETS[ds_name]
    if config_name == "search":
        build_product_index(workdir / f"{config_name}-{ds_name}", ds.docs)
    else:
        build_index(workdir / f"{config_name}-{ds_name}", config, ds.docs).close()
    return config_name, ds_name, time.perf_counter() - t0


def build_product_index(directory: Path, docs: list[tuple[str, str]]) -> None:
    """An index as ``hansearch rebuild`` makes it: the product schema, in a generation."""
    from search.document import Document
    from search.schema import build_schema, document_fields
    from search.store import IndexStore

    store = IndexStore(directory)
    generation = store.new_generation()
    ix = index.create_in(str(generation), build_schema(user_dictionaries()))
    writer = ix.writer(limitmb=256)
    for number, (title, body) in enumerate(docs):
        doc = Document(id=str(number), title=title, body=body, lang="zh")
        writer.add_document(**document_fields(doc))
    writer.commit()
    store.switch_to(generation)


def product_ranks(directory: Path, questions: list[str], relevant_sets) -> list[int | None]:
    """Ranks through SearchService, as the API searches; a refused query ranks nothing."""
    from search.config import IndexSettings, Settings
    from search.models import MAX_PAGE_SIZE, SearchError, SearchRequest
    from search.searcher import SearchService

    service = SearchService(Settings(index=IndexSettings(path=directory)))
    ranks = []
    for text, relevant in zip(questions, relevant_sets, strict=True):
        try:
            response = service.search(SearchRequest(q=text, size=MAX_PAGE_SIZE, highlight=False))
        except SearchError:
            ranks.append(None)
            continue
        ranks.append(first_relevant_rank([int(hit.id) for hit in response.results], relevant))
    return ranks


def query_task(
    workdir: Path, config_name: str, ds_name: str, row: str, variant: str
) -> tuple[str, str, str, list[int | None], float]:
    """Ranks of the relevant paragraph for every question of one variant of one dataset."""
    t0 = time.perf_counter()
    config, ds = _CONFIGS[config_name], _DATASETS[ds_name]
    if config_name == "search":
        ranks = product_ranks(
            workdir / f"{config_name}-{ds_name}",
            ds.variants[variant],
            [relevant for _, relevant in ds.questions],
        )
        return config_name, row, variant, ranks, time.perf_counter() - t0
    boosts = config.rows[row]
    ix = index.open_dir(str(workdir / f"{config_name}-{ds_name}"))
    ranks = []
    with ix.searcher() as searcher:  # default weighting: BM25F
        for text, (_, relevant) in zip(ds.variants[variant], ds.questions, strict=True):
            hits = searcher.search(make_query(config, boosts, text), limit=max(CUTOFFS))
            ranks.append(first_relevant_rank([h.docnum for h in hits], relevant))
    ix.close()
    return config_name, row, variant, ranks, time.perf_counter() - t0


def run_all(
    configs: list[Config], datasets: list[Dataset], workdir: Path, jobs: int
) -> tuple[dict[str, dict[str, list[int | None]]], dict[str, dict[str, float]]]:
    """Builds every index, then runs every query set; returns ranks[row][variant] and the
    CPU seconds each config spent indexing and querying (summed over worker processes)."""
    _CONFIGS.update({c.name: c for c in configs})
    _DATASETS.update({d.name: d for d in datasets})
    # Biggest tasks first so the last one to finish is short.
    index_tasks = sorted(
        ((c.name, d.name) for c in configs for d in datasets),
        key=lambda t: -len(_DATASETS[t[1]].docs) * len(_CONFIGS[t[0]].views),
    )
    query_tasks = sorted(
        (
            (c.name, d.name, row, variant)
            for c in configs
            for d in datasets
            for row in c.rows
            for variant in d.variants
        ),
        key=lambda t: -len(_DATASETS[t[1]].questions) * len(_CONFIGS[t[0]].views),
    )
    timings = {c.name: {"index_s": 0.0, "query_s": 0.0} for c in configs}
    ranks: dict[str, dict[str, list[int | None]]] = {r: {} for c in configs for r in c.rows}
    if jobs > 1:
        # Fork before any analyzer runs here: a Kiwi model loaded before a fork hangs.
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            index_futures = [pool.submit(index_task, workdir, *t) for t in index_tasks]
            index_results = [f.result() for f in index_futures]
            query_futures = [pool.submit(query_task, workdir, *t) for t in query_tasks]
            query_results = [f.result() for f in query_futures]
    else:
        index_results = [index_task(workdir, *t) for t in index_tasks]
        query_results = [query_task(workdir, *t) for t in query_tasks]
    for config_name, _, seconds in index_results:
        timings[config_name]["index_s"] += seconds
    for config_name, row, variant, row_ranks, seconds in query_results:
        timings[config_name]["query_s"] += seconds
        ranks[row][variant] = row_ranks
    return ranks, timings


# --- Report ---


def print_table(results: dict, variants: list[tuple[str, int]]) -> None:
    name_width = max(len(r) for r in results) + 2
    group = "{:>7}{:>7}{:>7}"
    head1 = " " * name_width + "".join(f"{f'{v} (n={n})':^23}" for v, n in variants)
    head2 = f"{'config':<{name_width}}" + "  ".join(
        group.format("MRR@10", "R@10", "R@100") for _ in variants
    )
    print(head1)
    print(head2)
    print("-" * len(head2))
    for row, per_variant in results.items():
        cells = "  ".join(
            group.format(*(f"{per_variant[v][m]:.3f}" for m in ("MRR@10", "R@10", "R@100")))
            for v, _ in variants
        )
        print(f"{row:<{name_width}}{cells}")


def print_examples(datasets: list[Dataset], ranks: dict, configs: list[Config], count: int) -> None:
    """Questions the best hansearch row ranks worst where bigram ranks them better."""
    hansearch_rows = [r for r in ranks if r.startswith("hansearch chars")]
    if "bigram" not in ranks or not hansearch_rows:
        print("\n(--examples needs the bigram and hansearch configs)")
        return
    best = max(
        hansearch_rows,
        key=lambda r: sum(metrics(ranks[r][ds.name])["MRR@10"] for ds in datasets),
    )
    by_name = {c.name: c for c in configs}
    hs, bg = by_name["hansearch"], by_name["bigram"]
    print(f"\nQuestions '{best}' ranks worse than 'bigram' (rank None = not in the top 100):")
    for ds in datasets:
        h_ranks, b_ranks = ranks[best][ds.name], ranks["bigram"][ds.name]
        pairs = enumerate(zip(h_ranks, b_ranks, strict=True))
        order = [(h or 1000, b or 1000, i) for i, (h, b) in pairs]
        worse = sorted((o for o in order if o[0] > o[1]), key=lambda o: (-o[0], o[1]))
        better = sum(1 for h, b, _ in order if h < b)
        print(
            f"\n{ds.name}: hansearch worse on {len(worse)}, better on {better}, "
            f"of {len(ds.questions)}"
        )
        for _, _, i in worse[:count]:
            question, relevant = ds.questions[i]
            title, body = ds.docs[min(relevant)]
            print(f"  Q: {question}   [hansearch rank {h_ranks[i]}, bigram rank {b_ranks[i]}]")
            print(f"     paragraph: {title} | {body[:70]}...")
            for label, view in (("words", hs.views[0]), ("chars", hs.views[1])):
                print(f"     hansearch {label}: {' '.join(query_terms(view.analyzer, question))}")
            print(f"     bigram: {' '.join(query_terms(bg.views[0].analyzer, question))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="use the first N questions of each set")
    parser.add_argument(
        "--configs",
        default="standard,bigram,hansearch-words,hansearch-chars,hansearch",
        help="comma-separated: standard, bigram, hansearch-words, hansearch-chars, hansearch",
    )
    parser.add_argument(
        "--char-weights",
        default=",".join(f"{w:g}" for w in DEFAULT_CHAR_WEIGHTS),
        help="query boosts of the char-view fields in the 'hansearch' config",
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--examples", type=int, default=0, help="show N hansearch misses")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared data dir")
    parser.add_argument("--output", type=Path, default=RESULTS / "quality.json")
    args = parser.parse_args()

    bench_dir = args.shared / "bench"
    files = {"cmrc": bench_dir / "cmrc2018_trial.json", "drcd": bench_dir / "DRCD_dev.json"}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        sys.exit(
            f"quality.py: shared bench data not found: {', '.join(missing)} "
            f"(expected ../shared next to the repository, or pass --shared DIR)"
        )

    started = time.perf_counter()
    datasets = [
        load_dataset("cmrc", files["cmrc"], "s2t", args.limit),
        load_dataset("drcd", files["drcd"], "t2s", args.limit),
    ]
    char_weights = tuple(float(w) for w in args.char_weights.split(","))
    configs = build_configs([c.strip() for c in args.configs.split(",")], char_weights)
    variants = [(v, len(ds.questions)) for ds in datasets for v in ds.variants]

    with tempfile.TemporaryDirectory(prefix="hansearch-quality-") as tmp:
        all_ranks, timings = run_all(configs, datasets, Path(tmp), args.jobs)
    order = [v for v, _ in variants]
    all_results = {
        row: {v: metrics(per_variant[v]) for v in order} for row, per_variant in all_ranks.items()
    }
    wall = time.perf_counter() - started
    print()
    print_table(all_results, variants)
    print(
        f"\nwall time {wall:.1f}s with {args.jobs} process(es); "
        f"title fields field_boost={TITLE_BOOST:g}; BM25F defaults (B=0.75, K1=1.2)"
    )
    for name, timing in timings.items():
        print(
            f"  {name}: indexing {timing['index_s']:.1f}s, "
            f"querying {timing['query_s']:.1f}s (CPU seconds in workers)"
        )
    if args.examples:
        print_examples(datasets, all_ranks, configs, args.examples)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "questions": {v: n for v, n in variants},
        "documents": {ds.name: len(ds.docs) for ds in datasets},
        "limit": args.limit,
        "title_field_boost": TITLE_BOOST,
        "char_weights": list(char_weights),
        "results": all_results,
        "timings_s": timings,
        "wall_time_s": round(wall, 1),
        "jobs": args.jobs,
    }
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    # Per-question ranks (None = not in the top 100), to diff two runs question by question.
    ranks_path = args.output.with_name(args.output.stem + "_ranks.json")
    ranks_path.write_text(json.dumps(all_ranks, ensure_ascii=False) + "\n")
    print(f"wrote {args.output} and {ranks_path.name}")


if __name__ == "__main__":
    main()
