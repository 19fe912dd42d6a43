"""User query text -> Whoosh queries: words, "phrases", -exclusions, OR, field filters.

A *word* is what the word view reads at a place of the query (a jieba word, a Kiwi
morpheme, a Latin word part), so 美日安全磋商 and 사령부를 설치 are several words though
written without or with spaces; a compound counts whole (주일미군, not 주일 and 미군).
Each word is matched by its term in the word view or, where segmentation differed, by its
characters next to each other in the character view. The *units* of a query (its words,
quoted phrases and OR groups) are what the ranked list counts per article
(``search.ranked_list``); question and function words (是, 什么, 얼마, what) are units that
are never required and weigh little, and an article lacking a compound but holding its
parts apart earns part of its weight. Korean words are read in the query's whole text, as
Kiwi read them in the articles. Ranking comes from every term of both views, so it
does not depend on which of these matched.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from whoosh.analysis import Analyzer
from whoosh.query import (
    And,
    DefaultOr,
    Phrase,
    Query,
    Term,
    TermRange,
)

from .analysis.function_words import is_function_word
from .analysis.headline_hanja import headline_words
from .analysis.scripts import HANGUL_RE
from .models import SearchError

MAX_QUERY_CHARS = 1000
# Weights of a term in the ranking, against 1 for a word-view term in the body, measured
# by bench/quality.py: character-view terms; title terms, on top of the index's title
# field boost (1.0 and 1.5 are within 0.002 MRR@10 on CMRC and DRCD; 1.5 keeps an article
# whose title is the query above one that mentions it in passing); question and function
# words (是, 什么, 얼마, what) in the body and in the title.
CHAR_WEIGHT = 0.5
TITLE_WEIGHT = 1.5
FUNCTION_WEIGHT = 0.2
FUNCTION_TITLE_WEIGHT = 0.05
LANGUAGES = {
    "ko": ("ko",),
    "zh": ("zh-Hans", "zh-Hant"),
    "zh-hans": ("zh-Hans",),
    "zh-hant": ("zh-Hant",),
    "en": ("en",),
    "ja": ("ja",),
}
# Whoosh picks an Or's matcher by index size; the one for small indexes (PreloadedOr)
# loses matches and scores when it is the scored side of an intersection, so results
# depended on the page size. The binary tree of unions is right at every size.
Union = DefaultOr
FILTER_FIELDS = ("lang", "source", "published")
# A Han character jieba's dictionary counts fewer times than this as a word on its own is
# mostly a piece of a longer word it failed to see (埃 of 埃博拉, 朗 of 伊朗) and joins its
# neighbour; 说 (219,817), 米 (35,136) or 约 (27,535) are words in their own right (those that
# say nothing of a topic, 说 and 约, are listed as function words).
FRAGMENT_FREQUENCY = 5000
FIELD_PREFIXES = (*FILTER_FIELDS, "title")

_ITEM = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s"]+))'
)
# A pasted headline's section label: [단독], [판결], 【一线采访】 at its start, (종합), （更新版）
# at its end. It names the column, not the story: in a title its words weigh as function
# words do (an article is not raised by being in the same column); in a body, as words
# (a programme's transcript names it: 《新闻大家谈》).
_SECTION_LABEL = re.compile(
    r"^\s*(?:\[[^\[\]]{1,20}\]|【[^【】]{1,20}】)"  # at the start
    r"|(?<![-:])(?:\([^()]{1,12}\)|（[^（）]{1,12}）)\s*$"  # at the end, not -(종합)
)
_HAN_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class Clause:
    """One written item: a word (or several words written together), or a quoted phrase."""

    text: str
    phrase: bool = False
    title_only: bool = False
    section: bool = False  # inside a headline's section label ([단독], (종합))


@dataclass
class ParsedQuery:
    groups: list[list[Clause]] = field(default_factory=list)  # AND of groups; OR inside one
    excluded: list[Clause] = field(default_factory=list)
    langs: set[str] = field(default_factory=set)
    excluded_langs: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    excluded_sources: set[str] = field(default_factory=set)
    date_from: date | None = None
    date_to: date | None = None


def parse_query(text: str) -> ParsedQuery:
    """The structure of ``text``; a SearchError names what cannot be searched."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(
            "query_too_long", f"the query is {len(text)} characters long; at most {MAX_QUERY_CHARS}"
        )
    parsed = ParsedQuery()
    pending_or = False
    # A label written against a word (개편(종합), 【一线采访】疫情) is an item of its own.
    text = _SECTION_LABEL.sub(lambda m: f" {m[0].strip()} ", text)
    labels = [m.span() for m in _SECTION_LABEL.finditer(text)]
    for m in _ITEM.finditer(text):
        negative = bool(m["neg"])
        prefix = (m["field"] or "").lower()
        value = m["quoted"] if m["quoted"] is not None else m["bare"]
        quoted = m["quoted"] is not None
        if prefix and prefix not in FIELD_PREFIXES:
            value, prefix = f"{m['field']}:{value}", ""  # not a field: http://…, 2:1
        if prefix in FILTER_FIELDS:
            _add_filter(parsed, prefix, value.strip(), negative)
            continue
        if not quoted and value in ("OR", "AND"):
            pending_or = value == "OR" and bool(parsed.groups)
            continue
        if not value.strip():
            continue
        section = any(start <= m.start() and m.end() <= end for start, end in labels)
        clause = Clause(value, phrase=quoted, title_only=prefix == "title", section=section)
        if negative:
            parsed.excluded.append(clause)
        elif pending_or:
            parsed.groups[-1].append(clause)
        else:
            parsed.groups.append([clause])
        pending_or = False
    if parsed.date_from and parsed.date_to and parsed.date_from > parsed.date_to:
        raise SearchError("bad_date", "the date range ends before it starts")
    return parsed


def as_words(parsed: ParsedQuery, phrases: list[Clause]) -> ParsedQuery:
    """``parsed`` with the quoted ``phrases`` read as plain words (a pasted headline's
    quotation that no article holds as written)."""
    groups = [[replace(c, phrase=False) if c in phrases else c for c in g] for g in parsed.groups]
    return replace(parsed, groups=groups)


def _add_filter(parsed: ParsedQuery, name: str, value: str, negative: bool) -> None:
    if not value:
        raise SearchError("bad_filter", f"{name}: needs a value, as in {name}:{_EXAMPLES[name]}")
    if name == "lang":
        langs = LANGUAGES.get(value.lower())
        if langs is None:
            raise SearchError(
                "bad_filter",
                f"unknown language {value!r} in lang:{value} "
                "(use ko, zh, zh-Hans, zh-Hant, en or ja)",
            )
        (parsed.excluded_langs if negative else parsed.langs).update(langs)
    elif name == "source":
        (parsed.excluded_sources if negative else parsed.sources).add(value)
    else:
        start, separator, end = value.partition("..")
        if not separator:
            start = end = value
        if not (start or end):
            raise SearchError("bad_date", f"published: {value!r} has no dates")
        parsed.date_from = parse_day(start, first=True, name="published") if start else None
        parsed.date_to = parse_day(end, first=False, name="published") if end else None


_EXAMPLES = {"lang": "ko", "source": "이데일리", "published": "2024-07..2024-08"}


def parse_day(value: str, first: bool, name: str) -> date:
    """``2024``, ``2024-07`` or ``2024-07-28`` as the first (or last) day it covers."""
    m = _DATE.fullmatch(value.strip())
    if not m:
        raise SearchError(
            "bad_date", f"{name}: {value!r} is not a date (use 2024, 2024-07 or 2024-07-28)"
        )
    year, month, day = int(m[1]), m[2] and int(m[2]), m[3] and int(m[3])
    try:
        if day:
            return date(year, month, day)
        if month:
            return date(year, month, 1 if first else calendar.monthrange(year, month)[1])
        return date(year, 1, 1) if first else date(year, 12, 31)
    except ValueError:
        raise SearchError("bad_date", f"{name}: {value!r} is not a date") from None


@dataclass
class Word:
    """A word of the query: its term in the word view ('' when its characters alone match
    it), as written, and its characters' terms in the character view."""

    term: str
    surface: str
    char_terms: list[str]
    function: bool = False  # a question or function word (什么, 얼마, what)
    # Word-view terms of the words a Korean headline's Hanja stands for (尹: 윤석열, 윤)
    stands_for: list[str] = field(default_factory=list)


@dataclass
class Unit:
    """What the ranked list counts in each article: one word as written (a compound
    counts whole: 주일미군 is matched by the compound or its characters next to each
    other, not by 주일 and 미군 apart), one quoted phrase, or one group of OR alternatives."""

    label: str  # as the query wrote it, for "Missing: 나토"
    match: Query
    function: bool = False
    phrase: Clause | None = None  # the quoted phrase this unit is, when it stands alone
    # What an article lacking the word may hold of it (국회 and 일정 of 국회일정: ``_parts``),
    # each earning part of its weight in the ranked list
    parts: list[Query] = field(default_factory=list)


@dataclass
class BuiltQuery:
    """Whoosh queries for one parsed query, and what highlighting needs to know."""

    units: list[Unit]  # every word, phrase and OR group, in the query's order
    ranking: list[Term]  # every term of both views, boosted: the score of a match
    excluded: Query | None  # -word and -"phrase"
    dates: Query | None  # the date range, on the day the article was published
    parsed: ParsedQuery  # language and source filters are applied from here
    mark_terms: set[str]  # word-view terms marked where they stand (whole words)
    mark_phrases: list[list[str]]  # character-view phrases marked where they stand
    words: list[Word]  # for spelling suggestions

    @property
    def counted(self) -> list[Unit]:
        """The units an article is asked for: all but question and function words (all of
        them when the query has nothing else)."""
        content = [unit for unit in self.units if not unit.function]
        return content or self.units


@dataclass
class _Clause:
    """One written item made into queries."""

    match: Query | None  # every word of it (its content words when it has any)
    units: list[Unit]
    ranking: dict[tuple[str, str], float]  # (field, term) -> boost
    words: list[Word]
    mark_terms: set[str]
    mark_phrases: list[list[str]]


class QueryBuilder:
    """Builds Whoosh queries with the analyzers of the index being searched."""

    def __init__(self, words: Analyzer, chars: Analyzer) -> None:
        self.words = words
        self.chars = chars
        self._stood_for: dict[str, list[str]] = {}  # headline Hanja -> its words' terms

    def build(self, parsed: ParsedQuery) -> BuiltQuery:
        built = self._build(parsed, functions=True)
        if all(unit.function or unit.label.isdecimal() for unit in built.units):
            # A query of function words only (是什么, what is): they are its topic. So are
            # the counters of a query of numbers (3월 1일 asks for 월 and 일, not 3 and 1).
            built = self._build(parsed, functions=False)
        return built

    def _build(self, parsed: ParsedQuery, functions: bool) -> BuiltQuery:
        # Hanja in a query with Hangul are read as Korean headlines write them (尹, 檢, 美).
        korean = any(HANGUL_RE.search(c.text) for g in parsed.groups for c in g)
        units: list[Unit] = []
        ranking: dict[tuple[str, str], float] = {}
        mark_terms: set[str] = set()
        mark_phrases: list[list[str]] = []
        all_words: list[Word] = []
        in_context = iter(self._words_in_context([c for g in parsed.groups for c in g]))
        for group in parsed.groups:
            clauses = [self._clause(c, functions, korean, next(in_context)) for c in group]
            clauses = [c for c in clauses if c.match is not None]
            if not clauses:
                continue
            if len(clauses) == 1:
                units.extend(clauses[0].units)
            else:
                label = " OR ".join(c.text for c in group)
                units.append(Unit(label, Union([c.match for c in clauses])))
            for clause in clauses:
                for key, boost in clause.ranking.items():
                    ranking[key] = max(
                        boost, ranking.get(key, 0.0)
                    )  # a term written twice counts once
                all_words.extend(clause.words)
                mark_terms |= clause.mark_terms
                mark_phrases.extend(clause.mark_phrases)
        excluded = [c.match for c in map(self._clause, parsed.excluded) if c.match is not None]
        has_filters = bool(parsed.langs or parsed.sources or parsed.date_from or parsed.date_to)
        if not units:
            if not has_filters:
                raise SearchError("empty_query", "the query has no words to search for")
            raise SearchError("empty_query", "add words to search for to the filters")
        return BuiltQuery(
            units=units,
            ranking=[Term(f, text, boost=boost) for (f, text), boost in ranking.items() if boost],
            excluded=Union(excluded) if excluded else None,
            dates=_dates(parsed),
            parsed=parsed,
            mark_terms=mark_terms,
            mark_phrases=mark_phrases,
            words=all_words,
        )

    def _words_in_context(self, clauses: list[Clause]) -> list[list[tuple[str, int, int]]]:
        """The word-view tokens of each clause, read in the query's whole text: Kiwi reads
        a word by its neighbours, as it read the articles (해변서 alone is one unknown
        noun; in 강릉 해변서 숭어 it is 해변 + 서, as an article writes it)."""
        text = " ".join(c.text for c in clauses)
        tokens = [(t.text, t.startchar, t.endchar) for t in self.words(text, chars=True)]
        found: list[list[tuple[str, int, int]]] = []
        start = 0
        for clause in clauses:
            end = start + len(clause.text)
            inside = [(t, a - start, b - start) for t, a, b in tokens if start <= a and b <= end]
            found.append(inside)
            start = end + 1
        return found

    def _clause(
        self,
        clause: Clause,
        functions: bool = True,
        korean: bool = False,
        tokens: list[tuple[str, int, int]] | None = None,
    ) -> _Clause:
        """The queries of one written item: what it asks, word by word, and its terms
        (``tokens``: its word-view tokens as read in the query, else read alone);
        question and function words are told apart when ``functions``; a Hanja written as
        a word of its own also finds the Hangul words it stands for when ``korean``."""
        word_fields = ("title",) if clause.title_only else ("title", "body")
        char_fields = ("title_chars",) if clause.title_only else ("title_chars", "body_chars")
        if tokens is None:
            tokens = [(t.text, t.startchar, t.endchar) for t in self.words(clause.text, chars=True)]
        chars = [(t.text, t.startchar, t.endchar) for t in self.chars(clause.text, chars=True)]
        frequency = getattr(self.words, "chinese_word_frequency", lambda word: FRAGMENT_FREQUENCY)
        tokens = _without_contracted_particles(tokens)
        words = _words(clause.text, tokens, self.chars, functions, frequency)
        if korean:
            for w in words:
                w.word.stands_for = self._headline_terms(w.word.surface)
                if w.word.stands_for:
                    w.word.function = False  # 中, 前: Chinese function words, Korean topics
        # Characters of the topic: those of a word the analysis kept that is not a
        # function word. A term with any other character (a function word, a Korean
        # particle or ending: 그는, 었습) weighs as a function word.
        topic = set()
        for w in words:
            if not w.word.function:
                topic.update(range(w.start, w.end))

        def boost(field: str, start: int, end: int, base: float) -> float:
            minor = any(i not in topic and not clause.text[i].isspace() for i in range(start, end))
            if field.startswith("title"):
                minor = minor or clause.section  # a column's label in a title
                return base * (FUNCTION_TITLE_WEIGHT if minor else TITLE_WEIGHT)
            return base * (FUNCTION_WEIGHT if minor else 1.0)

        ranking: dict[tuple[str, str], float] = {}
        stood_for = [(t, w.start, w.end) for w in words for t in w.word.stands_for]
        for name in word_fields:
            for text, start, end in tokens + stood_for:
                key = (name, text)
                ranking[key] = max(boost(name, start, end, 1.0), ranking.get(key, 0.0))
        for name in char_fields:
            for text, start, end in chars:
                key = (name, text)
                ranking[key] = max(boost(name, start, end, CHAR_WEIGHT), ranking.get(key, 0.0))
        if clause.phrase:
            terms = [c for c, _, _ in chars]
            if not terms:
                return _Clause(None, [], {}, [], set(), [])
            match = Union([_phrase(f, terms) for f in char_fields])
            unit = Unit(f'"{clause.text}"', match, phrase=clause)
            return _Clause(match, [unit], ranking, [], set(), [terms])
        if not words:
            return _Clause(None, [], {}, [], set(), [])
        units = [
            Unit(
                w.word.surface,
                _word_match(w.word, word_fields, char_fields),
                w.word.function,
                parts=_parts(w, tokens, word_fields, char_fields, frequency),
            )
            for w in words
        ]
        content = [u for u in units if not u.function] or units
        mark_terms = {w.word.term for w in words if w.word.term and not w.word.function}
        mark_terms.update(t for t, _, _ in stood_for)
        mark_phrases = [
            w.word.char_terms for w in words if len(w.word.char_terms) > 1 and not w.word.function
        ]
        return _Clause(
            _and([u.match for u in content]),
            units,
            ranking,
            [w.word for w in words],
            mark_terms,
            mark_phrases,
        )

    def _headline_terms(self, surface: str) -> list[str]:
        """The word-view terms of the Hangul words a headline Hanja stands for (each read
        once per builder, not once per query)."""
        meant = headline_words(surface)
        if meant and surface not in self._stood_for:  # only the table's few Hanja are kept
            terms = [[t.text for t in self.words(w)] for w in meant]
            self._stood_for[surface] = [t[0] for t in terms if len(t) == 1]
        return list(self._stood_for.get(surface, ()))


@dataclass
class _Placed:
    word: Word
    start: int
    end: int


def _words(
    text: str,
    tokens: list[tuple[str, int, int]],
    char_analyzer: Analyzer,
    functions: bool,
    frequency: Callable[[str], int],
) -> list[_Placed]:
    """The words of a written item: its word-view tokens less those inside a longer one
    (the parts of a compound, the shorter words jieba adds inside a long one), with a lone
    rare Han character joined to the Han word it is written against (埃 + 博拉: 埃博拉,
    which an article may segment as 轮埃 + 博拉), found by its characters together or by
    that word. A Chinese word jieba guessed (not in its
    dictionary) gives way to the dictionary words inside it: 清朝时 is 清朝, 面积约 is 面积.
    Question and function words are marked (``search.analysis.function_words``)."""
    guessed = {
        (start, end)
        for term, start, end in tokens
        if end - start >= 3
        and _HAN_WORD.fullmatch(term)
        and not frequency(term)
        and any(s >= start and e <= end and (s, e) != (start, end) for _, s, e in tokens)
    }
    spans: dict[tuple[int, int], str] = {}
    for term, start, end in tokens:
        if (start, end) in guessed:
            continue
        inside = any(
            s <= start and end <= e and (e - s) > (end - start) and (s, e) not in guessed
            for _, s, e in tokens
        )
        if not inside:
            spans.setdefault((start, end), term)
    placed: list[_Placed] = []
    for (start, end), term in sorted(spans.items()):
        surface = text[start:end]
        after_number = start > 0 and text[start - 1].isdecimal()
        function = functions and is_function_word(term, surface, after_number)
        placed.append(_Placed(Word(term, surface, [], function), start, end))
    merged: list[_Placed] = []
    for item in placed:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.end == item.start
            and _joins(previous.word, item.word, frequency)
        ):
            surface = text[previous.start : item.end]
            # Found by its characters together, or by the word it joined: 访 + 柏林 is
            # 访柏林 or 柏林, since a rare character may also be a word of its own (访, 斥).
            pair = (previous.word, item.word)
            term = next((w.term for w in pair if len(w.surface) > 1 and w.term), "")
            merged[-1] = _Placed(Word(term, surface, []), previous.start, item.end)
        else:
            merged.append(item)
    for item in merged:
        item.word.char_terms = [t.text for t in char_analyzer(item.word.surface)]
    return merged


def _without_contracted_particles(tokens: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Korean headlines contract 에서 to 서 (현장서 체포, 핵실험서 드러난), which Kiwi reads as
    a noun 서 ending a compound (현장 + 서); the word searched for is the compound without
    it (현장, 핵실험). Kiwi keeps words of 書 whole (보고서, 계약서), so they stay."""
    pieces = {(start, end) for text, start, end in tokens if text == "서"}
    contracted = {
        (end - 1, end)
        for text, start, end in tokens
        if len(text) > 2 and text[-1] == "서" and (end - 1, end) in pieces and HANGUL_RE.match(text)
    }
    kept = []
    for text, start, end in tokens:
        if (start, end) in contracted:
            continue
        if (end - 1, end) in contracted and len(text) > 2:
            text, end = text[:-1], end - 1
        kept.append((text, start, end))
    return kept


def _parts(
    placed: _Placed,
    tokens: list[tuple[str, int, int]],
    word_fields: tuple[str, ...],
    char_fields: tuple[str, ...],
    frequency: Callable[[str], int],
) -> list[Query]:
    """What an article lacking a word may hold of it, each earning part of its weight in
    the ranked list: the word-view words inside a compound (국회 and 일정 of 국회일정, 复杂
    of 复杂化), else, for a Chinese word jieba guessed (罗冠聪吁, not in its dictionary),
    its character pairs (罗冠, 冠聪, 聪吁)."""
    span = (placed.start, placed.end)
    inside = [
        Union([Term(f, text) for f in word_fields])
        for text, start, end in tokens
        if span[0] <= start and end <= span[1] and (start, end) != span
    ]
    word = placed.word
    if inside or len(word.char_terms) < 2 or not _HAN_WORD.fullmatch(word.surface):
        return inside
    if word.term and frequency(word.term):
        return []
    return [Union([Term(f, pair) for f in char_fields]) for pair in word.char_terms]


def _joins(left: Word, right: Word, frequency: Callable[[str], int]) -> bool:
    """Whether two Han words written together are one word to search for: one of them a
    lone character that is rarely a word by itself (埃 of 埃博拉, not 说 of 拜登说)."""
    if left.function or right.function or not _HAN_WORD.fullmatch(left.surface + right.surface):
        return False
    return any(
        len(w.surface) == 1 and frequency(w.term) < FRAGMENT_FREQUENCY for w in (left, right)
    )


def _word_match(word: Word, word_fields: tuple[str, ...], char_fields: tuple[str, ...]) -> Query:
    """What finds ``word``: its term in the word view, or its characters next to each
    other in the character view where segmentation differed, or a word it stands for."""
    if word.stands_for:
        plain = replace(word, stands_for=[])
        meant = [Term(f, t) for t in word.stands_for for f in word_fields]
        return Union([_word_match(plain, word_fields, char_fields), *meant])
    chars_match = [_phrase(f, word.char_terms) for f in char_fields]
    if not word.term:
        return Union(chars_match)
    if _spelled_by(word.char_terms) == word.term and _HAN_WORD.fullmatch(word.term):
        # A Chinese word of two or more characters always stands in the character view
        # too, so its characters find every article with it, including those the
        # segmenter cut differently (见宁王朱权). Its term finds a part of them at less
        # cost: a phrase is then checked only where the term is not (search.matching).
        return Union([Term(f, word.term) for f in word_fields] + chars_match)
    if len(word.char_terms) > 1 or (word.char_terms and len(word.char_terms[0]) > 1):
        return Union([Term(f, word.term) for f in word_fields] + chars_match)
    return Union([Term(f, word.term) for f in word_fields])


def _spelled_by(char_terms: list[str]) -> str:
    """The text a run of overlapping character bigrams spells (ab, bc, cd -> abcd)."""
    if not char_terms or any(len(t) != 2 for t in char_terms):
        return ""
    return char_terms[0] + "".join(t[1] for t in char_terms[1:])


def _phrase(fieldname: str, terms: list[str]) -> Query:
    return Term(fieldname, terms[0]) if len(terms) == 1 else Phrase(fieldname, terms)


def _and(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else And(queries)


def _dates(parsed: ParsedQuery) -> Query | None:
    if not (parsed.date_from or parsed.date_to):
        return None
    start = parsed.date_from.isoformat() if parsed.date_from else None
    end = parsed.date_to.isoformat() if parsed.date_to else None
    return TermRange("day", start, end)
