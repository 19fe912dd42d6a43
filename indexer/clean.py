"""HTML -> clean text: paragraphs kept, entities decoded, scripts, styles and captions left out."""

from __future__ import annotations

import re
from html import unescape

from .htmltree import Element, parse_html

BLOCKS = frozenset(
    "address article aside blockquote dd details div dl dt fieldset figure footer form h1 h2 h3"
    " h4 h5 h6 header hr li main nav ol p pre section summary table tbody thead tfoot tr ul".split()
)
# Never text a reader sees: code, embedded frames, and forms' controls.
DROPPED = frozenset(
    "script style noscript iframe template svg canvas object embed head button select"
    " textarea figcaption nav".split()
)
# Photo captions and credits repeat the article; comments, share bars and related-post
# lists are not part of it. Matched per class/id token: "comments-open" on an <article>
# is a state, not a comment section.
_FURNITURE_TOKEN = re.compile(
    r"(?!.*wrap).*caption.*|copyright|credits?|comments?|comment-(?:wrapper|list|area|section|form)"
    r"|commentlist|respond|sharedaddy|share-(?:buttons|bar|tools)|social-share.*"
    r"|related(?:-posts|-articles|-news)?|jp-relatedposts|breadcrumbs?",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[^\S\n]+")
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_PARAGRAPH = "\x00"
# Markup that feeds leave in plain-text fields (titles, JSON Lines bodies, front matter): these
# tags are markup; anything else in angle brackets is text (<조세법 판례백선>, "5 < 6",
# <The Day After Tomorrow>, a "<script>" written about).
INLINE = frozenset(
    "a abbr b big cite code del dfn em font i img ins kbd mark nobr q s samp small span strike"
    " strong sub sup tt u var wbr".split()
)
# A tag name, then nothing or attributes with at least one name=value: a bracketed title that
# starts with a tag's name (<A Tale of Two Cities>) stays text.
# (Possessive: the attributes run to the first "<" or ">", read once; a long run of "=" or
# of spaces without a ">" was tried split by split, quadratic.)
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*+)(?:\s[^<>=]*+=[^<>]*+)?\s*+/?>")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def html_to_text(html: str | Element) -> str:
    """Readable text of ``html``: blocks become paragraphs (blank line), <br> a line break."""
    root = parse_html(html) if isinstance(html, str) else html
    parts: list[str] = []
    _render(root, parts, _links_only_items(root))
    return _paragraphs("".join(parts).replace(_PARAGRAPH, "\n\n"))


def _render(element: Element, parts: list[str], links_only: set[int], pre: bool = False) -> None:
    """Append the text of ``element``; source line breaks are spaces except inside <pre>.

    List items whose id is in ``links_only`` are left out (``_links_only_items``).
    """
    for child in element.children:
        if isinstance(child, str):
            parts.append(child if pre else _HTML_SPACE.sub(" ", child))
            continue
        tag = child.tag
        if tag in DROPPED or _is_furniture(child):
            continue
        if tag == "li" and id(child) in links_only:
            continue
        if tag == "br":
            parts.append("\n")
        elif tag in ("td", "th"):
            parts.append(" ")
            _render(child, parts, links_only, pre)
            parts.append(" ")
        elif tag in BLOCKS:
            parts.append(_PARAGRAPH)
            _render(child, parts, links_only, pre or tag == "pre")
            parts.append(_PARAGRAPH)
        else:
            _render(child, parts, links_only, pre)


def _is_furniture(element: Element) -> bool:
    tokens = f"{element.attrs.get('class', '')} {element.attrs.get('id', '')}".split()
    return any(_FURNITURE_TOKEN.fullmatch(token) for token in tokens)


# A text's length, and how many spaces start and end it (as many as its length: all spaces).
_Length = tuple[int, int, int]
_NO_TEXT: _Length = (0, 0, 0)


def _links_only_items(root: Element) -> set[int]:
    """The ids of the list items in ``root`` that are nothing but links: navigation ("related
    articles"), not text. Such an item's text, stripped, is no longer than that of the links
    in it (``<a>`` by ``<a>``, stripped as a whole).

    One walk sums lengths from the leaves up, so an item inside items is not read again for
    each (that took time growing with the length of a page times its depth).
    """
    found: set[int] = set()
    text: dict[int, _Length] = {}
    linked: dict[int, _Length] = {}
    stack: list[tuple[Element, bool]] = [(root, False)]
    while stack:
        element, children_done = stack.pop()
        if not children_done:
            stack.append((element, True))
            stack.extend((c, False) for c in element.children if isinstance(c, Element))
            continue
        own = links = _NO_TEXT
        for child in element.children:
            if isinstance(child, str):
                own = _joined(own, _length_of(child))
            else:
                own = _joined(own, text.pop(id(child)))
                links = _joined(links, linked.pop(id(child)))
        text[id(element)] = own
        linked[id(element)] = links = _joined(own, links) if element.tag == "a" else links
        if element.tag == "li" and 0 < _stripped(own) <= _stripped(links):
            found.add(id(element))
    return found


def _length_of(text: str) -> _Length:
    return len(text), len(text) - len(text.lstrip()), len(text) - len(text.rstrip())


def _joined(first: _Length, second: _Length) -> _Length:
    """The _Length of two texts one after the other."""
    (length, lead, trail), (length2, lead2, trail2) = first, second
    return (
        length + length2,
        length + lead2 if lead == length else lead,
        length2 + trail if trail2 == length2 else trail2,
    )


def _stripped(text: _Length) -> int:
    length, lead, trail = text
    return 0 if lead == length else length - lead - trail


def markup_to_text(text: str, *, inline: bool = False) -> str:
    """Plain text from a text field that may carry some HTML: the tags above removed (<br> a
    line break, <p>, <div> and other blocks a paragraph break; a space each when ``inline``),
    then entities decoded once (only whole ones, ``&amp;`` not ``&amp``, so "&lt;b&gt;" is the
    text "<b>"); paragraphs normalised, or when ``inline`` spaces collapsed in each line."""
    text = _ENTITY.sub(lambda entity: unescape(entity[0]), strip_tags(text, inline=inline))
    if inline:
        return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()
    return _paragraphs(text)


def strip_tags(text: str, *, inline: bool = False) -> str:
    """``text`` without the markup tags above (entities are left as they are)."""
    return _TAG.sub(lambda tag: _tag_text(tag, inline), text)


def _tag_text(tag: re.Match, inline: bool) -> str:
    name = tag[1].lower()
    if name in ("td", "th") or inline and (name == "br" or name in BLOCKS):
        return " "
    if name == "br":
        return "\n"
    if name in BLOCKS:
        return "\n\n"
    return "" if name in INLINE else tag[0]


def normalise_paragraphs(text: str) -> str:
    """Collapse spaces inside lines, trim lines, and separate paragraphs by one blank line.

    Markup tags (feeds put <br> into plain text) become line breaks; entities stay.
    """
    return _paragraphs(strip_tags(text))


def _paragraphs(text: str) -> str:
    text = _ZERO_WIDTH.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [_SPACES.sub(" ", line).strip() for line in block.split("\n")]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)
