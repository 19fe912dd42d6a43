"""Run searches on the serving index: rank, page, highlight, count facets, suggest, relate.

One ``SearchService`` per process. Each thread keeps its own Whoosh searcher (they are not
shared across threads) and reopens it when ``CURRENT`` names a new generation, so a
rebuild or update is served from the next request on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from whoosh import sorting
from whoosh.index import Index
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Searcher

from .config import Settings
from .highlight import marked_html, merge, phrase_spans, snippet_html, term_spans
from .models import (
    MAX_PAGE_SIZE,
    MAX_RESULT_DEPTH,
    SORTS,
    Hit,
    SearchError,
    SearchRequest,
    SearchResponse,
    StoredDocument,
)
from .query import LANGUAGES, BuiltQuery, QueryBuilder, parse_query
from .store import IndexStore, open_index

# "all" mode answers when it finds at least this many; otherwise any word will do.
MIN_ALL_WORDS_RESULTS = 1
FACETS = ("lang", "source", "month")
FACET_VALUES = 50
_WORD_FIELDS = ("title", "body")
_CHAR_FIELDS = {"title": "title_chars", "body": "body_chars"}


@dataclass
class _Open:
    generation: str
    index: Index
    searcher: Searcher
    builder: QueryBuilder


class SearchService:
    def __init__(self, settings: Settings) -> None:
        self.store = IndexStore(settings.index.path)
        self._local = threading.local()

    def warm_up(self) -> None:
        """Load the models now (in each server worker, after it starts), not on a query."""
        builder = self._open().builder
        for text in ("中文 한국어 English", "國際"):
            list(builder.words(text))
            list(builder.chars(text))

    def search(self, request: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        _check_paging(request)
        opened = self._open()
        parsed = parse_query(request.q)
        parsed.langs.update(_request_langs(request.lang))
        parsed.sources.update(request.source)
        parsed.date_from = request.date_from or parsed.date_from
        parsed.date_to = request.date_to or parsed.date_to
        if parsed.date_from and parsed.date_to and parsed.date_from > parsed.date_to:
            raise SearchError("bad_parameter", "the date range ends before it starts", "from")
        built = opened.builder.build(parsed)
        searcher = opened.searcher
        mode = "all"
        results = self._run(searcher, built.all_words, built, request)
        if len(results) < MIN_ALL_WORDS_RESULTS and len(built.words) > 1:
            mode = "any"
            results = self._run(searcher, built.any_word, built, request)
        first = (request.page - 1) * request.size
        hits = [
            self._hit(searcher, hit, built, request.highlight)
            for hit in results[first : first + request.size]
        ]
        suggestion = _suggestion(searcher, request.q, built) if mode == "any" or not hits else None
        return SearchResponse(
            query=request.q,
            mode=mode,
            total=len(results),
            page=request.page,
            size=request.size,
            results=hits,
            facets={name: _facet(results, name) for name in FACETS},
            suggestion=suggestion,
            took_ms=(time.perf_counter() - started) * 1000,
        )

    def document(self, doc_id: str) -> StoredDocument | None:
        searcher = self._open().searcher
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            return None
        stored = searcher.stored_fields(docnum)
        return StoredDocument(
            id=stored["id"],
            url=stored.get("url", ""),
            title=stored.get("title", ""),
            body=stored.get("body", ""),
            lang=stored.get("lang", ""),
            source=stored.get("source", ""),
            author=stored.get("author", ""),
            published=_published(stored),
            tags=[t for t in stored.get("tags", "").split(",") if t],
        )

    def related(self, doc_id: str, limit: int = 10) -> list[Hit] | None:
        """Articles sharing the most distinctive words of ``doc_id`` (more like this)."""
        searcher = self._open().searcher
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            return None
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        results = searcher.more_like(docnum, "body", top=limit, numterms=12)
        return [self._hit(searcher, hit, None, False) for hit in results]

    def health(self) -> dict:
        opened = self._open()
        return {
            "status": "ok",
            "generation": opened.generation,
            "documents": opened.searcher.doc_count(),
        }

    def _open(self) -> _Open:
        """This thread's searcher on the serving generation, reopened after a switch."""
        current = getattr(self._local, "opened", None)
        path = self.store.current_path()  # CURRENT read once: the name and what is opened agree
        if current is not None and current.generation == path.name:
            return current
        index = open_index(path)
        schema = index.schema
        opened = _Open(
            generation=path.name,
            index=index,
            searcher=index.searcher(),
            builder=QueryBuilder(schema["body"].analyzer, schema["body_chars"].analyzer),
        )
        if current is not None:
            current.searcher.close()
        self._local.opened = opened
        return opened

    def _run(self, searcher: Searcher, query, built: BuiltQuery, request: SearchRequest):
        sortedby = None
        if request.sort == "date":
            sortedby = [sorting.FieldFacet("published", reverse=True), sorting.ScoreFacet()]
        return searcher.search(
            query,
            limit=request.page * request.size,
            filter=built.filter,
            mask=built.mask,
            sortedby=sortedby,
            groupedby={name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS},
            terms=True,
        )

    def _hit(
        self, searcher: Searcher, hit: WhooshHit, built: BuiltQuery | None, highlight: bool
    ) -> Hit:
        stored = hit.fields()
        title, body = stored.get("title", ""), stored.get("body", "")
        spans = {"title": [], "body": []}
        if highlight and built is not None:
            spans = {name: _spans(searcher, hit.docnum, name, built) for name in _WORD_FIELDS}
        return Hit(
            id=stored["id"],
            url=stored.get("url", ""),
            title=title,
            title_html=marked_html(title, spans["title"]),
            snippet_html=snippet_html(body, spans["body"]),
            lang=stored.get("lang", ""),
            source=stored.get("source", ""),
            author=stored.get("author", ""),
            published=_published(stored),
            score=_relevance(hit.score),
        )


def _relevance(score) -> float:
    """Sorted by date, Whoosh gives the sort key; its last part is the negated score."""
    if isinstance(score, tuple):
        return float(-score[-1])
    return float(score or 0.0)


def _spans(searcher: Searcher, docnum: int, fieldname: str, built: BuiltQuery):
    spans = term_spans(searcher, docnum, fieldname, built.word_terms)
    for phrase in built.char_phrases:
        spans += phrase_spans(searcher, docnum, _CHAR_FIELDS[fieldname], phrase)
    return merge(spans)


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


def _facet(results, name: str) -> list[tuple[str, int]]:
    counts = results.groups(name)
    items = [
        (_text(value), count) for value, count in counts.items() if value not in (None, b"", "")
    ]
    if name == "month":
        items.sort(reverse=True)
    else:
        items.sort(key=lambda item: (-item[1], item[0]))
    return items[:FACET_VALUES]


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _published(stored: dict) -> datetime | None:
    value = stored.get("published")
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) else None


def _suggestion(searcher: Searcher, query: str, built: BuiltQuery) -> str | None:
    """The query with unknown Latin or Hangul words replaced by the closest indexed ones."""
    suggested = query
    for word in built.words:
        surface = word.surface.lower()
        latin = surface.isascii() and surface.isalpha()
        hangul = all("가" <= c <= "힣" for c in surface)
        if len(surface) < 3 or not (latin or hangul):
            continue
        if any(searcher.doc_frequency(f, word.term) for f in _WORD_FIELDS):
            continue
        # Latin words are in the character view as written (the word view stems them).
        corrector = searcher.corrector("body_chars" if latin else "body")
        maxdist = 1 if len(surface) < 6 else 2
        found = [
            s
            for s in corrector.suggest(surface, limit=3, maxdist=maxdist)
            if s.isascii() == latin and s != surface
        ]
        if found:
            suggested = suggested.replace(word.surface, found[0], 1)
    return suggested if suggested != query else None
