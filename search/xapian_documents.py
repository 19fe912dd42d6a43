"""How an article is laid out in a Xapian database: its terms, values and stored data.

The analysis is hansearch's own (``search.analysis``): both views' tokens go in with the
positions the analyzers give, each field under its own term prefix, so phrases and
part-of-word matches work as in the Whoosh index. What Whoosh keeps in its postings
(each occurrence's character offsets, for highlighting without running a segmenter at
query time) is kept here in the document's data, term by term.

    terms     T<word> title, B<word> body (word view); U<chars> title, C<chars> body
              (character view); Q<id>, L<lang>, S<source>, K<cluster> (filters)
    values    the facets and sort keys below (``SLOT_*``)
    data      the stored fields and the offsets (``stored_data`` / ``DocumentData``)

The layout is stamped in the database's metadata (``LAYOUT_KEY``): a database of
another layout is refused with a message naming ``hansearch rebuild``.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import numpy as np
import xapian

from .analysis import UserDictionaries
from .schema import TITLE_BOOST
from .scoring import WEIGHTING

PREFIXES = {"title": "T", "body": "B", "title_chars": "U", "body_chars": "C"}
WORD_FIELDS = ("title", "body")
CHAR_FIELDS = ("title_chars", "body_chars")
ID_PREFIX = "Q"
LANG_PREFIX = "L"
SOURCE_PREFIX = "S"
CLUSTER_PREFIX = "K"
# The language, source and month, NUL-separated: one match spy counts the three facets
# (a spy per slot costs a pass over each slot's values).
SLOT_FACETS = 0
FACETS = ("lang", "source", "month")
SLOT_PUBLISHED = 3  # sortable_serialise(seconds since 1970, UTC)
SLOT_DAY = 4  # YYYY-MM-DD, the day as the article states it (date filters)
SLOT_CLUSTER = 5
SLOT_SIGNATURE = 6  # the near-duplicate signature, read back by ``update``
# Equal scores are ordered by id, and equal dates by id too: the order is then the same
# whether the archive is one database or shards (Xapian's own tie order is by docid,
# which shards interleave).
SLOT_ID = 7
SLOT_NEWEST = 8  # the publication time (NEWEST_WIDTH bytes) then the id
NEWEST_WIDTH = 9  # sortable_serialise gives at most 9 bytes, never ending in a zero byte
_NO_DATE = -(2.0**40)
# What a database's data and values are laid out as (see the module's docstring).
LAYOUT_KEY = "hansearch.layout"
LAYOUT = "2"
# Xapian's BM25 normalises a term's frequency by the length of the whole document; the
# Whoosh engine's BM25F, by the length of the field it is in (a title match in a long
# article counts as a title match). BM25F is BM25 with no length normalisation over
# per-field normalised frequencies, tf / (1 - b + b * length / average length): each
# occurrence is indexed with that weight (times WDF_SCALE, as Xapian's are whole numbers)
# and searched with b = 0 and k1 times WDF_SCALE (``scoring.WEIGHTING``'s b and k1). The
# average lengths are the fields' in ../shared/corpus (177,526 articles), fixed so that
# any part can be built alone. A title's field boost is in its frequencies, as Whoosh has
# it (saturating with them).
WDF_SCALE = 100
AVERAGE_LENGTHS = {"title": 11.0, "body": 444.0, "title_chars": 18.0, "body_chars": 806.0}
FIELD_BOOSTS = {"title": TITLE_BOOST, "body": 1.0, "title_chars": TITLE_BOOST, "body_chars": 1.0}
# Xapian refuses terms longer than 245 bytes; longer tokens (a URL, a run of digits)
# are not searchable as one term, as no user types them.
MAX_TERM_BYTES = 240
# Offsets are kept for the first this many tokens of a field: a 5 MB article's data
# stays a few megabytes, and its later occurrences are found but not marked.
MAX_MARKED_TOKENS = 200_000
# Occurrences of a term made into Python tuples at once (``Offsets.of_term``).
_READ_AT_ONCE = 256

# Spelling suggestions know Latin words as the character view keeps them (not stemmed)
# and Korean words of the word view.
_SPELLED = {
    "title": re.compile(r"[가-힣]{3,20}"),
    "body": re.compile(r"[가-힣]{3,20}"),
    "title_chars": re.compile(r"[a-z]{3,30}"),
    "body_chars": re.compile(r"[a-z]{3,30}"),
}

Analyzer = Callable[..., Iterable[Any]]


# The user dictionaries the database was built with (its queries are analysed with them;
# a Whoosh index pickles them with its schema).
DICTIONARIES_KEY = "hansearch.dictionaries"


def dictionaries_json(dictionaries: UserDictionaries) -> str:
    return json.dumps(
        {"chinese": dictionaries.chinese, "korean": dictionaries.korean}, ensure_ascii=False
    )


def read_dictionaries(text: str | bytes) -> UserDictionaries:
    """The dictionaries ``dictionaries_json`` wrote; none from an empty text."""
    if not text:
        return UserDictionaries()
    raw = json.loads(text)
    return UserDictionaries(
        chinese=tuple(tuple(entry) for entry in raw["chinese"]),
        korean=tuple(tuple(entry) for entry in raw["korean"]),
    )


def layout_of(db: xapian.Database) -> str:
    """The layout ``db`` was written in ("1": before layouts were stamped)."""
    return db.get_metadata(LAYOUT_KEY).decode("utf-8") or "1"


def id_term(doc_id: str) -> str:
    """The term naming a document by its id (a hash of a very long id: an id may be a
    URL of any length)."""
    name = ID_PREFIX + doc_id
    if len(name.encode("utf-8")) <= MAX_TERM_BYTES:
        return name
    return ID_PREFIX + "\x01" + hashlib.sha256(doc_id.encode("utf-8")).hexdigest()


def term(fieldname: str, text: str) -> str:
    return PREFIXES[fieldname] + text


def build_document(
    fields: dict[str, Any], words: Analyzer, chars: Analyzer
) -> tuple[xapian.Document, set[str]]:
    """The Xapian document of ``fields`` (``search.schema.document_fields``' values), and
    the words it gives the spelling suggestions (Latin words as written, Korean words of
    three syllables or more)."""
    doc = xapian.Document()
    spellings: set[str] = set()
    tokens_of: dict[str, list[tuple[str, int, int, int]]] = {}
    for fieldname, analyzer in (
        ("title", words),
        ("body", words),
        ("title_chars", chars),
        ("body_chars", chars),
    ):
        prefix = PREFIXES[fieldname]
        tokens = [
            (t.text, t.pos + 1, t.startchar, t.endchar)
            for t in analyzer(fields.get(fieldname, ""), positions=True, chars=True)
        ]
        each = occurrence_weight(fieldname, len(tokens))
        counts = Counter(word for word, _, _, _ in tokens)
        too_long = {w for w in counts if len((prefix + w).encode("utf-8")) > MAX_TERM_BYTES}
        spellings.update(
            w for w in counts if w not in too_long and _SPELLED[fieldname].fullmatch(w)
        )
        # Phrases are matched in the character view: only its positions are kept (the
        # word view's offsets, for highlights, are in the data). Each distinct word is
        # looked at once, not at each occurrence.
        if fieldname in CHAR_FIELDS:
            add_posting = doc.add_posting
            for word, position, _, _ in tokens:
                if word not in too_long:
                    add_posting(prefix + word, position, each)
        else:
            for word, count in counts.items():
                if word not in too_long:
                    doc.add_term(prefix + word, each * count)
        tokens_of[fieldname] = tokens[:MAX_MARKED_TOKENS]
    doc.add_boolean_term(id_term(fields["id"]))
    for prefix, name in (
        (LANG_PREFIX, "lang"),
        (SOURCE_PREFIX, "source"),
        (CLUSTER_PREFIX, "cluster"),
    ):
        value = fields.get(name)
        if value and len((prefix + value).encode("utf-8")) <= MAX_TERM_BYTES:
            doc.add_boolean_term(prefix + value)
    if fields.get("cluster"):
        doc.add_value(SLOT_CLUSTER, fields["cluster"])
    facets = [(fields.get(name) or "").replace("\0", "") for name in FACETS]
    if any(facets):
        doc.add_value(SLOT_FACETS, "\0".join(facets))
    if fields.get("month"):
        doc.add_value(SLOT_DAY, fields["day"])
    published = fields.get("published")
    seconds = _NO_DATE
    if published is not None:
        seconds = published.replace(tzinfo=UTC).timestamp()
        doc.add_value(SLOT_PUBLISHED, xapian.sortable_serialise(seconds))
    doc_id = fields["id"].encode("utf-8")
    doc.add_value(SLOT_ID, doc_id)
    when = xapian.sortable_serialise(seconds).ljust(NEWEST_WIDTH, b"\0")  # order kept
    doc.add_value(SLOT_NEWEST, when + doc_id)
    if fields.get("signature"):
        doc.add_value(SLOT_SIGNATURE, fields["signature"])
    stored = {
        name: value
        for name, value in fields.items()
        if name not in ("title_chars", "body_chars", "signature", "day")
    }
    doc.set_data(stored_data(stored, tokens_of))
    return doc, spellings


def occurrence_weight(fieldname: str, length: int) -> int:
    """The wdf of one occurrence in a field of ``length`` tokens (see WDF_SCALE)."""
    b = WEIGHTING.B
    norm = 1 - b + b * max(length, 1) / AVERAGE_LENGTHS[fieldname]
    return max(1, round(WDF_SCALE * FIELD_BOOSTS[fieldname] / norm))


def stored_data(stored: dict[str, Any], tokens_of: dict[str, list[tuple]]) -> bytes:
    """The document's data: its stored fields (JSON), then the character offsets of each
    field's tokens (``tokens_of``: (term, position, start, end) lists) as packed integers
    (no pickle: a shard's data comes over the network), each section compressed by
    itself, so that a reader decompresses only what it reads (ranking reads a field's
    offsets; only the page's articles need their text).

    A word-view field: its terms, and per term the position, start and end of each
    occurrence (steps after the first). A character-view field: the start and length of
    the token at each position (its positions are consecutive; which term stands where,
    the position lists in the database say). Each column of numbers is as narrow as its
    largest value allows (1, 2 or 4 bytes)."""
    fields = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in stored.items()}
    sections = [json.dumps(fields, ensure_ascii=False).encode("utf-8")]
    for fieldname in PREFIXES:
        tokens = tokens_of.get(fieldname, [])
        sections.append(_char_block(tokens) if fieldname in CHAR_FIELDS else _word_block(tokens))
    packed = [zlib.compress(section, 6) for section in sections]
    return struct.pack(f"<{len(packed)}I", *map(len, packed)) + b"".join(packed)


def _word_block(tokens: list[tuple[str, int, int, int]]) -> bytes:
    by_term: dict[str, list[tuple[int, int, int]]] = {}
    for word, position, start, end in tokens:
        by_term.setdefault(word, []).append((position, start, end))
    names = "\n".join(by_term).encode("utf-8")
    counts = np.fromiter(map(len, by_term.values()), dtype=np.uint32, count=len(by_term))
    rows = np.array([row for rows in by_term.values() for row in rows], dtype=np.int64)
    rows = rows.reshape(-1, 3)
    positions = np.diff(rows[:, 0], prepend=0)
    starts = np.diff(rows[:, 1], prepend=0)
    if len(rows):  # each term's first occurrence as it is, the others as steps
        first = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        positions[first] = rows[first, 0]
        starts[first] = rows[first, 1]
    lengths = rows[:, 2] - rows[:, 1]
    head = struct.pack("<II", len(by_term), len(names))
    return head + names + counts.tobytes() + _columns([positions, starts, lengths])


def _columns(columns: list[np.ndarray]) -> bytes:
    """Columns of whole numbers at least 0, each as its narrowest unsigned type: a byte
    naming each column's width, then the columns."""
    types = [_narrowest(column) for column in columns]
    head = bytes(np.dtype(t).itemsize for t in types)
    body = [column.astype(t).tobytes() for column, t in zip(columns, types, strict=True)]
    return head + b"".join(body)


def _narrowest(column: np.ndarray) -> type:
    if len(column) and column.min() < 0:
        raise ValueError("offsets are stored as steps forward")
    largest = int(column.max()) if len(column) else 0
    return next(t for t in (np.uint8, np.uint16, np.uint32) if largest <= np.iinfo(t).max)


def _read_columns(block: memoryview, at: int, count: int, size: int) -> list[np.ndarray]:
    """The ``count`` columns of ``size`` numbers that ``_columns`` wrote at ``at``."""
    widths = bytes(block[at : at + count])
    at += count
    columns = []
    for width in widths:
        columns.append(np.frombuffer(block, dtype=f"u{width}", count=size, offset=at))
        at += width * size
    return columns


def _char_block(tokens: list[tuple[str, int, int, int]]) -> bytes:
    size = max((position for _, position, _, _ in tokens), default=0) + 1
    starts = np.zeros(size, dtype=np.int64)
    lengths = np.zeros(size, dtype=np.int64)
    for _, position, start, end in tokens:
        starts[position] = start
        lengths[position] = end - start
    # A position with no token (none is expected) keeps the start before it: steps >= 0.
    steps = np.diff(np.maximum.accumulate(starts), prepend=0)
    return struct.pack("<I", size) + _columns([steps, lengths])


class DocumentData:
    """A document's data (``stored_data``), each section decompressed when first read."""

    def __init__(self, data: bytes) -> None:
        raw = memoryview(data)
        count = 1 + len(PREFIXES)
        sizes = struct.unpack_from(f"<{count}I", raw, 0)
        at = 4 * count
        self._sections = []
        for size in sizes:
            self._sections.append(raw[at : at + size])
            at += size
        self.offsets = Offsets(dict(zip(PREFIXES, self._sections[1:], strict=True)))

    @cached_property
    def stored(self) -> dict[str, Any]:
        """The stored fields; ``published`` a naive UTC datetime, as the Whoosh index
        stores it."""
        stored = json.loads(zlib.decompress(self._sections[0]).decode("utf-8"))
        if stored.get("published"):
            stored["published"] = datetime.fromisoformat(stored["published"])
        return stored


class Offsets:
    """A document's token offsets, read only as far as asked: a field's section
    decompressed and its word-view term index read when first needed, then each term's
    occurrences when asked for."""

    def __init__(self, sections: dict[str, memoryview]) -> None:
        self._sections = sections
        self._words: dict[str, _WordBlock] = {}
        self._chars: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def of_term(self, fieldname: str, word: str) -> Iterator[tuple[int, int, int]]:
        """(position, start, end) of each occurrence of ``word`` in a word-view field."""
        block = self._words.get(fieldname)
        if block is None:
            block = self._words[fieldname] = _WordBlock(self._block(fieldname))
        return block.occurrences(word)

    def at_positions(
        self, fieldname: str, positions: Iterable[int]
    ) -> Iterator[tuple[int, int, int]]:
        """(position, start, end) of the tokens at ``positions`` of a character-view field,
        made as they are read."""
        found = self._chars.get(fieldname)
        if found is None:
            found = self._chars[fieldname] = _read_char_block(self._block(fieldname))
        starts, lengths = found
        for p in positions:
            if p >= len(starts):  # beyond the tokens whose offsets are kept
                return
            if lengths[p]:
                yield p, int(starts[p]), int(starts[p] + lengths[p])

    def _block(self, fieldname: str) -> memoryview:
        return memoryview(zlib.decompress(self._sections[fieldname]))


class _WordBlock:
    """A word-view field's block: its terms, and each term's occurrences as steps (the
    first one as it is), decoded one term at a time; a term is found by a search of the
    names' bytes (an article has hundreds of terms, a search looks up a few)."""

    def __init__(self, block: memoryview) -> None:
        self.names = b""
        if not len(block):
            return
        count, size = struct.unpack_from("<II", block, 0)
        if not count:
            return
        self.names = b"\n" + bytes(block[8 : 8 + size]) + b"\n"
        at = 8 + size
        counts = np.frombuffer(block, dtype=np.uint32, count=count, offset=at)
        self.ends = np.cumsum(counts, dtype=np.int64)  # where each term's occurrences end
        total = int(self.ends[-1])
        self.columns = _read_columns(block, at + 4 * count, 3, total)

    def _number(self, word: str) -> int | None:
        """The term's number: how many names stand before it."""
        at = self.names.find(b"\n" + word.encode("utf-8") + b"\n")
        return None if at < 0 else self.names.count(b"\n", 0, at)

    def occurrences(self, word: str) -> Iterator[tuple[int, int, int]]:
        """Its (position, start, end), made a few hundred at a time as they are read (most
        terms stand a few times in an article: Python adds, no array made per term)."""
        number = self._number(word) if word and "\n" not in word else None
        if number is None:
            return
        first, end = int(self.ends[number - 1]) if number else 0, int(self.ends[number])
        positions, starts, lengths = self.columns
        position = start = 0
        for at in range(first, end, _READ_AT_ONCE):
            stop = min(at + _READ_AT_ONCE, end)
            for step, start_step, length in zip(
                positions[at:stop].tolist(),
                starts[at:stop].tolist(),
                lengths[at:stop].tolist(),
                strict=True,
            ):
                position += step
                start += start_step
                yield position, start, start + length


def _read_char_block(block: memoryview) -> tuple[np.ndarray, np.ndarray]:
    (size,) = struct.unpack_from("<I", block, 0)
    steps, lengths = _read_columns(block, 4, 2, size)
    return np.cumsum(steps, dtype=np.int64), lengths.astype(np.int64)


def published_of(value: bytes) -> int:
    """Seconds since 1970 of a SLOT_PUBLISHED value; -1 for none."""
    return int(xapian.sortable_unserialise(value)) if value else -1
