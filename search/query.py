"""User query text -> Whoosh queries: words, "phrases", -exclusions, OR, field filters.

A *word* is what the word view reads first at a position (a jieba word, a Kiwi morpheme, a
Latin word part), so 美日安全磋商 and 사령부를 설치 are several words though written without
or with spaces. Each word is matched by its term in the word view or, where segmentation
differed, by its characters in the character view. In "all" mode every word must match; in
"any" mode one is enough. Ranking always comes from every term of both views, so it does
not depend on which of these matched.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
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

from .models import SearchError

MAX_QUERY_CHARS = 1000
# Weight of character-view terms in the ranking, against 1 for word-view terms (the best
# of the settings measured by bench/quality.py).
CHAR_WEIGHT = 0.5
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
FIELD_PREFIXES = (*FILTER_FIELDS, "title")

_ITEM = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s"]+))'
)
_HAN_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class Clause:
    """One written item: a word (or several words written together), or a quoted phrase."""

    text: str
    phrase: bool = False
    title_only: bool = False


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
        clause = Clause(value, phrase=quoted, title_only=prefix == "title")
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
    """A word of the query: its term in the word view, as written, and its characters'
    terms in the character view."""

    term: str
    surface: str
    char_terms: list[str]


@dataclass
class BuiltQuery:
    """Whoosh queries for one parsed query, and what highlighting needs to know."""

    required: Query  # what "all" mode matches: every word (or one of its OR alternatives)
    any_of: list[Query]  # each word or phrase alone: "any" mode matches one of them
    ranking: Query  # every term of both views: the score of a match, whichever matched
    excluded: Query | None  # -word and -"phrase"
    dates: Query | None  # the date range, on the day the article was published
    parsed: ParsedQuery  # language and source filters are applied from here
    word_terms: set[str]  # every word-view term of the query, for highlights
    char_phrases: list[list[str]]  # character-view phrases that may mark a match
    words: list[Word]  # for spelling suggestions


class QueryBuilder:
    """Builds Whoosh queries with the analyzers of the index being searched."""

    def __init__(self, words: Analyzer, chars: Analyzer) -> None:
        self.words = words
        self.chars = chars

    def build(self, parsed: ParsedQuery) -> BuiltQuery:
        required: list[Query] = []
        any_of: list[Query] = []
        scoring: list[Query] = []
        word_terms: set[str] = set()
        char_phrases: list[list[str]] = []
        all_words: list[Word] = []
        for group in parsed.groups:
            alternatives = []
            for clause in group:
                match, parts, terms, words, phrases = self._clause(clause)
                if match is None:
                    continue
                alternatives.append(match)
                any_of.extend(parts)
                scoring.extend(terms)
                all_words.extend(words)
                char_phrases.extend(phrases)
                word_terms.update(w.term for w in words)
                word_terms.update(t.text for t in terms if t.fieldname in ("title", "body"))
            if alternatives:
                required.append(alternatives[0] if len(alternatives) == 1 else Union(alternatives))
        excluded = [q for q, *_ in map(self._clause, parsed.excluded) if q is not None]
        has_filters = bool(parsed.langs or parsed.sources or parsed.date_from or parsed.date_to)
        if not required:
            if not has_filters:
                raise SearchError("empty_query", "the query has no words to search for")
            raise SearchError("empty_query", "add words to search for to the filters")
        return BuiltQuery(
            required=_and(required),
            any_of=any_of,
            ranking=Union(list(dict.fromkeys(scoring))),  # a term written twice counts once
            excluded=Union(excluded) if excluded else None,
            dates=_dates(parsed),
            parsed=parsed,
            word_terms=word_terms,
            char_phrases=char_phrases,
            words=all_words,
        )

    def _clause(
        self, clause: Clause
    ) -> tuple[Query | None, list[Query], list[Term], list[Word], list[list[str]]]:
        """What must match for ``clause``, the same word by word, its ranking terms, its
        words and its character-view phrases."""
        word_fields = ("title",) if clause.title_only else ("title", "body")
        char_fields = ("title_chars",) if clause.title_only else ("title_chars", "body_chars")
        tokens = [
            (t.text, t.pos, t.startchar, t.endchar)
            for t in self.words(clause.text, positions=True, chars=True)
        ]
        chars = [t.text for t in self.chars(clause.text)]
        terms = [Term(f, text) for f in word_fields for text in dict.fromkeys(t[0] for t in tokens)]
        terms += [
            Term(f, text, boost=CHAR_WEIGHT) for f in char_fields for text in dict.fromkeys(chars)
        ]
        if clause.phrase:
            if not chars:
                return None, [], [], [], []
            match = Union([_phrase(f, chars) for f in char_fields])
            return match, [match], terms, [], [chars]
        words = []
        seen_positions = set()
        for text, pos, start, end in tokens:
            if pos not in seen_positions:
                seen_positions.add(pos)
                surface = clause.text[start:end]
                words.append(Word(text, surface, [t.text for t in self.chars(surface)]))
        if not words:
            return None, [], [], [], []
        matches = []
        for word in words:
            chars_match = [_phrase(f, word.char_terms) for f in char_fields]
            if _spelled_by(word.char_terms) == word.term and _HAN_WORD.fullmatch(word.term):
                # A Chinese word of two or more characters always stands in the
                # character view too, so its characters alone find every article with it,
                # including those the segmenter cut differently (见宁王朱权).
                options = chars_match
            elif len(word.char_terms) > 1 or (word.char_terms and len(word.char_terms[0]) > 1):
                options = [Term(f, word.term) for f in word_fields] + chars_match
            else:
                options = [Term(f, word.term) for f in word_fields]
            matches.append(Union(options))
        phrases = [w.char_terms for w in words if len(w.char_terms) > 1]
        return _and(matches), matches, terms, words, phrases


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
