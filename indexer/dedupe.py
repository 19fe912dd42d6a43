"""Canonical URLs: archives repeat stories under slightly different URLs, and the
canonical URL is the document id, so a repeated story is indexed once."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = ("utm_", "fbclid", "gclid")


def canonical_url(url: str) -> str:
    """``url`` with scheme and host lower-cased, no fragment, no utm_* params, no trailing slash."""
    url = url.strip()
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
