"""JSON Lines archives, one article per line, field names configurable (``JsonlFields``).

A line that is not valid JSON is reported as ``path:line`` and skipped; the rest is read.
A record's own ``id`` is its document id and its ``lang``, when present, is trusted.
Captions are not copied into a body (the body repeats them) except for photo items whose
only text they are. Text fields are plain text, but HTML that feeds leave in them (``<br>`` in
titles, ``&#38;``) is made text (``clean.markup_to_text``); ``body_html`` is HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from search.document import Document

from ..boilerplate import strip_boilerplate
from ..byline import clean_author
from ..clean import html_to_text, markup_to_text
from ..skip import Skip
from .base import Format, FormatOptions, JsonlFields, make_document

_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")
_SURROGATE = re.compile("[\ud800-\udfff]")


def sniff(text: str, path: str) -> bool:
    """A .jsonl file, or one whose first line is a JSON object."""
    if path.lower().endswith(_SUFFIXES):
        return True
    first = text.lstrip("\ufeff \t\r\n").split("\n", 1)[0].strip()
    if not (first.startswith("{") and first.endswith("}")):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def read(text: str, path: str, options: FormatOptions) -> Iterator[Document | Skip]:
    """One Document per line of ``text``."""
    for number, line in enumerate(text.lstrip("\ufeff").split("\n"), 1):
        if line.strip():
            yield read_record(line, number, path, options.jsonl_fields)


def read_record(line: str, number: int, path: str, fields: JsonlFields) -> Document | Skip:
    """The Document on line ``number`` of ``path``, or a Skip at ``path:number`` saying why not."""
    where = f"{path}:{number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return Skip(where, f"invalid JSON: {error}")
    if not isinstance(record, dict):
        return Skip(where, "not a JSON object")
    body = markup_to_text(_text(record, fields.body))
    if not body:
        body = html_to_text(_text(record, fields.body_html)) or markup_to_text(
            _text(record, fields.captions)
        )
    title = markup_to_text(_text(record, fields.title), inline=True)
    if not body and not title:
        return Skip(where, "no title and no body")
    return make_document(
        path=path,
        doc_id=_text(record, fields.id),
        title=title,
        body=strip_boilerplate(body, trim_head=False),
        url=_text(record, fields.url),
        source=markup_to_text(_text(record, fields.publisher), inline=True),
        author=clean_author(markup_to_text(_text(record, fields.author), inline=True)),
        published=_published(_first(record, fields.published)),
        tags=[markup_to_text(_text(record, fields.section), inline=True)],
        lang=_text(record, fields.lang),
        where=where,
    )


def _first(record: dict, names: tuple[str, ...]) -> object:
    return next((record[name] for name in names if record.get(name) not in (None, "")), None)


def _text(record: dict, names: tuple[str, ...]) -> str:
    """The field as text; a lone surrogate (JSON lets "\\ud800" through) is U+FFFD."""
    value = _first(record, names)
    if isinstance(value, list):
        text = "\n\n".join(str(item) for item in value if item)
    else:
        text = "" if value is None else str(value).strip()
    return _SURROGATE.sub("\ufffd", text)


def _published(value: object) -> str | datetime | None:
    """ISO/RFC strings as they are; numbers as Unix time in seconds or milliseconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    return str(value)


FORMAT = Format("jsonl", 30, sniff, read)
