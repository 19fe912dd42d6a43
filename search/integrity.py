"""Each generation's files with their size and checksum, recorded when it is written and
checked before anything is built on it (``update`` hard-links its files) and by
``hansearch verify``, so a damaged file is reported, never carried forward."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

CHECKSUMS = "checksums.json"
# Files replaced (never rewritten) after the generation is written, or locks.
_NOT_RECORDED = ("manifest.json", CHECKSUMS)


class GenerationDamaged(RuntimeError):
    """A generation's files are not the ones that were written."""


def record_checksums(generation: Path) -> None:
    """Write the size and SHA-256 of every file of ``generation`` beside them."""
    sums = {path.name: [path.stat().st_size, _sha256(path)] for path in _files(generation)}
    temporary = generation / f"{CHECKSUMS}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump({"version": 1, "files": sums}, handle, indent=0)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(generation / CHECKSUMS)


def has_checksums(generation: Path) -> bool:
    return (generation / CHECKSUMS).is_file()


def damage(generation: Path) -> list[str]:
    """What is wrong with ``generation``'s files, one line each; empty when all are intact."""
    try:
        recorded = json.loads((generation / CHECKSUMS).read_text("utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"{CHECKSUMS} cannot be read ({error})"]
    problems = []
    present = {path.name: path for path in _files(generation)}
    for name, (size, digest) in sorted(recorded.items()):
        path = present.pop(name, None)
        if path is None:
            problems.append(f"{name} is missing")
        elif path.stat().st_size != size:
            problems.append(f"{name} has {path.stat().st_size:,} bytes, {size:,} were written")
        elif _sha256(path) != digest:
            problems.append(f"{name} has changed since it was written (checksum differs)")
    problems.extend(f"{name} was not part of the generation" for name in sorted(present))
    return problems


def check_generation(generation: Path) -> None:
    """Raise GenerationDamaged naming what is wrong, with the way out."""
    problems = damage(generation)
    if problems:
        shown = "; ".join(problems[:5])
        if len(problems) > 5:
            shown += f"; and {len(problems) - 5} more"
        raise GenerationDamaged(
            f"generation {generation.name} is damaged: {shown}. "
            "Build a new index from the corpus with 'hansearch rebuild'"
        )


def _files(generation: Path) -> list[Path]:
    return sorted(
        path
        for path in generation.iterdir()
        if path.is_file()
        and path.name not in _NOT_RECORDED
        and not path.name.endswith(".tmp")
        and not path.name.upper().endswith("LOCK")
    )


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
