"""Inputs no one should send still give sensible tokens, or none, and never an exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.analysis.tokenizers import MAX_TOKEN_CHARS

# Characters from every script the analyzers route, plus the ones that break naive code.
_ALPHABET = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list("사령부를합동작전美日嚇阻中华人民共和国ひらがなカタカナ ，。、!?-+.'")),
    st.sampled_from(["\u0301", "\u1161", "\u11ab", "\u200b", "\ufeff", "\x00", "\ud800", "😀"]),
)


def _check(analyzer, text: str) -> list[str]:
    found = []
    last_pos = -1
    for token in analyzer(text, positions=True, chars=True):
        assert 0 <= token.startchar < token.endchar <= len(text)
        assert 0 < len(token.text) <= MAX_TOKEN_CHARS
        assert token.pos >= last_pos
        last_pos = token.pos
        found.append(token.text)
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_any_text_gives_well_formed_tokens(words, chars, text):
    _check(words, text)
    _check(chars, text)


@pytest.mark.parametrize(
    "text",
    ["", " \n\t ", "\x00\x01\x02", "\ud800\udfff", "\u200b\ufeff", "!!!???...", "😀🎉"],
    ids=["empty", "spaces", "controls", "lone-surrogates", "invisible", "punctuation", "emoji"],
)
def test_text_without_words_gives_no_tokens(words, chars, text):
    assert _check(words, text) == []
    assert _check(chars, text) == []


def test_scripts_no_segmenter_knows_are_kept_as_words(words):
    assert _check(words, "Привет мир ꦲꦏ꧀ꦱꦫ") == ["привет", "мир", "ꦲꦏ", "ꦱꦫ"]


def test_lone_surrogate_inside_korean_does_not_reach_kiwi(words):
    assert _check(words, "사령부\ud800를") == ["사령부"]


def test_overlong_tokens_are_dropped_but_their_neighbours_kept(words):
    assert _check(words, "a" * 5000 + " ICBM " + "가" * 300) == ["icbm"]


def test_ten_megabyte_mixed_text_is_analysed(words, chars):
    unit = "The US and Japan (2+2) agreed on a joint command. 美日安全磋商。 사령부를 설치. 😀 "
    text = unit * (10_000_000 // len(unit.encode()))
    assert len(text.encode()) > 9_900_000
    word_terms = _check(words, text)
    assert word_terms[:7] == ["the", "us", "and", "japan", "2", "2+2", "2"]
    assert word_terms.count("사령부") == text.count("사령부")
    assert len(_check(chars, text)) > len(word_terms) // 2
