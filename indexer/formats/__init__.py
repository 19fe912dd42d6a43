"""One reader per input format, chosen by content: adding a format is adding a module here.

Each module defines ``FORMAT = Format(...)``; this package finds them at import.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

from search.document import Document

from ..skip import Notice, Skip, SkipFile
from .base import Format, FormatOptions, JsonlFields, collecting_notices


def _discover() -> dict[str, Format]:
    formats: dict[str, Format] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found = getattr(module, "FORMAT", None)
        if isinstance(found, Format):
            formats[found.name] = found
    return dict(sorted(formats.items(), key=lambda item: item[1].priority))


FORMATS: dict[str, Format] = _discover()


def detect_format(text: str, path: str = "") -> str:
    """The name of the first format (by priority) whose sniffer claims ``text``."""
    return next(name for name, fmt in FORMATS.items() if fmt.sniff(text, path))


def read_documents(
    text: str, path: str, options: FormatOptions | None = None, format_name: str = ""
) -> Iterator[Document | Skip | Notice]:
    """Documents in ``text`` (a file's decoded content), Skips for what cannot be read, and
    before each Document the Notices reported while it was read (see ``base.make_document``)."""
    fmt = FORMATS[format_name or detect_format(text, path)]
    items = fmt.read(text, path, options or FormatOptions())
    try:
        while True:
            with collecting_notices() as notices:
                item = next(items, None)
            yield from notices
            if item is None:
                return
            yield item
    except SkipFile as skip:
        yield Skip(path, f"{fmt.name}: {skip}")


__all__ = ["FORMATS", "Format", "FormatOptions", "JsonlFields", "detect_format", "read_documents"]
