"""Cut a corpus into work units of similar size, so the build keeps every core busy.

Small files are batched; a large JSON Lines file (one archive may hold 50,000 articles) is
cut into byte ranges at line ends.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from search.document import Document

from .encoding import lenient_utf8
from .formats.base import JsonlFields, collecting_notices
from .formats.jsonl import is_json_lines, read_record
from .reader import ReadOptions, read_file
from .skip import Notice, Skip
from .sources import SourceFile, replaced_message, walk

UNIT_BYTES = 4 * 1024 * 1024
UNIT_FILES = 64
_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class WorkUnit:
    """Whole files, or lines ``first_line``.. of one JSON Lines file between two offsets."""

    files: tuple[SourceFile, ...] = ()
    jsonl: SourceFile | None = None
    start: int = 0
    end: int = 0
    first_line: int = 1
    estimated_docs: int = 0


@dataclass
class Plan:
    units: list[WorkUnit]
    skips: list[Skip]
    files: list[SourceFile]

    @property
    def estimated_docs(self) -> int:
        return sum(unit.estimated_docs for unit in self.units)


def corpus_files(paths: list[Path]) -> Iterator[SourceFile | Skip]:
    """Every file under the configured corpus paths, named relative to each path's parent
    (``news/2024/a.md`` for the folder ``/data/news``), so ids stay stable across machines."""
    for path in paths:
        yield from walk(path.parent, [path.name])


def plan_units(paths: list[Path], options: ReadOptions) -> Plan:
    units: list[WorkUnit] = []
    skips: list[Skip] = []
    files: list[SourceFile] = []
    batch: list[SourceFile] = []
    batch_bytes = 0
    batch_docs = 0
    for entry in corpus_files(paths):
        if isinstance(entry, Skip):
            skips.append(entry)
            continue
        files.append(entry)
        if _is_jsonl(entry):
            units.extend(_jsonl_units(entry))
            continue
        batch.append(entry)
        batch_bytes += entry.size
        batch_docs += 1
        if len(batch) >= UNIT_FILES or batch_bytes >= UNIT_BYTES:
            units.append(WorkUnit(files=tuple(batch), estimated_docs=batch_docs))
            batch, batch_bytes, batch_docs = [], 0, 0
    if batch:
        units.append(WorkUnit(files=tuple(batch), estimated_docs=batch_docs))
    return Plan(units, skips, files)


def file_units(file: SourceFile) -> list[WorkUnit]:
    """The units that read one file: byte ranges of a JSON Lines file, else the file."""
    if _is_jsonl(file):
        return list(_jsonl_units(file))
    return [WorkUnit(files=(file,), estimated_docs=1)]


def read_unit(
    unit: WorkUnit, options: ReadOptions
) -> Iterator[tuple[str, Document | Skip | Notice]]:
    """(file, Document or Skip) for everything in ``unit``, and (file, Notice) before a Document
    read with a change worth reporting (see ``indexer.skip``); nothing in it raises."""
    for file in unit.files:
        try:
            for item in read_file(file, options):
                yield file.rel, item
        except Exception as error:  # a reader bug must not end a rebuild
            yield file.rel, Skip(file.rel, f"could not be read: {error!r}")
    if unit.jsonl is not None:
        yield from _read_jsonl_range(unit, options)


def _is_jsonl(file: SourceFile) -> bool:
    try:
        with file.path.open("rb") as handle:
            head = handle.read(65_536)
    except OSError:
        return False
    text = codecs.getincrementaldecoder("utf-8-sig")(errors="replace").decode(head)
    return is_json_lines(text, file.rel)


def _jsonl_units(file: SourceFile) -> Iterator[WorkUnit]:
    """Byte ranges of about UNIT_BYTES that start and end at line ends, with line numbers."""
    start, line, lines_in_unit, offset = 0, 1, 0, 0
    with file.path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            offset += len(block)
            lines_in_unit += block.count(b"\n")
            if offset - start >= UNIT_BYTES:
                rest = handle.readline()
                offset += len(rest)
                lines_in_unit += rest.endswith(b"\n")
                yield WorkUnit(
                    jsonl=file,
                    start=start,
                    end=offset,
                    first_line=line,
                    estimated_docs=lines_in_unit,
                )
                start, line, lines_in_unit = offset, line + lines_in_unit, 0
    if offset > start:
        yield WorkUnit(
            jsonl=file,
            start=start,
            end=offset,
            first_line=line,
            estimated_docs=max(lines_in_unit, 1),
        )


def _read_jsonl_range(
    unit: WorkUnit, options: ReadOptions
) -> Iterator[tuple[str, Document | Skip | Notice]]:
    file = unit.jsonl
    assert file is not None
    fields = options.formats.jsonl_fields
    with file.path.open("rb") as handle:
        handle.seek(unit.start)
        number, position = unit.first_line, unit.start
        while position < unit.end and (raw := handle.readline()):
            position += len(raw)
            where = f"{file.rel}:{number}"
            if len(raw) > options.max_bytes:
                yield (
                    file.rel,
                    Skip(where, f"too large: {len(raw)} bytes (max {options.max_bytes})"),
                )
            elif raw.strip():
                for item in _jsonl_line(raw, number, file.rel, fields):
                    yield file.rel, item
            number += 1


def _jsonl_line(
    raw: bytes, number: int, rel: str, fields: JsonlFields
) -> list[Document | Skip | Notice]:
    """The record on one line, after the Notices of what reading it changed. A few invalid
    UTF-8 bytes are replaced (and reported) as in whole files; more skip the line."""
    where = f"{rel}:{number}"
    if number == 1 and raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        line, replaced = raw.decode("utf-8"), 0
    except UnicodeDecodeError as error:
        decoded = lenient_utf8(raw)
        if decoded is None:
            return [Skip(where, f"invalid UTF-8 at byte {error.start}")]
        line, replaced = decoded
    try:
        with collecting_notices() as notices:
            item = read_record(line.rstrip("\r\n"), number, rel, fields)
    except Exception as error:  # a reader bug must not end a rebuild
        return [Skip(where, f"could not be read: {error!r}")]
    if isinstance(item, Document) and replaced:
        notices.insert(0, Notice(where, replaced_message(replaced)))
    return [*notices, item] if isinstance(item, Document) else [item]
