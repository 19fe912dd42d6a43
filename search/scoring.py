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

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from whoosh.query import Term
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .budget import UNLIMITED, Budget
from .columns import Columns
from .matching import WALK_RATIO, leaf_postings, posting_blocks, walk
from .schema import TITLE_BOOST

# The most terms a ranking reads, the strongest (``strongest``).
MAX_TERMS = 64
# The BM25F both engines score with (the Xapian engine's documents are built for its b,
# ``xapian_documents``): b 0.75 (Whoosh's and Lucene's default) and k1 2.5, chosen on
# bench/quality.py: a higher k1 weighs a word said often more against one said once, and
# of 0.9, 1.2 (Whoosh's default), 1.6, 2.0 and 2.5 each higher one ranked every column
# with distractors higher; 3.0 and 4.0 lowered ko-news alone, where hansearch is only
# level with the bigram baseline (see README).
WEIGHTING = BM25F(K1=2.5, B=0.75)
# The most a term's frequency can give a score, per field, as a share of boost x idf x
# (k1 + 1): a body repeats a word (its share nears 1); a title holds it once, in a few
# words (the title's field boost in a title of next to no length).
_TITLE_CEILING = TITLE_BOOST / (TITLE_BOOST + WEIGHTING.K1 * (1 - WEIGHTING.B))
CEILING = {"title": _TITLE_CEILING, "title_chars": _TITLE_CEILING, "body": 1.0, "body_chars": 1.0}


def idf(articles: int, having: int) -> float:
    """Whoosh's BM25 idf of a term ``having`` of ``articles`` hold."""
    return math.log(articles / (having + 1)) + 1


def strongest(terms: list[Term], articles: int, having: Callable[[Term], int]) -> list[Term]:
    """The ``MAX_TERMS`` of ``terms`` (those some article holds) that can add most to a
    score: boost x idf x the field's ``CEILING``, judged from the query and the archive's
    counts alone, so that both engines, and shards searched as one, leave out the same
    (common words, function words: what they add changes little, and reading their
    postings is most of the cost). Equal strengths in field and text order."""
    present = [(t, n) for t, n in ((t, having(t)) for t in terms) if n]
    present.sort(
        key=lambda pair: (
            -pair[0].boost * idf(articles, pair[1]) * CEILING[pair[0].fieldname],
            pair[0].fieldname,
            pair[0].text,
        )
    )
    return [t for t, _ in present[:MAX_TERMS]]


@dataclass
class _TermStats:
    fieldname: str
    text: str
    scale: float  # boost * idf * (K1 + 1)
    flat: float  # K1 * (1 - B)
    per_length: float  # K1 * B / average field length
    bound: float  # the highest score this term gives any document
    postings: int  # how many documents have the term

    def score(self, weight: float, length: int) -> float:
        return self.scale * weight / (weight + self.flat + self.per_length * length)

    def scores(self, weights: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return self.scale * weights / (weights + self.flat + self.per_length * lengths)


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
    size = searcher.doc_count_all()
    chosen = strongest(terms, size, lambda t: searcher.doc_frequency(t.fieldname, t.text))
    stats = sorted(_stats(searcher, chosen), key=lambda s: -s.bound)
    allowed = np.zeros(size, dtype=bool)
    listed = np.sort(np.fromiter(docs, dtype=np.int64, count=len(docs)))
    allowed[listed] = True
    factor = np.ones(size)
    if factors:
        factor[np.fromiter(factors.keys(), dtype=np.int64, count=len(factors))] = np.fromiter(
            factors.values(), dtype=float, count=len(factors)
        )
    score = np.zeros(size)  # the partial scores, times the factors
    seen = np.zeros(size, dtype=bool)
    remaining = sum(s.bound for s in stats)
    candidates: np.ndarray | None = None  # set once no unseen document can reach the top
    check_below = float("inf")  # look for the threshold again once remaining is below this
    for term in stats:
        if budget.exhausted():
            break
        remaining = max(remaining - term.bound, 0.0)  # never below 0 by rounding
        lengths = np.frombuffer(columns.lengths(term.fieldname), dtype=np.uint32)
        if candidates is None and term.postings > WALK_RATIO * len(docs):
            # Far more postings than documents to score: look the term up for each.
            for docnum, weight in _lookups(searcher, term, listed):
                score[docnum] += factor[docnum] * term.score(weight, int(lengths[docnum]))
                seen[docnum] = True
        elif candidates is None:
            for ids, weights in _blocks(searcher, term):
                keep = allowed[ids]
                ids, weights = ids[keep], weights[keep]
                score[ids] += factor[ids] * term.scores(weights, lengths[ids])
                seen[ids] = True
        else:
            for docnum, weight in _lookups(searcher, term, candidates):
                score[docnum] += factor[docnum] * term.score(weight, int(lengths[docnum]))
            # As the remaining terms shrink, fewer candidates can still make the top.
            if len(candidates) > depth:
                threshold = np.partition(score[candidates], len(candidates) - depth)[
                    len(candidates) - depth
                ]
                reach = score[candidates] + factor[candidates] * remaining
                candidates = candidates[reach >= threshold]
            continue
        # Finding the threshold costs a pass over the scores: only once the remaining
        # terms could add less than the best score so far, and again once that fell a tenth.
        if remaining < check_below and remaining < score.max():
            check_below = remaining * 0.9
            pool = np.flatnonzero(seen) if candidates is None else candidates
            if len(pool) >= depth:
                threshold = np.partition(score[pool], len(pool) - depth)[len(pool) - depth]
                # What a document can still gain is its factor (at most 1) times remaining.
                unseen = allowed & ~seen
                if threshold > remaining * (factor[unseen].max() if unseen.any() else 0.0):
                    candidates = pool[score[pool] + factor[pool] * remaining >= threshold]
    pool = np.flatnonzero(seen) if candidates is None else candidates
    order = np.lexsort((pool, -score[pool]))[:depth]
    found = [(int(pool[i]), float(score[pool[i]])) for i in order]
    if len(found) < depth:  # matches no ranking term gives a score to: last, score 0
        rest = sorted(docs - set(np.flatnonzero(seen).tolist()))
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
            postings=info.doc_frequency(),
        )
        stats.bound = stats.score(info.max_weight(), info.min_length())
        yield stats


def _blocks(searcher: Searcher, term: _TermStats) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(document numbers, weights) of ``term``, a block at a time (deleted documents are
    never in the set being scored, so they need no filtering)."""
    for matcher, offset, _ in leaf_postings(searcher, term.fieldname, term.text):
        for ids, weights in posting_blocks(matcher):
            yield (
                np.asarray(ids, dtype=np.int64) + offset,
                np.asarray(weights, dtype=float),
            )


def _lookups(searcher: Searcher, term: _TermStats, docs: np.ndarray) -> Iterator[tuple[int, float]]:
    """(document number, weight) of ``term`` in each of ``docs`` that has it."""
    matcher = searcher.reader().postings(term.fieldname, term.text)
    for docnum in walk(matcher, docs.tolist()):
        yield docnum, matcher.weight()
