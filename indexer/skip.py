"""A file or record that could not be read (Skip), or one that was read with a change worth
reporting (Notice), both reported instead of aborting or staying silent."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Skip:
    """``path`` (relative, with ``:line`` for a record) and why it was left out."""

    path: str
    reason: str


@dataclass(frozen=True)
class Notice:
    """``path`` (with ``:line`` for a record) was read and indexed, but ``message`` says what
    was replaced or dropped on the way (an invalid byte, a URL that is not a web URL)."""

    path: str
    message: str


class SkipFile(Exception):
    """Raised by readers for a whole file that cannot be read; carries the reason."""
