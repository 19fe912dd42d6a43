"""HTML pages: title from og:title/<title>/<h1>, URL from rel=canonical/og:url, date from
article:published_time or <time datetime>, body from <article>/<main>/<body> minus furniture.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from search.document import Document

from ..boilerplate import strip_boilerplate
from ..byline import clean_author, extract_byline
from ..clean import html_to_text
from ..htmltree import Element, meta_content, parse_html
from ..skip import Skip
from .base import Format, FormatOptions, make_document

_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html\b|<head\b|<body\b)", re.IGNORECASE)
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def sniff(text: str, path: str) -> bool:
    """A document that opens like an HTML page, or an .html file that starts with a tag."""
    head = text.lstrip("\ufeff")[:2048]
    return bool(_HTML_START.match(head)) or (
        path.lower().endswith(_HTML_SUFFIXES) and head.lstrip().startswith("<")
    )


def read(text: str, path: str, options: FormatOptions) -> Iterator[Document | Skip]:
    """One Document from the page's metadata and its main content."""
    root = parse_html(text)
    content = root.find("article") or root.find("main") or root.find("body") or root
    body = strip_boilerplate(html_to_text(content), trim_head=True)
    byline_source, byline_author = extract_byline(body)
    yield make_document(
        path=path,
        title=_title(root),
        body=body,
        url=_canonical(root),
        source=meta_content(root, "og:site_name", "application-name") or byline_source,
        author=clean_author(meta_content(root, "author", "article:author", "byl")) or byline_author,
        published=meta_content(
            root,
            "article:published_time",
            "og:article:published_time",
            "pubdate",
            "publishdate",
            "date",
            "dc.date",
            "dc.date.issued",
        )
        or _time(root)
        or None,
        tags=[meta_content(root, "article:section")],
    )


def _title(root: Element) -> str:
    title = meta_content(root, "og:title", "twitter:title")
    if title:
        return title
    for tag in ("title", "h1"):
        element = root.find(tag)
        if element is not None and element.text().strip():
            return element.text()
    return ""


def _canonical(root: Element) -> str:
    for link in root.iter("link"):
        if "canonical" in link.attrs.get("rel", "").lower().split() and link.attrs.get("href"):
            return link.attrs["href"]
    return meta_content(root, "og:url")


def _time(root: Element) -> str:
    for element in root.iter("time"):
        if element.attrs.get("datetime"):
            return element.attrs["datetime"]
    for element in root.iter():
        if element.attrs.get("itemprop") == "datePublished":
            return element.attrs.get("content") or element.attrs.get("datetime") or element.text()
    return ""


FORMAT = Format("html", 40, sniff, read)
