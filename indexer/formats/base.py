"""What every format reader shares: its registry entry, its options, and Document assembly.

``make_document`` reports what it drops (a URL that is no web URL) as a Notice to whoever
collects them around the call (``collecting_notices``): ``read_documents`` yields them before
the Document, so no reader has to pass them on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from search.analysis.language import detect_language
from search.document import Document, web_url

from ..dates import LOCAL_TIME, ZONED_TIME, parse_published, zone_for
from ..dedupe import canonical_url
from ..skip import Notice, Skip

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SHOWN_URL = 60
_NOTICES: ContextVar[list[Notice] | None] = ContextVar("reader_notices", default=None)


@dataclass(frozen=True)
class JsonlFields:
    """Field names of a JSON Lines archive; each lists the names to try, in order."""

    id: tuple[str, ...] = ("id",)
    title: tuple[str, ...] = ("title", "headline")
    url: tuple[str, ...] = ("url", "link")
    published: tuple[str, ...] = ("published", "published_at", "date")
    author: tuple[str, ...] = ("author", "byline")
    publisher: tuple[str, ...] = ("publisher", "source")
    section: tuple[str, ...] = ("section",)
    body: tuple[str, ...] = ("body", "text", "content")
    body_html: tuple[str, ...] = ("body_html", "html")
    captions: tuple[str, ...] = ("captions",)
    lang: tuple[str, ...] = ("lang", "language")


@dataclass(frozen=True)
class FormatOptions:
    """Settings a reader may need; the builder fills them from config.toml."""

    jsonl_fields: JsonlFields = field(default_factory=JsonlFields)


Reader = Callable[[str, str, FormatOptions], Iterator["Document | Skip | Notice"]]


@dataclass(frozen=True)
class Format:
    """A registered input format: ``sniff(text, path)`` claims a file, ``read`` reads it.

    Formats are sniffed in ascending ``priority``; the first that claims a file reads it.
    """

    name: str
    priority: int
    sniff: Callable[[str, str], bool]
    read: Reader


def make_document(
    *,
    path: str,
    title: str,
    body: str,
    url: str = "",
    source: str = "",
    author: str = "",
    published: str | datetime | None = None,
    tags: Sequence[str] = (),
    lang: str = "",
    doc_id: str = "",
    where: str = "",
) -> Document:
    """A Document with language detected when not given, the date zoned by language, a stable id.

    A title ends at its first line break: feeds sometimes run the article's opening into the
    title field, and that text belongs to the body (unless the body already has it). Other
    control characters in a title are spaces; an id has none. A ``url`` that is not an http(s)
    URL is dropped with a Notice. ``where`` is where the document was read (default ``path``;
    ``path:line`` for a record): where notices point, and the id of a document with neither
    ``doc_id`` nor a web URL.
    """
    title, _, opening = title.strip().partition("\n")
    opening = opening.strip()
    if opening and " ".join(opening.split()) not in " ".join(body.split()):
        body = f"{opening}\n\n{body}" if body else opening
    title = " ".join(_CONTROL.sub(" ", title).split())
    where = where or path
    url = _checked_url(url, where)
    body = _without_title(body, title)
    lang = normalise_lang(lang, f"{title}\n{body}")
    published, published_form = _published(published, zone_for(lang))
    return Document(
        id=_clean_id(doc_id) or canonical_url(url) or _clean_id(where),
        title=title,
        body=body,
        lang=lang,
        url=url,
        source=source.strip(),
        author=author.strip(),
        published=published,
        published_form=published_form,
        tags=list(dict.fromkeys(t.strip() for t in tags if t and t.strip())),
        path=path,
    )


def _published(value: str | datetime | None, zone: tzinfo) -> tuple[datetime | None, str]:
    """The publication date and how the article states it (see ``indexer.dates``); a date
    or time without a zone is placed in ``zone``, the zone of the article's language."""
    if isinstance(value, str):
        parsed = parse_published(value, zone)
        return parsed if parsed else (None, "")
    if value is None:
        return None, ""
    if value.tzinfo is None:
        return value.replace(tzinfo=zone), LOCAL_TIME
    return value, ZONED_TIME


def _checked_url(url: str, where: str) -> str:
    """The web URL in ``url``, or "" with a notice when there was something else."""
    checked = web_url(url)
    if url.strip() and not checked:
        shown = _CONTROL.sub(lambda c: f"\\x{ord(c[0]):02x}", url.strip())
        if len(shown) > _SHOWN_URL:
            shown = shown[: _SHOWN_URL - 1] + "…"
        report_notice(where, f"url dropped: not an http(s) URL: {shown}")
    return checked


def _clean_id(value: str) -> str:
    return _CONTROL.sub("", value).strip()


def report_notice(path: str, message: str) -> None:
    """Tell the caller collecting notices (if any) that reading ``path`` changed something."""
    notices = _NOTICES.get()
    if notices is not None:
        notices.append(Notice(path, message))


@contextmanager
def collecting_notices() -> Iterator[list[Notice]]:
    """The notices reported inside the ``with`` block. Hold no ``yield`` of a generator
    inside it: collect around one step (``next(reader)``), then hand the notices on."""
    notices: list[Notice] = []
    token = _NOTICES.set(notices)
    try:
        yield notices
    finally:
        _NOTICES.reset(token)


_CHINESE_TAGS = {
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh-hans": "zh-Hans",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "zh-hant": "zh-Hant",
}


def normalise_lang(tag: str, text: str) -> str:
    """A declared language tag in the index's vocabulary ("ko-KR" -> "ko"); detected when absent.

    A bare "zh" says nothing of the script, so simplified or traditional is detected.
    """
    tag = tag.strip().replace("_", "-").lower()
    if tag in _CHINESE_TAGS:
        return _CHINESE_TAGS[tag]
    if not tag or tag == "zh" or tag.startswith("zh-"):
        detected = detect_language(text)
        return detected if not tag or detected.startswith("zh") else "zh-Hans"
    return tag.split("-")[0]


def _without_title(body: str, title: str) -> str:
    """Bodies often repeat the headline as their first paragraph; index it once."""
    first, _, rest = body.partition("\n\n")
    if title and " ".join(first.split()) == title:
        return rest
    return body
