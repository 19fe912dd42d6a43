"""Latin, digits and other space-separated scripts: words, lowercased, with their parts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from . import Piece

_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
# Parts split at connectors and where letters meet digits: covid-19 -> covid 19,
# abc2024 -> abc 2024.
_PART = re.compile(r"[^\W\d_]+|\d+")


_KEEP_ENDINGS = ("us", "ss", "is")
# Common words that end in s without being plurals.
_NOT_PLURALS = frozenset(
    "news series species this thus always perhaps whereas various previous politics economics "
    "physics analysis basis crisis does yes gas bias atlas chaos lens plus minus bonus census "
    "status campus virus towards afterwards unless across alias paris texas wales athens "
    "brussels philippines netherlands".split()
)


def segment_words(run: str, with_parts: bool = True) -> Iterator[Piece]:
    """A run such as ``PAC-3`` gives ``pac-3`` and, with parts, ``pac`` and ``3``; the
    parts take consecutive positions and the whole shares the first part's.

    The word view (``with_parts``) also stems plurals; thousands separators are dropped
    (``5,000`` is ``5000``).
    """
    text = run.lower()
    if _THOUSANDS.fullmatch(text):
        yield Piece(text.replace(",", ""), 0, len(run))
        return
    if not with_parts:
        yield Piece(text, 0, len(run))
        return
    if _PART.fullmatch(text) is not None:
        yield Piece(light_english_stem(text), 0, len(run))
        return
    # Parts at consecutive positions, the whole at the first part's position.
    for i, m in enumerate(_PART.finditer(text)):
        yield Piece(light_english_stem(m.group()), m.start(), m.end())
        if i == 0:
            yield Piece(text, 0, len(run), same_position=True)


@lru_cache(maxsize=100_000)
def light_english_stem(word: str) -> str:
    """An S-stemmer: plurals to singular (ministers -> minister, policies -> policy), and
    nothing else, so names (Austin, Blinken) and words like 'news' keep their form."""
    if len(word) <= 3 or word in _NOT_PLURALS or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(_KEEP_ENDINGS):
        return word[:-1]
    return word
