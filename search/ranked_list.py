"""Which articles make a query's ranked list, and what each missing word costs them.

One list for a two-word search and a twenty-word question alike. The query's *counted*
units (its words, quoted phrases and OR groups, less question and function words) are
looked up one by one; an article is listed when it has any of them, and its score is
multiplied by ``coordination(k, n)`` for k of the n units: 1 with every unit, less the
more it lacks, so articles with every word come first in effect (Lucene's coordination
factor). Every stricter rule measured (at least 30% or 50% of the units, as
Elasticsearch's ``minimum_should_match``) lost right answers of real questions
(bench/quality.py): a question's words are often not the answer's.

A long question holds common words (美国, 表示, 대통령) whose postings are most of the
cost. As in Lucene's CommonTermsQuery, a unit found in more than ``COMMON_SHARE`` of the
articles (and more than ``COMMON_MIN``) does not list an article by itself when the query
has rarer units: only the rarer units' postings are read whole, and the common ones are
looked up for the articles those found.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from whoosh.query import Or, Query
from whoosh.searching import Searcher

from .budget import UNLIMITED, Budget
from .matching import estimate, keep_only, matching_docs
from .query import Unit

# A unit in more than this share of the articles, and in more than COMMON_MIN of them, is
# common (see above): the rule saves reading long posting lists, which short ones are not.
COMMON_SHARE = 0.02
COMMON_MIN = 5000
# A score is multiplied by (units matched / units) ** COORDINATION_POWER.
COORDINATION_POWER = 1.0


def coordination(matched: int, units: int) -> float:
    return (matched / units) ** COORDINATION_POWER if units else 1.0


@dataclass
class Matched:
    """The articles of the ranked list and which units each has."""

    units: int  # how many units were looked up (all of them unless the budget ran out)
    labels: list[str]
    found: list[set[int]]  # per unit: the listed articles that have it
    counts: Counter  # per listed article: how many units it has
    docs: set[int]  # the listed articles

    def missing(self, docnum: int) -> list[str]:
        """The labels of the units ``docnum`` lacks, in the query's order."""
        pairs = zip(self.labels, self.found, strict=True)
        return [label for label, found in pairs if docnum not in found]


def match_units(searcher: Searcher, units: list[Unit], budget: Budget = UNLIMITED) -> Matched:
    """The articles with any of ``units`` (any of the rarer ones when some are common).
    Once ``budget`` is spent the units not yet looked up are left out (neither found nor
    missing)."""
    sizes = [_size(searcher, unit.match) for unit in units]
    common = max(COMMON_SHARE * searcher.doc_count(), COMMON_MIN)
    rare = [i for i, size in enumerate(sizes) if 0 < size <= common]
    leading = rare or list(range(len(units)))
    following = [i for i in range(len(units)) if i not in leading]
    found: dict[int, set[int]] = {}
    docs: set[int] = set()
    for i in sorted(leading, key=sizes.__getitem__):
        if found and budget.exhausted():
            break
        found[i] = matching_docs(searcher, units[i].match, budget)
        docs |= found[i]
    for i in sorted(following, key=sizes.__getitem__):
        if budget.exhausted():
            break
        found[i] = keep_only(searcher, units[i].match, docs) if docs else set()
    looked_up = [i for i in range(len(units)) if i in found]
    counts: Counter = Counter()
    for i in looked_up:
        counts.update(found[i])
    return Matched(
        units=len(looked_up),
        labels=[units[i].label for i in looked_up],
        found=[found[i] for i in looked_up],
        counts=counts,
        docs=docs,
    )


def _size(searcher: Searcher, query: Query) -> int:
    """About how many articles ``query`` matches: a union at least its largest part."""
    if isinstance(query, Or):
        return max((_size(searcher, sub) for sub in query.subqueries), default=0)
    return estimate(searcher, query)
