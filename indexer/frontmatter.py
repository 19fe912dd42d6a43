"""YAML-like front matter as archives write it, parsed by hand (no YAML library).

Handles what the corpora use: ``key: value``, quoted strings (also over several lines),
``[a, b]`` lists,
``- item`` lists, ``key: |``/``>`` blocks and values continued on indented lines
(including tab-indented multi-line authors). Anything else is reported, not guessed.

Values are text: HTML that archives write into them (``author: A &#38; B``, ``<br>``) is
made text by ``clean.markup_to_text``, so readers get ``A & B``.
"""

from __future__ import annotations

import json
import re

from .clean import markup_to_text
from .skip import SkipFile

FrontMatter = dict[str, "str | list[str]"]

# The value ends at its last non-space character (a lazy ``.*?`` before ``\s*$`` retried
# every end, quadratic in a run of spaces); no value is None.
_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w.-]*+)\s*:(?:[ \t]++(?P<value>.*\S)?|)\s*$")
_FENCE = re.compile(r"^---[ \t]*$")


def has_front_matter(text: str) -> bool:
    """Whether ``text`` opens with a ``---`` line followed by a ``key:`` line."""
    lines = text.lstrip("\ufeff").split("\n", 2)
    return (
        len(lines) >= 2
        and bool(_FENCE.match(lines[0].rstrip("\r")))
        and bool(_KEY.match(lines[1].rstrip("\r")))
    )


def split_front_matter(text: str) -> tuple[FrontMatter, str]:
    """(front matter, rest of the text); raises SkipFile when the block is malformed."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or not _FENCE.match(lines[0]):
        raise SkipFile("no front matter")
    for end in range(1, len(lines)):
        if _FENCE.match(lines[end]):
            return _parse(lines[1:end]), "\n".join(lines[end + 1 :])
    raise SkipFile("malformed front matter: no closing '---' line")


def _parse(lines: list[str]) -> FrontMatter:
    meta: FrontMatter = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.startswith("#"):
            continue
        match = _KEY.match(line)
        if not match:
            raise SkipFile(f"malformed front matter: line {index + 1} is not 'key: value'")
        continued: list[str] = []
        first = (match["value"] or "").strip()
        if _unclosed_quote(first):
            # A quoted value may run over lines, flush left: "title\n" (YAML folds the
            # line breaks into spaces). Each line is scanned once, on from the last.
            past = _scan_quoted(first, 1, first[0])
            while index < len(lines):
                continued.append(lines[index])
                index += 1
                past = _scan_quoted(" " + continued[-1], past, first[0])
                if past < 0:
                    break
            else:
                key = match["key"]
                raise SkipFile(f"malformed front matter: the quote of {key!r} never closes")
        while index < len(lines) and (not lines[index].strip() or lines[index][0] in " \t"):
            continued.append(lines[index])
            index += 1
        value = _value(match["value"] or "", continued)
        meta[match["key"]] = (
            [markup_to_text(item, inline=True) for item in value]
            if isinstance(value, list)
            else markup_to_text(value, inline=True)
        )
    return meta


def _unclosed_quote(value: str) -> bool:
    """Whether ``value`` opens a quoted string it does not close."""
    value = value.strip()
    return bool(value) and value[0] in "\"'" and _scan_quoted(value, 1, value[0]) >= 0


def _scan_quoted(text: str, index: int, quote: str) -> int:
    """Read ``text`` from ``index`` inside a string quoted with ``quote``: -1 if the quote
    closes, else how far past the end of ``text`` reading stopped (1 after a backslash that
    escapes the character after ``text``), where reading goes on in the text that follows."""
    while index < len(text):
        if quote == '"' and text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            if quote == "'" and text[index + 1 : index + 2] == "'":  # '' inside '...'
                index += 2
                continue
            return -1
        index += 1
    return index - len(text)


def _value(first: str, continued: list[str]) -> str | list[str]:
    """A scalar, block or list value from its first line and its indented continuation lines."""
    rest = [line.strip() for line in continued if line.strip()]
    if first in ("|", "|-", "|+", ">", ">-", ">+"):
        return ("\n" if first[0] == "|" else " ").join(_dedent(continued)).strip()
    if not first and rest and all(line.startswith("- ") or line == "-" for line in rest):
        return [_scalar(line[1:].strip()) for line in rest]
    text = " ".join([first, *rest]).strip()
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(item) for item in _split_list(text[1:-1]) if item.strip()]
    return _scalar(text)


def _dedent(lines: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:].rstrip() for line in lines]


def _split_list(inner: str) -> list[str]:
    """Split ``a, "b, c", d`` on commas outside quotes."""
    items, start, quote = [], 0, ""
    for index, ch in enumerate(inner):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == ",":
            items.append(inner[start:index])
            start = index + 1
    return [*items, inner[start:]]


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return str(json.loads(text)).strip()
        except json.JSONDecodeError:
            return text[1:-1].strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'").strip()
    return text
