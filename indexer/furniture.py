"""Lines a source repeats across its articles (menus, promotions, sign-offs), learned from
a sample of the corpus before a rebuild and removed from every article of that source.

The lines learned are saved with the generation, so ``update`` cleans new articles the
way the rebuild cleaned the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from search.document import Document

from .boilerplate import drop_lines, repeated_lines
from .reader import ReadOptions
from .units import Plan, read_unit

SAMPLE_DOCS = 3000
FURNITURE = "furniture.json"

Furniture = Mapping[str, frozenset[str]]


def learn_furniture(plan: Plan, options: ReadOptions) -> dict[str, frozenset[str]]:
    """Repeated lines per source, from units spread evenly over the whole corpus."""
    step = max(1, round(plan.estimated_docs / SAMPLE_DOCS))
    bodies: dict[str, list[str]] = {}
    for unit in plan.units[::step] if step > 1 else plan.units:
        for _, item in read_unit(unit, options):
            if isinstance(item, Document) and item.source:
                bodies.setdefault(item.source, []).append(item.body)
    learned = {source: repeated_lines(texts) for source, texts in bodies.items()}
    return {source: lines for source, lines in learned.items() if lines}


def without_furniture(doc: Document, furniture: Furniture) -> Document:
    lines = furniture.get(doc.source)
    if not lines:
        return doc
    body = drop_lines(doc.body, lines)
    return doc if body == doc.body else replace(doc, body=body, content_hash="")


def save_furniture(generation: Path, furniture: Furniture) -> None:
    data = {source: sorted(lines) for source, lines in sorted(furniture.items())}
    (generation / FURNITURE).write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")


def load_furniture(generation: Path) -> dict[str, frozenset[str]]:
    path = generation / FURNITURE
    if not path.exists():
        return {}
    return {
        source: frozenset(lines) for source, lines in json.loads(path.read_text("utf-8")).items()
    }
