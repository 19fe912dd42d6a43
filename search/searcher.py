"""Run searches on the serving index: rank, page, highlight, count facets, suggest, relate.

One ``SearchService`` per process. A request borrows an idle engine opened on the serving
generation (``search.engine``: Whoosh or Xapian, whichever wrote it; or the remote Xapian
shards of ``[xapian] shards``) or opens one, and gives it back; when ``CURRENT`` names a
new generation the next request opens that one, so a rebuild or update is served from the
next request on. What is engine-independent happens here: parsing and building the query,
highlighting, the answer cache, paging checks.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from whoosh.searching import Searcher

from .budget import UNLIMITED, Budget
from .cache import AnswerCache
from .columns import Columns
from .config import Settings
from .document import web_url
from .engine import Engine, engine_of
from .highlight import (
    LONG_TEXT,
    SNIPPET_PLACES,
    marked_html,
    merge,
    phrase_spans,
    snippet_html,
    term_spans,
)
from .integrity import damage, has_checksums
from .models import (
    MAX_PAGE_SIZE,
    MAX_RESULT_DEPTH,
    SORTS,
    Hit,
    Published,
    SearchError,
    SearchRequest,
    SearchResponse,
    Similar,
    StoredDocument,
)
from .query import LANGUAGES, BuiltQuery, parse_query
from .store import INDEX_FAULTS, IndexStore, IndexUnavailable, open_index
from .whoosh_engine import MAX_SIMILAR, WhooshEngine
from .xapian_shards import XAPIAN_FAULTS, Shards, open_xapian

FACET_VALUES = 50
_WORD_FIELDS = ("title", "body")
_CHAR_FIELDS = {"title": "title_chars", "body": "body_chars"}


class SearchService:
    """Searches on the serving generation. Engines are pooled, not kept per thread: at
    most one per search running at once, and those of a generation that is no longer
    served are closed as soon as they are idle (``release_stale``), so a process holds
    the files of the generation it serves plus, while requests on it finish, the one
    before."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = IndexStore(settings.index.path)
        self.shards = Shards(settings) if settings.xapian.shards else None
        self.budget_seconds = settings.server.search_budget_ms / 1000 or None
        self.cache = AnswerCache(int(settings.server.cache_mb * 1024 * 1024))
        self._lock = threading.Lock()
        self._idle: list[Engine] = []  # engines not in use, all on self._generation
        self._generation: str | None = None
        self._columns: dict[str, Columns] = {}  # by generation, shared by Whoosh engines
        self._damaged: dict[str, str] = {}  # generation -> why it cannot be searched

    def warm_up(self) -> None:
        """Load the models now (in each server worker, after it starts), not on a query."""
        with self._using() as engine:
            for text in ("中文 한국어 English", "國際"):
                list(engine.builder.words(text))
                list(engine.builder.chars(text))

    def search(self, request: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        _check_paging(request)
        with self._using() as engine:
            cached = self.cache.get(engine.generation, request)
            if cached is not None:
                return replace(cached, took_ms=(time.perf_counter() - started) * 1000)
            response = self._search(engine, request)
        response.took_ms = (time.perf_counter() - started) * 1000
        self.cache.put(engine.generation, request, response)
        return response

    def _search(self, engine: Engine, request: SearchRequest) -> SearchResponse:
        parsed = parse_query(request.q)
        parsed.langs.update(_request_langs(request.lang))
        parsed.sources.update(request.source)
        parsed.date_from = request.date_from or parsed.date_from
        parsed.date_to = request.date_to or parsed.date_to
        if parsed.date_from and parsed.date_to and parsed.date_from > parsed.date_to:
            raise SearchError("bad_parameter", "the date range ends before it starts", "from")
        built = engine.builder.build(parsed)
        # From here on: the models are loaded (a first query in a process loads them).
        budget = Budget(self.budget_seconds)
        page = engine.page(built, request, budget)
        docnums = [entry.docnum for entry in page.entries]
        spans, read_to = {}, {}
        if request.highlight:
            spans, read_to = _page_spans(engine, docnums, page.built, budget)
        hits = []
        for entry in page.entries:
            docnum = entry.docnum
            hit = _hit(engine, docnum, entry.score, spans.get(docnum), read_to.get(docnum))
            # A word written twice is counted twice (a question repeats what matters:
            # measured) but said missing once.
            hit.missing = list(dict.fromkeys(entry.missing))
            hit.similar = [_similar(engine, d) for d in entry.similar[:MAX_SIMILAR]]
            hits.append(hit)
        suggestion = None
        if (not page.total_all_words or not hits) and not budget.exhausted():
            suggestion = _suggestion(engine, request.q, page.built)
        return SearchResponse(
            query=request.q,
            total=page.total,
            total_all_words=page.total_all_words,
            phrases_as_words=page.phrases_as_words,
            page=request.page,
            size=request.size,
            results=hits,
            facets={name: _facet(counts, name) for name, counts in page.facets.items()},
            suggestion=suggestion,
            timed_out=budget.spent,
        )

    def document(self, doc_id: str) -> StoredDocument | None:
        with self._using() as engine:
            docnum = engine.docnum(doc_id)
            if docnum is None:
                return None
            return _stored_document(engine.stored(docnum))

    def related(self, doc_id: str, limit: int = 10) -> list[Hit] | None:
        """Articles in the language of ``doc_id`` sharing its most distinctive words, best
        first, never a copy of it (``search.related``); None when no document has that id."""
        with self._using() as engine:
            docnum = engine.docnum(doc_id)
            if docnum is None:
                return None
            limit = max(1, min(limit, MAX_PAGE_SIZE))
            return [_hit(engine, d, score, None) for d, score in engine.related(docnum, limit)]

    def health(self) -> dict:
        with self._using() as engine:
            return {
                "status": "ok",
                "generation": engine.generation,
                "documents": engine.doc_count(),
            }

    def release_stale(self) -> None:
        """Close the idle engines of a generation that is no longer served."""
        if self.shards is None:
            self._serve(self.store.current_name())

    def _serve(self, current: str | None) -> None:
        """Make ``current`` the generation served; idle engines of another are closed."""
        with self._lock:
            if current == self._generation:
                return
            stale, self._idle = self._idle, []
            self._generation = current
            self._columns = {g: c for g, c in self._columns.items() if g == current}
        for engine in stale:
            engine.close()

    @contextmanager
    def _using(self) -> Iterator[Engine]:
        """An engine on the serving generation for the time of one request."""
        if self.shards is not None:
            with self.shards.using() as engine:
                yield engine
            return
        path = self.store.current_path()  # CURRENT read once: the name and what is opened agree
        if path.name in self._damaged:
            raise IndexUnavailable(self._damaged[path.name])
        self._serve(path.name)
        with self._lock:
            engine = self._idle.pop() if self._idle and path.name == self._generation else None
        if engine is None:
            engine = self._open(path)
        try:
            yield engine
        except (*INDEX_FAULTS, *XAPIAN_FAULTS) as error:
            problems = damage(path) if has_checksums(path) else []
            if problems:
                reason = f"generation {path.name} is damaged: {problems[0]}"
                self._damaged[path.name] = reason
                raise IndexUnavailable(reason) from error
            raise
        finally:
            with self._lock:
                keep = engine.generation == self._generation
                if keep:
                    self._idle.append(engine)
            if not keep:
                engine.close()

    def _open(self, path: Path) -> Engine:
        try:
            if engine_of(path) == "xapian":
                return open_xapian(path)
            return WhooshEngine(path.name, open_index(path), self._columns_of(path.name))
        except (*INDEX_FAULTS, *XAPIAN_FAULTS) as error:
            reason = f"generation {path.name} cannot be opened: {error!r}"
            self._damaged[path.name] = reason
            raise IndexUnavailable(reason) from error

    def _columns_of(self, generation: str):
        def columns(searcher: Searcher) -> Columns:
            with self._lock:
                found = self._columns.get(generation)
            if found is None:
                found = Columns(searcher.reader())
                with self._lock:
                    found = self._columns.setdefault(generation, found)
            return found

        return columns


def _similar(engine: Engine, docnum: int) -> Similar:
    doc = _stored_document(engine.stored(docnum))
    return Similar(doc.id, doc.url, doc.title, doc.source, doc.published)


def _hit(
    engine: Engine,
    docnum: int,
    score: float,
    spans: dict[str, list[tuple[int, int]]] | None,
    read_to: int | None = None,
) -> Hit:
    doc = _stored_document(engine.stored(docnum))
    spans = spans or {"title": [], "body": []}
    return Hit(
        id=doc.id,
        url=doc.url,
        title=doc.title,
        title_html=marked_html(doc.title, spans["title"]),
        snippet_html=snippet_html(doc.body, spans["body"], read_to=read_to),
        lang=doc.lang,
        source=doc.source,
        author=doc.author,
        published=doc.published,
        score=float(score or 0.0),
    )


def _page_spans(
    engine: Engine, docnums: list[int], built: BuiltQuery, budget: Budget = UNLIMITED
) -> tuple[dict[int, dict[str, list]], dict[int, int]]:
    """Marks for every document of a page: {docnum: {"title": spans, "body": spans}}, and
    where a body's marks were read to when not to its end; once the budget is spent, no
    more are looked for."""
    found: dict[int, dict[str, list]] = {d: {name: [] for name in _WORD_FIELDS} for d in docnums}
    reached: dict[int, int] = {}
    for name in _WORD_FIELDS:
        if budget.exhausted():
            break
        # A title is shown whole. A body's snippet is chosen within LONG_TEXT characters
        # of its densest marks, looked for among each word's first places: no occurrence
        # further than both is read.
        body = name == "body"
        reading = {
            "window": LONG_TEXT if body else None,
            "most": SNIPPET_PLACES if body else None,
            "reached": reached if body else None,
        }
        parts = [term_spans(engine.occurrences, docnums, name, built.mark_terms, **reading)]
        for phrase in built.mark_phrases:
            if budget.exhausted():
                break
            char_field = _CHAR_FIELDS[name]
            parts.append(phrase_spans(engine.occurrences, docnums, char_field, phrase, **reading))
        for part in parts:
            for docnum, spans in part.items():
                found[docnum][name].extend(spans)
    marks = {
        d: {name: merge(spans) for name, spans in fields.items()} for d, fields in found.items()
    }
    return marks, reached


def _check_paging(request: SearchRequest) -> None:
    if request.sort not in SORTS:
        raise SearchError(
            "bad_parameter", f"sort must be one of {', '.join(SORTS)}, not {request.sort!r}", "sort"
        )
    if not 1 <= request.size <= MAX_PAGE_SIZE:
        raise SearchError(
            "bad_parameter", f"size must be a whole number from 1 to {MAX_PAGE_SIZE}", "size"
        )
    if request.page < 1:
        raise SearchError("bad_parameter", "page must be a whole number of at least 1", "page")
    if request.page * request.size > MAX_RESULT_DEPTH:
        raise SearchError(
            "page_too_deep",
            f"page {request.page} of {request.size} reaches result {request.page * request.size};"
            f" only the first {MAX_RESULT_DEPTH} results of a query are served: narrow the query",
            "page",
        )


def _request_langs(langs: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for lang in langs:
        if lang.lower() not in LANGUAGES:
            raise SearchError(
                "bad_parameter",
                f"unknown language {lang!r} (use ko, zh, zh-Hans, zh-Hant, en or ja)",
                "lang",
            )
        found.update(LANGUAGES[lang.lower()])
    return found


def _facet(counts: Counter, name: str) -> list[tuple[str, int]]:
    items = list(counts.items())
    if name == "month":
        items.sort(reverse=True)
    else:
        items.sort(key=lambda item: (-item[1], item[0]))
    return items[:FACET_VALUES]


def _stored_document(stored: dict) -> StoredDocument:
    """A document as its stored fields hold it; only web links are kept as its URL."""
    return StoredDocument(
        id=stored["id"],
        url=web_url(stored.get("url", "")),
        title=stored.get("title", ""),
        body=stored.get("body", ""),
        lang=stored.get("lang", ""),
        source=stored.get("source", ""),
        author=stored.get("author", ""),
        published=_published(stored),
        tags=[t for t in stored.get("tags", "").split(",") if t],
    )


def _published(stored: dict) -> Published | None:
    """The stored date as the article states it (indexes built before the article's own
    offset was kept give the UTC instant)."""
    local = stored.get("published_local")
    if local:
        return Published(datetime.fromisoformat(local), stored.get("published_form", "zoned"))
    value = stored.get("published")
    return Published(value.replace(tzinfo=UTC)) if isinstance(value, datetime) else None


def _suggestion(engine: Engine, query: str, built: BuiltQuery) -> str | None:
    """The query with unknown Latin or Hangul words replaced by the closest indexed ones."""
    suggested = query
    for word in built.words:
        surface = word.surface.lower()
        latin = surface.isascii() and surface.isalpha()
        hangul = all("가" <= c <= "힣" for c in surface)
        if len(surface) < 3 or not (latin or hangul):
            continue
        found = engine.correction(word.term, surface, latin, 1 if len(surface) < 6 else 2)
        if found:
            suggested = suggested.replace(word.surface, found, 1)
    return suggested if suggested != query else None
