"""Publication dates as written in news archives -> timezone-aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

KOREA = timezone(timedelta(hours=9), "KST")
CHINA = timezone(timedelta(hours=8), "CST")

_LOCAL = re.compile(
    r"(?P<y>\d{4})\s*[-./年]\s*(?P<m>\d{1,2})\s*[-./月]\s*(?P<d>\d{1,2})\s*[.日]?"
    r"(?:\s*(?P<ampm>오전|오후|AM|PM|上午|下午)?\s*(?P<H>\d{1,2})\s*[:시时]\s*(?P<M>\d{2})"
    r"(?:\s*[:분]\s*(?P<S>\d{2}))?(?:\s*(?P<ampm2>AM|PM))?)?",
    re.IGNORECASE,
)
_AFTERNOON = {"오후", "pm", "下午"}


def zone_for(lang: str) -> tzinfo:
    """The zone of a date written without one: Korea time for Korean, UTC+8 for Chinese."""
    if lang == "ko":
        return KOREA
    if lang.startswith("zh"):
        return CHINA
    return UTC


# How an article states its date: a day only, a time without a zone (placed in the zone of
# the article's language), or a time with its zone.
DATE_ONLY, LOCAL_TIME, ZONED_TIME = "date", "local", "zoned"
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}$")


def parse_date(value: str, default_zone: tzinfo) -> datetime | None:
    """ISO 8601, RFC 2822 or local forms ("2024-07-28 오후 6:22:09").

    Dates written without a zone get ``default_zone``.
    """
    parsed = parse_published(value, default_zone)
    return parsed[0] if parsed else None


def parse_published(value: str, default_zone: tzinfo) -> tuple[datetime, str] | None:
    """The date of ``value`` (zone-aware) and how it was stated: DATE_ONLY, LOCAL_TIME or
    ZONED_TIME. A date or time without a zone is placed in ``default_zone``."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1) if "T" not in value else value)
        form = DATE_ONLY if _ISO_DAY.match(value) else LOCAL_TIME
    except ValueError:
        parsed, form = _rfc2822(value), ZONED_TIME
        if parsed is None:
            parsed, form = _find(value)
    if parsed is None:
        return None
    if parsed.tzinfo:
        return parsed, ZONED_TIME
    return parsed.replace(tzinfo=default_zone), LOCAL_TIME if form == ZONED_TIME else form


def _rfc2822(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _find(text: str) -> tuple[datetime | None, str]:
    """The first local-form date in ``text`` (naive), 12-hour 오전/오후 clock understood."""
    match = _LOCAL.search(text)
    if not match:
        return None, DATE_ONLY
    hour = int(match["H"] or 0)
    ampm = (match["ampm"] or match["ampm2"] or "").lower()
    if ampm:
        hour = hour % 12 + (12 if ampm in _AFTERNOON else 0)
    form = LOCAL_TIME if match["H"] else DATE_ONLY
    try:
        found = datetime(
            int(match["y"]),
            int(match["m"]),
            int(match["d"]),
            hour,
            int(match["M"] or 0),
            int(match["S"] or 0),
        )
    except ValueError:
        return None, form
    return found, form
