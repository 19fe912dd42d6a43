"""How close together an article holds a query's words: the rescoring of a ranking's head.

An answer states what a question asks in one place (a sentence, a paragraph); a long
article that mentions the same words here and there is about something else, yet holds
them all and has many of them. The first ``RESCORE_DEPTH`` articles of a ranking (a
rescoring window, as Elasticsearch's ``rescore``: every page is cut from one order) have
their score multiplied by their *closeness*: the share of the counted units' weight
(``ranked_list.rarity``) that stands within one stretch of ``WINDOW_CHARS`` characters of
the body, a unit in the title counting in every stretch, to the power
``CLOSENESS_POWER``. A unit stands where the index put its word (the offsets stored for
highlighting) or, where the segmenters cut it otherwise, its characters next to each
other; its first ``MAX_PLACES`` places in an article are looked at. The window, the power
and the depth were measured on bench/quality.py (README). Once the search's budget is
spent (it is checked between the terms looked up) the head is not rescored: every factor
is 1, the ranking stays as scored.
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh.query import Phrase, Query

from .budget import UNLIMITED, Budget
from .highlight import Occurrences, Span, phrase_spans, term_spans
from .query import Unit

RESCORE_DEPTH = 20
WINDOW_CHARS = 100
CLOSENESS_POWER = 1.5
# A unit's first places in an article that are looked at: a 20 MB article holding a word
# 300,000 times costs what one holding it this many times does.
MAX_PLACES = 1000
_WORD_FIELDS = ("title", "body")
_CHAR_FIELDS = ("title_chars", "body_chars")


class Closeness:
    """The closeness of articles to one query's ``units`` (weighing ``weights``), each
    article's worked out once (a page may rank its head again to fill up once
    near-duplicates are folded)."""

    def __init__(
        self,
        occurrences: Occurrences,
        units: list[Unit],
        weights: list[float],
        budget: Budget = UNLIMITED,
    ):
        self.occurrences = occurrences
        self.units = units
        self.weights = weights
        self.budget = budget
        self._known: dict[int, float] = {}

    def of(self, docnums: list[int], held: Callable[[int], set[int]]) -> dict[int, float]:
        """The factor each of ``docnums`` has its score multiplied by (see the module's
        docstring); ``held(docnum)``: the indexes of the units it holds."""
        new = {docnum: held(docnum) for docnum in docnums if docnum not in self._known}
        if new:
            try:
                self._known |= self._closeness(new)
            except _OutOfTime:
                self._known |= dict.fromkeys(new, 1.0)
        return self._known

    def _closeness(self, held: dict[int, set[int]]) -> dict[int, float]:
        weights = self.weights
        whole = sum(weights) or 1.0
        if len(self.units) == 1:  # every article listed holds it
            return dict.fromkeys(held, 1.0)
        in_title: dict[int, set[int]] = {docnum: set() for docnum in held}
        places: dict[int, list[tuple[int, int]]] = {docnum: [] for docnum in held}
        placed: dict[int, set[int]] = {docnum: set() for docnum in held}  # units in either
        for i, unit in enumerate(self.units):
            holders = [docnum for docnum, units_held in held.items() if i in units_held]
            leaves = list(unit.match.leaves())
            # Its word-view terms first; its characters (next to each other, where the
            # segmenters cut it otherwise) only where no word of it stands.
            for view in (_WORD_FIELDS, _CHAR_FIELDS):
                unplaced = [d for d in holders if i not in placed[d]]
                title = [leaf for leaf in leaves if leaf.fieldname == view[0]]
                body = [leaf for leaf in leaves if leaf.fieldname == view[1]]
                for docnum in self._where(unplaced, title):
                    in_title[docnum].add(i)
                    placed[docnum].add(i)
                unplaced = [d for d in unplaced if i not in placed[d]]
                for docnum, spans in self._where(unplaced, body).items():
                    places[docnum].extend((start, i) for start, _ in spans[:MAX_PLACES])
                    placed[docnum].add(i)
        return {
            docnum: (
                (sum(weights[i] for i in in_title[docnum]) + _best_window(places[docnum], weights))
                / whole
            )
            ** CLOSENESS_POWER
            for docnum in held
        }

    def _where(self, docnums: list[int], leaves: list[Query]) -> dict[int, list[Span]]:
        """(start, end) of every place in ``docnums`` where one of ``leaves`` (terms and
        phrases) stands."""
        found: dict[int, list[Span]] = {}
        if not docnums:
            return found
        for leaf in leaves:
            if self.budget.exhausted():
                raise _OutOfTime
            if isinstance(leaf, Phrase):
                places = phrase_spans(
                    self.occurrences, docnums, leaf.fieldname, leaf.words, most=MAX_PLACES
                )
            else:
                places = term_spans(
                    self.occurrences, docnums, leaf.fieldname, [leaf.text], most=MAX_PLACES
                )
            for docnum, spans in places.items():
                found.setdefault(docnum, []).extend(spans)
        return found


class _OutOfTime(Exception):
    """The search's budget ran out while the head was being rescored."""


def _best_window(places: list[tuple[int, int]], weights: list[float]) -> float:
    """The largest weight of distinct units starting within ``WINDOW_CHARS`` characters
    of one another (``places``: (start, unit)); linear after sorting."""
    places.sort()
    count: dict[int, int] = {}
    inside = best = 0.0
    first = 0
    for start, unit in places:
        if not count.get(unit):
            inside += weights[unit]
        count[unit] = count.get(unit, 0) + 1
        while start - places[first][0] > WINDOW_CHARS:
            left = places[first][1]
            count[left] -= 1
            if not count[left]:
                inside -= weights[left]
            first += 1
        best = max(best, inside)
    return best
