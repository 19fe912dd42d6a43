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
and the depth were measured on bench/quality.py (README).
"""

from __future__ import annotations

from collections.abc import Iterable

from whoosh.query import Phrase, Query, Term

from .highlight import Occurrences, phrase_spans
from .query import Unit

RESCORE_DEPTH = 20
WINDOW_CHARS = 100
CLOSENESS_POWER = 1.5
# A unit's first places in an article that are looked at: a 20 MB article holding a word
# 300,000 times costs what one holding it this many times does.
MAX_PLACES = 1000
_WORD_FIELDS = ("title", "body")
_CHAR_FIELDS = ("title_chars", "body_chars")


def closeness(
    occurrences: Occurrences,
    held: dict[int, set[int]],
    units: list[Unit],
    weights: list[float],
) -> dict[int, float]:
    """Per article of ``held`` (article -> the indexes of the ``units`` it holds): the
    factor its score is multiplied by (see the module's docstring)."""
    whole = sum(weights) or 1.0
    if len(units) == 1:  # every article listed holds it
        return dict.fromkeys(held, 1.0)
    in_title: dict[int, set[int]] = {docnum: set() for docnum in held}
    places: dict[int, list[tuple[int, int]]] = {docnum: [] for docnum in held}
    placed: dict[int, set[int]] = {docnum: set() for docnum in held}  # units in either
    for i, unit in enumerate(units):
        holders = [docnum for docnum, units_held in held.items() if i in units_held]
        leaves = list(_leaves(unit.match))
        # Its word-view terms first; its characters (next to each other, where the
        # segmenters cut it otherwise) only where no word of it stands.
        for view in (_WORD_FIELDS, _CHAR_FIELDS):
            unplaced = [d for d in holders if i not in placed[d]]
            title = [leaf for leaf in leaves if leaf.fieldname == view[0]]
            body = [leaf for leaf in leaves if leaf.fieldname == view[1]]
            for docnum in _where(occurrences, unplaced, title):
                in_title[docnum].add(i)
                placed[docnum].add(i)
            unplaced = [d for d in unplaced if i not in placed[d]]
            for docnum, spans in _where(occurrences, unplaced, body).items():
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


def _leaves(query: Query) -> Iterable[Term | Phrase]:
    if isinstance(query, (Term, Phrase)):
        yield query
    else:
        for sub in query.subqueries:
            yield from _leaves(sub)


def _where(
    occurrences: Occurrences, docnums: list[int], leaves: list[Term | Phrase]
) -> dict[int, list[tuple[int, int]]]:
    """(start, end) of every place in ``docnums`` where one of ``leaves`` stands."""
    found: dict[int, list[tuple[int, int]]] = {}
    if not docnums:
        return found
    for leaf in leaves:
        if isinstance(leaf, Term):
            places = {
                d: [(start, end) for _, start, end in occ]
                for d, occ in occurrences(docnums, leaf.fieldname, leaf.text).items()
            }
        else:
            places = phrase_spans(occurrences, docnums, leaf.fieldname, list(leaf.words))
        for docnum, spans in places.items():
            found.setdefault(docnum, []).extend(spans)
    return found
