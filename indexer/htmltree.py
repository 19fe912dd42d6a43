"""A small, forgiving HTML element tree (html.parser) for cleaning and metadata lookup."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Opening one of these closes an open element of the same kind (browsers do likewise).
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "tr", "td", "th", "option"})
# Elements nest at most this deep: one opened deeper is added where the limit is reached and
# its content follows it there, as browsers do (Chromium stops at 512), so no page makes a
# recursive walk of the tree (``clean.html_to_text``) overflow the stack.
MAX_DEPTH = 256


@dataclass
class Element:
    """An HTML element: tag, attributes and children (elements or text strings)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    def iter(self, *tags: str) -> Iterator[Element]:
        """This element and its descendants, depth first, optionally only the given tags."""
        stack = [self]  # not recursive: each element is reached in one step, however deep
        while stack:
            element = stack.pop()
            if not tags or element.tag in tags:
                yield element
            stack.extend(c for c in reversed(element.children) if isinstance(c, Element))

    def find(self, *tags: str) -> Element | None:
        """The first descendant-or-self with one of ``tags``."""
        return next(self.iter(*tags), None)

    def text(self) -> str:
        """All text inside, concatenated as is."""
        parts: list[str] = []
        stack: list[Element | str] = [self]
        while stack:
            node = stack.pop()
            if isinstance(node, str):
                parts.append(node)
            else:
                stack.extend(reversed(node.children))
        return "".join(parts)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root")
        self.stack = [self.root]
        self.open: Counter[str] = Counter()  # elements on the stack by tag

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        if tag in _SELF_CLOSING_SIBLINGS and self.stack[-1].tag == tag:
            self.open[self.stack.pop().tag] -= 1
        self.stack[-1].children.append(element)
        if tag not in VOID and len(self.stack) <= MAX_DEPTH:
            self.stack.append(element)
            self.open[tag] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if not self.open[tag]:
            return  # nothing to close: not looked for down the whole stack each time
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                self.open.subtract(element.tag for element in self.stack[depth:])
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def close(self) -> None:
        # A "<a", "<!--", "</a" or "<?" still open at the end of the input runs to the end
        # and is dropped, as HTML5 says and Python's own parser does since the fix for
        # CVE-2025-6069. Before, it became text up to the next ">" or "<", and each "<" after
        # it was read on to the end again: quadratic in the length of such a tail.
        rest = self.rawdata
        if self.cdata_elem is None and len(rest) > 1 and rest.startswith("<"):
            self.rawdata = ""
            if rest == "</":
                self.handle_data(rest)
        super().close()


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
