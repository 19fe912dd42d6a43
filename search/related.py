"""Related articles: the archive's articles that share an article's distinctive words.

An article's distinctive words are those it says often and the archive seldom. Each word
of its title and of the first ``TEXT_CHARS`` characters of its body (whole words as the
index's word view makes them: 주일미군, not also its parts 주일 and 미군; 默克尔, not also
默克) is weighed by its count in the article, a title word counting ``title_count`` times
and the count saturating (``saturation``), times its inverse document frequency in the
archive. Left out: question and function words (是, 있, the: ``is_function_word``),
numbers, one-character words, words said once in the body only, words no other document
has, and words found in more than ``max_share`` of the archive's documents (and in
more than ``COMMON_FLOOR``). The ``terms`` heaviest are kept.

The candidates are the live documents of the article's language (simplified and
traditional Chinese count as one) that hold at least ``min_shared`` of those words,
found from the words' posting lists alone; of them, the ``candidates`` holding the most
weight of the words are ranked by ``scoring.top_documents``: BM25F over the title and
body fields, each word boosted by its saturated count in the article. The article and
its copies are never listed, nor a copy of an article listed above it: copies are the
documents of one near-duplicate ``cluster`` when the index has that column, else the
documents with the same title.

Every parameter was chosen on judged samples of the full archive (``Tuning``;
``bench/related_sample.py``). The cost is bounded whatever the article: at most
``TEXT_CHARS`` characters are analysed, ``terms`` words looked up, and only their posting
lists read, each shorter than ``max_share`` of the archive.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from whoosh.analysis import Analyzer
from whoosh.query import Term
from whoosh.searching import Searcher

from .analysis.function_words import is_function_word
from .columns import Columns
from .matching import leaf_postings, posting_blocks
from .scoring import top_documents

# The words of this much of an article's body are read (its title always).
TEXT_CHARS = 20_000
# A word is too common to weigh only once it is in more documents than this as well as
# in more than max_share of them: a small archive has no such words.
COMMON_FLOOR = 1000


@dataclass(frozen=True)
class Tuning:
    """The method's parameters, by precision@5 on two judged samples of 30 articles each
    (bench/related_sample.py, seeds 1 and 2: seed 1 chose, seed 2 confirmed). These
    settings: 0.78 and 0.71; Whoosh's more_like, before: 0.65 and 0.65. Each comment gives
    both with that one parameter changed. On 150 judged places a difference of 0.02 is
    three articles, so most single changes are not told apart; together they are: the
    first version (k = 1.2, words said once kept, 3 shared, coordination 2) scored 0.65
    and 0.68."""

    terms: int = 20  # distinctive words kept (15: 0.77, 0.70; 25: 0.77, 0.71)
    title_count: float = 3.0  # a title word counts this many times (1: 0.77, 0.69; 5: 0.78, 0.69)
    # A count c weighs c * (k + 1) / (c + k), k = saturation; 0: 1 + log c. A strong
    # saturation lets one-off names outweigh the article's subject said 59 times
    # (k = 1.2: 0.73, 0.69; log: 0.75, 0.71).
    saturation: float = 10.0
    # Words in more of the archive say little and cost the most to read
    # (0.02: 0.77, 0.68; 0.1: 0.79, 0.71).
    max_share: float = 0.05
    min_df: int = 2  # words in fewer documents (this one alone) find nothing
    # Words said fewer times (a title word counts title_count) are asides (1: 0.77, 0.70).
    min_count: float = 2.0
    min_shared: int = 2  # a candidate holds this many of the words (3: 0.77, 0.71)
    candidates: int = 1000  # those holding the most weight are ranked (0, all: the same)
    # A score times (weight of the words held / weight of all) ** coordination favours
    # the documents sharing the article's asides (1: 0.77, 0.71; 2: 0.69, 0.70).
    coordination: float = 0.0
    boost_idf: bool = False  # boosts count x idf, idf twice with BM25's (0.81, 0.70)
    parts: bool = False  # also weigh a compound's parts, 주일 and 미군 of 주일미군 (0.76, 0.69)


TUNING = Tuning()


@dataclass(frozen=True)
class Distinctive:
    term: str
    count: float  # occurrences, a title occurrence counting title_count
    df: int
    saturated: float  # count * (k + 1) / (count + k)
    weight: float  # saturated x idf


def distinctive_words(
    searcher: Searcher,
    analyzer: Analyzer,
    title: str,
    body: str,
    tuning: Tuning = TUNING,
    text_chars: int = TEXT_CHARS,
) -> list[Distinctive]:
    """The article's ``tuning.terms`` most distinctive words, heaviest first (of its
    title and the first ``text_chars`` characters of its body)."""
    counts: Counter = Counter()
    titled = set(_words(analyzer, title, tuning.parts))
    for term in _words(analyzer, title, tuning.parts):
        counts[term] += tuning.title_count
    for term in _words(analyzer, body[:text_chars], tuning.parts):
        counts[term] += 1
    total = searcher.doc_count_all() or 1
    most = max(tuning.max_share * total, COMMON_FLOOR)
    k = tuning.saturation
    found = []
    for term, count in counts.items():
        if count < tuning.min_count:
            continue
        df = searcher.doc_frequency("body", term)
        if term in titled:  # a word of titles only is found in the title field
            df = max(df, searcher.doc_frequency("title", term))
        if df < tuning.min_df or df > most:
            continue
        saturated = count * (k + 1) / (count + k) if k > 0 else 1 + math.log(count)
        found.append(Distinctive(term, count, df, saturated, saturated * math.log(total / df)))
    found.sort(key=lambda d: (-d.weight, d.term))
    return found[: tuning.terms]


def related_documents(
    searcher: Searcher,
    columns: Columns,
    analyzer: Analyzer,
    docnum: int,
    depth: int,
    tuning: Tuning = TUNING,
    text_chars: int = TEXT_CHARS,
) -> list[tuple[int, float]]:
    """Up to ``depth`` (document number, score) of the articles related to ``docnum``,
    best first; ``analyzer`` is the index's word analyzer."""
    stored = searcher.stored_fields(docnum)
    title = stored.get("title", "")
    body = stored.get("body", "")
    words = distinctive_words(searcher, analyzer, title, body, tuning, text_chars)
    if not words:
        return []
    size = searcher.doc_count_all()
    held = np.zeros(size, dtype=np.int32)  # per document: how many of the words it holds
    shared = np.zeros(size)  # and their weight
    for word in words:
        docs = _holding(searcher, word.term)
        held[docs] += 1
        shared[docs] += word.weight
    allowed = held >= min(tuning.min_shared, len(words))
    allowed[docnum] = False
    family = _family(columns, columns.values["lang"][columns.codes["lang"][docnum]])
    if family is not None:
        codes = np.frombuffer(columns.codes["lang"], dtype=np.uint32)
        allowed &= np.isin(codes, family)
    clusters = _clusters(columns)
    own_cluster = int(clusters[docnum]) if clusters is not None else 0
    if own_cluster:
        allowed &= clusters != own_cluster
    candidates = np.flatnonzero(allowed)
    if not len(candidates):
        return []
    if 0 < tuning.candidates < len(candidates):
        heaviest = np.argpartition(-shared[candidates], tuning.candidates - 1)
        candidates = np.sort(candidates[heaviest[: tuning.candidates]])
    factors = None
    if tuning.coordination:
        share = (shared[candidates] / sum(w.weight for w in words)) ** tuning.coordination
        factors = dict(zip(candidates.tolist(), share.tolist(), strict=True))
    docs = set(candidates.tolist())
    terms = []
    for word in words:
        boost = word.weight if tuning.boost_idf else word.saturated
        terms += [Term("title", word.term, boost=boost), Term("body", word.term, boost=boost)]
    wanted = depth + 10
    while True:
        ranked = top_documents(searcher, columns, terms, docs, factors, wanted)
        found = _without_copies(searcher, ranked, title, clusters, own_cluster, depth)
        if len(found) == depth or len(ranked) < wanted:
            return found
        wanted *= 4


def _without_copies(
    searcher: Searcher,
    ranked: list[tuple[int, float]],
    title: str,
    clusters: np.ndarray | None,
    own_cluster: int,
    depth: int,
) -> list[tuple[int, float]]:
    """The first ``depth`` of ``ranked`` that are no copy of the article or of one listed
    before: copies share a cluster, or in an index without clusters, a title."""
    found: list[tuple[int, float]] = []
    seen = {own_cluster} if clusters is not None else {_title_key(title)}
    for doc, score in ranked:
        if clusters is not None:
            key = int(clusters[doc]) or None  # 0: a document with no copy
        else:
            key = _title_key(searcher.stored_fields(doc).get("title", "")) or None
        if key is not None and key in seen:
            continue
        seen.add(key)
        found.append((doc, score))
        if len(found) == depth:
            break
    return found


def _words(analyzer: Analyzer, text: str, parts: bool) -> Iterator[str]:
    """The words of ``text`` worth weighing: whole words (a compound's parts only when
    ``parts``), less function words, numbers and one-character words."""
    tokens = [(t.startchar, -t.endchar, t.text) for t in analyzer(text, positions=True, chars=True)]
    tokens.sort()
    end = -1
    for start, negative_end, term in tokens:
        if not parts and -negative_end <= end:
            continue  # inside the word before: a part of a compound
        end = max(end, -negative_end)
        if len(term) < 2 or not any(c.isalpha() for c in term):
            continue
        if is_function_word(term, text[start:-negative_end]):
            continue
        yield term


def _holding(searcher: Searcher, term: str) -> np.ndarray:
    """The (live) documents holding ``term`` in their title or body, each once."""
    parts = []
    for fieldname in ("title", "body"):
        for matcher, offset, deleted in leaf_postings(searcher, fieldname, term):
            blocks = [np.asarray(ids, dtype=np.int64) for ids in _id_blocks(matcher)]
            ids = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int64)
            if deleted:
                ids = ids[~np.isin(ids, np.fromiter(deleted, dtype=np.int64))]
            parts.append(ids + offset)
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _id_blocks(matcher) -> Iterator[Sequence[int]]:
    """The document numbers of a segment's posting list, a block at a time (Whoosh's own
    format: their weights are not decoded; any other: as ``posting_blocks`` reads them)."""
    if not hasattr(matcher, "_read_ids"):
        for ids, _ in posting_blocks(matcher):
            yield ids
        return
    while matcher.is_active():
        matcher._read_ids()
        yield matcher._ids[matcher._i :]
        matcher._next_block()


def _family(columns: Columns, lang: str) -> list[int] | None:
    """The codes of the ``lang`` column values of ``lang``'s family (zh-Hans and zh-Hant
    are both Chinese); None when the article has no language."""
    if not lang:
        return None
    family = ("zh-Hans", "zh-Hant") if lang.startswith("zh") else (lang,)
    return [i for i, value in enumerate(columns.values["lang"]) if value in family]


def _clusters(columns: Columns) -> np.ndarray | None:
    """The near-duplicate cluster of every document (0: none; copies of an article share
    a number), or None for an index built without clusters."""
    clusters = getattr(columns, "clusters", None)
    return np.frombuffer(clusters, dtype=np.uint32) if clusters is not None else None


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()
