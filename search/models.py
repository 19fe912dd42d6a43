"""What a search is asked and what it answers: shared by the command line and the web API."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime

MAX_PAGE_SIZE = 100
MAX_RESULT_DEPTH = 1000
SORTS = ("relevance", "date")


class SearchError(ValueError):
    """A request the client must fix: the API answers 400 with ``code`` and ``message``,
    and ``parameter`` when one request parameter is at fault."""

    def __init__(self, code: str, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.parameter = parameter


@dataclass(frozen=True)
class SearchRequest:
    """A query and its narrowing. ``lang`` and ``source`` add to any ``lang:``/``source:``
    written in the query; ``date_from``/``date_to`` are inclusive days."""

    q: str
    lang: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    size: int = 10
    highlight: bool = True


@dataclass(frozen=True)
class Published:
    """When an article was published, as it states it: ``at`` is in the article's own UTC
    offset; ``form`` is "date" (a day, no time), "local" (a time stated without a zone,
    placed in the zone of the article's language) or "zoned" (a time with its zone)."""

    at: datetime
    form: str = "zoned"

    @property
    def day(self) -> date:
        """The day of publication where the article was published."""
        return self.at.date()

    def iso(self) -> str:
        """For programs: a plain date, or the time with the article's offset."""
        return self.day.isoformat() if self.form == "date" else self.at.isoformat()

    def text(self) -> str:
        """For people: 2026-06-10, 2025-12-29 00:00, or 2026-06-10 08:30 UTC+08:00."""
        if self.form == "date":
            return self.day.isoformat()
        shown = self.at.strftime("%Y-%m-%d %H:%M")
        if self.form != "zoned":
            return shown
        offset = self.at.strftime("%z")
        zone = "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
        return f"{shown} {zone}"


@dataclass
class Similar:
    """A near-duplicate of a result (the same story republished, re-crawled or lightly
    edited), folded under it."""

    id: str
    url: str
    title: str
    source: str
    published: Published | None


@dataclass
class Hit:
    id: str
    url: str
    title: str
    title_html: str
    snippet_html: str
    lang: str
    source: str
    author: str
    published: Published | None
    score: float
    missing: list[str] = field(default_factory=list)  # query words the article lacks
    similar: list[Similar] = field(default_factory=list)  # near-duplicates folded under it


@dataclass
class SearchResponse:
    query: str
    total: int  # articles in the ranked list: every word, or enough of them
    total_all_words: int  # of those, the articles with every word
    page: int
    size: int
    results: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    took_ms: float = 0.0
    timed_out: bool = False  # the time budget ran out: what was found by then
    # quoted phrases no article holds as written, searched as their words instead
    phrases_as_words: list[str] = field(default_factory=list)


@dataclass
class StoredDocument:
    id: str
    url: str
    title: str
    body: str
    lang: str
    source: str
    author: str
    published: Published | None
    tags: list[str]


def response_to_dict(response: SearchResponse) -> dict:
    """The JSON shape of a search, the same for ``/api/search`` and ``hansearch search --json``."""
    return {
        "query": response.query,
        "total": response.total,
        "total_all_words": response.total_all_words,
        "page": response.page,
        "size": response.size,
        "results": [hit_to_dict(hit) for hit in response.results],
        "facets": {
            name: [{"value": value, "count": count} for value, count in counts]
            for name, counts in response.facets.items()
        },
        "suggestion": response.suggestion,
        "took_ms": round(response.took_ms, 1),
        "timed_out": response.timed_out,
        "phrases_as_words": response.phrases_as_words,
    }


def hit_to_dict(hit: Hit) -> dict:
    return {
        "id": hit.id,
        "url": hit.url,
        "title": hit.title,
        "title_html": hit.title_html,
        "snippet_html": hit.snippet_html,
        "lang": hit.lang,
        "source": hit.source,
        "author": hit.author,
        "published": hit.published.iso() if hit.published else None,
        "score": round(hit.score, 4),
        "missing": hit.missing,
        "similar": [similar_to_dict(s) for s in hit.similar],
    }


def similar_to_dict(similar: Similar) -> dict:
    return _fields_to_dict(similar)


def document_to_dict(doc: StoredDocument) -> dict:
    return _fields_to_dict(doc)


def _fields_to_dict(record: Similar | StoredDocument) -> dict:
    """Every field of ``record`` in its order, the date as ISO 8601."""
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    fields["published"] = record.published.iso() if record.published else None
    return fields
