"""Request parameters the JSON API and the page read the same way."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from search.models import SearchError


def single(args: MultiDict, name: str) -> str | None:
    """A parameter that takes one value; given twice it is refused (400), on the page as in
    the API, rather than one of the values picked silently."""
    values = args.getlist(name)
    if len(values) > 1:
        raise SearchError(
            "bad_parameter", f"{name} is given {len(values)} times; give it once", name
        )
    return values[0] if values else None


def languages(args: MultiDict) -> tuple[str, ...]:
    """``lang`` repeated or comma-separated: ``lang=ko&lang=zh`` or ``lang=ko,zh``."""
    return tuple(
        value.strip() for raw in args.getlist("lang") for value in raw.split(",") if value.strip()
    )


def sources(args: MultiDict) -> tuple[str, ...]:
    """``source`` repeated (a source's name may itself hold a comma)."""
    return tuple(value.strip() for value in args.getlist("source") if value.strip())
