"""What an index holds: documents by language, source and month."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .columns import Columns
from .engine import engine_of
from .store import open_index


@dataclass
class IndexStats:
    documents: int
    by_lang: Counter
    by_source: Counter
    by_month: Counter


def index_stats(generation: Path) -> IndexStats:
    """Counts over live documents, read from the sortable columns or values (no stored
    text loaded). Documents without a value (no date, no source) are counted under ""."""
    if engine_of(generation) == "xapian":
        documents, counters = _xapian_counts(generation)
    else:
        with open_index(generation).reader() as reader:
            columns = Columns(reader)
            live = list(reader.all_doc_ids())
        documents = len(live)
        counters = [columns.counts(name, live) for name in ("lang", "source", "month")]
    for counts in counters:
        missing = documents - sum(counts.values())
        if missing:
            counts[""] += missing
    return IndexStats(documents, *counters)


def _xapian_counts(generation: Path) -> tuple[int, list[Counter]]:
    import xapian

    from .budget import UNLIMITED
    from .xapian_engine import count_matches
    from .xapian_shards import check_layout

    db = xapian.Database(str(generation))
    check_layout(db, f"generation {generation.name}")
    _, facets = count_matches(db, xapian.Query.MatchAll, UNLIMITED, facets=True)
    return db.get_doccount(), [facets[name] for name in ("lang", "source", "month")]
