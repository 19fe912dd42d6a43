"""One segmenter per script: each cuts a run of its script into pieces."""

from __future__ import annotations

from typing import NamedTuple


class Piece(NamedTuple):
    """A token cut from a run: its text, its span in the run, and whether it shares the
    position of the piece before it (a part of a word sits where the word sits)."""

    text: str
    start: int
    end: int
    same_position: bool = False
