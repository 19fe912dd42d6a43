"""The Whoosh engine (the default): a pure-Python index on disk, searched with
hansearch's own matching and scoring over Whoosh's posting lists (``search.matching``,
``search.scoring``, ``search.ranked_list``, ``search.proximity``) and per-generation columns
(``search.columns``) for facets, filters, dates and near-duplicates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from whoosh.index import Index
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from . import proximity
from .budget import UNLIMITED, Budget
from .columns import FACETS, Columns
from .duplicates import Folded, fold, similar_among
from .engine import Entry, ResultPage
from .matching import drop_matching, keep_only, posting_places, walk
from .models import MAX_RESULT_DEPTH, SearchRequest
from .query import BuiltQuery, QueryBuilder, as_words
from .ranked_list import match_units
from .related import related_documents
from .scoring import WEIGHTING, top_documents

# Near-duplicates listed under a result (the cluster's first ones by index order).
MAX_SIMILAR = 50
# How deep a ranking goes to fill a page once near-duplicates are folded.
MAX_FOLD_DEPTH = 4 * MAX_RESULT_DEPTH
_WORD_FIELDS = ("title", "body")


class WhooshEngine:
    """Searches on one opened generation of a Whoosh index; the columns are shared by the
    engines opened on one generation."""

    def __init__(self, generation: str, index: Index, columns: Callable[[Searcher], Columns]):
        self.generation = generation
        self.index = index
        self.searcher = index.searcher(weighting=WEIGHTING)
        schema = index.schema
        self.builder = QueryBuilder(schema["body"].analyzer, schema["body_chars"].analyzer)
        self.columns = columns(self.searcher)

    def doc_count(self) -> int:
        return self.searcher.doc_count()

    def close(self) -> None:
        self.searcher.close()

    def stored(self, docnum: int) -> dict:
        return self.searcher.stored_fields(docnum)

    def docnum(self, doc_id: str) -> int | None:
        return self.searcher.document_number(id=doc_id)

    def occurrences(self, docnums, fieldname: str, text: str) -> dict[int, Iterator]:
        try:
            matcher = self.searcher.reader().postings(fieldname, text)
        except TermNotFound:
            return {}
        return {docnum: posting_places(matcher.value()) for docnum in walk(matcher, docnums)}

    def related(self, docnum: int, limit: int) -> list[tuple[int, float]]:
        # Its distinctive words are read from its stored title and the opening of its
        # body, analysed again, so a very long article costs what a long one does.
        return related_documents(self.searcher, self.columns, self.builder.words, docnum, limit)

    def correction(self, word: str, surface: str, latin: bool, distance: int) -> str | None:
        searcher = self.searcher
        if any(searcher.doc_frequency(f, word) for f in _WORD_FIELDS):
            return None
        # Latin words are in the character view as written (the word view stems them).
        corrector = searcher.corrector("body_chars" if latin else "body")
        found = [
            s
            for s in corrector.suggest(surface, limit=3, maxdist=distance, prefix=1)
            if s.isascii() == latin and s != surface
        ]
        return found[0] if found else None

    def page(self, built: BuiltQuery, request: SearchRequest, budget: Budget) -> ResultPage:
        searcher, columns = self.searcher, self.columns
        matched = match_units(searcher, built.counted, budget)
        unheld = [f'"{clause.text}"' for clause in matched.unheld]
        if unheld and not budget.exhausted():
            # A quotation no article holds as written (a pasted headline's) is searched as
            # its words, and the answer says so, as web search engines do.
            built = self.builder.build(as_words(built.parsed, matched.unheld))
            matched = match_units(searcher, built.counted, budget)
        else:
            unheld = []
        docs = self._narrow(built, matched.docs)
        factors = matched.coordination(docs)
        complete = {d for d in docs if matched.complete(d)}
        first_tier = complete if matched.tiered else set()
        depth = request.page * request.size
        first = (request.page - 1) * request.size

        closeness = proximity.Closeness(
            self.occurrences, matched.looked_up, matched.weights, budget
        )

        def ranked(reach: int) -> list[tuple[int, float]]:
            head = _rank(
                searcher,
                columns,
                built,
                docs,
                factors,
                matched.counts,
                first_tier,
                max(reach, proximity.RESCORE_DEPTH),
                request.sort,
                budget,
            )
            if request.sort != "date" and not budget.exhausted():
                head = _closer_first(head, closeness, matched.held, first_tier)
            return head[:reach]

        page = _folded_page(ranked, columns, first, depth)
        docnums = [entry.docnum for entry in page]
        similar = similar_among(columns.clusters, docs, docnums)
        return ResultPage(
            built=built,
            total=len(docs),
            total_all_words=len(complete),
            phrases_as_words=unheld,
            entries=[
                Entry(e.docnum, e.score, matched.missing(e.docnum), similar[e.docnum][:MAX_SIMILAR])
                for e in page
            ],
            facets={name: columns.counts(name, docs) for name in FACETS},
        )

    def _narrow(self, built: BuiltQuery, docs: set[int]) -> set[int]:
        """``docs`` within the query's languages, sources and dates, less its exclusions."""
        parsed, columns, searcher = built.parsed, self.columns, self.searcher
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


def _closer_first(
    ranked: list[tuple[int, float]],
    closeness: proximity.Closeness,
    held: Callable[[int], set[int]],
    first_tier: set[int],
) -> list[tuple[int, float]]:
    """``ranked`` with its first ``RESCORE_DEPTH`` rescored by how close together each
    holds the query's units (``search.proximity``), the first tier kept first."""
    head = ranked[: proximity.RESCORE_DEPTH]
    factor = closeness.of([d for d, _ in head], held)
    rescored = [(d, score * factor[d]) for d, score in head]
    rescored.sort(key=lambda hit: (hit[0] not in first_tier, -hit[1], hit[0]))
    return rescored + ranked[proximity.RESCORE_DEPTH :]


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
