"""NFKC normalisation (full-width to half-width, compatibility forms) with an offset map.

Characters no segmenter should see are dealt with here too: invisible format characters
(zero-width space, soft hyphen, BOM) are removed, and control characters and lone surrogates
become spaces.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

from .offsets import OffsetMap

_REPLACED = {"Cc": " ", "Cs": " ", "Cf": ""}


@lru_cache(maxsize=1)
def _chunk_pattern() -> re.Pattern[str]:
    """Characters NFKC changes, plus the marks that compose with the character before them."""
    changing: list[str] = []
    composing: set[int] = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        if unicodedata.combining(c):
            composing.add(cp)
        decomposition = unicodedata.decomposition(c)
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                composing.add(int(parts[1], 16))
        if unicodedata.normalize("NFKC", c) != c or unicodedata.category(c) in _REPLACED:
            changing.append(c)
    # Only basic-plane characters are listed: a class holding astral characters makes the
    # regex engine fifty times slower, so every astral character is a candidate instead.
    marks = "".join(re.escape(chr(cp)) for cp in sorted(composing) if cp <= 0xFFFF)
    changers = "".join(re.escape(c) for c in changing if c not in "\t\n\r" and ord(c) <= 0xFFFF)
    return re.compile(f"(?P<marks>[{marks}]+)|[{changers}\ud800-\udfff\U00010000-\U0010ffff]")


def nfkc(text: str) -> tuple[str, OffsetMap]:
    """NFKC-normalise ``text``; the map turns offsets in the result into offsets in ``text``."""
    offsets = OffsetMap()
    out: list[str] = []
    last = 0
    norm_pos = 0
    for m in _chunk_pattern().finditer(text):
        start, end = m.span()
        if m.lastgroup == "marks" and start > last:
            start -= 1  # marks compose with the character before them
        out.append(text[last:start])
        norm_pos += start - last
        normalized = _normalize_chunk(text[start:end])
        out.append(normalized)
        if len(normalized) != end - start:
            offsets.add(norm_pos, norm_pos + len(normalized), start, end)
        norm_pos += len(normalized)
        last = end
    out.append(text[last:])
    return "".join(out), offsets


def _normalize_chunk(chunk: str) -> str:
    if len(chunk) == 1 and (replacement := _REPLACED.get(unicodedata.category(chunk))) is not None:
        return replacement
    normalized = unicodedata.normalize("NFKC", chunk)
    return "".join(_REPLACED.get(unicodedata.category(c), c) for c in normalized)
