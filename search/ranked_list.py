"""Which articles make a query's ranked list, and what each missing word costs them.

One list for a two-word search and a twenty-word question alike. The query's *counted*
units (its words, quoted phrases and OR groups, less question and function words) are
looked up one by one; an article is listed when it has any of them. Its score is
multiplied by its *coordination*: 1 with every unit, else the share of the units' weight
it has, to the power ``COORDINATION_POWER``, a unit weighing its rarity (idf: log(1 +
articles / articles with it), counted exactly for the units whose postings are read whole,
estimated for the common ones). Lacking a rare word (梵語, 나토) costs an article much,
lacking a common one (可能, 시간) little (Lucene's coordination factor, weighted). An
article lacking a compound but holding its parts apart (국회 … 일정 for 국회일정) still
lacks it, and earns ``PART_CREDIT`` of its weight times the share of the parts it holds. A
search of at most ``TIER_MAX_UNITS`` units lists the articles with every word first, then
the others (what a keyword search promises); a longer one ranks all of them together by
score times coordination, since a question's words are often not all the answer's.
Every stricter rule measured (at least 30% or 50% of the units, as Elasticsearch's
``minimum_should_match``) lost right answers of real questions (bench/quality.py).

A long question holds common words (美国, 表示, 대통령) whose postings are most of the
cost. As in Lucene's CommonTermsQuery, a unit found in more than ``COMMON_SHARE`` of the
articles (and more than ``COMMON_MIN``) does not list an article by itself when the query
has rarer units: only the rarer units' postings are read whole, and the common ones are
looked up for the articles those found.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from whoosh.query import Or, Query
from whoosh.searching import Searcher

from .budget import UNLIMITED, Budget
from .matching import estimate, keep_only, matching_docs
from .query import Clause, Unit

# A unit in more than this share of the articles, and in more than COMMON_MIN of them, is
# common (see above): the rule saves reading long posting lists, which short ones are not.
COMMON_SHARE = 0.02
COMMON_MIN = 5000
# A score is multiplied by (weight of the units matched / weight of all) ** this.
COORDINATION_POWER = 3.0
# An article lacking a unit earns this share of its weight times the share of the unit's
# parts it holds (``Unit.parts``; 0.3, 0.5 and 1.0 measured, see README).
PART_CREDIT = 0.5
# Searches of at most this many counted units list the articles with every word first.
TIER_MAX_UNITS = 3


def rarity(articles: int, having: int) -> float:
    """A unit's weight in coordination: log(1 + articles / articles with it), a unit in
    no article weighing as one in a single article."""
    return math.log(1 + articles / max(having, 1))


@dataclass
class Matched:
    """The articles of the ranked list and which units each has."""

    looked_up: list[Unit]  # the units looked up (all of them unless the budget ran out)
    found: list[set[int]]  # per unit: the listed articles that have it
    counts: Counter  # per listed article: how many units it has
    docs: set[int]  # the listed articles
    weights: list[float]  # per unit: its rarity (``rarity``)
    unheld: list[Clause]  # quoted phrases (each a unit by itself) that no article holds
    # per unit: the listed articles lacking it that hold some of its parts -> their share
    partly: list[dict[int, float]]

    @property
    def units(self) -> int:
        """How many units were looked up."""
        return len(self.looked_up)

    @property
    def labels(self) -> list[str]:
        return [unit.label for unit in self.looked_up]

    @property
    def tiered(self) -> bool:
        """Whether the articles with every unit are listed before the others."""
        return self.units <= TIER_MAX_UNITS

    def complete(self, docnum: int) -> bool:
        return self.counts[docnum] == self.units

    def coordination(self, docs: set[int]) -> dict[int, float]:
        """Per article of ``docs``: 1 with every unit, else (the weight of the units it has,
        and PART_CREDIT of those it holds parts of / the weight of all) **
        COORDINATION_POWER."""
        whole = sum(self.weights) or 1.0
        share: Counter = Counter()
        for weight, found in zip(self.weights, self.found, strict=True):
            for docnum in found & docs:
                share[docnum] += weight
        for weight, partly in zip(self.weights, self.partly, strict=True):
            for docnum, part in partly.items():
                if docnum in docs:
                    share[docnum] += weight * PART_CREDIT * part
        return {
            d: 1.0 if self.complete(d) else (share[d] / whole) ** COORDINATION_POWER for d in docs
        }

    def held(self, docnum: int) -> set[int]:
        """The indexes of the units ``docnum`` has."""
        return {i for i, found in enumerate(self.found) if docnum in found}

    def missing(self, docnum: int) -> list[str]:
        """The labels of the units ``docnum`` lacks, in the query's order."""
        pairs = zip(self.labels, self.found, strict=True)
        return [label for label, found in pairs if docnum not in found]


def match_units(searcher: Searcher, units: list[Unit], budget: Budget = UNLIMITED) -> Matched:
    """The articles with any of ``units`` (any of the rarer ones when some are common),
    and which parts of the units they lack they hold. Once ``budget`` is spent the units
    not yet looked up are left out (neither found nor missing), and parts not looked up
    earn nothing."""
    sizes = [_size(searcher, unit.match) for unit in units]
    total = searcher.doc_count_all()
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
    partly: dict[int, dict[int, float]] = {}
    for i in looked_up:
        held: Counter = Counter()
        parts = units[i].parts
        lacking = docs - found[i]
        for part in parts:
            if budget.exhausted() or not lacking:
                break
            held.update(keep_only(searcher, part, lacking))
        partly[i] = {d: n / len(parts) for d, n in held.items()}
    counts: Counter = Counter()
    for i in looked_up:
        counts.update(found[i])
    return Matched(
        looked_up=[units[i] for i in looked_up],
        found=[found[i] for i in looked_up],
        counts=counts,
        docs=docs,
        weights=[rarity(total, len(found[i]) if i in leading else sizes[i]) for i in looked_up],
        partly=[partly[i] for i in looked_up],
        unheld=[
            units[i].phrase
            for i in looked_up
            if units[i].phrase and (sizes[i] == 0 or (i in leading and not found[i]))
        ],
    )


def _size(searcher: Searcher, query: Query) -> int:
    """About how many articles ``query`` matches: a union at least its largest part."""
    if isinstance(query, Or):
        return max((_size(searcher, sub) for sub in query.subqueries), default=0)
    return estimate(searcher, query)
