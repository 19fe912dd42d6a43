"""Mark the query's matches in a stored text, from the character offsets in the index.

No segmenter runs at query time: the postings of a matched term carry its (start, end) in
the original text, so a simplified query marks the traditional characters the article
was written in. Text is HTML-escaped before marks are added.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

SNIPPET_CHARS = 240
# A text longer than this gets its snippet from this many characters from the sentence
# of its densest marks on (most distinct words within a snippet's length): a 5 MB
# article costs what a long one does.
LONG_TEXT = 20_000
# A long text's densest marks are looked for among each word's first this many places
# (and all within LONG_TEXT of its first).
SNIPPET_PLACES = 1000
# Fragments are cut where a sentence ends, in any script: 。！？ and the closing quotes
# after them, . ! ? before a space, line breaks. Written to start with one character set,
# which the regex engine scans for in C (trying three alternatives at every character cost
# five times as much: 100 against 20 us for a 2,600-character article).
_SENTENCE_END = re.compile(
    r"[。！？.!?\n]"
    r"(?:(?<=[。！？])[。！？]*[」』”’)）]*"
    r"|(?<=[.!?])[.!?]*(?=\s)"
    r"|(?<=\n)\n*)"
)

Span = tuple[int, int]


# Where a term stands in each of some documents: {docnum: its (position, start, end) in
# text order}, from the offsets the engine stored at index time (``search.engine``),
# decoded as far as they are read: a word 300,000 times in a 20 MB article costs what
# the places read of it do.
Place = tuple[int, int, int]
Occurrences = Callable[[Iterable[int], str, str], dict[int, Iterable[Place]]]


def term_spans(
    occurrences: Occurrences,
    docnums: Iterable[int],
    fieldname: str,
    terms: Iterable[str],
    window: int | None = None,
    most: int | None = None,
    reached: dict[int, int] | None = None,
) -> dict[int, list[Span]]:
    """(start, end) of the occurrences of ``terms`` in the field, for each document of a
    page (one walk along each term's postings for the whole page): of each term, those
    starting less than ``window`` characters after its first one and its first ``most``
    (either rule alone: it alone; both: whichever reads further). ``reached``, if given,
    gets for each document where reading stopped short: the start of the first place not
    read, before which every occurrence of every term is in the spans."""
    spans: dict[int, list[Span]] = {}
    for term in terms:
        for docnum, places in occurrences(docnums, fieldname, term).items():
            found = spans.setdefault(docnum, [])
            last = None
            for count, (_, start, end) in enumerate(places):
                if last is None:
                    last = start + window if window is not None else -1
                elif _read_enough(start, last, count, window, most):
                    _stopped(reached, docnum, start)
                    break
                found.append((start, end))
    return spans


def _read_enough(start: int, last: int, count: int, window: int | None, most: int | None):
    if window is None and most is None:
        return False
    return (window is None or start >= last) and (most is None or count >= most)


def _stopped(reached: dict[int, int] | None, docnum: int, start: int) -> None:
    if reached is not None:
        reached[docnum] = min(reached.get(docnum, start), start)


def phrase_spans(
    occurrences: Occurrences,
    docnums: Iterable[int],
    fieldname: str,
    phrase: list[str],
    window: int | None = None,
    most: int | None = None,
    reached: dict[int, int] | None = None,
) -> dict[int, list[Span]]:
    """Spans where the terms of ``phrase`` stand at consecutive positions: those starting
    less than ``window`` characters after the first and the first ``most`` (as
    ``term_spans`` reads them; ``reached`` as there)."""
    per_term = [occurrences(docnums, fieldname, term) for term in phrase]
    spans: dict[int, list[Span]] = {}
    for docnum in sorted(set.intersection(*(set(found) for found in per_term))):
        found, stop = _phrase_walk([iter(f[docnum]) for f in per_term], window, most)
        if stop is not None:
            _stopped(reached, docnum, stop)
        if found:
            spans[docnum] = found
    return spans


def phrase_at(places: list[Iterator[Place]], most: int | None = None) -> list[Span]:
    """Where the terms whose ``places`` (in position order, in one document) are given
    stand at consecutive positions, the first ``most``: one walk along each, as far as
    needed."""
    return _phrase_walk(places, None, most)[0]


def _phrase_walk(
    places: list[Iterator[Place]], window: int | None, most: int | None
) -> tuple[list[Span], int | None]:
    """``phrase_at``'s spans, and the start of the first term's place where the walk
    stopped short (None when it read every place)."""
    first, rest = places[0], places[1:]
    heads = [next(term, None) for term in rest]
    found: list[Span] = []
    last = -1
    for position, start, end in first:
        if found and _read_enough(start, last, len(found), window, most):
            return found, start
        for offset, term in enumerate(rest, 1):
            head = heads[offset - 1]
            while head is not None and head[0] < position + offset:
                head = next(term, None)
            heads[offset - 1] = head
            if head is None:  # this term stands nowhere further: no phrase does
                return found, None
            if head[0] != position + offset:
                break
            end = head[2]
        else:
            if not found and window is not None:
                last = start + window
            found.append((start, end))
    return found, None


def merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching spans become one, so one word is never marked twice."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def marked_html(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` escaped, with each span inside it wrapped in <mark>; ``spans``
    sorted and apart (as ``merge`` gives them), so only those inside are visited."""
    end = len(text) if end is None else end
    out = []
    position = start
    first = max(bisect_left(spans, (start, start)) - 1, 0)
    for span_start, span_end in spans[first:]:
        if span_start >= end:
            break
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        out.append(html.escape(text[position:span_start]))
        out.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        position = span_end
    out.append(html.escape(text[position:end]))
    return "".join(out)


def snippet_html(
    text: str, spans: list[Span], max_chars: int = SNIPPET_CHARS, read_to: int | None = None
) -> str:
    """The sentences with the most marks (or, with none, the first sentences), in text
    order, within about ``max_chars``; "…" where text was left out. ``read_to``: where
    the marks were read to, when not to the end (``term_spans``'s ``reached``)."""
    if len(text) > LONG_TEXT:
        return _long_text_snippet(text, spans, max_chars, read_to)
    first, last = len(text) - len(text.lstrip()), len(text.rstrip())
    if last <= first:
        return ""
    if last - first <= max_chars:
        return marked_html(text, spans, first, last)
    # Sentences as cut, each stripped of its spaces only if it is chosen (no mark starts on
    # a space: the marks of one are counted the same either way).
    sentences = _sentences(text)
    starts = sorted(s for s, _ in spans)  # marks per sentence by bisection: linear, not S x M
    marks = [bisect_left(starts, end) - bisect_left(starts, start) for start, end in sentences]
    if any(marks):
        order = sorted((i for i, n in enumerate(marks) if n), key=lambda i: (-marks[i], i))
    else:
        order = range(len(sentences))
    chosen: list[Span] = []
    budget = max_chars
    for index in order:
        start, end = _strip(text, *sentences[index])
        if start == end:
            continue
        if end - start > budget:
            if chosen:
                break
            start, end = _window(start, end, spans, budget)
        chosen.append((start, end))
        budget -= end - start
    chosen.sort()
    out = "… " if chosen[0][0] > 0 else ""
    for number, (start, end) in enumerate(chosen):
        if number:
            gap = text[chosen[number - 1][1] : start]
            out += " " if not gap.strip() else " … "
        out += marked_html(text, spans, start, end)
    return out if chosen[-1][1] >= len(text.rstrip()) else out + " …"


def _long_text_snippet(text: str, spans: list[Span], max_chars: int, read_to: int | None) -> str:
    """The snippet of a very long text, chosen within its ``LONG_TEXT`` characters from the
    sentence of its densest marks on (the first ``max_chars`` stretch holding the most
    distinct marked words, then marks, among those before ``read_to``), so its cost does
    not grow with the text."""
    limit = len(text) if read_to is None else min(read_to, len(text))
    known = spans[: bisect_left(spans, (limit, limit))]
    first = _densest(text, known, max_chars) if known else 0
    start = max(0, first - max_chars)
    if start:
        before = list(_SENTENCE_END.finditer(text, start, first))
        start = before[-1].end() if before else start
    end = min(limit, start + LONG_TEXT)
    inside = spans[bisect_left(spans, (start, start)) : bisect_left(spans, (end, end))]
    local = [(s - start, min(e, end) - start) for s, e in inside if s >= start]
    snippet = snippet_html(text[start:end], local, max_chars)
    if start and not snippet.startswith("… "):
        snippet = "… " + snippet
    if end < len(text) and not snippet.endswith(" …"):
        snippet += " …"
    return snippet


def _densest(text: str, spans: list[Span], width: int) -> int:
    """Where the first ``width``-character stretch holding the most distinct marked words
    (then the most marks) starts: at one of ``spans`` (sorted; linear: two walks along
    them, a count of the words inside)."""
    inside: Counter[str] = Counter()
    best, at, end = (0, 0), spans[0][0], 0
    for number, (start, stop) in enumerate(spans):
        while end < len(spans) and spans[end][0] < start + width:
            inside[text[spans[end][0] : spans[end][1]]] += 1
            end += 1
        if (len(inside), end - number) > best:
            best, at = (len(inside), end - number), start
        word = text[start:stop]
        inside[word] -= 1
        if not inside[word]:
            del inside[word]
    return at


def _sentences(text: str) -> list[Span]:
    """Where each sentence of ``text`` starts and ends, the spaces around it included."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if not ends or ends[-1] < len(text):
        ends.append(len(text))
    return list(zip([0, *ends[:-1]], ends, strict=True))


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _window(start: int, end: int, spans: list[Span], width: int) -> Span:
    """A ``width``-long part of a long sentence, its first mark near the start."""
    index = bisect_left(spans, (start, start))  # spans are sorted (``merge``)
    first = spans[index][0] if index < len(spans) and spans[index][0] < end else start
    window_start = max(start, min(first - width // 4, end - width))
    return window_start, min(end, window_start + width)
