"""Where a word stands in an article is read only as far as a search needs it.

A 20 MB article may hold a word 300,000 times. Highlighting shows a snippet chosen among
each word's first ``SNIPPET_PLACES`` places and those within ``LONG_TEXT`` characters of
its first, and the words-together head looks at a word's first ``MAX_PLACES`` places, so
the places after those are never read: the engines give
them as iterators decoded as they are read (``search.matching.posting_places`` for Whoosh,
``search.xapian_documents.Offsets`` for Xapian), and these tests show each reader stops
where it should and gives exactly what reading everything gives.
"""

from __future__ import annotations

import json
import random

import pytest
from conftest import built_settings
from whoosh.formats import Characters

from search.highlight import LONG_TEXT, phrase_at, phrase_spans, term_spans
from search.matching import READ_FIRST, STEPWISE_ABOVE, posting_places
from search.models import SearchRequest
from search.searcher import SearchService


class _Counted:
    """Places of one term in one document that count how many were read."""

    def __init__(self, places):
        self.places = places
        self.read = 0

    def __iter__(self):
        for place in self.places:
            self.read += 1
            yield place


def _occurrences(places_of: dict[str, list], counted: dict[str, _Counted]):
    """An engine's ``occurrences`` over one document (number 7) holding ``places_of``."""

    def occurrences(docnums, fieldname, text):
        counted[text] = _Counted(places_of.get(text, []))
        return {7: counted[text]} if places_of.get(text) else {}

    return occurrences


def _every(step: int, count: int, start: int = 0, position: int = 0, length: int = 2):
    return [(position + i, start + i * step, start + i * step + length) for i in range(count)]


def test_a_terms_places_are_read_until_its_window_ends():
    # 100,000 places 10 characters apart: the window of 20,000 characters holds 2,000.
    counted: dict[str, _Counted] = {}
    occurrences = _occurrences({"news": _every(10, 100_000, start=5)}, counted)
    spans = term_spans(occurrences, [7], "body", ["news"], window=LONG_TEXT)
    assert spans[7] == [(5 + i * 10, 7 + i * 10) for i in range(LONG_TEXT // 10)]
    assert counted["news"].read == LONG_TEXT // 10 + 1  # the first place past the window


def test_a_snippets_places_are_read_to_the_window_or_the_first_ones_whichever_is_further():
    # 100,000 places: 10 characters apart (2,000 within the window) or 100 apart (200).
    for step, kept in ((10, LONG_TEXT // 10), (100, 1000)):
        counted: dict[str, _Counted] = {}
        occurrences = _occurrences({"news": _every(step, 100_000)}, counted)
        reached: dict[int, int] = {}
        spans = term_spans(occurrences, [7], "body", ["news"], LONG_TEXT, 1000, reached)
        assert spans[7] == [(i * step, i * step + 2) for i in range(kept)]
        assert reached == {7: kept * step}  # the first place not read
        assert counted["news"].read == kept + 1


def test_a_terms_first_places_are_read_and_no_more():
    counted: dict[str, _Counted] = {}
    occurrences = _occurrences({"news": _every(10, 100_000)}, counted)
    spans = term_spans(occurrences, [7], "body", ["news"], most=1000)
    assert spans[7] == [(i * 10, i * 10 + 2) for i in range(1000)]
    assert counted["news"].read == 1001  # the first place past them says to stop


def test_a_phrases_window_starts_at_its_first_occurrence_not_its_words():
    # "quokka" stands alone from character 0 on; the phrase "zebra quokka" first at
    # 50,000, then every 100 characters.
    alone = _every(100, 400)  # characters 0-39,900, positions 0-399
    phrase_at_ = [(1000 + 2 * i, 50_000 + 100 * i) for i in range(1000)]
    zebra = [(p, s, s + 5) for p, s in phrase_at_]
    quokka = alone + [(p + 1, s + 6, s + 12) for p, s in phrase_at_]
    counted: dict[str, _Counted] = {}
    occurrences = _occurrences({"zebra": zebra, "quokka": quokka}, counted)
    spans = phrase_spans(occurrences, [7], "body_chars", ["zebra", "quokka"], window=LONG_TEXT)
    assert spans[7] == [(50_000 + 100 * i, 50_012 + 100 * i) for i in range(LONG_TEXT // 100)]
    assert counted["zebra"].read == LONG_TEXT // 100 + 1


def test_a_phrase_is_where_its_words_stand_at_consecutive_positions():
    first = iter([(0, 0, 2), (5, 20, 22), (9, 40, 42), (12, 60, 62)])
    second = iter([(1, 3, 5), (4, 10, 12), (10, 43, 45), (13, 63, 66)])
    third = iter([(2, 6, 8), (11, 46, 49)])
    assert phrase_at([first, second, third]) == [(0, 8), (40, 49)]
    assert phrase_at([iter([(3, 9, 11)]), iter([(3, 9, 11)])]) == []  # not one after another
    assert phrase_at([iter(_every(3, 10)), iter(_every(3, 10, start=1, position=1))], most=2) == [
        (0, 3),
        (3, 6),
    ]


def _random_places(count: int, seed: int, big: bool = False) -> list[tuple[int, int, int]]:
    """Places as Whoosh stores them: steps of any size (``big``: past 2**31, which the
    pickle writes as a long integer)."""
    rng = random.Random(seed)
    places, position, end = [], 0, 0
    for _ in range(count):
        position += rng.choice([1, 1, 2, 300, 70_000])
        start = end + rng.choice([0, 1, 5, 300, 70_000] + ([3_000_000_000] if big else []))
        end = start + rng.choice([1, 2, 3, 300])
        places.append((position, start, end))
    return places


@pytest.mark.parametrize(
    "count", [0, 1, 2, 999, 1000, STEPWISE_ABOVE, STEPWISE_ABOVE + 1, STEPWISE_ABOVE + 999]
)
@pytest.mark.parametrize("big", [False, True], ids=["small", "big steps"])
def test_a_whoosh_postings_places_are_whoosh_s_own(count, big):
    places = _random_places(count, seed=count, big=big)
    value = Characters().encode(places)
    assert Characters().decode_characters(value) == places
    assert list(posting_places(value)) == places


def test_a_whoosh_postings_first_places_are_read_without_the_rest():
    places = _random_places(50_000, seed=3)
    value = Characters().encode(places)
    cut = value[: len(value) // 2]  # the rest of the posting is not even there
    read = posting_places(cut)
    assert [next(read) for _ in range(READ_FIRST)] == places[:READ_FIRST]
    with pytest.raises(EOFError, match="Ran out of input"):
        next(read)


# An article longer than LONG_TEXT: "quokka" alone at its start, "zebra quokka" together
# only after the first 33,600 characters of filler, and again after as many more.
_FILLER = "Nothing else happened in the harbour that day. " * 700
_LONG_ARTICLE = (
    "A quokka was seen alone at dawn. "
    + _FILLER
    + "Then a zebra quokka pair walked by. "
    + _FILLER
    + "The zebra quokka pair left at dusk."
)


@pytest.fixture(scope="module", params=["whoosh", "xapian"])
def long_article(request, tmp_path_factory):
    def write_corpus(folder):
        folder.mkdir()
        line = {"id": "long", "title": "Harbour notes", "body": _LONG_ARTICLE, "publisher": "T"}
        (folder / "a.jsonl").write_text(json.dumps(line) + "\n", "utf-8")

    root = tmp_path_factory.mktemp(f"long-{request.param}")
    return SearchService(built_settings(root, request.param, write_corpus))


def test_a_long_articles_phrase_is_marked_where_it_first_stands(long_article):
    # Its words stand apart from the start: the snippet is the phrase's first sentence.
    response = long_article.search(SearchRequest(q='"zebra quokka"'))
    assert (
        response.results[0].snippet_html == "… Then a <mark>zebra quokka</mark> pair walked by. …"
    )


def test_a_long_articles_snippet_is_where_its_words_stand_together(long_article):
    # "quokka" alone at the start, the two words together 33,600 characters on.
    response = long_article.search(SearchRequest(q="zebra quokka"))
    snippet = response.results[0].snippet_html
    assert snippet == "… Then a <mark>zebra</mark> <mark>quokka</mark> pair walked by. …"


def test_a_long_articles_snippet_of_one_word_is_where_it_first_stands(long_article):
    response = long_article.search(SearchRequest(q="quokka"))
    assert response.results[0].snippet_html == "A <mark>quokka</mark> was seen alone at dawn. …"
