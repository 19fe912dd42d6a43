"""Markdown with YAML front matter (ko-naver-baram): ``title``, ``publisher``, multi-line
``author``, ``published_at``, ``url``; a markdown body with HTML entities, a
``**publisher** | date |`` header line and ``*Crawled at …*`` / ``*Source …*`` footer lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from search.document import Document

from ..boilerplate import strip_boilerplate
from ..byline import clean_author
from ..clean import markup_to_text
from ..frontmatter import has_front_matter, split_front_matter
from ..skip import Skip
from .base import Format, FormatOptions, make_document
from .jekyll import _as_list, _as_str

_EMPHASIS_MARKS = ("**", "__", "*", "_")
_EMPHASIS_CLOSE = {mark: re.compile(r"(?<=\S)" + re.escape(mark)) for mark in _EMPHASIS_MARKS}
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
# Closing hashes are tried from the start of a run of spaces only, not from each space in it.
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+|(?<!\s)\s++#++\s*$")
_META_LINE = re.compile(r"^\*\*[^*]+\*\*\s*\|")
_ITALIC_LINE = re.compile(r"^\*[^*].*\*$")


def sniff(text: str, path: str) -> bool:
    """Any front matter not followed by HTML (the jekyll-html reader comes first)."""
    return has_front_matter(text)


def read(text: str, path: str, options: FormatOptions) -> Iterator[Document | Skip]:
    """One Document from front matter and the markdown body made plain text."""
    meta, body = split_front_matter(text)
    tags = _as_list(meta.get("tags")) + _as_list(meta.get("category"))
    yield make_document(
        path=path,
        title=_as_str(meta.get("title")),
        body=strip_boilerplate(markdown_to_text(body), trim_head=False),
        url=_as_str(meta.get("url")) or _as_str(meta.get("from")),
        source=_as_str(meta.get("publisher")) or _as_str(meta.get("source")),
        author=clean_author(_as_str(meta.get("author"))),
        published=_as_str(meta.get("published_at")) or _as_str(meta.get("date")) or None,
        tags=tags,
    )


def markdown_to_text(markdown: str) -> str:
    """Plain paragraphs from markdown: markup, images, rules and metadata lines removed."""
    lines = markdown.replace("\r\n", "\n").split("\n")
    while lines and (not lines[-1].strip() or _ITALIC_LINE.match(lines[-1].strip())):
        lines.pop()
    out = []
    for line in lines:
        if _RULE.match(line) or _META_LINE.match(line.strip()):
            out.append("")
            continue
        line = _HEADING.sub("", line)
        line = _without_emphasis(_without_links(_without_links(line, image=True)))
        out.append(markup_to_text(line.lstrip("> ")))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _without_links(line: str, *, image: bool = False) -> str:
    """``line`` with each ``[text](url)`` made its text, or with each ``![alt](url)`` removed.

    Each "[" is matched to the first "]" after it and that to the first ")", as a regex
    ``\\[([^\\]]*)\\]\\([^)]*\\)`` would, but in one pass: a regex tried again from every "["
    of a line of them read the rest of the line each time.
    """
    opening = "![" if image else "["
    out: list[str] = []
    done = at = 0
    while (start := line.find(opening, at)) >= 0:
        close = line.find("]", start + len(opening))
        if close < 0:
            break  # no "]" after this "[", nor after any later one
        if not line.startswith("(", close + 1):
            at = close + 1  # every "[" before this "]" closes here too
            continue
        end = line.find(")", close + 2)
        if end < 0:
            break  # no ")" after this "](", nor after any later one
        out += (line[done:start], "" if image else line[start + 1 : close])
        done = at = end + 1
    return "".join(out) + line[done:]


def _without_emphasis(line: str) -> str:
    """``line`` with ``**a**``, ``__a__``, ``*a*`` and ``_a_`` made ``a``.

    The same as substituting ``(\\*\\*|__|\\*|_)(?=\\S)(.+?)(?<=\\S)\\1`` with its text, but a mark
    found never closed on the line is not looked for again: it cannot close after any later
    mark either (a line of "*a " read the rest of the line from each one).
    """
    out: list[str] = []
    done = at = 0
    unclosed: frozenset[str] = frozenset()
    starts = _emphasis_starts(unclosed)
    while starts and (found := starts.search(line, at)):
        start = at = found.start()
        for mark in _EMPHASIS_MARKS:
            inner = start + len(mark)
            if (
                mark in unclosed
                or not line.startswith(mark, start)
                or inner >= len(line)
                or line[inner].isspace()
            ):
                continue
            closing = _EMPHASIS_CLOSE[mark].search(line, inner + 1)
            if closing is None:
                unclosed |= {mark}
                starts = _emphasis_starts(unclosed)
                continue
            out += (line[done:start], line[inner : closing.start()])
            done = at = closing.end()
            break
        else:
            at = start + 1
    return "".join(out) + line[done:]


@lru_cache(maxsize=16)
def _emphasis_starts(unclosed: frozenset[str]) -> re.Pattern[str] | None:
    """Where a mark that may still close starts (None: no mark may)."""
    marks = [re.escape(mark) for mark in _EMPHASIS_MARKS if mark not in unclosed]
    return re.compile("|".join(marks)) if marks else None


FORMAT = Format("markdown", 20, sniff, read)
