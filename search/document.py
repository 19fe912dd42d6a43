"""The one document model every input format is read into and the index stores."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

_WEB_SCHEMES = ("http", "https")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class Document:
    """A news article, cleaned and ready to index.

    ``id`` is stable across rebuilds: the canonical URL when there is one, else the path
    relative to the corpus folder. ``published`` is timezone-aware, in the article's own
    UTC offset, or None; ``published_form`` says how the article states it: "date" (a day,
    no time), "local" (a time without a zone, placed in its language's zone) or "zoned".
    """

    id: str
    title: str
    body: str
    lang: str
    url: str = ""
    source: str = ""
    author: str = ""
    published: datetime | None = None
    published_form: str = ""
    tags: list[str] = field(default_factory=list)
    path: str = ""
    content_hash: str = ""

    def __post_init__(self) -> None:
        if self.published is not None and self.published.tzinfo is None:
            raise ValueError(f"published must be timezone-aware: {self.published!r}")
        if self.published is not None and not self.published_form:
            self.published_form = "zoned"
        if not self.content_hash:
            self.content_hash = content_hash(self.title, self.body)


def content_hash(title: str, body: str) -> str:
    """Hash of what is searched, so an update re-indexes only changed articles."""
    return hashlib.sha256(f"{title}\x00{body}".encode()).hexdigest()[:32]


def web_url(url: str) -> str:
    """``url`` without control characters and surrounding spaces if it is an http(s) URL with a
    host, else "". Browsers ignore tabs and line breaks in a URL, so ``java\tscript:`` and
    ``\x00javascript:`` are ``javascript:`` and no web URL."""
    url = _CONTROL.sub("", url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [IPv6 host
        return ""
    return url if parts.scheme.lower() in _WEB_SCHEMES and parts.hostname else ""
