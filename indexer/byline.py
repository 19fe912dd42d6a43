"""Who wrote an article and for which outlet, from bylines and author fields."""

from __future__ import annotations

import re

_NAME = r"[가-힣]{2,4}"
_TITLES = (
    r"(?:선임|수석|객원|인턴|전문|대기자|편집)?"
    r"(?:기자|특파원|논설위원|위원|에디터|PD|앵커|통신원)"
)
_BRACKET_BYLINE = re.compile(
    rf"^\[(?P<source>[^\]\s=]+)\s+(?P<author>{_NAME}(?:\s*[·,]\s*{_NAME})*)\s*{_TITLES}\]"
)
_WIRE_BYLINE = re.compile(
    rf"^[\[(][^=\])]{{1,20}}=\s*(?P<source>[^\])]+)[\])]\s*(?P<author>{_NAME}(?:[·,\s]+{_NAME})*)"
    rf"\s*{_TITLES}"
)
# An e-mail address, or else a whole run of the characters one starts with: a run without "@"
# is passed over at once, not tried again from each of its characters (quadratic).
_EMAIL_OR_RUN = re.compile(r"[\w.+-]++@[\w-]+(?:\.[\w-]+)+|(?P<run>[\w.+-]++)")
# A parenthesis and what it holds; one never closed is matched to the end, and kept.
_PARENTHESIS = re.compile(r"\([^)]*+(?P<closed>\))?")
_ROLE_PREFIX = re.compile(r"^(?:정리|글|사진|영상|그래픽|취재|편집)\s*[·=:ㆍ]\s*")
_ROLE_SUFFIX = re.compile(rf"\s*{_TITLES}$")


def extract_byline(text: str) -> tuple[str, str]:
    """(source, author) from a Korean byline opening ``text``: "[이데일리 정수영 기자] …"."""
    head = text.lstrip()[:200]
    match = _BRACKET_BYLINE.match(head) or _WIRE_BYLINE.match(head)
    if not match:
        return "", ""
    return match["source"].strip(), clean_author(re.sub(r"\s+", ",", match["author"]))


def clean_author(raw: str) -> str:
    """Names only: "한재준 기자 (a@b.kr),김지현 기자" -> "한재준, 김지현"."""
    raw = _EMAIL_OR_RUN.sub(lambda m: m[0] if m["run"] else " ", raw)
    raw = _PARENTHESIS.sub(lambda m: " " if m["closed"] else m[0], raw)
    names: dict[str, None] = {}  # in order, each once
    for piece in re.split(r"[,/\n]|\s·\s|·(?=[가-힣]{2,4}$)", raw):
        name = _ROLE_SUFFIX.sub("", _ROLE_PREFIX.sub("", " ".join(piece.split())))
        if name:
            names[name] = None
    return ", ".join(names)
