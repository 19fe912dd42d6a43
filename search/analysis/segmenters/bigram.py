"""CJK character bigrams: every two neighbouring characters, for the character view."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..scripts import CJK_CHARS
from . import Piece

# Spaces do not break a bigram (Korean spacing varies: 합동 작전 = 합동작전); punctuation and
# line breaks do.
_CLAUSE = re.compile(f"[{CJK_CHARS}](?:[ \\t]*[{CJK_CHARS}])*")
_CHAR = re.compile(f"[{CJK_CHARS}]")


def segment_bigrams(run: str) -> Iterator[Piece]:
    """``安装简单`` gives 安装 装简 简单; a lone character gives itself."""
    for clause in _CLAUSE.finditer(run):
        chars = [(m.start(), m.group()) for m in _CHAR.finditer(run, clause.start(), clause.end())]
        if len(chars) == 1:
            start, char = chars[0]
            yield Piece(char, start, start + 1)
            continue
        for (start, first), (second_start, second) in zip(chars, chars[1:], strict=False):
            yield Piece(first + second, start, second_start + 1)
