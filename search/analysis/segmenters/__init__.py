"""One segmenter per script: each cuts a run of its script into pieces."""

from __future__ import annotations

from typing import NamedTuple


class Piece(NamedTuple):
    """A token cut from a run: its text, its span in the run, and whether it shares the
    position of the piece before it.

    The first piece at each position is the word itself as it reads in the text (a jieba
    word, a Kiwi morpheme, a Latin word part); pieces sharing its position are other ways
    to find it (the dictionary words inside a long Chinese word, the whole of a Korean
    compound or of a hyphenated word). A query can match a word by the phrase of its
    first pieces."""

    text: str
    start: int
    end: int
    same_position: bool = False
