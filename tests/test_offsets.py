"""Every token of both seeds points at the characters it came from in the original text."""

from __future__ import annotations

import pytest
from conftest import CHINESE_SEED, KOREAN_SEED

from search.analysis.normalizers.chinese import to_simplified
from search.analysis.normalizers.unicode import nfkc
from search.analysis.segmenters.latin import light_english_stem


def _normalized(surface: str) -> str:
    return to_simplified(nfkc(surface)[0]).lower()


def _initial_consonant(syllable: str) -> int:
    return (ord(syllable) - 0xAC00) // 588


def _is_surface_of(term: str, surface: str) -> bool:
    normalized = _normalized(surface)
    if term in (normalized, normalized.replace(" ", ""), normalized.replace(",", "")):
        return True
    if term == light_english_stem(normalized):
        return True
    # A Korean verb or adjective is indexed by its stem: 새로운 -> 새롭, 도와 -> 돕.
    return (
        "가" <= term[0] <= "힣"
        and "가" <= surface[0] <= "힣"
        and _initial_consonant(term[0]) == _initial_consonant(surface[0])
        and len(surface) <= len(term) + 3
    )


@pytest.mark.parametrize("seed", [CHINESE_SEED, KOREAN_SEED], ids=["zh", "ko"])
@pytest.mark.parametrize("view", ["words", "chars"])
def test_every_token_of_the_seeds_points_at_its_original_surface(seed, view, request):
    analyzer = request.getfixturevalue(view)
    text = seed.read_text(encoding="utf-8")
    checked = 0
    for token in analyzer(text, positions=True, chars=True):
        surface = text[token.startchar : token.endchar]
        if view == "chars":
            expected = _normalized(surface).replace(" ", "").replace(",", "")
            assert expected == token.text, (token.text, surface)
        else:
            assert _is_surface_of(token.text, surface), (token.text, surface)
        checked += 1
    assert checked > 500


def test_offsets_map_through_length_changing_normalisation(words):
    text = "㈜이데일리 ﬁnal e\u0301te 사령\u200b부를"
    assert [(t.text, text[t.startchar : t.endchar]) for t in words(text, chars=True)] == [
        ("주", "㈜"),
        ("이데일리", "이데일리"),
        ("final", "ﬁnal"),
        ("éte", "e\u0301te"),
        ("사령부", "사령\u200b부"),
    ]


def test_offsets_respect_start_char_of_multivalued_fields(words):
    found = [(t.text, t.startchar, t.endchar) for t in words("사령부를", chars=True, start_char=10)]
    assert found == [("사령부", 10, 13)]
