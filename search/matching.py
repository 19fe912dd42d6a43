"""Which documents match a query, as a set of document numbers.

A search has two jobs of different cost. Counting (the total and the facets) needs every
matching document but no score; ranking needs scores only for the documents that can
reach the requested page (``scoring``). Whoosh's facet collector does both for every
match, through a matcher per posting. Here the matches come from the posting lists'
document ids, read a block at a time, combined with set operations; a long list met with
few candidates is walked by skipping to each candidate instead of being read whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pickle import loads

from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, Or, Phrase, Query, Term
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.system import _INT_SIZE, unpack_uint

from .budget import UNLIMITED, Budget
from .highlight import Place, phrase_at

# A word whose posting list is this many times longer than the candidates so far is
# checked document by document (its blocks are skipped by id) instead of read whole.
WALK_RATIO = 8
# A posting of more places than this has its first READ_FIRST read from its pickle one by
# one (about 1.5 us each) before the rest, if wanted, is unpickled whole (about 0.06 us a
# place, but all of them): a snippet or the words-together head reads a few hundred of a
# 20 MB article's 300,000; a shorter posting is unpickled whole at once.
STEPWISE_ABOVE = 16_384
READ_FIRST = 1024
# A pickled list (protocol 2) and the steps in it: three small integers to a tuple,
# batches between MARK and APPENDS. Anything else (a large integer, a memo reference)
# is read by unpickling.
_PICKLE_HEAD = re.compile(rb"\x80\x02\](?:q.|r....)?", re.S)
_INT = rb"(K.|M..|J....)"
_PICKLED_STEP = re.compile(_INT * 3 + rb"\x87(?:q.|r....)?|\(|e(?=[(.])", re.S)


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
    places = [_places_in(searcher, phrase.fieldname, text, docs) for text in phrase.words]
    # Each document's places are read until the phrase is first found.
    return {d for d in docs if phrase_at([iter(found[d]) for found in places], most=1)}


def _places_in(
    searcher: Searcher, fieldname: str, text: str, docs: set[int]
) -> dict[int, Iterator[Place]]:
    """The places of a term in each of ``docs`` (which all have it)."""
    found: dict[int, Iterator[Place]] = {}
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
            found[docnum + offset] = posting_places(matcher.value())
    return found


def posting_places(value: bytes) -> Iterator[Place]:
    """A term's (position, start, end) in one document from its posting's value (Whoosh's
    ``Characters`` format: a count, then steps, pickled), made as they are read."""
    position = end = 0
    for position_step, start_step, length in _pickled_steps(value):
        position += position_step
        start = end + start_step
        end = start + length
        yield position, start, end


def _pickled_steps(value: bytes) -> Iterator[tuple[int, int, int]]:
    """A posting's steps; of a posting of more than ``STEPWISE_ABOVE`` places, the first
    ``READ_FIRST`` are read from the pickle one by one, so a caller reading a few places of
    a 20 MB article's word pays for those, and one reading all pays what unpickling costs."""
    data = value[_INT_SIZE:] if value.endswith(b".") else value[_INT_SIZE:] + b"."
    read = 0
    head = _PICKLE_HEAD.match(data) if unpack_uint(value[:_INT_SIZE])[0] > STEPWISE_ABOVE else None
    if head:
        at = head.end()
        while read < READ_FIRST and (step := _PICKLED_STEP.match(data, at)):
            at = step.end()
            if step.lastindex is not None:  # not a mark or the end of a batch
                read += 1
                yield tuple(map(_pickled_int, step.groups()))
        if data[at : at + 1] == b".":
            return
    yield from loads(data)[read:]


def _pickled_int(code: bytes) -> int:
    return int.from_bytes(code[1:], "little", signed=code[0] == 0x4A)  # J: signed


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
