"""JSON archives: JSON Lines (one article per line) and JSON dumps (an array of articles,
or an object holding one: ``{"articles": [...]}``), field names configurable
(``JsonlFields``).

A line that is not valid JSON is reported as ``path:line`` and skipped; the rest is read.
A dump that is not valid JSON is reported as ``path`` with the error's place and skipped
whole; its articles are ``path:1``, ``path:2`` … in the array's order.
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

_LINES_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A JSON dump starts as an array of objects or an object with a key: [{ or {"
_DUMP_START = re.compile(r'\[\s*\{|\{\s*"')
_LEADING_SPACE = re.compile("[\ufeff \t\r\n]*")


def sniff(text: str, path: str) -> bool:
    """JSON Lines (see ``is_json_lines``), a .json file, or one that starts as a JSON dump."""
    return (
        is_json_lines(text, path)
        or path.lower().endswith(".json")
        or bool(_DUMP_START.match(text, _start(text)))
    )


def is_json_lines(text: str, path: str) -> bool:
    """A .jsonl file, or one whose first line is a JSON object: read line by line."""
    return path.lower().endswith(_LINES_SUFFIXES) or _first_line_is_object(text)


def read(text: str, path: str, options: FormatOptions) -> Iterator[Document | Skip]:
    """One Document per line of JSON Lines, or per article of a JSON dump."""
    if not is_json_lines(text, path):
        yield from _read_dump(text[_start(text) :], path, options.jsonl_fields)
        return
    for number, line in enumerate(text.lstrip("\ufeff").split("\n"), 1):
        if line.strip():
            yield read_record(line, number, path, options.jsonl_fields)


def _start(text: str) -> int:
    """Where the text begins after a BOM and blank space (found, not copied: a dump may be
    one line of 20 MB)."""
    return _LEADING_SPACE.match(text).end()  # a * pattern: always matches


def _first_line_is_object(text: str) -> bool:
    start = _start(text)
    if not text.startswith("{", start):
        return False
    end = text.find("\n", start)
    first = text[start : end if end >= 0 else len(text)].rstrip()
    if not first.endswith("}"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _read_dump(text: str, path: str, fields: JsonlFields) -> Iterator[Document | Skip]:
    """The articles of a whole-file JSON dump: an array of them, or the largest array of
    objects inside an object (``{"articles": [...]}``), or the object itself."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        yield Skip(path, f"invalid JSON: {error}")
        return
    if isinstance(data, dict):
        arrays = [v for v in data.values() if isinstance(v, list) and _holds_objects(v)]
        data = max(arrays, key=len) if arrays else [data]
    if not isinstance(data, list) or not data:
        yield Skip(path, "a JSON file without articles (neither objects nor an array of them)")
        return
    for number, record in enumerate(data, 1):
        yield read_object(record, f"{path}:{number}", path, fields)


def _holds_objects(values: list) -> bool:
    return any(isinstance(value, dict) for value in values)


def read_record(line: str, number: int, path: str, fields: JsonlFields) -> Document | Skip:
    """The Document on line ``number`` of ``path``, or a Skip at ``path:number`` saying why not."""
    where = f"{path}:{number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return Skip(where, f"invalid JSON: {error}")
    return read_object(record, where, path, fields)


def read_object(record: object, where: str, path: str, fields: JsonlFields) -> Document | Skip:
    """The Document of one JSON record found at ``where`` in ``path``, or a Skip saying why
    not."""
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
