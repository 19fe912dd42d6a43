"""Read one corpus file into Documents, with the reason when it cannot be read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from search.document import Document

from .formats import FormatOptions, read_documents
from .skip import Notice, Skip
from .sources import DEFAULT_MAX_BYTES, SourceFile, read_text


@dataclass(frozen=True)
class ReadOptions:
    """How to read corpus files (from config.toml)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    formats: FormatOptions = field(default_factory=FormatOptions)


def read_file(file: SourceFile, options: ReadOptions) -> Iterator[Document | Skip | Notice]:
    """The Documents of one file (one, or one per line for JSON Lines), or its Skip; Notices
    of what reading changed come before the Document they concern."""
    source = read_text(file, options.max_bytes)
    if isinstance(source, Skip):
        yield source
    else:
        yield from source.notices
        yield from read_documents(source.text, file.rel, options.formats)
