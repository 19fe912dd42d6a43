"""Shared fixtures: the repository's paths and analyzers loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.analysis import char_analyzer, load_user_dictionaries, word_analyzer

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "demo" / "seeds"
CHINESE_SEED = SEEDS / "000_7d7e8ccb8e4aa8ab.txt"
KOREAN_SEED = SEEDS / "004_af721fc1b1a612be.txt"


@pytest.fixture(scope="session")
def dictionaries():
    return load_user_dictionaries(REPO / "dicts" / "zh_user.txt", REPO / "dicts" / "ko_user.txt")


@pytest.fixture(scope="session")
def words(dictionaries):
    return word_analyzer(dictionaries)


@pytest.fixture(scope="session")
def chars():
    return char_analyzer()


def tokens(analyzer, text: str) -> list[tuple[str, int, str]]:
    """(term, position, original surface) for every token of ``text``."""
    return [
        (t.text, t.pos, text[t.startchar : t.endchar])
        for t in analyzer(text, positions=True, chars=True)
    ]


def terms(analyzer, text: str) -> list[str]:
    return [t.text for t in analyzer(text)]
