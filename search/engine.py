"""The seam between hansearch and the engine that holds its index.

Everything above it is shared: the readers and cleaning, the analysis, the query language
(``search.query``), the ranked list's rules (``search.ranked_list``), highlighting from
stored offsets, paging, the API, the page, the CLI and the generation lifecycle. An
engine, opened on one generation (or on remote shards), does only this:

- ``page(built, request, budget)``: match and score a built query and give the page of
  results asked for (``ResultPage``: totals, facet counts, each result's missing words
  and near-duplicates);
- ``occurrences(docnums, field, term)``: where a term stands in each document, as
  (position, start, end) in text order from the offsets stored at index time, decoded as
  they are read (a caller reading a 20 MB article's first places pays for those only);
- ``stored(docnum)``, ``docnum(doc_id)``: a document's stored fields, a document by id;
- ``related(docnum, limit)``, ``correction(word, ...)`` (spelling), ``doc_count()``,
  ``close()``.

Two engines: ``whoosh`` (pure Python, the default, ``search.whoosh_engine``) and
``xapian`` (C++, local or sharded over ``xapian-tcpsrv``, ``search.xapian_engine``).
A generation holds the files of the engine that built it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .budget import Budget
from .models import SearchRequest
from .query import BuiltQuery, QueryBuilder

# What a Xapian (glass) database holds that a Whoosh index does not.
_XAPIAN_MARKER = "iamglass"


@dataclass
class Entry:
    """One result of a page: its document, score, missing words and near-duplicates."""

    docnum: int
    score: float
    missing: list[str]
    similar: list[int] = field(default_factory=list)


@dataclass
class ResultPage:
    built: BuiltQuery  # the query as searched (quotations no article holds: as words)
    total: int
    total_all_words: int
    phrases_as_words: list[str]
    entries: list[Entry]
    facets: dict[str, Counter]


class Engine(Protocol):
    generation: str
    builder: QueryBuilder

    def page(self, built: BuiltQuery, request: SearchRequest, budget: Budget) -> ResultPage: ...

    def occurrences(
        self, docnums, fieldname: str, text: str
    ) -> dict[int, Iterator[tuple[int, int, int]]]: ...

    def stored(self, docnum: int) -> dict: ...

    def docnum(self, doc_id: str) -> int | None: ...

    def related(self, docnum: int, limit: int) -> list[tuple[int, float]]: ...

    def correction(self, word: str, surface: str, latin: bool, distance: int) -> str | None:
        """The closest indexed word to ``surface`` (within ``distance`` edits) when the
        word-view term ``word`` is in no document; None when it is, or none is close."""

    def doc_count(self) -> int: ...

    def close(self) -> None: ...


def engine_of(generation: Path) -> str:
    """Which engine wrote ``generation`` (one of ``ENGINES``)."""
    return "xapian" if (generation / _XAPIAN_MARKER).exists() else "whoosh"
