"""Known-item sets from the real news corpora, read as ``hansearch rebuild`` reads them.

A known-item question is an article's headline; its answer is the article, indexed with its
body only (title empty), so the headline's words must be found in the body. Targets are
chosen at random with a fixed seed among the articles of the language whose headline has at
least ``MIN_TITLE_CHARS`` characters and appears once in the corpus, whose body has at least
``MIN_BODY_CHARS`` characters, and which are no photo caption. Distractors are other articles
of the language, chosen with the same seed, keeping their titles; an article that is a near
copy of a target (the same title, or the same first ``HEAD_CHARS`` body characters once
whitespace is normalised) is never a distractor, so every question has one answer.

The corpus is read with the product's own reader (``indexer.units.read_unit``, then
``indexer.furniture.without_furniture`` with the furniture learned from the same files), so
bodies are what the product indexes; of articles sharing an id (a canonical URL), the first
read is kept, as a rebuild keeps one. Import this module only once ``search`` and
``indexer`` are importable (``quality.py --repo DIR`` puts DIR first on ``sys.path``).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from search.document import Document

MIN_TITLE_CHARS = 8
MIN_BODY_CHARS = 200
HEAD_CHARS = 100
PROGRESS_SECONDS = 30.0
PROGRESS_DOCS = 5000
CAPTION_CHARS = 400
# Photo items (a picture and its caption, not an article): headlines marked so, and short
# one-paragraph bodies that describe a picture ("사진은 ... 모습.", "图为 ...").
_PHOTO_HEADLINE = re.compile(
    r"[\[【(（<]\s*(?:포토|사진|화보|图片|圖片|组图|組圖|图集|圖集|图说|圖說)|노컷[한네]컷"
)
_CAPTION_TEXT = re.compile(r"사진은 |图为|圖為")


@dataclass(frozen=True)
class Language:
    """A known-item set's language: where its articles are and which ``Document.lang`` counts."""

    name: str  # "zh-news"
    corpus: tuple[str, ...]  # folders under the unpacked corpus
    langs: frozenset[str]  # Document.lang values of the language


LANGUAGES = {
    "zh-news": Language("zh-news", ("zh-waimei", "zh-oped2"), frozenset({"zh-Hans", "zh-Hant"})),
    "ko-news": Language("ko-news", ("ko-jsonl", "ko-naver"), frozenset({"ko"})),
}


@dataclass
class KnownItems:
    """Targets (title emptied; ``headlines`` are their questions) and distractors."""

    name: str
    headlines: list[str]
    targets: list[Document]
    distractors: list[Document]
    stats: dict[str, int]


def load_known_items(
    language: Language,
    corpus_root: Path,
    targets: int,
    distractors: int,
    seed: int,
    cache_dir: Path,
    source_files: Iterable[Path],
    workers: int = 2,
) -> KnownItems:
    """The set, from ``cache_dir`` when the same corpus files, reader sources (``source_files``),
    sizes and seed made it before; else read from the corpus and saved there."""
    folders = [corpus_root / name for name in language.corpus]
    key = selection_key(language, folders, targets, distractors, seed, source_files)
    path = cache_dir / f"known-items-{language.name}-{key}.pickle"
    if path.exists():
        print(f"[{language.name}] known items from the cache {path}", flush=True)
        return pickle.loads(path.read_bytes())
    started = time.perf_counter()
    docs = read_corpus(folders, workers, language.name)
    items = choose_known_items(language, docs, targets, distractors, seed)
    items.stats["read_seconds"] = round(time.perf_counter() - started)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL))
    temporary.replace(path)
    return items


def selection_key(
    language: Language,
    folders: list[Path],
    targets: int,
    distractors: int,
    seed: int,
    source_files: Iterable[Path],
) -> str:
    """A hash of what decides the selection: the corpus files (path, size, mtime), the reader
    and this module's sources, the sizes and the seed."""
    digest = hashlib.sha256(repr((language, targets, distractors, seed)).encode())
    digest.update(Path(__file__).read_bytes())
    for source in sorted(source_files):  # by name and content, not where the checkout is
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


# --- Reading, as a rebuild reads ---


def read_corpus(folders: list[Path], workers: int, label: str) -> list[Document]:
    """Every article in ``folders``, cleaned as a rebuild cleans it, one per id."""
    from indexer.build import read_options
    from indexer.furniture import learn_furniture
    from indexer.units import plan_units
    from search.config import CorpusSettings, Settings

    settings = Settings(corpus=CorpusSettings(paths=folders))
    options = read_options(settings)
    plan = plan_units(folders, options)
    print(
        f"[{label}] learning each source's repeated lines ({len(plan.files):,} files)", flush=True
    )
    furniture = learn_furniture(plan, options, workers)
    read = partial(_read_unit, options=options, furniture=furniture)
    by_id: dict[str, Document] = {}
    progress = Progress(f"[{label}] read", plan.estimated_docs)
    context = multiprocessing.get_context("fork")  # nothing has loaded a model yet
    with context.Pool(workers) as pool:
        for docs in pool.imap(read, plan.units, chunksize=4):
            for doc in docs:
                by_id.setdefault(doc.id, doc)
            progress.advance(len(docs))
    progress.done()
    return list(by_id.values())


def _read_unit(unit, options, furniture) -> list[Document]:
    from indexer.furniture import without_furniture
    from indexer.units import read_unit

    return [
        without_furniture(item, furniture)
        for _, item in read_unit(unit, options)
        if isinstance(item, Document)
    ]


class Progress:
    """A line every PROGRESS_DOCS documents or PROGRESS_SECONDS seconds."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, total
        self.count = self.reported = 0
        self.started = self.last = time.perf_counter()

    def advance(self, count: int) -> None:
        self.count += count
        now = time.perf_counter()
        if self.count - self.reported >= PROGRESS_DOCS or now - self.last >= PROGRESS_SECONDS:
            self._say(now)

    def done(self) -> None:
        self._say(time.perf_counter(), "done: ")

    def _say(self, now: float, prefix: str = "") -> None:
        self.reported, self.last = self.count, now
        print(
            f"{self.label}: {prefix}{self.count:,}/~{self.total:,} documents, "
            f"{now - self.started:.0f} s",
            flush=True,
        )


# --- Choosing targets and distractors ---


def choose_known_items(
    language: Language, docs: list[Document], targets: int, distractors: int, seed: int
) -> KnownItems:
    docs = sorted(docs, key=lambda doc: doc.id)
    titles = Counter(normalised(doc.title) for doc in docs)
    eligible = [doc for doc in docs if is_target_candidate(doc, language, titles)]
    rng = random.Random(f"{language.name}:{seed}")
    if len(eligible) < targets:
        raise SystemExit(f"{language.name}: only {len(eligible)} articles can be targets")
    chosen = rng.sample(eligible, targets)
    chosen_ids = {doc.id for doc in chosen}
    is_copy = near_copy_test(chosen)
    others = [doc for doc in docs if doc.lang in language.langs and doc.id not in chosen_ids]
    candidates = [doc for doc in others if not is_copy(doc)]
    if len(candidates) < distractors:
        raise SystemExit(f"{language.name}: only {len(candidates)} articles can be distractors")
    picked = rng.sample(candidates, distractors)
    stats = {
        "articles_read": len(docs),
        "articles_of_language": len(others) + len(chosen),
        "target_candidates": len(eligible),
        "targets": len(chosen),
        "near_copies_of_targets_excluded": len(others) - len(candidates),
        "distractors": len(picked),
        "targets_with_headline_in_body": sum(
            normalised(doc.title) in normalised(doc.body) for doc in chosen
        ),
    }
    return KnownItems(
        name=language.name,
        headlines=[doc.title for doc in chosen],
        targets=[replace(doc, title="", content_hash="") for doc in chosen],
        distractors=picked,
        stats=stats,
    )


def is_target_candidate(doc: Document, language: Language, titles: Counter) -> bool:
    title = normalised(doc.title)
    return (
        doc.lang in language.langs
        and len(title) >= MIN_TITLE_CHARS
        and len(doc.body) >= MIN_BODY_CHARS
        and titles[title] == 1
        and not is_photo_item(doc)
    )


def is_photo_item(doc: Document) -> bool:
    body = doc.body.strip()
    is_caption = len(body) < CAPTION_CHARS and "\n" not in body and bool(_CAPTION_TEXT.search(body))
    return is_caption or bool(_PHOTO_HEADLINE.search(doc.title))


def near_copy_test(targets: list[Document]) -> Callable[[Document], bool]:
    """Whether an article has a target's title or starts its body as a target does."""
    titles = {normalised(doc.title) for doc in targets}
    heads = {body_head(doc) for doc in targets}
    return lambda doc: normalised(doc.title) in titles or body_head(doc) in heads


def body_head(doc: Document) -> str:
    return normalised(doc.body)[:HEAD_CHARS]


def normalised(text: str) -> str:
    return " ".join(text.split())
