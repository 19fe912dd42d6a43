"""Language-aware analysis shared by documents and queries.

Two views of every text, built from the same normalisation and script runs:
``word_analyzer`` (jieba words, Kiwi morphemes, Latin words; carries ranking) and
``char_analyzer`` (CJK bigrams; exact phrases and part-of-word matches).
"""

from __future__ import annotations

from whoosh.analysis import Analyzer

from .dictionaries import UserDictionaries, load_user_dictionaries
from .language import detect_language
from .tokenizers import CharTokenizer, WordTokenizer


def word_analyzer(dictionaries: UserDictionaries | None = None) -> Analyzer:
    return WordTokenizer(dictionaries or UserDictionaries())


def char_analyzer() -> Analyzer:
    return CharTokenizer()


__all__ = [
    "UserDictionaries",
    "char_analyzer",
    "detect_language",
    "load_user_dictionaries",
    "word_analyzer",
]
