"""Where the index lives: generations side by side and a pointer to the one serving.

    <index path>/
      CURRENT                 name of the serving generation, replaced atomically
      current.xapian          the same as a Xapian stub database (a Xapian generation),
                              what ``xapian-tcpsrv`` serves on a shard's machine
      generations/<name>/     one complete Whoosh index each (plus its manifest)
      write.lock              held by the one rebuild or update running

A rebuild writes a new generation and switches CURRENT only when it is complete, so a
build that dies leaves the serving index untouched. Readers follow CURRENT on their next
request. This module is the one place that opens a Whoosh index (Xapian databases:
``search.xapian_shards``).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index
from whoosh.index import IndexError as WhooshIndexError

POINTER = "CURRENT"
XAPIAN_STUB = "current.xapian"
GENERATIONS = "generations"
LOCK = "write.lock"


class IndexNotFound(RuntimeError):
    """No complete index at the configured path yet."""


class IndexBusy(RuntimeError):
    """Another rebuild or update holds the write lock."""


class IndexUnavailable(RuntimeError):
    """The serving generation cannot be read: damaged files, or a CURRENT that names no
    generation. Searches answer 503 with the reason until a good one is switched in."""


# What Whoosh raises on files that are truncated, emptied or overwritten.
INDEX_FAULTS = (
    WhooshIndexError,  # no TOC, an unknown version
    OSError,
    EOFError,
    ValueError,
    IndexError,
    KeyError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    AssertionError,
)

# What a generation's name may be: no path separators, no "..", nothing hidden.
_GENERATION_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,127}")


class IndexStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.generations = self.path / GENERATIONS

    def current_name(self) -> str | None:
        """The serving generation's name; IndexUnavailable when CURRENT holds anything but
        the name of a generation folder."""
        name = self._pointer()
        if name is not None and not _is_generation_name(name):
            raise IndexUnavailable(
                f"{self.path / POINTER} names no generation ({name[:80]!r}): rebuild the index"
            )
        return name

    def _pointer(self) -> str | None:
        try:
            name = (self.path / POINTER).read_bytes().decode("utf-8", "replace").strip()
        except FileNotFoundError:
            return None
        return name or None

    def current_name_or_none(self) -> str | None:
        """The serving generation's name, None when CURRENT is missing or invalid (a
        rebuild then replaces it)."""
        name = self._pointer()
        return name if name is not None and _is_generation_name(name) else None

    def previous_name(self) -> str | None:
        """The newest generation older than the serving one: readers may still hold it."""
        current = self.current_name_or_none()
        if current is None or not self.generations.is_dir():
            return None
        older = sorted(p.name for p in self.generations.iterdir() if p.name < current)
        return older[-1] if older else None

    def current_path(self) -> Path:
        name = self.current_name()
        if name is None:
            raise IndexNotFound(f"no index at {self.path}: build one with 'hansearch rebuild'")
        if not (self.generations / name).is_dir():
            raise IndexUnavailable(
                f"the serving generation {name} is missing from {self.generations}:"
                " rebuild the index"
            )
        return self.generations / name

    def open_current(self) -> Index:
        path = self.current_path()
        try:
            return open_index(path)
        except INDEX_FAULTS as error:
            raise IndexUnavailable(f"generation {path.name} cannot be opened: {error!r}") from None

    def new_generation(self) -> Path:
        """An empty folder for a generation, named by its start time (sorts by age)."""
        self.generations.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.generations / f"{stamp}-{os.getpid()}"
        path.mkdir()
        return path

    def switch_to(self, generation: Path) -> None:
        """Make ``generation`` the serving one: one atomic rename, flushed to disk (two for
        a Xapian generation: its stub first, which Xapian readers follow when they open)."""
        _fsync_tree(generation)
        if (generation / "iamglass").exists():
            _replace(self.path / XAPIAN_STUB, f"auto {GENERATIONS}/{generation.name}\n")
        _replace(self.path / POINTER, generation.name + "\n")

    def remove_old_generations(self, keep_previous: str | None = None) -> list[str]:
        """Delete every generation but the serving one and ``keep_previous`` (which
        readers may still have open); also the leftovers of builds that died."""
        keep = {self.current_name_or_none(), keep_previous}
        removed = []
        if self.generations.is_dir():
            for path in sorted(self.generations.iterdir()):
                if path.name not in keep:
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path.name)
        return removed

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Only one rebuild or update at a time; a second one is told who holds the lock.

        The kernel releases the lock when its process dies, even by SIGKILL."""
        self.path.mkdir(parents=True, exist_ok=True)
        with (self.path / LOCK).open("a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise IndexBusy(
                    f"{self.path} is being written by {holder}; wait for it to finish and try again"
                ) from None
            handle.seek(0)
            handle.truncate()
            started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            handle.write(f"process {os.getpid()} (since {started})")
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)


def _is_generation_name(name: str) -> bool:
    return bool(_GENERATION_NAME.fullmatch(name)) and ".." not in name


def open_index(generation: Path) -> Index:
    """A generation's Whoosh index, read without memory mapping: with mmap, Whoosh's
    compound-file reader copies every segment's whole postings file into memory (seconds
    and gigabytes per open on a large index); without it an open takes milliseconds."""
    return FileStorage(str(generation), supports_mmap=False).open_index()


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a new file renamed over it), flushed."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for child in path.iterdir():
        if child.is_file():
            with child.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(path)
