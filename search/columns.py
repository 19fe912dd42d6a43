"""Per-document values read once per index generation: the sortable fields (language,
source, month, publication time) for facet counts, filters and sorting by date, the
near-duplicate clusters for folding results, and the text fields' lengths for scoring, so
no Whoosh lookup runs per matching document."""

from __future__ import annotations

import heapq
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length

from .duplicates import Signature

FACETS = ("lang", "source", "month")
SCORED_FIELDS = ("title", "body", "title_chars", "body_chars")
_NO_DATE = -1


class Columns:
    def __init__(self, reader: IndexReader) -> None:
        self.values: dict[str, list[str]] = {}
        self.codes: dict[str, array] = {}
        for name in FACETS:
            known: dict[bytes, int] = {b"": 0}
            codes = array("I")
            for values in _leaf_values(reader, name, b""):
                codes.extend(known.setdefault(v or b"", len(known)) for v in values)
            self.values[name] = [_text(v) for v in known]
            self.codes[name] = codes
        missing = 2**64 - 1  # what Whoosh's numeric column holds for "no value"
        self.published = array("q")
        for values in _leaf_values(reader, "published", missing):
            self.published.extend(_NO_DATE if v == missing else v for v in values)

        # Near-duplicates: a number per cluster of more than one live document, the same for
        # all of them; 0 for a document that folds with none. None: an index built before
        # clusters (nothing is folded).
        self.clusters: array | None = _clusters(reader) if _has_clusters(reader) else None

        self._lengths = {name: _lengths(reader, name) for name in SCORED_FIELDS}

    def lengths(self, fieldname: str) -> array:
        """The length of ``fieldname`` in every document, as BM25F reads it."""
        return self._lengths[fieldname]

    def counts(self, name: str, docs: Iterable[int]) -> Counter:
        """How many of ``docs`` have each value of ``name`` (empty values left out)."""
        by_code = Counter(map(self.codes[name].__getitem__, docs))
        values = self.values[name]
        return Counter({values[code]: n for code, n in by_code.items() if values[code]})

    def keep(self, docs: Iterable[int], name: str, allowed: Iterable[str]) -> set[int]:
        """Those of ``docs`` whose ``name`` is one of ``allowed``."""
        wanted = {i for i, value in enumerate(self.values[name]) if value in set(allowed)}
        codes = self.codes[name]
        return {d for d in docs if codes[d] in wanted}

    def drop(self, docs: set[int], name: str, refused: Iterable[str]) -> set[int]:
        return docs - self.keep(docs, name, refused)

    def newest(self, docs: Iterable[int], count: int) -> set[int]:
        """The ``count`` most recently published of ``docs``, with every document published
        at the same moment as the last of them (ties are ranked by score later)."""
        published = self.published
        top = heapq.nlargest(count, docs, key=published.__getitem__)
        if not top:
            return set()
        last = published[top[-1]]
        return set(top) | {d for d in docs if published[d] == last}


def _has_clusters(reader: IndexReader) -> bool:
    return "cluster" in reader.schema and "signature" in reader.schema


def _clusters(reader: IndexReader) -> array:
    known: dict[bytes, int] = {b"": 0}
    codes = array("I")
    for values, live in zip(_leaf_values(reader, "cluster", b""), _live(reader), strict=True):
        codes.extend(
            known.setdefault(v, len(known)) if v and ok else 0
            for v, ok in zip(values, live, strict=True)
        )
    sizes = Counter(codes)
    return array("I", (code if sizes[code] > 1 else 0 for code in codes))


def duplicate_signatures(reader: IndexReader) -> Iterator[tuple[int, Signature, str]]:
    """(document number, signature, cluster) of every live document that has them, in
    index order; nothing from an index built before clusters."""
    if not _has_clusters(reader):
        return
    docnum = 0
    leaves = zip(
        _leaf_values(reader, "signature", b""),
        _leaf_values(reader, "cluster", b""),
        _live(reader),
        strict=True,
    )
    for signatures, clusters, live in leaves:
        for sig, cluster, ok in zip(signatures, clusters, live, strict=True):
            value = Signature.from_bytes(sig) if ok and cluster else None
            if value is not None:
                yield docnum, value, _text(cluster)
            docnum += 1


def _live(reader: IndexReader) -> Iterator[list[bool]]:
    """Per segment, whether each document is live (not deleted)."""
    for leaf, _ in reader.leaf_readers():
        count = leaf.doc_count_all()
        if leaf.has_deletions():
            yield [not leaf.is_deleted(d) for d in range(count)]
        else:
            yield [True] * count


def _leaf_values(reader: IndexReader, name: str, default) -> Iterator[list]:
    """The raw column values of every document, segment by segment (a segment where no
    document has the field has no column)."""
    for leaf, _ in reader.leaf_readers():
        count = leaf.doc_count_all()
        values = []
        if leaf.has_column(name):
            values = list(leaf.column_reader(name, translate=False))[:count]
        yield values + [default] * (count - len(values))


def _lengths(reader: IndexReader, fieldname: str) -> array:
    """Whoosh stores a field's length in a byte per document; a missing one counts 1."""
    found = array("I")
    for leaf, _ in reader.leaf_readers():
        count = leaf.doc_count_all()
        try:
            column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            raw = list(column)[:count] if column is not None else []
            found.extend(byte_to_length(b) if b else 1 for b in raw)
            found.extend([1] * (count - len(raw)))
        except AttributeError:  # another codec: ask document by document
            found.extend(leaf.doc_field_length(d, fieldname, 1) for d in range(count))
    return found


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
