"""Which documents match a query, as a set of document numbers.

A search has two jobs of different cost. Counting (the total and the facets) needs every
matching document but no score; ranking needs scores only for the documents that can
reach the requested page (``scoring``). Whoosh's facet collector does both for every
match, through a matcher per posting. Here the matches come from the posting lists'
document ids, read a block at a time, combined with set operations; a long list met with
few candidates is walked by skipping to each candidate instead of being read whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, Or, Query, Term
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

# A word whose posting list is this many times longer than the candidates so far is
# checked document by document (its blocks are skipped by id) instead of read whole.
WALK_RATIO = 8


def matching_docs(searcher: Searcher, query: Query) -> set[int]:
    """The (top-level) numbers of the documents that match ``query``."""
    if isinstance(query, And):
        return _intersection(searcher, query.subqueries)
    if isinstance(query, Or):
        found: set[int] = set()
        for sub in query.subqueries:
            found |= matching_docs(searcher, sub)
        return found
    if isinstance(query, Term):
        return _term_docs(searcher, query.fieldname, query.text)
    return set(query.docs(searcher))


def keep_matching(searcher: Searcher, query: Query, docs: Iterable[int]) -> set[int]:
    """Those of ``docs`` that match ``query``, found by skipping along its postings."""
    matcher = query.matcher(searcher, searcher.boolean_context())
    kept = set()
    for docnum in sorted(docs):
        if not matcher.is_active():
            break
        matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            kept.add(docnum)
    return kept


def keep_only(searcher: Searcher, query: Query, docs: set[int]) -> set[int]:
    """``docs`` that match ``query`` (a date range)."""
    if estimate(searcher, query) > WALK_RATIO * len(docs):
        return keep_matching(searcher, query, docs)
    return docs & matching_docs(searcher, query)


def drop_matching(searcher: Searcher, query: Query, docs: set[int]) -> set[int]:
    """``docs`` without those matching ``query`` (exclusions, masks)."""
    if estimate(searcher, query) > WALK_RATIO * len(docs):
        return docs - keep_matching(searcher, query, docs)
    return docs - matching_docs(searcher, query)


def word_counts(searcher: Searcher, words: list[Query]) -> Counter:
    """For every document matching any of ``words``, how many of them it matches."""
    counts: Counter = Counter()
    for word in words:
        counts.update(matching_docs(searcher, word))
    return counts


def estimate(searcher: Searcher, query: Query) -> int:
    """An upper bound of the documents ``query`` matches, from document frequencies."""
    if isinstance(query, And):
        return min((estimate(searcher, sub) for sub in query.subqueries), default=0)
    if isinstance(query, Or):
        return sum(estimate(searcher, sub) for sub in query.subqueries)
    return query.estimate_size(searcher.reader())


def _intersection(searcher: Searcher, subqueries: list[Query]) -> set[int]:
    ordered = sorted(subqueries, key=lambda q: estimate(searcher, q))
    found = matching_docs(searcher, ordered[0])
    for sub in ordered[1:]:
        if not found:
            break
        if estimate(searcher, sub) > WALK_RATIO * len(found):
            found = keep_matching(searcher, sub, found)
        else:
            found &= matching_docs(searcher, sub)
    return found


def _term_docs(searcher: Searcher, fieldname: str, text: str) -> set[int]:
    """A term's documents read block by block: ids only, without a matcher per posting."""
    found: set[int] = set()
    for reader, offset in searcher.reader().leaf_readers():
        try:
            matcher = reader.postings(fieldname, text)
        except TermNotFound:
            continue
        deleted = set()
        if isinstance(matcher, FilterMatcher):  # the segment has deleted documents
            deleted, matcher = matcher._ids, matcher.child
        ids = _block_ids(matcher)
        if ids is None:  # not Whoosh's own posting format: walk it
            ids = list(matcher.all_ids())
        part = set(ids) - deleted if deleted else set(ids)
        found |= {docnum + offset for docnum in part} if offset else part
    return found


def _block_ids(matcher) -> list[int] | None:
    if not hasattr(matcher, "_read_ids"):
        return None
    ids: list[int] = []
    while matcher.is_active():
        matcher._read_ids()
        ids.extend(matcher._ids[matcher._i :])
        matcher._next_block()
    return ids
