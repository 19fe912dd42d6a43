"""HTML -> clean text: paragraphs kept, entities decoded, scripts, styles and captions left out."""

from __future__ import annotations

import re

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
    r".*caption.*|copyright|credits?|comments?|comment-(?:wrapper|list|area|section|form)"
    r"|commentlist|respond|sharedaddy|share-(?:buttons|bar|tools)|social-share.*"
    r"|related(?:-posts|-articles|-news)?|jp-relatedposts|breadcrumbs?",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[^\S\n]+")
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_PARAGRAPH = "\x00"
_BR_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)


def html_to_text(html: str | Element) -> str:
    """Readable text of ``html``: blocks become paragraphs (blank line), <br> a line break."""
    root = parse_html(html) if isinstance(html, str) else html
    parts: list[str] = []
    _render(root, parts)
    return normalise_paragraphs("".join(parts).replace(_PARAGRAPH, "\n\n"))


def _render(element: Element, parts: list[str], pre: bool = False) -> None:
    """Append the text of ``element``; source line breaks are spaces except inside <pre>."""
    for child in element.children:
        if isinstance(child, str):
            parts.append(child if pre else _HTML_SPACE.sub(" ", child))
            continue
        tag = child.tag
        if tag in DROPPED or _is_furniture(child):
            continue
        if tag == "li" and _links_only(child):
            continue
        if tag == "br":
            parts.append("\n")
        elif tag in ("td", "th"):
            parts.append(" ")
            _render(child, parts, pre)
            parts.append(" ")
        elif tag in BLOCKS:
            parts.append(_PARAGRAPH)
            _render(child, parts, pre or tag == "pre")
            parts.append(_PARAGRAPH)
        else:
            _render(child, parts, pre)


def _is_furniture(element: Element) -> bool:
    tokens = f"{element.attrs.get('class', '')} {element.attrs.get('id', '')}".split()
    return any(_FURNITURE_TOKEN.fullmatch(token) for token in tokens)


def _links_only(element: Element) -> bool:
    """A list item that is nothing but links is navigation ("related articles"), not text."""
    text = element.text().strip()
    linked = "".join(a.text() for a in element.iter("a")).strip()
    return bool(text) and len(linked) >= len(text)


def normalise_paragraphs(text: str) -> str:
    """Collapse spaces inside lines, trim lines, and separate paragraphs by one blank line."""
    text = _ZERO_WIDTH.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _BR_TAG.sub("\n", text)  # feeds that put HTML line breaks into plain text
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [_SPACES.sub(" ", line).strip() for line in block.split("\n")]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)
