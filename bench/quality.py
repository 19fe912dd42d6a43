"""Ranking quality of hansearch, alone and among 50,000 real news articles.

Question sets (``--sets``, default all four):

- ``cmrc``: CMRC 2018 trial (simplified Chinese reading comprehension). Every paragraph is a
  document (title = article title, body = paragraph, lang zh-Hans); a question's answer is
  the paragraph it was asked on. Also asked in traditional script (``cmrc-s2t``).
- ``drcd``: DRCD dev (traditional Chinese), the same way (lang zh-Hant); also asked in
  simplified script (``drcd-t2s``).
- ``zh-news``: known items. 1,000 Chinese articles of ``zh-waimei`` and ``zh-oped2``;
  question = the article's headline, answer = the article, indexed with its body only
  (title empty), so the headline's words must be found in the body.
- ``ko-news``: the same with 1,000 Korean articles of ``ko-jsonl`` and ``ko-naver``.

Known items (bench/known_items.py) are read with the product's own reader and cleaning, as
``hansearch rebuild`` reads them, and chosen with a fixed seed: headline of at least 8
characters and found once in the corpus, body of at least 200 characters, no photo item.

Every set is searched in two collections:

- ``alone``: its own documents only (all four script variants are asked here);
- ``+50k``: among 50,000 other news articles of its language (``--distractors``), chosen
  with the same seed, keeping their titles, never a near copy of a target (same title, or
  same first 100 body characters). To save building, one index serves each language:
  the Chinese one holds the cmrc and drcd paragraphs, the zh-news targets and 50,000
  Chinese distractors; the Korean one the ko-news targets and 50,000 Korean distractors.
  Both hold the documents of every set of their language whatever ``--sets`` asks, so
  their numbers do not depend on it. Only the native variant of each set is asked here.

Configurations (``--configs``, default ``bigram,search``):

- ``search``: the product's own path: the product schema (``search.schema``), documents
  as a rebuild writes them (with near-duplicate signatures and clusters when the checkout
  has them), queries through ``SearchService`` with a page of 100 (its maximum), the time
  budget and answer cache off so numbers do not depend on machine load. A hit is relevant
  when its id, or the id of a near-duplicate folded under it (``hit.similar``), is.
- ``xapian``: the same with the Xapian engine (``index.engine = "xapian"``): the same
  fields laid out by ``search.xapian_documents.build_document``, one database per build
  process compacted into the generation (as a rebuild merges its workers' parts) with the
  user dictionaries in its metadata, ranked through ``SearchService`` the same way.
- ``bigram``: a Lucene-CJKAnalyzer-like character bigram analyzer written here; any-word
  query (``Or`` of ``Term`` s), Whoosh BM25F, title field_boost 2.0.
- ``bigram-folded``: the same on text converted to simplified characters (hansearch's
  converter): what the baseline would score if it folded scripts as hansearch does.
- research baselines, the same any-word BM25F way: ``standard`` (Whoosh StandardAnalyzer),
  ``hansearch-words`` / ``hansearch-chars`` (one hansearch view), ``hansearch`` (both
  views, one row per ``--char-weights`` boost of the char view).

Metrics: MRR@10, Recall@10 and Recall@100 of the first relevant document.

Indexes are cached under /tmp/hs-quality-cache/<key>/, the key hashing the documents
indexed (so the selection, seed and sizes), the configuration, and the sources that decide
what is indexed (search/analysis/** less the word lists queries alone read: function words
and headline Hanja; dicts/*.txt, and for ``search`` and ``xapian`` search/schema.py,
search/document.py, search/duplicates.py, for ``xapian`` also search/xapian_*.py,
search/engine.py and the Xapian version); a rerun reuses them. The known-item selections
are cached there too. Builds run in ``--jobs`` forked processes (an index of 4,000 or more
documents in one segment per process) and print a line per 5,000 documents or 30 s.

Run from anywhere (the corpus unpacked: sh ../shared/corpus/unpack.sh /tmp/corpus):

    python bench/quality.py                            # everything, alone and +50k
    python bench/quality.py --distractors 0            # alone only
    python bench/quality.py --sets cmrc,drcd --limit 100
    python bench/quality.py --repo /tmp/hs-head --output /tmp/quality-before.json
    python bench/quality.py --sets cmrc --distractors 0 \\
        --configs standard,bigram,hansearch-words,hansearch-chars,hansearch,search
    python bench/quality.py --examples 5               # search-path misses bigram finds

``--repo DIR`` imports ``search`` and ``indexer`` (and reads dicts/) from another checkout,
so the same script measures an older commit. Prints one table and writes
bench/results/quality.json and quality_ranks.json (per-question ranks, None = not in the
top 100, to diff two runs question by question).
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import whoosh
from whoosh import index
from whoosh.analysis import Analyzer, StandardAnalyzer, StopFilter, Token, Tokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import Or, Term
from whoosh.writing import SegmentWriter

if TYPE_CHECKING:
    from search.document import Document

BENCH = Path(__file__).resolve().parent
DEFAULT_REPO = BENCH.parent
DEFAULT_SHARED = DEFAULT_REPO.parent / "shared"
DEFAULT_CORPUS = Path("/tmp/corpus")
CACHE = Path("/tmp/hs-quality-cache")
RESULTS = BENCH / "results"
ALL_SETS = ("cmrc", "drcd", "zh-news", "ko-news")
FAMILY = {"cmrc": "zh", "drcd": "zh", "zh-news": "zh", "ko-news": "ko"}  # distractor language
TITLE_BOOST = 2.0
DEFAULT_CHAR_WEIGHTS = (0.25, 0.5, 1.0)
CUTOFFS = (10, 100)
SEED = 1
KNOWN_ITEMS = 1000
DISTRACTORS = 50_000
ALONE = "alone"
SHARD_MIN_DOCS = 4000  # an index this big is written in one segment per process
QUESTION_CHUNK = 200
WRITER_LIMIT_MB = 256
PROGRESS_DOCS = 5000
PROGRESS_SECONDS = 30.0
SEARCH_ROW = "hansearch search path"
XAPIAN_ROW = "hansearch search path, xapian"


# --- Baseline: character bigrams like Lucene's CJKAnalyzer (independent of hansearch) ---

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


class FoldedBigramTokenizer(CJKBigramTokenizer):
    """The same bigrams of text converted to simplified characters first (with the
    converter hansearch uses): the baseline as it would be if it folded scripts."""

    def __call__(self, value: str, *args, **kwargs) -> Iterator[Token]:
        from search.analysis.normalizers.chinese import to_simplified

        return super().__call__(to_simplified(value), *args, **kwargs)


def bigram_analyzer() -> Analyzer:
    return CJKBigramTokenizer() | StopFilter(minsize=1)


def folded_bigram_analyzer() -> Analyzer:
    return FoldedBigramTokenizer() | StopFilter(minsize=1)


# Read as the module loads: the file may be edited while a run is going.
BIGRAM_SOURCE = inspect.getsource(CJKBigramTokenizer) + inspect.getsource(bigram_analyzer)
FOLDED_SOURCE = (
    BIGRAM_SOURCE
    + inspect.getsource(FoldedBigramTokenizer)
    + inspect.getsource(folded_bigram_analyzer)
)


# --- Question sets and the collections they are searched in ---


@dataclass
class QuestionSet:
    name: str
    docs: list[Document]  # the documents its questions are asked on
    relevant: list[frozenset[str]]  # per question: the ids that answer it
    variants: dict[str, list[str]]  # variant -> question texts; the first is the native one
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def native(self) -> str:
        return next(iter(self.variants))

    @property
    def family(self) -> str:
        return FAMILY[self.name]


@dataclass
class Collection:
    """The documents of one index, and the (set, variant) question lists asked in it."""

    name: str
    scope: str  # ALONE or "+50k"
    docs: list[Document]
    asked: list[tuple[str, str]]


def load_reading_set(
    name: str, path: Path, lang: str, convert: str, limit: int | None
) -> QuestionSet:
    """Paragraph documents and their questions, also converted to the other script."""
    import opencc

    from search.document import Document

    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    docs: list[Document] = []
    by_context: dict[str, set[str]] = {}
    asked: list[tuple[str, str]] = []
    for article in data:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            doc_id = f"{name}:{len(docs)}"
            by_context.setdefault(context, set()).add(doc_id)
            docs.append(
                Document(id=doc_id, title=article.get("title", ""), body=context, lang=lang)
            )
            asked.extend((qa["question"], context) for qa in paragraph["qas"])
    asked = asked[:limit]
    texts = [question for question, _ in asked]
    converter = opencc.OpenCC(convert)
    return QuestionSet(
        name=name,
        docs=docs,
        relevant=[frozenset(by_context[context]) for _, context in asked],
        variants={name: texts, f"{name}-{convert}": [converter.convert(q) for q in texts]},
        stats={"documents": len(docs), "questions": len(asked)},
    )


def load_known_item_set(name: str, items, limit: int | None) -> QuestionSet:
    """Headlines as questions, their articles (title emptied) as answers."""
    headlines = items.headlines[:limit]
    return QuestionSet(
        name=name,
        docs=items.targets,
        relevant=[frozenset({doc.id}) for doc in items.targets[: len(headlines)]],
        variants={name: headlines},
        stats={**items.stats, "questions": len(headlines)},
    )


def sets_to_load(asked: list[str], distractors: int) -> list[str]:
    """The sets asked and, with distractors, every set of their languages: a language's
    +distractors index holds all of them whatever is asked."""
    families = {FAMILY[name] for name in asked}
    return [n for n in ALL_SETS if n in asked or (distractors and FAMILY[n] in families)]


def load_sets(args: argparse.Namespace, names: list[str]) -> tuple[list[QuestionSet], dict]:
    """The sets ``names`` (see ``sets_to_load``), and the known items of those of them that
    are known-item sets, by name."""
    import known_items

    bench_dir = args.shared / "bench"
    readers = {
        "cmrc": (bench_dir / "cmrc2018_trial.json", "zh-Hans", "s2t"),
        "drcd": (bench_dir / "DRCD_dev.json", "zh-Hant", "t2s"),
    }
    missing = [str(p) for p, _, _ in readers.values() if not p.is_file()]
    if missing:
        sys.exit(f"quality.py: shared bench data not found: {', '.join(missing)} (pass --shared)")
    wanted_items = [n for n in names if n in known_items.LANGUAGES]
    items = {
        n: known_items.load_known_items(
            known_items.LANGUAGES[n],
            corpus_root(args.corpus),
            KNOWN_ITEMS,
            args.distractors,
            SEED,
            CACHE,
            reader_sources(args.repo),
            args.jobs,
        )
        for n in wanted_items
    }
    sets = [
        load_reading_set(name, *readers[name], args.limit)
        if name in readers
        else load_known_item_set(name, items[name], args.limit)
        for name in names
    ]
    return sets, items


def corpus_root(path: Path) -> Path:
    if not path.is_dir():
        unpack = DEFAULT_SHARED / "corpus" / "unpack.sh"
        sys.exit(f"quality.py: no corpus at {path}: run 'sh {unpack} {path}' (or --corpus DIR)")
    return path


def plan_collections(
    sets: list[QuestionSet], asked_sets: list[str], items: dict, distractors: int
) -> list[Collection]:
    """One collection per asked set alone, and one per language with the distractors."""
    collections = [
        Collection(qs.name, ALONE, qs.docs, [(qs.name, v) for v in qs.variants])
        for qs in sets
        if qs.name in asked_sets
    ]
    if not distractors:
        return collections
    scope = f"+{distractors // 1000}k" if distractors % 1000 == 0 else f"+{distractors}"
    for family in ("zh", "ko"):
        members = [qs for qs in sets if qs.family == family]
        asked = [(qs.name, qs.native) for qs in members if qs.name in asked_sets]
        if not asked:
            continue
        pool = [doc for qs in members for doc in qs.docs]
        pool += items[f"{family}-news"].distractors
        collections.append(Collection(f"{family}{scope}", scope, pool, asked))
    return collections


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
    code: str = ""  # what decides its index besides the documents (hashed into the key)
    engine: str = "whoosh"  # what writes and searches its index: "xapian" only for the product

    @property
    def is_product(self) -> bool:
        """Built as a rebuild writes a generation and ranked through SearchService."""
        return self.name in ("search", "xapian")


# What decides a product index besides the analysis: how documents become fields.
PRODUCT_SOURCES = ["search/schema.py", "search/document.py", "search/duplicates.py"]
# And for the Xapian engine: how fields become a Xapian document (its layout; how it is
# searched is code, not index).
XAPIAN_SOURCES = ["search/xapian_documents.py"]


def build_configs(names: list[str], char_weights: tuple[float, ...], repo: Path) -> list[Config]:
    from search.analysis import char_analyzer, word_analyzer

    dictionaries = user_dictionaries(repo)
    analysis = source_digest(repo, ["search/analysis/**/*.py", "dicts/*.txt"])
    bigram_code = hash_text(BIGRAM_SOURCE)
    words = (("title", "title"), ("body", "body"))
    chars = (("title_chars", "title"), ("body_chars", "body"))
    makers: dict[str, Callable[[], Config]] = {
        "standard": lambda: Config(
            "standard", [View(StandardAnalyzer(), words)], {"standard": (1.0,)}, "whoosh"
        ),
        "bigram": lambda: Config(
            "bigram", [View(bigram_analyzer(), words)], {"bigram": (1.0,)}, bigram_code
        ),
        "bigram-folded": lambda: Config(
            "bigram-folded",
            [View(folded_bigram_analyzer(), words)],
            {"bigram, scripts folded": (1.0,)},
            hash_text(FOLDED_SOURCE) + analysis,
        ),
        "hansearch-words": lambda: Config(
            "hansearch-words",
            [View(word_analyzer(dictionaries), words)],
            {"hansearch-words": (1.0,)},
            analysis,
        ),
        "hansearch-chars": lambda: Config(
            "hansearch-chars",
            [View(char_analyzer(), words)],
            {"hansearch-chars": (1.0,)},
            analysis,
        ),
        "hansearch": lambda: Config(
            "hansearch",
            [View(word_analyzer(dictionaries), words), View(char_analyzer(), chars)],
            {f"hansearch chars x{w:g}": (1.0, w) for w in char_weights},
            analysis,
        ),
        # The product's own path: its schema, its query language, SearchService ranking.
        "search": lambda: Config(
            "search",
            [View(word_analyzer(dictionaries), words), View(char_analyzer(), chars)],
            {SEARCH_ROW: ()},
            analysis + source_digest(repo, PRODUCT_SOURCES),
        ),
        # The same documents and questions with the Xapian engine behind SearchService.
        "xapian": lambda: Config(
            "xapian",
            [View(word_analyzer(dictionaries), words), View(char_analyzer(), chars)],
            {XAPIAN_ROW: ()},
            analysis + source_digest(repo, PRODUCT_SOURCES + XAPIAN_SOURCES) + xapian_version(repo),
            engine="xapian",
        ),
    }
    unknown = [n for n in names if n not in makers]
    if unknown:
        sys.exit(f"unknown config(s) {unknown}; choose from {list(makers)}")
    return [makers[n]() for n in names]


def xapian_version(repo: Path) -> str:
    """The Xapian library's version (its database format and compaction), or an exit with
    the reason when this checkout or this Python cannot build a Xapian index."""
    if not (repo / "search" / "xapian_documents.py").is_file():
        sys.exit(f"quality.py: {repo} has no Xapian engine (search/xapian_documents.py)")
    try:
        import xapian
    except ImportError:
        sys.exit("quality.py: the xapian config needs Xapian: pip install 'hansearch[xapian]'")
    return xapian.version_string()


def user_dictionaries(repo: Path):
    from search.analysis import UserDictionaries, load_user_dictionaries

    zh, ko = repo / "dicts" / "zh_user.txt", repo / "dicts" / "ko_user.txt"
    if not zh.exists() and not ko.exists():
        return UserDictionaries()
    return load_user_dictionaries(zh if zh.exists() else None, ko if ko.exists() else None)


# --- Cache keys ---


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# Sources under search/analysis that only queries read: changing them changes no index.
QUERY_ONLY = frozenset({"search/analysis/function_words.py", "search/analysis/headline_hanja.py"})


def source_digest(repo: Path, patterns: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(repo.glob(pattern)):
            name = path.relative_to(repo).as_posix()
            if name not in QUERY_ONLY:
                digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def reader_sources(repo: Path) -> list[Path]:
    """What decides how the corpus is read: the reader, the document model, the settings
    and language detection."""
    patterns = ["indexer/**/*.py", "search/document.py", "search/config.py"]
    patterns.append("search/analysis/**/*.py")
    found = {path for pattern in patterns for path in repo.glob(pattern)}
    return sorted(p for p in found if p.relative_to(repo).as_posix() not in QUERY_ONLY)


def documents_digest(docs: list[Document]) -> str:
    digest = hashlib.sha256()
    for doc in docs:
        published = doc.published.isoformat() if doc.published else ""
        record = (doc.id, doc.title, doc.body, doc.lang, doc.url, doc.source, doc.author)
        digest.update(repr((*record, published, doc.published_form, doc.tags, doc.path)).encode())
    return digest.hexdigest()[:16]


def index_key(config: Config, collection: Collection) -> str:
    layout = [(type(v.analyzer).__name__, v.fields) for v in config.views]
    parts = (
        config.name,
        layout,
        config.code,
        whoosh.versionstring(),
        documents_digest(collection.docs),
    )
    return f"{config.name}-{collection.name}-{hash_text(repr(parts))}"


# --- Building indexes (cached) ---


@dataclass
class IndexJob:
    config: str
    collection: str
    directory: Path  # the finished index, in the cache
    docs: int
    shards: int = 1
    cached: bool = False
    build_s: float = 0.0  # CPU seconds of the processes that wrote it (when it was built)
    wall_s: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.config}/{self.collection}"

    @property
    def partial(self) -> Path:
        """Where this process builds it: two runs may build the same index at once."""
        return self.directory.with_name(f"{self.directory.name}.partial-{os.getpid()}")

    @property
    def built(self) -> Path:
        """Written last: the index is complete (maybe by another run since this one began)."""
        return self.directory / "built.json"


# Set in the parent before the worker processes fork; tasks refer to them by name.
_CONFIGS: dict[str, Config] = {}
_COLLECTIONS: dict[str, Collection] = {}
_SETS: dict[str, QuestionSet] = {}
_JOBS: dict[str, IndexJob] = {}
_FIELDS: dict[str, list[dict]] = {}  # job name -> the field values of each document
_WRITE_DIRS: dict[str, Path] = {}  # job name -> the index folder the shards write (or merge into)
_DICTIONARIES: dict[str, object] = {}  # job name -> the user dictionaries of a Xapian index


def plan_index(config: Config, collection: Collection, jobs: int) -> IndexJob:
    job = IndexJob(
        config.name, collection.name, CACHE / index_key(config, collection), len(collection.docs)
    )
    if job.built.exists():
        job.cached = True
        job.build_s = json.loads(job.built.read_text())["build_s"]
    else:
        job.shards = jobs if job.docs >= SHARD_MIN_DOCS else 1
    return job


def prepare_index(job: IndexJob, config: Config, collection: Collection, repo: Path) -> None:
    """An empty index in ``job.partial`` and the field values to write into it."""
    remove_abandoned_builds(job)
    job.partial.mkdir(parents=True)
    if config.is_product:
        from search.schema import build_schema
        from search.store import IndexStore

        generation = IndexStore(job.partial).new_generation()
        if config.engine == "xapian":
            from indexer.writers import create

            create(generation, "xapian", user_dictionaries(repo))
            _DICTIONARIES[job.name] = user_dictionaries(repo)
        else:
            index.create_in(str(generation), build_schema(user_dictionaries(repo)))
        _WRITE_DIRS[job.name] = generation
        _FIELDS[job.name] = product_fields(collection.docs, job.name)
        return
    index.create_in(str(job.partial), baseline_schema(config))
    _WRITE_DIRS[job.name] = job.partial
    _FIELDS[job.name] = [baseline_fields(config, doc) for doc in collection.docs]


def remove_abandoned_builds(job: IndexJob) -> None:
    """Partial builds of this index by processes that are gone (killed runs)."""
    for partial in job.directory.parent.glob(f"{job.directory.name}.partial-*"):
        pid = partial.name.rpartition("-")[2]
        if not pid.isdigit() or not Path(f"/proc/{pid}").exists() or int(pid) == os.getpid():
            shutil.rmtree(partial, ignore_errors=True)


def baseline_schema(config: Config) -> Schema:
    schema = Schema(id=ID(stored=True))
    for view in config.views:
        for name, part in view.fields:
            boost = TITLE_BOOST if part == "title" else 1.0
            schema.add(name, TEXT(analyzer=view.analyzer, field_boost=boost))
    return schema


def baseline_fields(config: Config, doc: Document) -> dict:
    parts = {"title": doc.title, "body": doc.body}
    fields = {name: parts[part] for view in config.views for name, part in view.fields}
    return {"id": doc.id, **fields}


def product_fields(docs: list[Document], label: str) -> list[dict]:
    """What ``hansearch rebuild`` writes for ``docs``: ``document_fields``, with each
    article's near-duplicate signature and cluster (assigned in document order) when this
    checkout has them."""
    from search.schema import document_fields

    if "signature" not in inspect.signature(document_fields).parameters:
        return [document_fields(doc) for doc in docs]
    from search.duplicates import Clusterer, signature

    clusterer = Clusterer()
    fields = []
    started = last = time.perf_counter()
    for number, doc in enumerate(docs, 1):
        sig = signature(doc.title, doc.body, doc.published)
        fields.append(document_fields(doc, sig, clusterer.assign(sig)))
        if number % PROGRESS_DOCS == 0 or time.perf_counter() - last >= PROGRESS_SECONDS:
            last = time.perf_counter()
            print(f"[{label}] near-duplicate signatures: {number:,}/{len(docs):,}", flush=True)
    print(f"[{label}] signatures and clusters in {time.perf_counter() - started:.0f} s", flush=True)
    return fields


class WhooshPart:
    """One shard of a Whoosh index: a segment of its own (as a rebuild's workers write
    them), which ``finish_index`` commits with the others. Written here rather than with
    ``indexer.writers.PartWriter``: ``--repo`` checkouts older than that module are
    measured too (the Xapian config, newer, uses it)."""

    def __init__(self, job_name: str, shard: int) -> None:
        ix = index.open_dir(str(_WRITE_DIRS[job_name]))
        self._writer = SegmentWriter(ix, _lk=False, limitmb=WRITER_LIMIT_MB)

    def add(self, values: dict) -> None:
        self._writer.add_document(**values)

    def finish(self) -> object:
        """The segment; None when the shard was empty."""
        if self._writer.docnum:
            return self._writer._finalize_segment()
        self._writer.cancel()
        return None


def write_shard(job_name: str, shard: int) -> tuple[str, object, float, float]:
    """Writes one contiguous share of a job's documents as one part (a segment, or a Xapian
    database, as a rebuild's workers do); returns the part for the parent to commit, the CPU
    seconds it took and when it started (epoch seconds)."""
    began, started, cpu = time.time(), time.perf_counter(), time.process_time()
    job, fields = _JOBS[job_name], _FIELDS[job_name]
    if job.built.exists():  # another run built it meanwhile
        return job_name, None, 0.0, began
    part = fields[len(fields) * shard // job.shards : len(fields) * (shard + 1) // job.shards]
    if _CONFIGS[job.config].engine == "xapian":
        from indexer.writers import PartWriter  # as a rebuild's workers write their parts

        writer = PartWriter(_WRITE_DIRS[job_name], shard, _DICTIONARIES[job_name])
        finishing = "committing the database"
    else:
        writer, finishing = WhooshPart(job_name, shard), "sorting and writing the segment"
    label = f"[build {job_name} {shard + 1}/{job.shards}]"
    last = started
    for number, values in enumerate(part, 1):
        writer.add(values)
        now = time.perf_counter()
        if number % PROGRESS_DOCS == 0 or now - last >= PROGRESS_SECONDS:
            last = now
            print(f"{label} {number:,}/{len(part):,} documents, {now - started:.0f} s", flush=True)
    with heartbeat(f"{label} {finishing}"):
        segment = writer.finish()
    print(
        f"{label} written: {len(part):,} documents in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return job_name, segment, time.process_time() - cpu, began


@contextmanager
def heartbeat(label: str) -> Iterator[None]:
    """A line every PROGRESS_SECONDS while the block runs, so a long step is never silent."""
    stop = threading.Event()
    started = time.perf_counter()

    def tick() -> None:
        while not stop.wait(PROGRESS_SECONDS):
            print(f"{label}: {time.perf_counter() - started:.0f} s", flush=True)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def finish_index(job: IndexJob, parts: list, config: Config) -> None:
    """Commits the shards' parts, switches the generation in, moves it into the cache;
    or, when another run put the index there meanwhile, drops this build and uses that."""
    if job.built.exists():
        shutil.rmtree(job.partial, ignore_errors=True)
        job.cached = True
        job.build_s = json.loads(job.built.read_text())["build_s"]
        return
    directory = _WRITE_DIRS[job.name]
    written = [p for p in parts if p is not None]
    if config.engine == "xapian":
        from indexer.writers import commit, document_count

        with heartbeat(f"[build {job.name}] merging {len(written)} database(s)"):
            commit(directory, written, _DICTIONARIES[job.name])  # as a rebuild does
        found = document_count(directory)
    else:
        found = commit_whoosh_segments(directory, written)
    if found != job.docs:
        raise RuntimeError(f"{job.name}: index holds {found} documents, expected {job.docs}")
    if config.is_product:
        from search.store import IndexStore

        IndexStore(job.partial).switch_to(directory)
    shutil.rmtree(job.directory, ignore_errors=True)  # an incomplete one
    job.partial.rename(job.directory)
    built = {"build_s": round(job.build_s, 1), "docs": job.docs, "config": job.config}
    job.built.write_text(json.dumps({**built, "collection": job.collection}))


def commit_whoosh_segments(directory: Path, segments: list) -> int:
    """Makes the shards' segments the index, as a rebuild commits its workers' segments;
    returns the documents it holds."""
    writer = index.open_dir(str(directory)).writer()
    try:
        existing = writer._merge_segments(None, False, False)
        writer._close_segment()
        writer._commit_toc(existing + segments)
    finally:
        writer._finish()
    return index.open_dir(str(directory)).doc_count()


# --- Searching ---


def first_relevant_rank(hits: list[set[str]], relevant: frozenset[str]) -> int | None:
    """Rank of the first hit whose ids (its own and its folded near-duplicates') answer."""
    for rank, ids in enumerate(hits, 1):
        if ids & relevant:
            return rank
    return None


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    out = {"MRR@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n}
    for k in CUTOFFS:
        out[f"R@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n
    return out


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


@dataclass(frozen=True)
class QueryTask:
    config: str
    row: str
    collection: str
    question_set: str
    variant: str
    start: int
    end: int

    @property
    def column(self) -> str:
        return column_name(self.variant, _COLLECTIONS[self.collection].scope)


def column_name(variant: str, scope: str) -> str:
    return f"{variant} {scope}"


def run_queries(task: QueryTask) -> tuple[QueryTask, list[int | None], float]:
    cpu = time.process_time()
    qs = _SETS[task.question_set]
    texts = qs.variants[task.variant][task.start : task.end]
    relevant = qs.relevant[task.start : task.end]
    directory = _JOBS[f"{task.config}/{task.collection}"].directory
    config = _CONFIGS[task.config]
    if config.is_product:
        ranks = product_ranks(directory, texts, relevant)
    else:
        ranks = baseline_ranks(directory, config, config.rows[task.row], texts, relevant)
    return task, ranks, time.process_time() - cpu


def product_ranks(directory: Path, texts: list[str], relevant) -> list[int | None]:
    """Ranks through SearchService, as the API searches; a refused query ranks nothing."""
    from search.config import IndexSettings, ServerSettings, Settings
    from search.models import MAX_PAGE_SIZE, SearchError, SearchRequest
    from search.searcher import SearchService

    settings = Settings(
        index=IndexSettings(path=directory),
        server=ServerSettings(search_budget_ms=0, cache_mb=0),
    )
    service = SearchService(settings)
    ranks = []
    for text, answer in zip(texts, relevant, strict=True):
        try:
            response = service.search(SearchRequest(q=text, size=MAX_PAGE_SIZE, highlight=False))
        except SearchError:
            ranks.append(None)
            continue
        hits = [{hit.id, *(s.id for s in getattr(hit, "similar", []))} for hit in response.results]
        ranks.append(first_relevant_rank(hits, answer))
    return ranks


def baseline_ranks(
    directory: Path, config: Config, boosts: tuple[float, ...], texts: list[str], relevant
) -> list[int | None]:
    ix = index.open_dir(str(directory))
    ranks = []
    with ix.searcher() as searcher:  # default weighting: BM25F
        for text, answer in zip(texts, relevant, strict=True):
            hits = searcher.search(make_query(config, boosts, text), limit=max(CUTOFFS))
            ranks.append(first_relevant_rank([{hit["id"]} for hit in hits], answer))
    ix.close()
    return ranks


def plan_queries(configs: list[Config], collections: list[Collection]) -> list[QueryTask]:
    tasks = []
    for config in configs:
        for collection in collections:
            for set_name, variant in collection.asked:
                count = len(_SETS[set_name].variants[variant])
                for row in config.rows:
                    for start in range(0, count, QUESTION_CHUNK):
                        end = min(start + QUESTION_CHUNK, count)
                        tasks.append(
                            QueryTask(
                                config.name, row, collection.name, set_name, variant, start, end
                            )
                        )
    # Biggest collections first, so the last task to finish is a short one.
    return sorted(tasks, key=lambda t: -len(_COLLECTIONS[t.collection].docs))


# --- Running ---


@dataclass
class Run:
    ranks: dict[str, dict[str, list[int | None]]]  # row -> column -> ranks
    query_s: dict[str, float]  # config -> CPU seconds querying


def run_all(
    configs: list[Config],
    collections: list[Collection],
    sets: list[QuestionSet],
    jobs: int,
    repo: Path,
) -> tuple[list[IndexJob], Run]:
    """Builds the indexes the cache lacks, then asks every question; in ``jobs`` processes
    forked before any analyzer runs here (a Kiwi model loaded before a fork hangs)."""
    _CONFIGS.update({c.name: c for c in configs})
    _COLLECTIONS.update({c.name: c for c in collections})
    _SETS.update({s.name: s for s in sets})
    by_name = {(c.name, k.name): (c, k) for c in configs for k in collections}
    index_jobs = [plan_index(c, k, jobs) for c, k in by_name.values()]
    _JOBS.update({job.name: job for job in index_jobs})
    to_build = [job for job in index_jobs if not job.cached]
    for job in to_build:
        prepare_index(job, *by_name[(job.config, job.collection)], repo)
    query_tasks = plan_queries(configs, collections)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        build_indexes(pool, to_build)
        run = ask_questions(pool, query_tasks, configs)
    return index_jobs, run


def build_indexes(pool: ProcessPoolExecutor, to_build: list[IndexJob]) -> None:
    if not to_build:
        return
    print(f"building {len(to_build)} index(es): {', '.join(j.name for j in to_build)}", flush=True)
    shards = sorted(
        ((job, shard) for job in to_build for shard in range(job.shards)),
        key=lambda item: -item[0].docs * len(_CONFIGS[item[0].config].views) / item[0].shards,
    )
    began: dict[str, list[float]] = {job.name: [] for job in to_build}
    segments: dict[str, list] = {job.name: [] for job in to_build}
    futures = [pool.submit(write_shard, job.name, shard) for job, shard in shards]
    for future in as_completed(futures):
        name, segment, seconds, shard_began = future.result()
        job = _JOBS[name]
        segments[name].append(segment)
        began[name].append(shard_began)
        job.build_s += seconds
        if len(segments[name]) == job.shards:
            finish_index(job, segments[name], _CONFIGS[job.config])
            job.wall_s = time.time() - min(began[name])
            print(
                f"[build {name}] done: {job.docs:,} documents, {job.build_s:.0f} CPU s", flush=True
            )


def ask_questions(pool: ProcessPoolExecutor, tasks: list[QueryTask], configs: list[Config]) -> Run:
    chunks: dict[tuple[str, str], dict[int, list[int | None]]] = {}
    query_s = {c.name: 0.0 for c in configs}
    started = last = time.perf_counter()
    futures = [pool.submit(run_queries, task) for task in tasks]
    for done, future in enumerate(as_completed(futures), 1):
        task, ranks, seconds = future.result()
        chunks.setdefault((task.row, task.column), {})[task.start] = ranks
        query_s[task.config] += seconds
        now = time.perf_counter()
        if now - last >= PROGRESS_SECONDS or done == len(futures):
            last = now
            print(
                f"[queries] {done}/{len(futures)} chunks of up to {QUESTION_CHUNK} questions,"
                f" {now - started:.0f} s",
                flush=True,
            )
    ranks: dict[str, dict[str, list[int | None]]] = {}
    for (row, column), by_start in chunks.items():
        ranks.setdefault(row, {})[column] = [r for s in sorted(by_start) for r in by_start[s]]
    return Run(ranks, query_s)


# --- Report ---


def table_columns(collections: list[Collection]) -> list[tuple[str, int]]:
    """(column, questions): set by set, its native questions alone then with distractors,
    then its other-script variant."""
    asked = [
        (set_name, variant, collection.scope)
        for collection in collections
        for set_name, variant in collection.asked
    ]

    def place(item: tuple[str, str, str]) -> tuple[int, bool, bool]:
        set_name, variant, scope = item
        return ALL_SETS.index(set_name), variant != _SETS[set_name].native, scope != ALONE

    return [
        (column_name(variant, scope), len(_SETS[set_name].variants[variant]))
        for set_name, variant, scope in sorted(asked, key=place)
    ]


def print_table(results: dict, columns: list[tuple[str, int]]) -> None:
    """Rows = configurations; a cell = MRR@10 R@10 R@100."""
    name_width = max(len(r) for r in results) + 2
    cell = 19
    print(" " * name_width + "".join(f"{column:>{cell}}" for column, _ in columns))
    print(" " * name_width + "".join(f"{f'n={n}':>{cell}}" for _, n in columns))
    print(f"{'config':<{name_width}}" + f"{'MRR  R@10 R@100':>{cell}}" * len(columns))
    print("-" * (name_width + cell * len(columns)))
    for row, per_column in results.items():
        cells = []
        for column, _ in columns:
            m = per_column.get(column)
            text = (
                "-" if m is None else " ".join(f"{m[k]:.3f}" for k in ("MRR@10", "R@10", "R@100"))
            )
            cells.append(f"{text:>{cell}}")
        print(f"{row:<{name_width}}" + "".join(cells))


def print_indexes(index_jobs: list[IndexJob]) -> None:
    print(f"\nindexes (under {CACHE}):")
    for job in sorted(index_jobs, key=lambda j: (j.collection, j.config)):
        how = (
            f"cached (built in {job.build_s:.0f} CPU s)"
            if job.cached
            else (
                f"built: {job.build_s:.0f} CPU s, {job.wall_s:.0f} s wall, {job.shards} segment(s)"
            )
        )
        print(f"  {job.name:<24} {job.docs:>7,} docs  {how}  {job.directory.name}")


def print_examples(
    sets: list[QuestionSet],
    ranks: dict,
    configs: list[Config],
    columns: list[tuple[str, int]],
    count: int,
) -> None:
    """Questions the search path (or the best hansearch row) ranks worse than bigram."""
    by_name = {c.name: c for c in configs}
    config = by_name.get("search") or by_name.get("hansearch")
    if "bigram" not in by_name or config is None:
        print("\n(--examples needs the bigram config and the search or hansearch config)")
        return
    row = max(config.rows, key=lambda r: sum(metrics(v)["MRR@10"] for v in ranks[r].values()))
    print(f"\nQuestions '{row}' ranks worse than 'bigram' (rank None = not in the top 100):")
    docs = {doc.id: doc for qs in sets for doc in qs.docs}
    for column, _ in columns:
        variant = column.split(" ")[0]
        qs = next(s for s in sets if variant in s.variants)
        ours, theirs = ranks[row][column], ranks["bigram"][column]
        order = [
            (o or 1000, b or 1000, i) for i, (o, b) in enumerate(zip(ours, theirs, strict=True))
        ]
        worse = sorted((o for o in order if o[0] > o[1]), key=lambda o: (-o[0], o[1]))
        better = sum(1 for o, b, _ in order if o < b)
        print(f"\n{column}: worse on {len(worse)}, better on {better}, of {len(order)}")
        for _, _, i in worse[:count]:
            question = qs.variants[variant][i]
            print(f"  Q: {question}   [{row} rank {ours[i]}, bigram rank {theirs[i]}]")
            answer = docs[min(qs.relevant[i])]
            print(f"     answer: {answer.title} | {' '.join(answer.body.split())[:80]}...")
            print_query_terms(question, config, by_name["bigram"])


def print_query_terms(question: str, config: Config, bigram: Config) -> None:
    for label, view in (("words", config.views[0]), ("chars", config.views[1])):
        print(f"     hansearch {label}: {' '.join(query_terms(view.analyzer, question))}")
    print(f"     bigram: {' '.join(query_terms(bigram.views[0].analyzer, question))}")


def repo_commit(repo: Path) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sets", default=",".join(ALL_SETS), help="comma-separated: " + ", ".join(ALL_SETS)
    )
    parser.add_argument(
        "--distractors",
        type=int,
        default=DISTRACTORS,
        help=f"news articles added per language (default {DISTRACTORS}; 0: alone only)",
    )
    parser.add_argument("--limit", type=int, help="ask the first N questions of each set")
    parser.add_argument(
        "--configs",
        default="bigram,search",
        help="comma-separated: bigram, bigram-folded, search, xapian, standard, hansearch-words,"
        " hansearch-chars, hansearch",
    )
    parser.add_argument(
        "--char-weights",
        default=",".join(f"{w:g}" for w in DEFAULT_CHAR_WEIGHTS),
        help="query boosts of the char-view fields in the 'hansearch' config",
    )
    parser.add_argument(
        "--repo", type=Path, default=DEFAULT_REPO, help="checkout to import search from"
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--examples", type=int, default=0, help="show N search-path misses")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared data dir")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="unpacked corpus dir")
    parser.add_argument("--output", type=Path, default=RESULTS / "quality.json")
    args = parser.parse_args()
    args.repo = args.repo.resolve()
    unknown = [s for s in args.sets.split(",") if s not in ALL_SETS]
    if unknown:
        parser.error(f"unknown set(s) {unknown}; choose from {', '.join(ALL_SETS)}")
    return args


def use_repo(repo: Path) -> None:
    """Import ``search`` and ``indexer`` from ``repo``: first on sys.path, before any import."""
    if "search" in sys.modules or "indexer" in sys.modules:
        raise RuntimeError("search was imported before --repo took effect")
    if not (repo / "search" / "__init__.py").is_file():
        sys.exit(f"quality.py: {repo} is no hansearch checkout (no search/ package)")
    sys.path.insert(0, str(repo))


def main() -> None:
    args = parse_args()
    use_repo(args.repo)
    started = time.perf_counter()
    asked_sets = args.sets.split(",")
    sets, items = load_sets(args, sets_to_load(asked_sets, args.distractors))
    collections = plan_collections(sets, asked_sets, items, args.distractors)
    char_weights = tuple(float(w) for w in args.char_weights.split(","))
    configs = build_configs([c.strip() for c in args.configs.split(",")], char_weights, args.repo)
    index_jobs, run = run_all(configs, collections, sets, args.jobs, args.repo)
    columns = table_columns(collections)
    results = {
        row: {column: metrics(ranks) for column, ranks in per_column.items()}
        for row, per_column in run.ranks.items()
    }
    wall = time.perf_counter() - started
    print(f"\nrepo {args.repo} ({repo_commit(args.repo)[:12] or 'no git'})")
    print(
        "sets: "
        + "; ".join(
            f"{qs.name}: {qs.stats['questions']} questions, {len(qs.docs):,} docs"
            for qs in sets
            if qs.name in asked_sets
        )
    )
    print(
        "collections: "
        + "; ".join(f"{c.name}: {len(c.docs):,} docs" for c in collections)
        + (
            " (one index per language holds every set's documents and the distractors)"
            if args.distractors
            else ""
        )
    )
    print()
    print_table(results, columns)
    print(
        f"\nwall time {wall:.0f} s with {args.jobs} process(es); cells: MRR@10 R@10 R@100; "
        f"baselines BM25F (B=0.75, K1=1.2), title field_boost={TITLE_BOOST:g}"
    )
    for name, seconds in run.query_s.items():
        print(f"  {name}: querying {seconds:.0f} CPU s in workers")
    print_indexes(index_jobs)
    if args.examples:
        print_examples(sets, run.ranks, configs, columns, args.examples)
    write_report(args, sets, collections, index_jobs, run, results, columns, wall)


def write_report(args, sets, collections, index_jobs, run, results, columns, wall) -> None:
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "repo": str(args.repo),
        "commit": repo_commit(args.repo),
        "questions": dict(columns),
        "sets": {qs.name: qs.stats for qs in sets},
        "documents": {c.name: len(c.docs) for c in collections},
        "distractors": args.distractors,
        "seed": SEED,
        "limit": args.limit,
        "title_field_boost": TITLE_BOOST,
        "results": results,
        "indexes": [
            {
                "index": j.name,
                "docs": j.docs,
                "cached": j.cached,
                "build_cpu_s": round(j.build_s, 1),
                "wall_s": round(j.wall_s, 1),
                "key": j.directory.name,
            }
            for j in index_jobs
        ],
        "query_cpu_s": {k: round(v, 1) for k, v in run.query_s.items()},
        "wall_time_s": round(wall, 1),
        "jobs": args.jobs,
    }
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    ranks_path = args.output.with_name(args.output.stem + "_ranks.json")
    ranks_path.write_text(json.dumps(run.ranks, ensure_ascii=False) + "\n")
    print(f"wrote {args.output} and {ranks_path.name}")


if __name__ == "__main__":
    main()
