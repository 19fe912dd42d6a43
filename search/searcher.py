"""Run searches on the serving index: rank, page, highlight, count facets, suggest, relate.

One ``SearchService`` per process. A request borrows an idle Whoosh searcher of the
serving generation (or opens one) and gives it back; when ``CURRENT`` names a new
generation the next request opens that one, so a rebuild or update is served from the
next request on.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from whoosh.index import Index
from whoosh.searching import Searcher

from .budget import UNLIMITED, Budget
from .cache import AnswerCache
from .columns import FACETS, Columns
from .config import Settings
from .document import web_url
from .duplicates import Folded, fold, similar_among
from .highlight import marked_html, merge, phrase_spans, snippet_html, term_spans
from .integrity import damage, has_checksums
from .matching import drop_matching, keep_only
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
from .query import LANGUAGES, BuiltQuery, QueryBuilder, as_words, parse_query
from .ranked_list import match_units
from .related import related_documents
from .scoring import top_documents
from .store import INDEX_FAULTS, IndexStore, IndexUnavailable, open_index

FACET_VALUES = 50
# Near-duplicates listed under a result (the cluster's first ones by index order).
MAX_SIMILAR = 50
# How deep a ranking goes to fill a page once near-duplicates are folded.
MAX_FOLD_DEPTH = 4 * MAX_RESULT_DEPTH
_WORD_FIELDS = ("title", "body")
_CHAR_FIELDS = {"title": "title_chars", "body": "body_chars"}


@dataclass
class _Open:
    generation: str
    index: Index
    searcher: Searcher
    builder: QueryBuilder
    columns: Columns


class SearchService:
    """Searches on the serving generation. Searchers are pooled, not kept per thread: at
    most one per search running at once, and those of a generation that is no longer
    served are closed as soon as they are idle (``release_stale``), so a process holds
    the files of the generation it serves plus, while requests on it finish, the one
    before."""

    def __init__(self, settings: Settings) -> None:
        self.store = IndexStore(settings.index.path)
        self.budget_seconds = settings.server.search_budget_ms / 1000 or None
        self.cache = AnswerCache(int(settings.server.cache_mb * 1024 * 1024))
        self._lock = threading.Lock()
        self._idle: list[_Open] = []  # searchers not in use, all on self._generation
        self._generation: str | None = None
        self._columns: dict[str, Columns] = {}  # by generation, shared by the searchers
        self._damaged: dict[str, str] = {}  # generation -> why it cannot be searched

    def warm_up(self) -> None:
        """Load the models now (in each server worker, after it starts), not on a query."""
        with self._using() as opened:
            for text in ("中文 한국어 English", "國際"):
                list(opened.builder.words(text))
                list(opened.builder.chars(text))

    def search(self, request: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        _check_paging(request)
        with self._using() as opened:
            cached = self.cache.get(opened.generation, request)
            if cached is not None:
                return replace(cached, took_ms=(time.perf_counter() - started) * 1000)
            response = self._search(opened, request)
        response.took_ms = (time.perf_counter() - started) * 1000
        self.cache.put(opened.generation, request, response)
        return response

    def _search(self, opened: _Open, request: SearchRequest) -> SearchResponse:
        parsed = parse_query(request.q)
        parsed.langs.update(_request_langs(request.lang))
        parsed.sources.update(request.source)
        parsed.date_from = request.date_from or parsed.date_from
        parsed.date_to = request.date_to or parsed.date_to
        if parsed.date_from and parsed.date_to and parsed.date_from > parsed.date_to:
            raise SearchError("bad_parameter", "the date range ends before it starts", "from")
        built = opened.builder.build(parsed)
        # From here on: the models are loaded (a first query in a process loads them).
        budget = Budget(self.budget_seconds)
        searcher, columns = opened.searcher, opened.columns
        matched = match_units(searcher, built.counted, budget)
        unheld = [f'"{clause.text}"' for clause in matched.unheld]
        if unheld and not budget.exhausted():
            # A quotation no article holds as written (a pasted headline's) is searched as
            # its words, and the answer says so, as web search engines do.
            built = opened.builder.build(as_words(parsed, matched.unheld))
            matched = match_units(searcher, built.counted, budget)
        else:
            unheld = []
        docs = self._narrow(opened, built, matched.docs)
        factors = matched.coordination(docs)
        complete = {d for d in docs if matched.complete(d)}
        first_tier = complete if matched.tiered else set()
        depth = request.page * request.size
        first = (request.page - 1) * request.size
        page = _folded_page(
            lambda n: _rank(
                searcher,
                columns,
                built,
                docs,
                factors,
                matched.counts,
                first_tier,
                n,
                request.sort,
                budget,
            ),
            columns,
            first,
            depth,
        )
        docnums = [entry.docnum for entry in page]
        spans = {}
        if request.highlight:
            spans = _page_spans(searcher, docnums, built, budget)
        similar = similar_among(columns.clusters, docs, docnums)
        hits = []
        for entry in page:
            hit = self._hit(searcher, entry.docnum, entry.score, spans.get(entry.docnum))
            hit.missing = matched.missing(entry.docnum)
            hit.similar = [self._similar(searcher, d) for d in similar[entry.docnum][:MAX_SIMILAR]]
            hits.append(hit)
        suggestion = None
        if (not complete or not hits) and not budget.exhausted():
            suggestion = _suggestion(searcher, request.q, built)
        return SearchResponse(
            query=request.q,
            total=len(docs),
            total_all_words=len(complete),
            phrases_as_words=unheld,
            page=request.page,
            size=request.size,
            results=hits,
            facets={name: _facet(columns.counts(name, docs), name) for name in FACETS},
            suggestion=suggestion,
            timed_out=budget.spent,
        )

    def _narrow(self, opened: _Open, built: BuiltQuery, docs: set[int]) -> set[int]:
        """``docs`` within the query's languages, sources and dates, less its exclusions."""
        parsed, columns, searcher = built.parsed, opened.columns, opened.searcher
        if parsed.langs:
            docs = columns.keep(docs, "lang", parsed.langs)
        if parsed.sources:
            docs = columns.keep(docs, "source", parsed.sources)
        if parsed.excluded_langs:
            docs = columns.drop(docs, "lang", parsed.excluded_langs)
        if parsed.excluded_sources:
            docs = columns.drop(docs, "source", parsed.excluded_sources)
        if built.dates is not None and docs:
            docs = keep_only(searcher, built.dates, docs)
        if built.excluded is not None and docs:
            docs = drop_matching(searcher, built.excluded, docs)
        return docs

    def document(self, doc_id: str) -> StoredDocument | None:
        with self._using() as opened:
            searcher = opened.searcher
            docnum = searcher.document_number(id=doc_id)
            if docnum is None:
                return None
            return _stored_document(searcher.stored_fields(docnum))

    def related(self, doc_id: str, limit: int = 10) -> list[Hit] | None:
        """Articles in the language of ``doc_id`` sharing its most distinctive words, best
        first, never a copy of it (``search.related``); None when no document has that id."""
        with self._using() as opened:
            searcher = opened.searcher
            docnum = searcher.document_number(id=doc_id)
            if docnum is None:
                return None
            limit = max(1, min(limit, MAX_PAGE_SIZE))
            # Its distinctive words are read from its stored title and the opening of its
            # body, analysed again, so a very long article costs what a long one does.
            ranked = related_documents(
                searcher, opened.columns, opened.builder.words, docnum, limit
            )
            return [self._hit(searcher, d, score, None) for d, score in ranked]

    def health(self) -> dict:
        with self._using() as opened:
            return {
                "status": "ok",
                "generation": opened.generation,
                "documents": opened.searcher.doc_count(),
            }

    def release_stale(self) -> None:
        """Close the idle searchers of a generation that is no longer served."""
        self._serve(self.store.current_name())

    def _serve(self, current: str | None) -> None:
        """Make ``current`` the generation served; idle searchers of another are closed."""
        with self._lock:
            if current == self._generation:
                return
            stale, self._idle = self._idle, []
            self._generation = current
            self._columns = {g: c for g, c in self._columns.items() if g == current}
        for opened in stale:
            opened.searcher.close()

    @contextmanager
    def _using(self) -> Iterator[_Open]:
        """A searcher on the serving generation for the time of one request."""
        path = self.store.current_path()  # CURRENT read once: the name and what is opened agree
        if path.name in self._damaged:
            raise IndexUnavailable(self._damaged[path.name])
        self._serve(path.name)
        with self._lock:
            opened = self._idle.pop() if self._idle and path.name == self._generation else None
        if opened is None:
            opened = self._open(path)
        try:
            yield opened
        except INDEX_FAULTS as error:
            problems = damage(path) if has_checksums(path) else []
            if problems:
                reason = f"generation {path.name} is damaged: {problems[0]}"
                self._damaged[path.name] = reason
                raise IndexUnavailable(reason) from error
            raise
        finally:
            with self._lock:
                keep = opened.generation == self._generation
                if keep:
                    self._idle.append(opened)
            if not keep:
                opened.searcher.close()

    def _open(self, path: Path) -> _Open:
        try:
            index = open_index(path)
            schema = index.schema
            searcher = index.searcher()
            return _Open(
                generation=path.name,
                index=index,
                searcher=searcher,
                builder=QueryBuilder(schema["body"].analyzer, schema["body_chars"].analyzer),
                columns=self._columns_of(path.name, searcher),
            )
        except INDEX_FAULTS as error:
            reason = f"generation {path.name} cannot be opened: {error!r}"
            self._damaged[path.name] = reason
            raise IndexUnavailable(reason) from error

    def _columns_of(self, generation: str, searcher: Searcher) -> Columns:
        with self._lock:
            found = self._columns.get(generation)
        if found is None:
            found = Columns(searcher.reader())
            with self._lock:
                found = self._columns.setdefault(generation, found)
        return found

    def _similar(self, searcher: Searcher, docnum: int) -> Similar:
        doc = _stored_document(searcher.stored_fields(docnum))
        return Similar(doc.id, doc.url, doc.title, doc.source, doc.published)

    def _hit(
        self,
        searcher: Searcher,
        docnum: int,
        score: float,
        spans: dict[str, list[tuple[int, int]]] | None,
    ) -> Hit:
        doc = _stored_document(searcher.stored_fields(docnum))
        spans = spans or {"title": [], "body": []}
        return Hit(
            id=doc.id,
            url=doc.url,
            title=doc.title,
            title_html=marked_html(doc.title, spans["title"]),
            snippet_html=snippet_html(doc.body, spans["body"]),
            lang=doc.lang,
            source=doc.source,
            author=doc.author,
            published=doc.published,
            score=float(score or 0.0),
        )


def _folded_page(
    rank: Callable[[int], list[tuple[int, float]]], columns: Columns, first: int, depth: int
) -> list[Folded]:
    """Results ``first`` to ``depth`` once near-duplicates are folded under the best ranked
    of their cluster: ranked deeper (twice as deep each time) until the page is full or
    every match is ranked."""
    reach = depth
    while True:
        ranked = rank(reach)
        folded = fold(ranked, columns.clusters)
        if len(folded) >= depth or len(ranked) < reach or reach >= MAX_FOLD_DEPTH:
            return folded[first:depth]
        reach = min(reach * 2, MAX_FOLD_DEPTH)


def _rank(
    searcher: Searcher,
    columns: Columns,
    built: BuiltQuery,
    docs: set[int],
    factors: dict[int, float],
    counts: Counter,
    first_tier: set[int],
    depth: int,
    sort: str,
    budget: Budget = UNLIMITED,
) -> list[tuple[int, float]]:
    """The first ``depth`` of ``docs`` as (document number, score): ``first_tier`` (the
    articles with every word of a search short enough to be tiered) by score, then the
    others by score times their coordination (``search.ranked_list``; ties in index
    order); or newest first among those with the most words (``counts``), then among those
    with fewer (ties by score)."""
    if sort == "date":
        chosen: set[int] = set()
        for count in sorted({counts[d] for d in docs}, reverse=True):
            if len(chosen) >= depth:
                break
            tier = {d for d in docs if counts[d] == count}
            chosen |= columns.newest(tier, depth - len(chosen))
        scored = top_documents(searcher, columns, built.ranking, chosen, None, len(chosen), budget)
        published = columns.published
        key = lambda hit: (-counts[hit[0]], -published[hit[0]], -hit[1], hit[0])  # noqa: E731
        return sorted(scored, key=key)[:depth]
    # The others are scored only when the first tier does not fill the ranking.
    ranked = top_documents(searcher, columns, built.ranking, first_tier, None, depth, budget)
    if len(ranked) < depth:
        partial = docs - first_tier
        rest = depth - len(ranked)
        ranked += top_documents(searcher, columns, built.ranking, partial, factors, rest, budget)
    return ranked


def _page_spans(
    searcher: Searcher, docnums: list[int], built: BuiltQuery, budget: Budget = UNLIMITED
):
    """Marks for every document of a page: {docnum: {"title": spans, "body": spans}};
    once the budget is spent, no more are looked for."""
    found: dict[int, dict[str, list]] = {d: {name: [] for name in _WORD_FIELDS} for d in docnums}
    for name in _WORD_FIELDS:
        if budget.exhausted():
            break
        parts = [term_spans(searcher, docnums, name, built.mark_terms)]
        for phrase in built.mark_phrases:
            if budget.exhausted():
                break
            parts.append(phrase_spans(searcher, docnums, _CHAR_FIELDS[name], phrase))
        for part in parts:
            for docnum, spans in part.items():
                found[docnum][name].extend(spans)
    return {
        d: {name: merge(spans) for name, spans in fields.items()} for d, fields in found.items()
    }


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
            for s in corrector.suggest(surface, limit=3, maxdist=maxdist, prefix=1)
            if s.isascii() == latin and s != surface
        ]
        if found:
            suggested = suggested.replace(word.surface, found[0], 1)
    return suggested if suggested != query else None
