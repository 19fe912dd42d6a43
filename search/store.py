"""Where the index lives: generations side by side and a pointer to the one serving.

    <index path>/
      CURRENT                 name of the serving generation, replaced atomically
      generations/<name>/     one complete Whoosh index each (plus its manifest)
      write.lock              held by the one rebuild or update running

A rebuild writes a new generation and switches CURRENT only when it is complete, so a
build that dies leaves the serving index untouched. Readers follow CURRENT on their next
request. This module is the one place that opens an index.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index

POINTER = "CURRENT"
GENERATIONS = "generations"
LOCK = "write.lock"


class IndexNotFound(RuntimeError):
    """No complete index at the configured path yet."""


class IndexBusy(RuntimeError):
    """Another rebuild or update holds the write lock."""


class IndexStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.generations = self.path / GENERATIONS

    def current_name(self) -> str | None:
        try:
            name = (self.path / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def previous_name(self) -> str | None:
        """The newest generation older than the serving one: readers may still hold it."""
        current = self.current_name()
        if current is None or not self.generations.is_dir():
            return None
        older = sorted(p.name for p in self.generations.iterdir() if p.name < current)
        return older[-1] if older else None

    def current_path(self) -> Path:
        name = self.current_name()
        if name is None or not (self.generations / name).is_dir():
            raise IndexNotFound(f"no index at {self.path}: build one with 'hansearch rebuild'")
        return self.generations / name

    def open_current(self) -> Index:
        return open_index(self.current_path())

    def new_generation(self) -> Path:
        """An empty folder for a generation, named by its start time (sorts by age)."""
        self.generations.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.generations / f"{stamp}-{os.getpid()}"
        path.mkdir()
        return path

    def switch_to(self, generation: Path) -> None:
        """Make ``generation`` the serving one: one atomic rename, flushed to disk."""
        _fsync_tree(generation)
        temporary = self.path / f"{POINTER}.tmp"
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(generation.name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path / POINTER)
        _fsync_dir(self.path)

    def remove_old_generations(self, keep_previous: str | None = None) -> list[str]:
        """Delete every generation but the serving one and ``keep_previous`` (which
        readers may still have open); also the leftovers of builds that died."""
        keep = {self.current_name(), keep_previous}
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


def open_index(generation: Path) -> Index:
    """A generation's Whoosh index, read without memory mapping: with mmap, Whoosh's
    compound-file reader copies every segment's whole postings file into memory (seconds
    and gigabytes per open on a large index); without it an open takes milliseconds."""
    return FileStorage(str(generation), supports_mmap=False).open_index()


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
