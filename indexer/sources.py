"""Walk the configured corpus paths and read each file's bytes as text, or say why not."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .encoding import decode
from .skip import Notice, Skip, SkipFile

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """A corpus file: where it is on disk and its stable path relative to the corpus root."""

    path: Path
    rel: str
    size: int


@dataclass(frozen=True)
class SourceText:
    """A decoded corpus file, with notices of what decoding replaced (invalid UTF-8 bytes)."""

    file: SourceFile
    text: str
    encoding: str
    notices: tuple[Notice, ...] = ()


def walk(root: Path | str, paths: Iterable[str] = (".",)) -> Iterator[SourceFile | Skip]:
    """Files under each of ``paths`` (folders or files, relative to ``root``), sorted.

    Hidden files and folders (``.git``) are left out.
    """
    root = Path(root)
    for entry in paths:
        start = root / entry
        if start.is_file():
            yield _source_file(root, start)
        elif start.is_dir():
            for folder, dirs, files in os.walk(start):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield _source_file(root, Path(folder) / name)
        else:
            yield Skip(entry, "no such file or folder")


def _source_file(root: Path, path: Path) -> SourceFile | Skip:
    rel = path.relative_to(root).as_posix()
    try:
        return SourceFile(path, rel, path.stat().st_size)
    except OSError as error:
        return Skip(rel, f"cannot stat: {error.strerror}")


def read_text(file: SourceFile, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText | Skip:
    """The decoded text of ``file``; files over ``max_bytes`` are refused before being read."""
    if file.size > max_bytes:
        return Skip(file.rel, f"too large: {file.size} bytes (max {max_bytes})")
    try:
        with file.path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        return Skip(file.rel, f"cannot read: {error.strerror}")
    if len(data) > max_bytes:
        return Skip(file.rel, f"too large: over {max_bytes} bytes")
    try:
        text, encoding, replaced = decode(data)
    except SkipFile as skip:
        return Skip(file.rel, str(skip))
    notices = (Notice(file.rel, replaced_message(replaced)),) if replaced else ()
    return SourceText(file, text, encoding, notices)


def replaced_message(count: int) -> str:
    return f"{count} invalid UTF-8 byte{'' if count == 1 else 's'} replaced"
