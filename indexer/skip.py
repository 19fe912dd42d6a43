"""A file or record that could not be read, reported instead of aborting a walk."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Skip:
    """``path`` (relative, with ``:line`` for a record) and why it was left out."""

    path: str
    reason: str


class SkipFile(Exception):
    """Raised by readers for a whole file that cannot be read; carries the reason."""
