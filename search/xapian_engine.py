"""The Xapian engine: one database on disk, or several shards served by ``xapian-tcpsrv``
searched as one (Xapian merges their term statistics, so the answer is the one a single
database holding every document gives).

The query language, the analysis and the ranked list's rules are hansearch's own
(``search.query``, ``search.ranked_list``); Xapian matches and scores in C++:

- the *listed* articles are those with any counted unit (the rarer ones when some are
  common; when all are common, found by their words' terms only), within the filters;
  their total and facets come from one boolean pass;
- articles with every unit are a Xapian AND; a search of at most ``TIER_MAX_UNITS``
  units lists them first;
- scores are Xapian's BM25 of the ranking terms (character-view weights as query
  weights, each term's times Whoosh's idf over Xapian's, so that a score is the Whoosh
  engine's BM25F: the title's boost is in the index's frequencies; a long query's
  ``MAX_TERMS`` strongest); the others are ranked by that score times their
  coordination, computed for the ``RERANK`` x depth of them gathered first (a rescoring
  window, as Elasticsearch's ``rescore``) by BM25 plus a bonus per rare unit held,
  weighed by its rarity (so that an article holding the rarer units is gathered even when
  its BM25 alone is not among the best), the units each holds (and the parts it holds
  of the compounds it lacks) found by one query per ``HOLD_BATCH`` of them within them;
- the first ``proximity.RESCORE_DEPTH`` of that ranking are rescored by how close
  together each holds the units (``search.proximity``, from the offsets in its data);
- equal scores are ordered by id and near-duplicates folded by Xapian's collapse on the
  cluster, so shards and one database give the same page;
- newest first ranks by the number of units held (Xapian's CoordWeight over one clause
  per unit), then by date.

Xapian's time limit only stops exhaustive counting; what bounds a search's cost is the
work asked (the strongest terms, common words by their terms), and its budget is checked
between the queries of a search.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

import xapian
from whoosh.query import And, Or, Phrase, Query, Term, TermRange

from . import proximity, ranked_list, scoring
from .budget import Budget
from .engine import Entry, ResultPage
from .models import MAX_RESULT_DEPTH, SearchRequest
from .query import BuiltQuery, QueryBuilder, Unit, as_words
from .ranked_list import rarity
from .related import TUNING, distinctive_words
from .scoring import MAX_TERMS
from .xapian_documents import (
    CHAR_FIELDS,
    CLUSTER_PREFIX,
    FACETS,
    LANG_PREFIX,
    NEWEST_WIDTH,
    SLOT_CLUSTER,
    SLOT_DAY,
    SLOT_FACETS,
    SLOT_ID,
    SLOT_NEWEST,
    SOURCE_PREFIX,
    WDF_SCALE,
    WORD_FIELDS,
    DocumentData,
    id_term,
    term,
)

# The partial matches re-ranked by coordination: this many times the depth asked for,
# at least RERANK_MIN, gathered by BM25 plus this bonus per unit held (see _gathering;
# 0, 1 and 3 measured on zh-news+50k: R@100 .883, .933, .942).
RERANK = 4
RERANK_MIN = 100
GATHER_BONUS = 3.0
# The units whose holders one query finds (see _Search._hold).
HOLD_BATCH = 48
MAX_SIMILAR = 50
# How deep a ranking goes to fill a page once near-duplicates are folded.
MAX_FOLD_DEPTH = 4 * MAX_RESULT_DEPTH
_OR = xapian.Query.OP_OR
_AND = xapian.Query.OP_AND


def bm25() -> xapian.Weight:
    """The Whoosh engine's BM25F (``scoring.WEIGHTING``) over the per-field normalised
    frequencies the index holds (``xapian_documents.WDF_SCALE``)."""
    return xapian.BM25Weight(scoring.WEIGHTING.K1 * WDF_SCALE, 0, 1, 0, 0.5)


class XapianEngine:
    """A search on one opened Xapian database (local, or the union of remote shards)."""

    def __init__(self, db: xapian.Database, generation: str, builder: QueryBuilder) -> None:
        self.db = db
        self.generation = generation
        self.builder = builder
        self._data: dict[int, DocumentData] = {}

    # What SearchService asks of an engine (search.engine).

    def doc_count(self) -> int:
        return self.db.get_doccount()

    def close(self) -> None:
        self.db.close()

    def stored(self, docnum: int) -> dict:
        return self._read(docnum).stored

    def docnum(self, doc_id: str) -> int | None:
        for item in self.db.postlist(id_term(doc_id)):
            return item.docid
        return None

    def occurrences(self, docnums, fieldname: str, text: str) -> dict[int, Iterator]:
        found = {}
        for docnum in docnums:
            offsets = self._read(docnum).offsets
            if fieldname in CHAR_FIELDS:
                positions = self._positions(docnum, term(fieldname, text))
                places = offsets.at_positions(fieldname, positions)
            else:
                places = offsets.of_term(fieldname, text)
            first = next(places, None)
            if first is not None:
                found[docnum] = chain((first,), places)
        return found

    def _positions(self, docnum: int, name: str) -> Iterator[int]:
        try:
            yield from self.db.positionlist(docnum, name)
        except xapian.RangeError:  # a term the document does not have
            return

    def page(self, built: BuiltQuery, request: SearchRequest, budget: Budget) -> ResultPage:
        units = built.counted
        unheld = [u.phrase for u in units if u.phrase and not self._exists(_query(u.match))]
        if unheld:
            built = self.builder.build(as_words(built.parsed, unheld))
            units = built.counted
        search = _Search(self, built, units, budget)
        depth = request.page * request.size
        first = (request.page - 1) * request.size
        page = search.folded_page(first, depth, request.sort)
        similar = search.similar(page)
        entries = [
            Entry(i.docnum, i.score, search.missing(i.docnum), similar.get(i.docnum, []))
            for i in page
        ]
        return ResultPage(
            built=built,
            total=search.total,
            total_all_words=search.total_all_words,
            phrases_as_words=[f'"{clause.text}"' for clause in unheld],
            entries=entries,
            facets=search.facets,
        )

    def related(self, docnum: int, limit: int) -> list[tuple[int, float]]:
        stored = self.stored(docnum)
        words = distinctive_words(
            _Frequencies(self.db),
            self.builder.words,
            stored.get("title", ""),
            stored.get("body", ""),
        )
        if not words:
            return []
        alternatives = []
        for word in words:
            for fieldname in WORD_FIELDS:  # a title's boost is in its frequencies
                alternatives.append(
                    _scaled(xapian.Query(term(fieldname, word.term)), word.saturated)
                )
        query = xapian.Query(_OR, alternatives)
        lang = stored.get("lang", "")
        if lang:
            family = ("zh-Hans", "zh-Hant") if lang.startswith("zh") else (lang,)
            langs = xapian.Query(_OR, [LANG_PREFIX + f for f in family])
            query = xapian.Query(xapian.Query.OP_FILTER, query, langs)
        refused = [xapian.Query(id_term(stored["id"]))]
        if stored.get("cluster"):
            refused.append(xapian.Query(CLUSTER_PREFIX + stored["cluster"]))
        query = xapian.Query(xapian.Query.OP_AND_NOT, query, xapian.Query(_OR, refused))
        enquire = self._enquire(query)
        found: list[tuple[int, float]] = []
        seen: set[str] = set()
        wanted = {term(f, w.term) for w in words for f in WORD_FIELDS}
        needed = min(TUNING.min_shared, len(words))
        for item in enquire.get_mset(0, (limit + 10) * 3):
            held = {t.decode("utf-8") for t in enquire.matching_terms(item.docid)} & wanted
            if len({h[1:] for h in held}) < needed:
                continue
            cluster = item.document.get_value(SLOT_CLUSTER).decode("utf-8")
            if cluster and cluster in seen:
                continue
            seen.add(cluster)
            found.append((item.docid, item.weight))
            if len(found) == limit:
                break
        return found

    def correction(self, word: str, surface: str, latin: bool, distance: int) -> str | None:
        if any(self.db.get_termfreq(term(f, word)) for f in WORD_FIELDS):
            return None
        found = self.db.get_spelling_suggestion(surface, distance).decode("utf-8")
        return found if found and found != surface and found.isascii() == latin else None

    # Helpers.

    def _read(self, docnum: int) -> DocumentData:
        found = self._data.get(docnum)
        if found is None:
            if len(self._data) > 256:
                self._data.clear()
            found = self._data[docnum] = DocumentData(self.db.get_document(docnum).get_data())
        return found

    def _enquire(self, query: xapian.Query, weight: xapian.Weight | None = None) -> xapian.Enquire:
        enquire = xapian.Enquire(self.db)
        enquire.set_query(query)
        enquire.set_weighting_scheme(weight or bm25())
        return enquire

    def _exists(self, query: xapian.Query) -> bool:
        return bool(self._enquire(query, xapian.BoolWeight()).get_mset(0, 1).size())

    def count(
        self, query: xapian.Query, budget: Budget, facets: bool = False
    ) -> tuple[int, dict[str, Counter]]:
        """How many documents match ``query`` (exactly, unless ``budget`` runs out: then
        Xapian's estimate), and with ``facets`` the count of each language, source and
        month among those counted."""
        return count_matches(self.db, query, budget, facets)

    def top(
        self, query: xapian.Query, count: int, budget: Budget, by_date: bool = False
    ) -> list[_Item]:
        """The best ``count`` of ``query``, equal weights by id (by date: most units held,
        then newest), near-duplicates folded under the best of their cluster (Xapian's
        collapse: an article with no cluster never folds)."""
        if count < 1:
            return []
        enquire = self._enquire(query, xapian.CoordWeight() if by_date else None)
        if by_date:
            enquire.set_sort_by_relevance_then_value(SLOT_NEWEST, True)
        else:
            enquire.set_sort_by_relevance_then_value(SLOT_ID, False)
        enquire.set_collapse_key(SLOT_CLUSTER)
        _limit(enquire, budget)
        skip = NEWEST_WIDTH if by_date else 0
        mset = enquire.get_mset(0, count)
        # The bindings' MSetItem leaves out the sort key (the id here); their iterator has it.
        hits = [mset._get_hit_internal(index) for index in range(mset.size())]
        items = [
            _Item(
                h.get_docid(),
                steady(h.get_weight()),
                h.get_sort_key()[skip:].decode(),
                h.get_collapse_key(),
                h.get_weight(),
            )
            for h in hits
        ]
        if not by_date:
            items.sort(key=lambda item: (-item.score, item.doc_id))
        return items


@dataclass
class _Item:
    docnum: int
    score: float
    doc_id: str
    cluster: bytes  # empty: no near-duplicate
    weight: float  # Xapian's, before ``steady``


@dataclass
class _Frequencies:
    """What ``related.distinctive_words`` asks of an index."""

    db: xapian.Database

    def doc_count_all(self) -> int:
        return self.db.get_doccount()

    def doc_frequency(self, fieldname: str, text: str) -> int:
        return self.db.get_termfreq(term(fieldname, text))


class _Search:
    """One search's queries, counts and the units each ranked article holds."""

    def __init__(self, engine: XapianEngine, built: BuiltQuery, units: list[Unit], budget: Budget):
        self.engine = engine
        self.budget = budget
        self.units = units
        db = engine.db
        self.unit_queries = [_query(u.match) for u in units]
        sizes = [_size(db, u.match) for u in units]
        common = max(ranked_list.COMMON_SHARE * db.get_doccount(), ranked_list.COMMON_MIN)
        self.rare = rare = [i for i, size in enumerate(sizes) if 0 < size <= common]
        self.restrict = _restriction(built)
        if rare:
            listing = [self.unit_queries[i] for i in rare]
        else:  # only common units: found by their words' terms (a phrase check of a common
            # word over most of the archive would cost seconds)
            listing = [_query(_words_only(u.match)) for u in units]
        self.listed = self.restrict(xapian.Query(_OR, listing))
        self.every = self.restrict(xapian.Query(_AND, self.unit_queries))
        self.total, self.facets = engine.count(self.listed, budget, facets=True)
        self.total_all_words = self.total
        if len(units) > 1:
            self.total_all_words = engine.count(self.every, budget)[0]
        # A unit's rarity: from its exact count when it is rare (the union of its terms and
        # phrases; cheap), else from its largest term's frequency (as the ranked list
        # estimates common units).
        total = db.get_doccount()
        self.weights = []
        for i, (unit, query) in enumerate(zip(units, self.unit_queries, strict=True)):
            exact = i in rare and not _is_term(unit) and not budget.exhausted()
            self.weights.append(
                rarity(total, engine.count(query, budget)[0] if exact else sizes[i])
            )
        self.whole = sum(self.weights) or 1.0
        self.tiered = len(units) <= ranked_list.TIER_MAX_UNITS
        # A long query's weakest terms are left out of the ranking, the same as the Whoosh
        # engine leaves out (``scoring.strongest``).
        strongest = scoring.strongest(
            built.ranking, total, lambda t: db.get_termfreq(term(t.fieldname, t.text))
        )
        self.ranking = xapian.Query(
            _OR,
            [
                _scaled(xapian.Query(term(t.fieldname, t.text)), t.boost * _as_whoosh_idf(db, t))
                for t in strongest
            ],
        )
        self.held: dict[int, set[int]] = {}
        self.bonuses: dict[int, float] = {}  # unit -> its bonus in the gathering (_gathering)
        self.parts_held: dict[int, Counter] = {}  # per article: unit -> its parts held
        self.closeness = proximity.Closeness(engine.occurrences, units, self.weights, budget)

    @cached_property
    def probes(self) -> list[tuple[int, bool, xapian.Query]]:
        """What _hold looks for: each unit, then the parts of each (unit, is a part, query);
        made when first needed (most searches fill their page with articles holding every
        unit and look for none)."""
        return [(i, False, q) for i, q in enumerate(self.unit_queries)] + [
            (i, True, _query(part)) for i, unit in enumerate(self.units) for part in unit.parts
        ]

    def folded_page(self, first: int, depth: int, sort: str) -> list[_Item]:
        """Results ``first`` to ``depth`` with near-duplicates folded under the best of
        their cluster (each ranking folds its own; an article of the first tier folds the
        others' copies of it)."""
        reach = depth
        while True:
            ranked, more = self.rank(reach, sort)
            kept: list[_Item] = []
            seen: set[bytes] = set()
            for item in ranked:
                if item.cluster and item.cluster in seen:
                    continue
                seen.add(item.cluster)
                kept.append(item)
            if len(kept) >= depth or not more or reach >= MAX_FOLD_DEPTH:
                return kept[first:depth]
            reach = min(reach * 2, MAX_FOLD_DEPTH)

    def rank(self, depth: int, sort: str) -> tuple[list[_Item], bool]:
        """The first ``depth`` (see the module's docstring), and whether there may be more."""
        if sort == "date":
            # Most units held first (each unit's clause weighs 1 under CoordWeight), then
            # the newest.
            units = xapian.Query(_OR, [_coordinated(u.match) for u in self.units])
            query = _weightless_then(self.listed, units)
            ranked = self.engine.top(query, depth, self.budget, by_date=True)
            self._hold(ranked, parts=False)
            return ranked, len(ranked) == depth
        ranked, more = self._by_score(max(depth, proximity.RESCORE_DEPTH))
        if not self.budget.exhausted():
            ranked = self._closer_first(ranked)
        return ranked[:depth], more or len(ranked) > depth

    def _by_score(self, depth: int) -> tuple[list[_Item], bool]:
        """The first ``depth`` by score (and coordination), before the head's rescoring."""
        engine = self.engine
        ranked: list[_Item] = []
        if self.tiered:
            ranked = engine.top(_weightless_then(self.every, self.ranking), depth, self.budget)
            for item in ranked:
                self.held[item.docnum] = set(range(len(self.units)))
        more = len(ranked) == depth
        if len(ranked) < depth:
            rest = self.listed
            if self.tiered:
                rest = xapian.Query(xapian.Query.OP_AND_NOT, self.listed, self.every)
            window = max((depth - len(ranked)) * RERANK, RERANK_MIN)
            candidates = engine.top(self._gathering(rest), window, self.budget)
            self._hold(candidates)
            if self.budget.exhausted():  # _hold may have stopped short: what some hold,
                self._score(candidates)  # so their bonuses, is not known
            else:
                self._less_bonuses(candidates)
            power = ranked_list.COORDINATION_POWER
            for item in candidates:
                held = self.held[item.docnum]
                if len(held) < len(self.units):
                    item.score *= (self._held_weight(item.docnum) / self.whole) ** power
            candidates.sort(key=lambda item: (-item.score, item.doc_id))
            ranked += candidates[: depth - len(ranked)]
            more = len(candidates) == window
        return ranked, more

    def _closer_first(self, ranked: list[_Item]) -> list[_Item]:
        """``ranked`` with its first ``RESCORE_DEPTH`` rescored by how close together each
        holds the query's units (``search.proximity``), the first tier kept first."""
        head = ranked[: proximity.RESCORE_DEPTH]
        factor = self.closeness.of([item.docnum for item in head], self.held.__getitem__)
        every = len(self.units)
        for item in head:
            item.score *= factor[item.docnum]
        head.sort(
            key=lambda item: (
                self.tiered and len(self.held[item.docnum]) < every,
                -item.score,
                item.doc_id,
            )
        )
        return head + ranked[proximity.RESCORE_DEPTH :]

    def _held_weight(self, docnum: int) -> float:
        """The weight of the units an article holds, and of the parts it holds of the
        others (``ranked_list.PART_CREDIT``)."""
        held, parts = self.held[docnum], self.parts_held.get(docnum, Counter())
        return sum(self.weights[i] for i in held) + sum(
            self.weights[i] * ranked_list.PART_CREDIT * n / len(self.units[i].parts)
            for i, n in parts.items()
            if i not in held
        )

    def _gathering(self, rest: xapian.Query) -> xapian.Query:
        """``rest`` weighed by BM25 plus, for each rare unit an article holds (at most
        ``MAX_TERMS``, the rarest), a bonus of ``GATHER_BONUS`` x the best BM25 among them
        x the unit's share of the units' weight: what gathers the candidates that
        coordination re-ranks (those holding the rarer units come in even when their BM25
        alone is not among the best). Common units weigh little in coordination, and a
        clause per common unit would read their long postings whole: none for them."""
        plain = _weightless_then(rest, self.ranking)
        rarest = sorted(self.rare, key=lambda i: -self.weights[i])[:MAX_TERMS]
        self.bonuses = {}
        if not rarest:
            return plain
        best = self.engine.top(plain, 1, self.budget)
        reference = best[0].score if best else 1.0
        self.bonuses = {i: GATHER_BONUS * reference * self.weights[i] / self.whole for i in rarest}
        bonuses = [_weighing(self.unit_queries[i], bonus) for i, bonus in self.bonuses.items()]
        return xapian.Query(xapian.Query.OP_AND_MAYBE, [_scaled(rest, 0.0), self.ranking, *bonuses])

    def _less_bonuses(self, items: list[_Item]) -> None:
        """Each gathered item's score less the bonuses of the units it holds: the BM25 of
        the ranking terms, as ``_score`` finds it, without another query."""
        for item in items:
            bonus = sum(self.bonuses.get(i, 0.0) for i in self.held[item.docnum])
            score = item.weight - bonus
            # (an article none of the ranking terms weigh: 0, not what rounding leaves)
            item.score = steady(score) if score > 1e-9 * item.weight else 0.0

    def _score(self, items: list[_Item]) -> None:
        """Each item's score: the BM25 of the ranking terms (one query within them)."""
        if not items:
            return
        enquire = self.engine._enquire(
            xapian.Query(xapian.Query.OP_FILTER, self.ranking, _among(items))
        )
        scores = {m.docid: steady(m.weight) for m in enquire.get_mset(0, len(items))}
        for item in items:
            item.score = scores.get(item.docnum, 0.0)

    def missing(self, docnum: int) -> list[str]:
        held = self.held[docnum]
        return [u.label for i, u in enumerate(self.units) if i not in held]

    def similar(self, page: list[_Item]) -> dict[int, list[int]]:
        """For each article of ``page``, the other listed articles of its cluster (one
        query for the page: the listed articles of its clusters, sorted by cluster)."""
        heads: dict[bytes, list[int]] = {}
        for item in page:
            if item.cluster:
                heads.setdefault(item.cluster, []).append(item.docnum)
        if not heads:
            return {}
        clusters = xapian.Query(_OR, [CLUSTER_PREFIX + c.decode("utf-8") for c in heads])
        query = xapian.Query(xapian.Query.OP_FILTER, self.listed, clusters)
        enquire = self.engine._enquire(query, xapian.BoolWeight())
        enquire.set_sort_by_value(SLOT_CLUSTER, False)  # then by document number
        mset = enquire.get_mset(0, len(heads) * (MAX_SIMILAR + 1) + len(page))
        members: dict[bytes, list[int]] = {cluster: [] for cluster in heads}
        for index in range(mset.size()):
            hit = mset._get_hit_internal(index)  # its sort key is its cluster
            members[hit.get_sort_key()].append(hit.get_docid())
        return {
            head: [d for d in members[cluster] if d != head][:MAX_SIMILAR]
            for cluster, docnums in heads.items()
            for head in docnums
        }

    def _hold(self, items: list[_Item], parts: bool = True) -> None:
        """Which units each of ``items`` holds (into ``self.held``), and, when ``parts``,
        which parts of the compounds it lacks (into ``self.parts_held``): one Xapian query
        per ``HOLD_BATCH`` of them, within those articles (named by their id terms), so
        phrases are checked where they stand, in C++, locally or on the shards. Probe j of
        a batch weighs 2**j (a fixed-weight posting source) where an article holds it: the
        article's weight is the set of probes it holds, exactly (whole numbers below 2**53
        are exact in a double)."""
        wanted = [item for item in items if item.docnum not in self.held]
        if not wanted:
            return
        for item in wanted:
            self.held[item.docnum] = set()
            self.parts_held[item.docnum] = Counter()
        among = _among(wanted)
        probes = self.probes if parts else self.probes[: len(self.units)]
        for first in range(0, len(probes), HOLD_BATCH):
            if self.budget.exhausted():
                break  # the units not looked at count as missing: the answer says timed out
            batch = probes[first : first + HOLD_BATCH]
            flags = [_weighing(probe, float(1 << bit)) for bit, (_, _, probe) in enumerate(batch)]
            query = xapian.Query(xapian.Query.OP_FILTER, xapian.Query(_OR, flags), among)
            # (under BoolWeight Xapian would not ask the posting sources for weights)
            for match in self.engine._enquire(query).get_mset(0, len(wanted) + 1):
                bits = round(match.weight)
                for bit, (unit, is_part, _) in enumerate(batch):
                    if bits >> bit & 1:
                        if is_part:
                            self.parts_held[match.docid][unit] += 1
                        else:
                            self.held[match.docid].add(unit)


def count_matches(
    db: xapian.Database, query: xapian.Query, budget: Budget, facets: bool = False
) -> tuple[int, dict[str, Counter]]:
    """See ``XapianEngine.count``."""
    enquire = xapian.Enquire(db)
    enquire.set_query(query)
    enquire.set_weighting_scheme(xapian.BoolWeight())
    spy = xapian.ValueCountMatchSpy(SLOT_FACETS) if facets else None
    if spy is not None:
        enquire.add_matchspy(spy)
    _limit(enquire, budget)
    mset = enquire.get_mset(0, 0, db.get_doccount())
    budget.exhausted()
    counted: dict[str, Counter] = {}
    if spy is not None:
        counted = {name: Counter() for name in FACETS}
        for item in spy.values():  # one per distinct (language, source, month)
            for name, value in zip(FACETS, item.term.decode("utf-8").split("\0"), strict=True):
                if value:
                    counted[name][value] += item.termfreq
    return mset.get_matches_estimated(), counted


def steady(weight: float) -> float:
    """``weight`` to 12 significant digits. Over shards, the same article's weight can
    differ in its last bits with the shard it is on (each shard sums a query's parts in
    its own order): equal weights must stay equal, so that ties go by id everywhere."""
    return float(f"{weight:.12g}")


def _limit(enquire: xapian.Enquire, budget: Budget) -> None:
    """Xapian stops matching once what is left of ``budget`` is spent."""
    left = budget.deadline - time.monotonic()
    if left != float("inf"):
        enquire.set_time_limit(max(left, 0.001))


def _weightless_then(matching: xapian.Query, ranking: xapian.Query) -> xapian.Query:
    """The documents of ``matching``, weighed by ``ranking`` alone."""
    return xapian.Query(xapian.Query.OP_AND_MAYBE, _scaled(matching, 0.0), ranking)


def _weighing(query: xapian.Query, weight: float) -> xapian.Query:
    """The documents of ``query``, each weighing ``weight`` (a fixed-weight posting source:
    built into Xapian, so shard servers know it)."""
    fixed = xapian.Query(xapian.FixedWeightPostingSource(weight))
    return xapian.Query(_AND, _scaled(query, 0.0), fixed)


def _among(items: list[_Item]) -> xapian.Query:
    """The articles of ``items``, by their id terms (ids are the same on every shard).

    Terms are given to the bindings as strings, here and wherever a query lists terms:
    each is made a term query in C++, 25 times faster than through a Python
    ``xapian.Query`` each (0.02 against 0.5 ms for 100 terms)."""
    return xapian.Query(_OR, [id_term(item.doc_id) for item in items])


def _scaled(query: xapian.Query, factor: float) -> xapian.Query:
    return query if factor == 1.0 else xapian.Query(xapian.Query.OP_SCALE_WEIGHT, query, factor)


def _as_whoosh_idf(db: xapian.Database, t: Term) -> float:
    """What turns Xapian's BM25 idf of ``t`` into Whoosh's (log(N / (n + 1)) + 1)."""
    total = db.get_doccount()
    having = db.get_termfreq(term(t.fieldname, t.text))
    if not having:
        return 1.0
    ratio = (total - having + 0.5) / (having + 0.5)
    if ratio < 2:  # as Xapian's BM25Weight does, so that no term weighs less than 0
        ratio = ratio * 0.5 + 1
    return scoring.idf(total, having) / math.log(ratio)


def _words_only(query: Query) -> Query:
    """A unit's query without its phrase alternatives when it has a word's term."""
    if isinstance(query, Or):
        words = [q for q in query.subqueries if not isinstance(q, Phrase)]
        return Or([_words_only(q) for q in words]) if words else query
    return query


def _query(query: Query) -> xapian.Query:
    """The Xapian query of one of ``search.query``'s (terms, phrases, AND, OR, day range)."""
    if isinstance(query, Term):
        return xapian.Query(term(query.fieldname, query.text))
    if isinstance(query, Phrase):
        terms = [term(query.fieldname, w) for w in query.words]
        return xapian.Query(xapian.Query.OP_PHRASE, terms, len(terms))
    if isinstance(query, And):
        return xapian.Query(_AND, [_query(q) for q in query.subqueries])
    if isinstance(query, Or):
        return xapian.Query(_OR, [_query(q) for q in query.subqueries])
    if isinstance(query, TermRange) and query.fieldname == "day":
        if query.start and query.end:
            return xapian.Query(xapian.Query.OP_VALUE_RANGE, SLOT_DAY, query.start, query.end)
        if query.start:
            return xapian.Query(xapian.Query.OP_VALUE_GE, SLOT_DAY, query.start)
        return xapian.Query(xapian.Query.OP_VALUE_LE, SLOT_DAY, query.end)
    raise TypeError(f"no Xapian query for {query!r}")


def _coordinated(query: Query) -> xapian.Query:
    """``query`` weighing exactly 1 where it matches, under CoordWeight (each term 1)."""
    if isinstance(query, Term):
        return xapian.Query(term(query.fieldname, query.text))
    if isinstance(query, Phrase):
        return _scaled(_query(query), 1.0 / len(query.words))
    if isinstance(query, And):
        parts = [_coordinated(q) for q in query.subqueries]
        return _scaled(xapian.Query(_AND, parts), 1.0 / len(parts))
    if isinstance(query, Or):
        return xapian.Query(xapian.Query.OP_MAX, [_coordinated(q) for q in query.subqueries])
    raise TypeError(f"no Xapian query for {query!r}")


def _size(db: xapian.Database, query: Query) -> int:
    """About how many articles ``query`` matches (a union at least its largest part, an
    intersection or phrase at most its smallest)."""
    if isinstance(query, Term):
        return db.get_termfreq(term(query.fieldname, query.text))
    if isinstance(query, Phrase):
        return min(db.get_termfreq(term(query.fieldname, w)) for w in query.words)
    if isinstance(query, And):
        return min(_size(db, q) for q in query.subqueries)
    if isinstance(query, Or):
        return max((_size(db, q) for q in query.subqueries), default=0)
    return 0


def _is_term(unit: Unit) -> bool:
    return isinstance(unit.match, Term)


def _restriction(built: BuiltQuery) -> Callable[[xapian.Query], xapian.Query]:
    """What narrows a query to the languages, sources and dates asked, less exclusions."""
    parsed = built.parsed
    filters = []
    if parsed.langs:
        filters.append(xapian.Query(_OR, [LANG_PREFIX + v for v in sorted(parsed.langs)]))
    if parsed.sources:
        filters.append(xapian.Query(_OR, [SOURCE_PREFIX + v for v in sorted(parsed.sources)]))
    if built.dates is not None:
        filters.append(_query(built.dates))
    refused = []
    if parsed.excluded_langs:
        refused += [xapian.Query(LANG_PREFIX + v) for v in sorted(parsed.excluded_langs)]
    if parsed.excluded_sources:
        refused += [xapian.Query(SOURCE_PREFIX + v) for v in sorted(parsed.excluded_sources)]
    if built.excluded is not None:
        refused.append(_query(built.excluded))

    def restrict(query: xapian.Query) -> xapian.Query:
        for wanted in filters:
            query = xapian.Query(xapian.Query.OP_FILTER, query, wanted)
        if refused:
            query = xapian.Query(xapian.Query.OP_AND_NOT, query, xapian.Query(_OR, refused))
        return query

    return restrict
