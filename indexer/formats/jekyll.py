"""Jekyll posts whose body is raw HTML (news feeds mirrored as posts: zh-waimei, zh-oped2).

Front matter: ``title``, ``date``, ``from`` (the article URL), ``author`` (the feed, i.e.
the publisher), ``tags``/``categories``. The body opens with generator lines that are not
article text: ``<!--epoch-->`` or ``<!--NaN-->``, ``[title](url)`` and a ``------`` rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from search.document import Document

from ..boilerplate import strip_boilerplate
from ..clean import html_to_text
from ..frontmatter import has_front_matter, split_front_matter
from ..skip import Skip, SkipFile
from .base import Format, FormatOptions, make_document

_GENERATOR_HEADER = re.compile(
    r"\A\s*(?:<!--.*?-->\s*)*(?:\[[^\n]*\]\([^\n]*\)[ \t]*\n[-=]{3,}[ \t]*\n)?", re.DOTALL
)


def sniff(text: str, path: str) -> bool:
    """Front matter followed by an HTML body."""
    if not has_front_matter(text):
        return False
    try:
        _, body = split_front_matter(text[:65_536])
    except SkipFile:
        return False
    return body_html(body).lstrip().startswith("<")


def body_html(body: str) -> str:
    """The post body without the generator's comment, title link and rule lines."""
    return body[_GENERATOR_HEADER.match(body).end() :]


def read(text: str, path: str, options: FormatOptions) -> Iterator[Document | Skip]:
    """One Document; the feed name in ``author`` is the source, not a person."""
    meta, body = split_front_matter(text)
    tags = _as_list(meta.get("tags")) + _as_list(meta.get("categories"))
    feed = _as_str(meta.get("author")) or next(iter(tags), "")
    yield make_document(
        path=path,
        title=_as_str(meta.get("title")),
        body=strip_boilerplate(html_to_text(body_html(body)), trim_head=False),
        url=_as_str(meta.get("from")) or _as_str(meta.get("url")),
        source=feed,
        published=_as_str(meta.get("date")) or None,
        tags=tags,
    )


def _as_str(value: str | list[str] | None) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    return value or ""


def _as_list(value: str | list[str] | None) -> list[str]:
    if isinstance(value, list):
        return value
    return [value] if value else []


FORMAT = Format("jekyll-html", 10, sniff, read)
