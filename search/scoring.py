"""The best documents of a set of matches: Whoosh's BM25F scores, computed term by term.

Whoosh scores a query document by document through a tree of matchers, some 25 µs per
document for a few terms, so a word found in 30,000 articles cost most of a second. Here
each ranking term's postings are read block by block (document ids and weights, the
same numbers Whoosh uses) and added into a score per document, the terms with the
highest possible score first. Once the documents already seen hold a top that no unseen
document could reach even with every remaining term (MaxScore), the remaining terms are
looked up only for the documents that can still make the top, skipping their blocks by
id. The result is Whoosh's ranking (same formula, same statistics, ties by document
number), computed from a fraction of the postings.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass

from whoosh.query import Term
from whoosh.searching import Searcher

from .budget import UNLIMITED, Budget
from .columns import Columns
from .matching import leaf_postings, posting_blocks, walk


@dataclass
class _TermStats:
    fieldname: str
    text: str
    scale: float  # boost * idf * (K1 + 1)
    flat: float  # K1 * (1 - B)
    per_length: float  # K1 * B / average field length
    bound: float  # the highest score this term gives any document

    def score(self, weight: float, length: int) -> float:
        return self.scale * weight / (weight + self.flat + self.per_length * length)


def top_documents(
    searcher: Searcher,
    columns: Columns,
    terms: list[Term],
    docs: set[int],
    factors: dict[int, float] | None,
    depth: int,
    budget: Budget = UNLIMITED,
) -> list[tuple[int, float]]:
    """The best ``depth`` of ``docs`` as (document number, score), best first, equal
    scores in document order. A score is the sum of the terms' BM25F scores (times the
    document's factor, at most 1, when ``factors`` is given). Once ``budget`` is spent
    the remaining terms are left out: the ranking is that of the terms scored so far."""
    if not docs or depth < 1:
        return []
    stats = sorted(_stats(searcher, terms), key=lambda s: -s.bound)
    factor = factors.__getitem__ if factors is not None else (lambda d: 1.0)
    partial: dict[int, float] = {}
    remaining = sum(s.bound for s in stats)
    candidates: set[int] | None = None  # set once no unseen document can reach the top
    for term in stats:
        if budget.exhausted():
            break
        remaining = max(remaining - term.bound, 0.0)  # never below 0 by rounding
        lengths = columns.lengths(term.fieldname)
        if candidates is None:
            for docnum, weight in _postings(searcher, term):
                if docnum in docs:
                    score = term.score(weight, lengths[docnum])
                    partial[docnum] = partial.get(docnum, 0.0) + score
        else:
            for docnum, weight in _lookups(searcher, term, candidates):
                partial[docnum] += term.score(weight, lengths[docnum])
        if len(partial) >= depth:
            threshold = heapq.nlargest(depth, (s * factor(d) for d, s in partial.items()))[-1]
            if threshold > remaining:
                pool = partial if candidates is None else candidates
                candidates = {d for d in pool if (partial[d] + remaining) * factor(d) >= threshold}
    pool = partial if candidates is None else candidates
    ranked = heapq.nsmallest(depth, ((-partial[d] * factor(d), d) for d in pool))
    found = [(d, -negative) for negative, d in ranked]
    if len(found) < depth:  # matches no ranking term gives a score to: last, score 0
        rest = sorted(docs - partial.keys())
        found += [(d, 0.0) for d in rest[: depth - len(found)]]
    return found


def _stats(searcher: Searcher, terms: list[Term]) -> Iterator[_TermStats]:
    weighting = searcher.weighting
    k1 = weighting.K1
    reader = searcher.reader()
    for term in terms:
        if (term.fieldname, term.text) not in reader:
            continue
        b = weighting._field_B.get(term.fieldname, weighting.B)
        info = searcher.term_info(term.fieldname, term.text)
        average = searcher.avg_field_length(term.fieldname) or 1
        stats = _TermStats(
            fieldname=term.fieldname,
            text=term.text,
            scale=term.boost * searcher.idf(term.fieldname, term.text) * (k1 + 1),
            flat=k1 * (1 - b),
            per_length=k1 * b / average,
            bound=0.0,
        )
        stats.bound = stats.score(info.max_weight(), info.min_length())
        yield stats


def _postings(searcher: Searcher, term: _TermStats) -> Iterator[tuple[int, float]]:
    """Every (document number, weight) of ``term`` (deleted documents are never in the
    set being scored, so they need no filtering)."""
    for matcher, offset, _ in leaf_postings(searcher, term.fieldname, term.text):
        for ids, weights in posting_blocks(matcher):
            for local, weight in zip(ids, weights, strict=True):
                yield local + offset, weight


def _lookups(searcher: Searcher, term: _TermStats, docs: set[int]) -> Iterator[tuple[int, float]]:
    """(document number, weight) of ``term`` in each of ``docs`` that has it."""
    matcher = searcher.reader().postings(term.fieldname, term.text)
    for docnum in walk(matcher, docs):
        yield docnum, matcher.weight()
