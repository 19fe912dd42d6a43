"""Request parameters the JSON API and the page read the same way."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict


def languages(args: MultiDict) -> tuple[str, ...]:
    """``lang`` repeated or comma-separated: ``lang=ko&lang=zh`` or ``lang=ko,zh``."""
    return tuple(
        value.strip() for raw in args.getlist("lang") for value in raw.split(",") if value.strip()
    )


def sources(args: MultiDict) -> tuple[str, ...]:
    """``source`` repeated (a source's name may itself hold a comma)."""
    return tuple(value.strip() for value in args.getlist("source") if value.strip())
