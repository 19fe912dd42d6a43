"""Chinese with jieba: dictionary words, plus the shorter dictionary words inside long ones."""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator

import jieba

from . import Piece

_WORD = re.compile(r"\w")
_models: dict[tuple, jieba.Tokenizer] = {}
_lock = threading.Lock()


def jieba_tokenizer(
    user_words: tuple[tuple[str, int | None, str | None], ...] = (),
) -> jieba.Tokenizer:
    """The process's jieba for these user words, loaded on first use (about a second)."""
    with _lock:
        tokenizer = _models.get(user_words)
        if tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.tmp_dir = _cache_dir()
            tokenizer.initialize()
            for word, freq, tag in user_words:
                tokenizer.add_word(word, freq, tag)
            _models[user_words] = tokenizer
        return tokenizer


def _cache_dir() -> str:
    path = os.environ.get("HANSEARCH_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "hansearch"
    )
    os.makedirs(path, exist_ok=True)
    return path


def segment_chinese(run: str, tokenizer: jieba.Tokenizer) -> Iterator[Piece]:
    """Words of the run (simplified Chinese); 中华人民共和国 also gives 中华 … 共和国 at its
    position, the way jieba's search mode does."""
    freq = tokenizer.FREQ
    start = 0
    for word in tokenizer.cut(run, HMM=True):
        end = start + len(word)
        if _WORD.search(word):
            yield Piece(word, start, end)
            for n in (2, 3):
                if len(word) > n:
                    for i in range(len(word) - n + 1):
                        sub = word[i : i + n]
                        if freq.get(sub):
                            yield Piece(sub, start + i, start + i + n, same_position=True)
        start = end
