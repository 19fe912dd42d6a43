"""Near-duplicate articles: their signatures, their clusters, and folding them in results.

The same story republished by another outlet, crawled again under another URL or lightly
edited after publication is one story to a reader. Two articles are near-duplicates when
the character 4-grams of their normalised title and body (NFKC, lower case, no spaces,
punctuation or symbols; at most ``TEXT_CHARS`` characters) overlap by a Jaccard similarity
of at least ``SIMILARITY`` (``SHORT_SIMILARITY`` when either text is under ``SHORT_CHARS``
characters: in a photo caption one changed clause is another photo), and they were
published within ``WINDOW_DAYS`` of each other: a daily report in a fixed template (an
exchange rate, a forecast) repeats most of its words every day but is another story every
day. Published further apart they are one story only when their texts are all but the
same (``SAME_TEXT``: a repost on another site) and one title holds the other (a weekly
birth announcement repeats its whole body under other names in the title). Two short
texts (under ``CAPTION_CHARS``) of one publisher under one headline are one story only when
all but the same (``SAME_SOURCE_TEXT``, a re-crawl): a photo agency captions every photo of
an event under the event's headline with the same words but the people and what they do.
A body under ``MIN_BODY_CHARS`` characters is too short to judge and never folds.

The similarity is estimated from a MinHash signature (Broder 1997) of ``HASHES`` values
computed where the article is read; candidates are found by locality-sensitive hashing
(``LSH_BANDS`` bands of ``LSH_ROWS`` values: a pair at 0.8 shares a band with probability
0.997). An article joins the earliest cluster whose first article (its leader) it is a
near-duplicate of, else leads a new one: comparing with leaders only keeps chains of small
edits from carrying one story into another. Results keep the best-ranked article of a
cluster and fold the others under it.

The numbers were chosen on the 180,522 articles of ``../shared/corpus``
(``bench/duplicates.py``): 2,716 of the 177,526 indexed articles fold into 2,400 clusters,
and none of a sample of 30 clusters joins different stories. The design this replaced, a
64-bit SimHash with a Hamming threshold of 3 (Manku et al., WWW 2007), folded 1,113, put 3
of its 30 sampled clusters on different stories (another day's horoscope at similarity
0.19, other photos of one event) and missed lightly edited copies: two VOA copies of one
Ebola report, Jaccard 0.92, were 9 bits apart (a 9-bit threshold would need 10 bands of 6
bits, too coarse to look up, and merges templates at 3).

Everything here is linear: a signature reads at most ``TEXT_CHARS`` characters of the
normalised text whatever the article's length, and a ``Clusterer`` compares an article
with at most ``LSH_BANDS * BUCKET_LIMIT`` leaders.
"""

from __future__ import annotations

import hashlib
import re
import struct
import sys
import unicodedata
from array import array
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np

SHINGLE = 4  # characters per shingle
HASHES = 128  # MinHash values per signature
LSH_BANDS, LSH_ROWS = 8, 3  # locality-sensitive hashing: 8 bands of 3 of the values
TEXT_CHARS = 20_000  # normalised characters a signature reads at most
MIN_BODY_CHARS = 50  # a shorter normalised body (a photo caption) is never folded
SIMILARITY = 0.8  # Jaccard similarity of the shingles of near-duplicates
SHORT_CHARS = 300  # texts under this many characters need SHORT_SIMILARITY
SHORT_SIMILARITY = 0.9
SAME_TEXT = 0.95  # further apart: the same text (and one title holds the other)
WINDOW_DAYS = 2  # else they must be published this close (when both are dated)
SAME_SOURCE_TEXT = 0.97  # one publisher, one headline, a short text: a re-crawl, or
CAPTION_CHARS = 600  # another photo's caption (texts under this many characters)
TITLE_CHARS = 200  # normalised title characters kept to compare titles
BUCKET_LIMIT = 100  # leaders remembered per band value
_CHUNK = 2048  # shingles hashed at once (bounds the memory of a long text)

# Spaces, punctuation, symbols and "_": what does not tell two stories apart.
_NOT_TEXT = re.compile(r"[\W_]+")
# The shingle hash: a polynomial of the code points, then SplitMix64's finaliser.
_BASE = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
# HASHES multiply-shift hash functions (odd multipliers), fixed forever: signatures stored
# in an index are compared with those of later updates.
_rng = np.random.Generator(np.random.PCG64(20240728))
_MULTIPLIERS = _rng.integers(0, 2**63, HASHES, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_ADDENDS = _rng.integers(0, 2**63, HASHES, dtype=np.uint64)
# Stored: length, day (-1: undated), the title's length in bytes; then the sketch, the
# title and the source (UTF-8).
_HEADER = struct.Struct("<IiH")


@dataclass(frozen=True)
class Signature:
    """What near-duplicate detection knows of an article: the MinHash of its shingles
    (``HASHES`` 16-bit values), the length of the text they came from, its day of
    publication (UTC, as ``date.toordinal()``; None when undated), its normalised title
    (at most ``TITLE_CHARS`` characters) and its source (publisher)."""

    sketch: bytes
    length: int
    day: int | None
    title: str = ""
    source: str = ""

    def to_bytes(self) -> bytes:
        day = -1 if self.day is None else self.day
        title = self.title.encode()
        head = _HEADER.pack(self.length, day, len(title))
        return head + self.sketch + title + self.source.encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature | None:
        """A signature as stored; None for an empty or unreadable value."""
        end = _HEADER.size + 2 * HASHES
        if len(data) < end:
            return None
        length, day, title_bytes = _HEADER.unpack_from(data)
        title = bytes(data[end : end + title_bytes]).decode("utf-8", "replace")
        source = bytes(data[end + title_bytes :]).decode("utf-8", "replace")
        sketch = bytes(data[_HEADER.size : end])
        return cls(sketch, length, None if day < 0 else day, title, source)

    @property
    def values(self) -> np.ndarray:
        return np.frombuffer(self.sketch, dtype="<u2")


def normalized(text: str, limit: int = TEXT_CHARS) -> str:
    """``text`` as signatures read it: NFKC, lower case, letters and digits only, at most
    ``limit`` characters. Only the first ``limit`` characters of ``text`` are read, so a
    5 MB article costs what a ``limit``-character one does."""
    text = unicodedata.normalize("NFKC", text[:limit]).lower()
    return _NOT_TEXT.sub("", text)[:limit]


def signature_text(title: str, body: str) -> str | None:
    """The text a signature is computed from: the normalised title and body, at most
    ``TEXT_CHARS`` characters; None when the body is too short to judge."""
    body_text = normalized(body)
    if len(body_text) < MIN_BODY_CHARS:
        return None
    return (normalized(title) + body_text)[:TEXT_CHARS]


def signature(
    title: str, body: str, published: datetime | None = None, source: str = ""
) -> Signature | None:
    """The signature of an article, or None when its body is too short to judge."""
    text = signature_text(title, body)
    if text is None:
        return None
    day = published.astimezone(UTC).date().toordinal() if published is not None else None
    sketch = minhash(text).tobytes()
    return Signature(sketch, len(text), day, normalized(title, TITLE_CHARS), source)


def minhash(text: str) -> np.ndarray:
    """For each of ``HASHES`` hash functions, the least hash of ``text``'s shingles (the
    low 16 bits of it), as little-endian uint16. Deterministic across processes and
    machines (Python's salted ``hash`` is never used)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    if len(codes) < SHINGLE:
        codes = np.concatenate([codes, np.zeros(SHINGLE - len(codes), dtype=np.uint64)])
    count = len(codes) - SHINGLE + 1
    shingles = np.zeros(count, dtype=np.uint64)
    least = np.full(HASHES, np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(SHINGLE):
            shingles = shingles * _BASE + codes[offset : offset + count] + np.uint64(1)
        shingles = _mix(shingles)
        for start in range(0, count, _CHUNK):
            part = shingles[start : start + _CHUNK, None]
            hashed = (part * _MULTIPLIERS + _ADDENDS) >> np.uint64(32)
            np.minimum(least, hashed.min(axis=0), out=least)
    return (least & np.uint64(0xFFFF)).astype("<u2")


def _mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit moves about half of the output bits."""
    values = (values ^ (values >> np.uint64(30))) * _MIX1
    values = (values ^ (values >> np.uint64(27))) * _MIX2
    return values ^ (values >> np.uint64(31))


def similarity(a: Signature, b: Signature) -> float:
    """The estimated Jaccard similarity of two articles' shingles."""
    return int(np.count_nonzero(a.values == b.values)) / HASHES


def near_duplicates(a: Signature, b: Signature) -> bool:
    """Whether ``a`` and ``b`` are one story (see the module's description)."""
    return _near(similarity(a, b), a.length, a.day, a.title, a.source, b)


def _near(
    found: float, length: int, day: int | None, title: str, source: str, b: Signature
) -> bool:
    """``near_duplicates`` of an article (its length, day, title and source) and ``b``,
    their estimated similarity ``found``."""
    shorter = min(length, b.length)
    if found < (SHORT_SIMILARITY if shorter < SHORT_CHARS else SIMILARITY):
        return False
    one_headline = title != "" and title == b.title and source == b.source
    if one_headline and shorter < CAPTION_CHARS and found < SAME_SOURCE_TEXT:
        return False
    if day is None or b.day is None or abs(day - b.day) <= WINDOW_DAYS:
        return True
    return found >= SAME_TEXT and (title in b.title or b.title in title)


# Band keys: the LSH_ROWS values of a band in one 64-bit number, told from the same
# values in another band by a constant of its own.
_BAND_SALTS = _rng.integers(0, 2**63, LSH_BANDS, dtype=np.uint64)


class Clusterer:
    """Assigns clusters to articles taken in order: an article joins the earliest cluster
    whose leader (first article) it is a near-duplicate of, else leads a new cluster.
    ``seed`` adds articles already clustered (an index being updated), in their order.

    Compact: a leader costs its sketch (256 bytes in one array), its title, and
    ``LSH_BANDS`` entries of one dictionary, about 1 KB in all."""

    def __init__(self, bucket_limit: int = BUCKET_LIMIT) -> None:
        self.bucket_limit = bucket_limit
        self._sketches = np.zeros((1024, HASHES), dtype=np.uint16)
        self._lengths = array("l")
        self._days = array("l")  # -1: undated
        self._titles: list[str] = []
        self._sources: list[str] = []
        self._clusters: list[str] = []
        self._table: dict[int, int | list[int]] = {}  # band key -> leader(s)
        self._led: set[str] = set()  # clusters with a leader here
        self._names: set[str] = set()  # every cluster name in use

    def seed(self, sig: Signature, cluster: str) -> None:
        """An article that already has its cluster (read from the index); the first one
        seen of a cluster leads it."""
        self._names.add(cluster)
        if cluster not in self._led:
            self._lead(sig, _band_keys(sig.values), cluster)

    def assign(self, sig: Signature | None) -> str | None:
        """The cluster of the next article (None when it has no signature)."""
        if sig is None:
            return None
        values = sig.values
        keys = _band_keys(values)
        candidates = sorted(self._candidates(keys))
        if candidates:
            same = np.count_nonzero(self._sketches[candidates] == values, axis=1) / HASHES
            for leader, found in zip(candidates, same.tolist(), strict=True):
                day = self._days[leader]
                when = None if day < 0 else day
                length, title = self._lengths[leader], self._titles[leader]
                if _near(found, length, when, title, self._sources[leader], sig):
                    return self._clusters[leader]
        name = hashlib.blake2b(sig.sketch, digest_size=8).hexdigest()
        cluster, suffix = name, 1
        while cluster in self._names:  # the same sketch led a cluster that is not near
            cluster, suffix = f"{name}-{suffix}", suffix + 1
        self._names.add(cluster)
        self._lead(sig, keys, cluster)
        return cluster

    def _candidates(self, keys: list[int]) -> set[int]:
        found: set[int] = set()
        for key in keys:
            entry = self._table.get(key)
            if entry is None:
                continue
            if isinstance(entry, int):
                found.add(entry)
            else:
                found.update(entry)
        return found

    def _lead(self, sig: Signature, keys: list[int], cluster: str) -> None:
        number = len(self._clusters)
        if number == len(self._sketches):
            self._sketches = np.concatenate([self._sketches, np.zeros_like(self._sketches)])
        self._sketches[number] = sig.values
        self._lengths.append(sig.length)
        self._days.append(-1 if sig.day is None else sig.day)
        self._titles.append(sig.title)
        self._sources.append(sys.intern(sig.source))
        self._clusters.append(cluster)
        self._led.add(cluster)
        table = self._table
        for key in keys:
            entry = table.get(key)
            if entry is None:
                table[key] = number
            elif isinstance(entry, int):
                table[key] = [entry, number]
            elif len(entry) < self.bucket_limit:  # a crowded band value: the others find it
                entry.append(number)


def _band_keys(values: np.ndarray) -> list[int]:
    rows = values[: LSH_BANDS * LSH_ROWS].astype(np.uint64).reshape(LSH_BANDS, LSH_ROWS)
    keys = np.zeros(LSH_BANDS, dtype=np.uint64)
    for row in range(LSH_ROWS):
        keys |= rows[:, row] << np.uint64(16 * row)
    return (keys ^ _BAND_SALTS).tolist()


class Folded(NamedTuple):
    docnum: int
    score: float
    folded: list[int]  # the other documents of its cluster in the ranked list, in rank order


def fold(ranked: Iterable[tuple[int, float]], clusters: Sequence[int] | None) -> list[Folded]:
    """``ranked`` (document number, score), best first, with every document whose cluster
    ranked higher folded under that cluster's first document. ``clusters[docnum]`` is a
    document's cluster, 0 (or None) for one that never folds; with ``clusters`` None (an
    index built before clusters) nothing is folded."""
    kept: list[Folded] = []
    first_of: dict[int, Folded] = {}
    for docnum, score in ranked:
        cluster = clusters[docnum] if clusters is not None else 0
        if cluster:
            head = first_of.get(cluster)
            if head is not None:
                head.folded.append(docnum)
                continue
        entry = Folded(docnum, score, [])
        if cluster:
            first_of[cluster] = entry
        kept.append(entry)
    return kept


def similar_among(
    clusters: Sequence[int] | None, matches: Iterable[int], docnums: Collection[int]
) -> dict[int, list[int]]:
    """For each of ``docnums`` (a page of results), the other documents of ``matches`` in
    its cluster, by document number. One pass over ``matches``."""
    found: dict[int, list[int]] = {d: [] for d in docnums}
    if clusters is None:
        return found
    wanted: dict[int, list[int]] = {}
    for docnum in docnums:
        if clusters[docnum]:
            wanted.setdefault(clusters[docnum], []).append(docnum)
    if not wanted:
        return found
    members: dict[int, list[int]] = {cluster: [] for cluster in wanted}
    for docnum in matches:
        cluster = clusters[docnum]
        if cluster in members:
            members[cluster].append(docnum)
    for cluster, heads in wanted.items():
        ordered = sorted(members[cluster])
        for head in heads:
            found[head] = [d for d in ordered if d != head]
    return found
