"""Scraped plain-text pages: the first line is the title, date lines ("등록 …", "입력 …")
follow, the article sits among site menus and a footer, and a byline names the outlet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from search.document import Document

from ..boilerplate import strip_boilerplate
from ..byline import extract_byline
from ..clean import normalise_paragraphs
from ..skip import Skip
from .base import Format, FormatOptions, make_document

_DATE_LINES = 12
_PUBLISHED = re.compile(
    r"^\W*(?:등록|입력|최초\s*입력|기사\s*입력|작성|게재|발행|승인|published|posted|"
    r"发布时间|發布時間|发布日期|發佈日期|发表时间|時間|时间)\s*(?:일시|일자)?\s*[:：]?\s*\d",
    re.IGNORECASE,
)
_UPDATED = re.compile(
    r"^\W*(?:수정|최종\s*수정|업데이트|updated|modified|更新时间|更新時間)\s*(?:일시)?\s*[:：]?\s*\d",
    re.IGNORECASE,
)


def sniff(text: str, path: str) -> bool:
    """Anything: plain text is the fallback format."""
    return True


def read(text: str, path: str, options: FormatOptions) -> Iterator[Document | Skip]:
    """One Document: title from the first line, date from a labelled line, body the article block.

    A date without zone is placed in the document's language zone (Korea time for Korean).
    """
    lines = normalise_paragraphs(text).split("\n")
    title = lines[0] if lines else ""
    rest = lines[1:]
    published = None
    for index, line in enumerate(rest[:_DATE_LINES]):
        if _PUBLISHED.match(line) and published is None:
            published = line[_PUBLISHED.match(line).end() - 1 :]
            rest[index] = ""
        elif _UPDATED.match(line) or _PUBLISHED.match(line):
            rest[index] = ""
    body = strip_boilerplate("\n".join(rest), trim_head=True)
    source, author = extract_byline(body)
    yield make_document(
        path=path, title=title, body=body, source=source, author=author, published=published
    )


FORMAT = Format("text", 100, sniff, read)
