"""Markdown with YAML front matter (ko-naver-baram): ``title``, ``publisher``, multi-line
``author``, ``published_at``, ``url``; a markdown body with HTML entities, a
``**publisher** | date |`` header line and ``*Crawled at …*`` / ``*Source …*`` footer lines.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from search.document import Document

from ..boilerplate import strip_boilerplate
from ..byline import clean_author
from ..frontmatter import has_front_matter, split_front_matter
from ..skip import Skip
from .base import Format, FormatOptions, make_document
from .jekyll import _as_list, _as_str

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+|\s+#+\s*$")
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
        title=html.unescape(_as_str(meta.get("title"))),
        body=strip_boilerplate(markdown_to_text(body), trim_head=False),
        url=_as_str(meta.get("url")) or _as_str(meta.get("from")),
        source=html.unescape(_as_str(meta.get("publisher")) or _as_str(meta.get("source"))),
        author=clean_author(html.unescape(_as_str(meta.get("author")))),
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
        line = _EMPHASIS.sub(r"\2", _LINK.sub(r"\1", _IMAGE.sub("", line)))
        out.append(html.unescape(line.lstrip("> ").rstrip()))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


FORMAT = Format("markdown", 20, sniff, read)
