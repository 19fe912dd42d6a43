"""Traditional Chinese folded to simplified, character for character, so offsets still hold."""

from __future__ import annotations

from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Simplified form of ``text`` with exactly the same length, so offsets need no map.

    OpenCC converts by phrase (乾燥 -> 干燥 but 乾隆 stays); in the rare case a phrase changes
    the length, the text is converted one character at a time instead.
    """
    converter = _converter()
    converted = converter.convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(_one_char(converter, c) for c in text)


def _one_char(converter: opencc.OpenCC, char: str) -> str:
    converted = converter.convert(char)
    return converted if len(converted) == 1 else char
