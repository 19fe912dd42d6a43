"""The Whoosh schema: which fields a Document becomes, how each is analysed and stored."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from .analysis import UserDictionaries, char_analyzer, word_analyzer
from .document import Document
from .duplicates import Signature

# BM25F weighs a title match above a body match.
TITLE_BOOST = 2.0


def build_schema(dictionaries: UserDictionaries | None = None) -> Schema:
    """Word fields carry ranking; ``*_chars`` fields hold the character view for exact
    phrases and part-of-word matches. Character offsets are stored (``chars=True``) so
    highlighting never runs the segmenters again."""
    words = word_analyzer(dictionaries)
    chars = char_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        url=STORED(),
        title=TEXT(analyzer=words, stored=True, chars=True, field_boost=TITLE_BOOST),
        body=TEXT(analyzer=words, stored=True, chars=True),
        title_chars=TEXT(analyzer=chars, chars=True, field_boost=TITLE_BOOST),
        body_chars=TEXT(analyzer=chars, chars=True),
        lang=ID(stored=True, sortable=True),
        source=ID(stored=True, sortable=True),
        author=ID(stored=True),
        published=DATETIME(stored=True, sortable=True),
        # The date as the article states it: its own UTC offset, and whether it has a time.
        published_local=STORED(),
        published_form=STORED(),
        month=ID(stored=True, sortable=True),
        day=ID(),
        tags=KEYWORD(stored=True, commas=True, scorable=True),
        path=ID(stored=True),
        content_hash=STORED(),
        # Near-duplicates (search/duplicates.py): the article's signature (a column only,
        # read back by ``update``) and its cluster, the same for every copy of one story;
        # neither when its body is too short to judge.
        signature=COLUMN(VarBytesColumn()),
        cluster=ID(stored=True, sortable=True),
    )


def document_fields(
    doc: Document, signature: Signature | None = None, cluster: str | None = None
) -> dict[str, Any]:
    """The values Whoosh indexes and stores for ``doc``, with its near-duplicate signature
    and cluster when it has them."""
    fields: dict[str, Any] = {
        "id": doc.id,
        "url": doc.url,
        "title": doc.title,
        "body": doc.body,
        "title_chars": doc.title,
        "body_chars": doc.body,
        "lang": doc.lang,
        "source": doc.source,
        "author": doc.author,
        "tags": ",".join(tag.replace(",", " ") for tag in doc.tags if tag),
        "path": doc.path,
        "content_hash": doc.content_hash,
        "signature": signature.to_bytes() if signature is not None else None,
        "cluster": cluster,
    }
    if doc.published is not None:
        # Whoosh stores naive datetimes; they are always UTC here.
        fields["published"] = doc.published.astimezone(UTC).replace(tzinfo=None)
        fields["published_local"] = doc.published.isoformat()
        fields["published_form"] = doc.published_form
        # Months and days as the article's own readers count them, for facets and filters.
        fields["month"] = doc.published.strftime("%Y-%m")
        fields["day"] = doc.published.strftime("%Y-%m-%d")
    return {name: value for name, value in fields.items() if value not in ("", None)}
