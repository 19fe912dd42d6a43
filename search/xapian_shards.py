"""Opening Xapian databases: a local generation, or the remote shards of
``[xapian] shards`` served by ``xapian-tcpsrv`` (one ``xapian.Database`` of several
remote parts: Xapian merges their statistics, so they are searched as one database).

A shard server serves a stub database file that names its current generation
(``search.store``), and opens it anew for each connection: remote connections are
reopened every ``REOPEN_SECONDS``, so a rebuild switched in on a shard is searched from
then on. A shard that is down, or does not answer within ``[xapian] timeout_ms``, makes
the search answer 503 with its address, never hang.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .analysis import UserDictionaries, char_analyzer, word_analyzer
from .config import Settings, shard_address
from .query import QueryBuilder
from .store import IndexUnavailable

try:
    import xapian
except ImportError:  # the Whoosh engine needs nothing more
    xapian = None

# What Xapian raises on a damaged database or a shard that cannot be reached.
XAPIAN_FAULTS: tuple[type[BaseException], ...] = (xapian.Error,) if xapian else ()
REOPEN_SECONDS = 2.0
_NOT_INSTALLED = "the Xapian engine is not installed: pip install 'hansearch[xapian]'"
_builders: dict[UserDictionaries, QueryBuilder] = {}
_builders_lock = threading.Lock()


def open_xapian(generation: Path):
    """The Xapian engine on a local generation."""
    from .xapian_engine import XapianEngine

    if xapian is None:
        raise IndexUnavailable(f"{generation.name} was built by Xapian; {_NOT_INSTALLED}")
    db = xapian.Database(str(generation))
    check_layout(db, f"generation {generation.name}")
    return XapianEngine(db, generation.name, query_builder(db))


def check_layout(db, name: str) -> None:
    """IndexUnavailable (``db`` closed) unless ``db`` is laid out as this version reads
    and writes."""
    from .xapian_documents import LAYOUT, layout_of

    found = layout_of(db)
    if found != LAYOUT:
        db.close()
        raise IndexUnavailable(
            f"{name} was built by another version of hansearch (layout {found}, this one "
            f"reads layout {LAYOUT}): run hansearch rebuild"
        )


def query_builder(db) -> QueryBuilder:
    """The analyzers with the user dictionaries the database was built with (its
    metadata), loaded once per process."""
    from .xapian_documents import DICTIONARIES_KEY, read_dictionaries

    dictionaries = read_dictionaries(db.get_metadata(DICTIONARIES_KEY))
    with _builders_lock:
        found = _builders.get(dictionaries)
        if found is None:
            found = QueryBuilder(word_analyzer(dictionaries), char_analyzer())
            _builders[dictionaries] = found
    return found


class Shards:
    """Searches over the remote shards: connections pooled, one per search at a time."""

    def __init__(self, settings: Settings) -> None:
        if xapian is None:
            raise IndexUnavailable(f"xapian.shards is set but {_NOT_INSTALLED}")
        self.settings = settings
        self.addresses = [shard_address(a) for a in settings.xapian.shards]
        self.timeout_ms = settings.xapian.timeout_ms
        self._idle: list[tuple[float, object]] = []
        self._lock = threading.Lock()

    @contextmanager
    def using(self) -> Iterator:
        engine = None
        with self._lock:
            while self._idle and engine is None:
                opened, candidate = self._idle.pop()
                if time.monotonic() - opened < REOPEN_SECONDS:
                    engine = (opened, candidate)
                else:
                    candidate.close()
        if engine is not None and not _alive(engine[1]):
            engine = None  # a shard restarted since: connect again
        if engine is None:
            engine = (time.monotonic(), self._open())
        try:
            yield engine[1]
        except xapian.Error as error:
            engine[1].close()
            raise IndexUnavailable(f"a shard failed during the search: {_message(error)}") from None
        with self._lock:
            self._idle.append(engine)

    def _open(self):
        from .xapian_engine import XapianEngine

        db = xapian.Database()
        for host, port in self.addresses:
            try:
                shard = xapian.remote_open(host, port, self.timeout_ms, self.timeout_ms)
                check_layout(shard, f"shard {host}:{port}")
            except xapian.Error as error:
                raise IndexUnavailable(
                    f"shard {host}:{port} cannot be reached: {_message(error)}"
                ) from None
            db.add_database(shard)
        try:
            # Names what is served, for the answer cache: a new generation on any shard
            # is a new database (uuid), an update changes its size.
            generation = f"shards:{db.get_uuid()}:{db.get_doccount()}:{db.get_total_length()}"
        except xapian.Error as error:
            raise IndexUnavailable(f"a shard failed: {_message(error)}") from None
        return XapianEngine(db, generation, query_builder(db))


def _alive(engine) -> bool:
    """Whether every shard connection of a pooled engine still answers (one round trip)."""
    try:
        engine.db.keep_alive()
        return True
    except xapian.Error:
        engine.close()
        return False


def _message(error: BaseException) -> str:
    text = error.get_msg() if hasattr(error, "get_msg") else str(error)
    return text or type(error).__name__
