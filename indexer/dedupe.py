"""Canonical URLs: archives repeat stories under slightly different URLs, and the
canonical URL is the document id, so a repeated story is indexed once.

Only web URLs are URLs: ``javascript:``, ``data:``, ``file:`` and relative links are none."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from search.document import web_url

_TRACKING = ("utm_", "fbclid", "gclid")


def canonical_url(url: str) -> str:
    """``url`` with scheme and host lower-cased, no fragment, no utm_* params, no trailing slash;
    "" for anything but an http(s) URL."""
    url = web_url(url)
    if not url:
        return ""
    parts = urlsplit(url)
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith(_TRACKING)
        ]
    )
    path = parts.path.rstrip("/") if parts.path != "/" else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))
