"""What an index holds: documents by language, source and month."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from whoosh.index import Index


@dataclass
class IndexStats:
    documents: int
    by_lang: Counter
    by_source: Counter
    by_month: Counter


def index_stats(ix: Index) -> IndexStats:
    """Counts over live documents, read from the sortable columns (no stored text loaded)."""
    counters = {"lang": Counter(), "source": Counter(), "month": Counter()}
    with ix.reader() as reader:
        columns = {name: reader.column_reader(name) for name in counters}
        documents = 0
        for docnum in reader.all_doc_ids():
            documents += 1
            for name, column in columns.items():
                value = column[docnum]
                counters[name][(value.decode() if isinstance(value, bytes) else value) or ""] += 1
    return IndexStats(documents, counters["lang"], counters["source"], counters["month"])
