"""Which documents match a query, as a set of document numbers.

A search has two jobs of different cost. Counting (the total and the facets) needs every
matching document but no score; ranking needs scores only for the documents that can
reach the requested page (``scoring``). Whoosh's facet collector does both for every
match, through a matcher per posting. Here the matches come from the posting lists'
document ids, read a block at a time, combined with set operations; a long list met with
few candidates is walked by skipping to each candidate instead of being read whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, Or, Phrase, Query, Term
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from .budget import UNLIMITED, Budget

# A word whose posting list is this many times longer than the candidates so far is
# checked document by document (its blocks are skipped by id) instead of read whole.
WALK_RATIO = 8


def matching_docs(searcher: Searcher, query: Query, budget: Budget = UNLIMITED) -> set[int]:
    """The (top-level) numbers of the documents that match ``query``. Once ``budget`` is
    spent, what is left of an intersection is not applied (the set is larger than the
    exact one) and what is left of a union not added (smaller)."""
    if isinstance(query, And):
        return _intersection(searcher, query.subqueries, budget)
    if isinstance(query, Or):
        return _union(searcher, query.subqueries, None, budget)
    if isinstance(query, Term):
        return _term_docs(searcher, query.fieldname, query.text)
    if isinstance(query, Phrase):
        return _phrase_docs(searcher, query, None)
    return set(query.docs(searcher))


def _union(
    searcher: Searcher, subqueries: list[Query], within: set[int] | None, budget: Budget
) -> set[int]:
    """Documents matching any of ``subqueries`` (of ``within`` only, when given). Terms
    are read first: a phrase then checks positions only in the documents not found yet
    (a word's term finds most of what its characters' phrase would)."""
    found: set[int] = set()
    ordered = sorted(subqueries, key=lambda q: isinstance(q, Phrase))
    for sub in ordered:
        if found and budget.exhausted():
            break
        if isinstance(sub, Phrase):
            found |= _phrase_docs(searcher, sub, (within, found))
        elif within is not None:
            found |= keep_only(searcher, sub, within - found)
        else:
            found |= matching_docs(searcher, sub, budget)
    return found


def _phrase_docs(
    searcher: Searcher, phrase: Phrase, rest: tuple[set[int] | None, set[int]] | None
) -> set[int]:
    """Documents where the phrase's terms stand at consecutive positions; with ``rest`` =
    (candidates or None for all, documents to skip), only candidates not skipped."""
    within, skip = rest if rest is not None else (None, set())
    terms = [Term(phrase.fieldname, text) for text in phrase.words]
    ordered = sorted(terms, key=lambda t: estimate(searcher, t))
    if within is None:
        docs = _term_docs(searcher, phrase.fieldname, ordered[0].text) - skip
    else:
        docs = keep_only(searcher, ordered[0], within - skip)
    for term in ordered[1:]:
        if not docs:
            return docs
        docs = keep_only(searcher, term, docs)
    if len(terms) == 1 or not docs:
        return docs
    positions = [_positions(searcher, phrase.fieldname, text, docs) for text in phrase.words]
    return {
        d
        for d in docs
        if any(
            all(start + k in found[d] for k, found in enumerate(positions[1:], 1))
            for start in positions[0][d]
        )
    }


def _positions(searcher: Searcher, fieldname: str, text: str, docs: set[int]) -> dict[int, set]:
    """The positions of a term in each of ``docs`` (which all have it)."""
    found: dict[int, set] = {}
    ordered = sorted(docs)
    for reader, offset in searcher.reader().leaf_readers():
        end = offset + reader.doc_count_all()
        local = [d - offset for d in ordered if offset <= d < end]
        if not local:
            continue
        try:
            matcher = reader.postings(fieldname, text)
        except TermNotFound:
            continue
        for docnum in walk(matcher, local):
            found[docnum + offset] = set(matcher.value_as("positions"))
    return found


def walk(matcher, docnums: Iterable[int]) -> Iterator[int]:
    """Moves ``matcher`` to each of ``docnums`` in order and yields those it has; the
    matcher stands on each yielded document (read its weight or values then)."""
    for docnum in sorted(docnums):
        if not matcher.is_active():
            return
        matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            yield docnum


def keep_only(searcher: Searcher, query: Query, docs: set[int]) -> set[int]:
    """``docs`` that match ``query``: a long posting list is walked to each of them,
    a short one read whole."""
    if isinstance(query, Or):
        return _union(searcher, query.subqueries, docs, UNLIMITED)
    if isinstance(query, Phrase):
        return _phrase_docs(searcher, query, (docs, set()))
    if estimate(searcher, query) > WALK_RATIO * len(docs):
        return set(walk(query.matcher(searcher, searcher.boolean_context()), docs))
    return docs & matching_docs(searcher, query)


def drop_matching(searcher: Searcher, query: Query, docs: set[int]) -> set[int]:
    """``docs`` without those matching ``query`` (exclusions)."""
    return docs - keep_only(searcher, query, docs)


def estimate(searcher: Searcher, query: Query) -> int:
    """An upper bound of the documents ``query`` matches, from document frequencies."""
    if isinstance(query, And):
        return min((estimate(searcher, sub) for sub in query.subqueries), default=0)
    if isinstance(query, Or):
        return sum(estimate(searcher, sub) for sub in query.subqueries)
    return query.estimate_size(searcher.reader())


def _intersection(searcher: Searcher, subqueries: list[Query], budget: Budget) -> set[int]:
    ordered = sorted(subqueries, key=lambda q: estimate(searcher, q))
    found = matching_docs(searcher, ordered[0], budget)
    for sub in ordered[1:]:
        if not found or budget.exhausted():
            break
        found = keep_only(searcher, sub, found)
    return found


def _term_docs(searcher: Searcher, fieldname: str, text: str) -> set[int]:
    """A term's documents read block by block: ids only, without a matcher per posting."""
    found: set[int] = set()
    for matcher, offset, deleted in leaf_postings(searcher, fieldname, text):
        part: set[int] = set()
        for ids, _ in posting_blocks(matcher):
            part.update(ids)
        part -= deleted
        found |= {docnum + offset for docnum in part} if offset else part
    return found


def leaf_postings(searcher: Searcher, fieldname: str, text: str):
    """(matcher, offset of the segment, its deleted documents) for each segment with
    the term; the matcher is the segment's own, deleted documents not filtered out."""
    for reader, offset in searcher.reader().leaf_readers():
        try:
            matcher = reader.postings(fieldname, text)
        except TermNotFound:
            continue
        deleted: set[int] = set()
        if isinstance(matcher, FilterMatcher):  # the segment has deleted documents
            deleted, matcher = matcher._ids, matcher.child
        yield matcher, offset, deleted


def posting_blocks(matcher) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(document ids, weights) of a posting list, a block at a time (Whoosh's own format:
    decoded per block, not per posting; any other format: walked, as one block)."""
    if not hasattr(matcher, "_read_ids"):
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights
        return
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        start = matcher._i
        yield matcher._ids[start:], matcher._weights[start:]
        matcher._next_block()
