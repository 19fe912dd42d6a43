"""Jekyll posts whose body is raw HTML (news feeds mirrored as posts: zh-waimei, zh-oped2).

Front matter: ``title``, ``date``, ``from`` (the article URL), ``author`` (the feed, a
publisher, in news mirrors; the writer in blog and op-ed mirrors), ``tags``/``categories``.
The body opens with generator lines that are not article text: ``<!--epoch-->`` or
``<!--NaN-->``, ``[title](url)`` and a ``------`` rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from search.document import Document

from ..boilerplate import strip_boilerplate
from ..clean import html_to_text
from ..frontmatter import FrontMatter, has_front_matter, split_front_matter
from ..skip import Skip, SkipFile
from .base import Format, FormatOptions, make_document

# The link line's text runs to its first "](" and no further: letting it end at any "]("
# retried the rest of the line from each, quadratic in a long line of them.
_GENERATOR_HEADER = re.compile(
    r"\A\s*(?:<!--.*?-->\s*)*"
    r"(?:\[[^\n\]]*+(?:\](?!\()[^\n\]]*+)*+\]\([^\n]*\)[ \t]*\n[-=]{3,}[ \t]*\n)?",
    re.DOTALL,
)


def sniff(text: str, path: str) -> bool:
    """Front matter followed by an HTML body."""
    if not has_front_matter(text):
        return False
    try:
        _, body = split_front_matter(text[:65_536])
    except SkipFile:
        return False
    return has_html_body(body)


def has_html_body(body: str) -> bool:
    """Whether the text after a front matter is a post's HTML body."""
    return body_html(body).lstrip().startswith("<")


def body_html(body: str) -> str:
    """The post body without the generator's comment, title link and rule lines."""
    return body[_GENERATOR_HEADER.match(body).end() :]


def read(text: str, path: str, options: FormatOptions) -> Iterator[Document | Skip]:
    """One Document whose source is the post's name (see ``attribution``), author left empty."""
    meta, body = split_front_matter(text)
    url, name = attribution(meta)
    yield make_document(
        path=path,
        title=_as_str(meta.get("title")),
        body=strip_boilerplate(html_to_text(body_html(body)), trim_head=False),
        url=url,
        source=name,
        published=_as_str(meta.get("date")) or None,
        tags=_tags(meta),
    )


def attribution(meta: FrontMatter) -> tuple[str, str]:
    """(URL, name) of a post: ``from`` (else ``url``), and ``author`` (else the first tag).

    The name is the feed, a publisher, in news mirrors, and the writer in blog mirrors; the
    reader gives it as the source, and the builder tells the two apart by the names all posts
    of the same URL host carry (``indexer.furniture.attributed``).
    """
    url = _as_str(meta.get("from")) or _as_str(meta.get("url"))
    return url, _as_str(meta.get("author")) or next(iter(_tags(meta)), "")


def _tags(meta: FrontMatter) -> list[str]:
    return _as_list(meta.get("tags")) + _as_list(meta.get("categories"))


def _as_str(value: str | list[str] | None) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    return value or ""


def _as_list(value: str | list[str] | None) -> list[str]:
    if isinstance(value, list):
        return value
    return [value] if value else []


FORMAT = Format("jekyll-html", 10, sniff, read)
