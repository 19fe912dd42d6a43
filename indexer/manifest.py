"""What each corpus file contributed to a generation: its size, mtime and documents.

``update`` compares it with the files on disk to find what changed; the same rule picks
which copy of a repeated article is indexed in a rebuild and in an update.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "manifest.json"
VERSION = 1


@dataclass
class FileEntry:
    size: int
    mtime_ns: int
    docs: list[tuple[str, str]] = field(default_factory=list)  # (id, content_hash), in order


@dataclass
class Manifest:
    files: dict[str, FileEntry] = field(default_factory=dict)

    def winners(self) -> dict[str, tuple[str, str]]:
        """id -> (file, content_hash) of the copy that is indexed: the first one, by file
        path and then by order within the file."""
        chosen: dict[str, tuple[str, str]] = {}
        for rel in sorted(self.files):
            for doc_id, content_hash in self.files[rel].docs:
                chosen.setdefault(doc_id, (rel, content_hash))
        return chosen

    def save(self, generation: Path) -> None:
        data = {
            "version": VERSION,
            "files": {
                rel: {"size": e.size, "mtime_ns": e.mtime_ns, "docs": e.docs}
                for rel, e in sorted(self.files.items())
            },
        }
        # A new file, never a rewrite: an update's generation shares files with the serving
        # one through hard links.
        temporary = generation / f"{MANIFEST}.tmp"
        temporary.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        temporary.replace(generation / MANIFEST)

    @classmethod
    def load(cls, generation: Path) -> Manifest:
        data = json.loads((generation / MANIFEST).read_text("utf-8"))
        if data.get("version") != VERSION:
            raise ValueError(f"{generation / MANIFEST}: unknown manifest version")
        return cls(
            {
                rel: FileEntry(e["size"], e["mtime_ns"], [tuple(d) for d in e["docs"]])
                for rel, e in data["files"].items()
            }
        )
