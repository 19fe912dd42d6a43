"""A small, forgiving HTML element tree (html.parser) for cleaning and metadata lookup."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Opening one of these closes an open element of the same kind (browsers do likewise).
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "tr", "td", "th", "option"})


@dataclass
class Element:
    """An HTML element: tag, attributes and children (elements or text strings)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    def iter(self, *tags: str) -> Iterator[Element]:
        """This element and its descendants, depth first, optionally only the given tags."""
        if not tags or self.tag in tags:
            yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter(*tags)

    def find(self, *tags: str) -> Element | None:
        """The first descendant-or-self with one of ``tags``."""
        return next(self.iter(*tags), None)

    def text(self) -> str:
        """All text inside, concatenated as is."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        if tag in _SELF_CLOSING_SIBLINGS and self.stack[-1].tag == tag:
            self.stack.pop()
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Element:
    """Parse ``html`` into a tree; comments, doctype and processing instructions are dropped."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def meta_content(root: Element, *names: str) -> str:
    """The content of the first <meta> whose name or property is one of ``names`` (in order)."""
    metas = {}
    for meta in root.iter("meta"):
        key = (meta.attrs.get("property") or meta.attrs.get("name") or "").lower()
        if key and key not in metas and meta.attrs.get("content", "").strip():
            metas[key] = meta.attrs["content"].strip()
    return next((metas[name] for name in names if name in metas), "")
