"""What an index holds: documents by language, source and month."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from whoosh.index import Index

from .columns import Columns


@dataclass
class IndexStats:
    documents: int
    by_lang: Counter
    by_source: Counter
    by_month: Counter


def index_stats(ix: Index) -> IndexStats:
    """Counts over live documents, read from the sortable columns (no stored text loaded).
    Documents without a value (no date, no source) are counted under ""."""
    with ix.reader() as reader:
        columns = Columns(reader)
        live = list(reader.all_doc_ids())
    counters = []
    for name in ("lang", "source", "month"):
        counts = columns.counts(name, live)
        missing = len(live) - sum(counts.values())
        if missing:
            counts[""] += missing
        counters.append(counts)
    return IndexStats(len(live), *counters)
