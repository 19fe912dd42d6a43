"""The Whoosh tokenizers: normalise, split into script runs, segment each run, and yield
tokens whose offsets point into the ORIGINAL text, so highlights land where users look."""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.analysis import Token, Tokenizer

from .dictionaries import UserDictionaries
from .normalizers.chinese import to_simplified
from .normalizers.unicode import nfkc
from .scripts import HAN_RE, Script, script_runs
from .segmenters import Piece
from .segmenters.bigram import segment_bigrams
from .segmenters.chinese import jieba_tokenizer, segment_chinese
from .segmenters.korean import kiwi_model, segment_korean
from .segmenters.latin import segment_words

# A token longer than this is no word anyone types (a base64 blob, a run of one character).
MAX_TOKEN_CHARS = 64
_WORD_CHAR = re.compile(r"[^\W_]")


class _ScriptRunTokenizer(Tokenizer):
    """Shared steps of both views; subclasses say how each run is cut."""

    def _pieces(self, script: Script, run: str, number_before: str) -> Iterator[Piece]:
        """The pieces of one run; ``number_before`` is the digit written right before it
        (the 6 of 6일), or ''."""
        raise NotImplementedError

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        text, offsets = nfkc(value)
        if HAN_RE.search(text):
            text = to_simplified(text)
        # Most text needs no offset map: NFKC rarely changes lengths.
        start_of = offsets.start if offsets.chunks else int
        end_of = offsets.end if offsets.chunks else int
        pos = start_pos - 1
        # Parts share their word's position; if the word itself was dropped, they move on.
        word_kept = False
        for script, run_start, run_end in script_runs(text):
            before = text[run_start - 1] if run_start else ""
            number_before = before if before.isdecimal() else ""
            for piece in self._pieces(script, text[run_start:run_end], number_before):
                word = piece.text
                if len(word) > MAX_TOKEN_CHARS or not _WORD_CHAR.search(word):
                    word_kept = word_kept and piece.same_position
                    continue
                if not (piece.same_position and word_kept):
                    pos += 1
                word_kept = True
                token.text = word
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = pos
                if chars or keeporiginal:
                    start = start_of(run_start + piece.start)
                    end = end_of(run_start + piece.end)
                    token.startchar, token.endchar = start_char + start, start_char + end
                    if keeporiginal:
                        token.original = value[start:end]
                yield token


class WordTokenizer(_ScriptRunTokenizer):
    """The word view, which carries ranking: jieba words, Kiwi morphemes, Latin words."""

    def __init__(self, dictionaries: UserDictionaries | None = None) -> None:
        self.dictionaries = dictionaries or UserDictionaries()

    def chinese_word_frequency(self, word: str) -> int:
        """How often jieba's dictionary (with the user words) counts ``word`` (simplified)
        as a word; 0 for a word it does not hold."""
        return jieba_tokenizer(self.dictionaries.chinese).FREQ.get(word) or 0

    def _pieces(self, script: Script, run: str, number_before: str) -> Iterator[Piece]:
        if script is Script.HAN:
            return segment_chinese(run, jieba_tokenizer(self.dictionaries.chinese))
        if script is Script.HANGUL:
            return segment_korean(run, kiwi_model(self.dictionaries.korean), number_before)
        if script is Script.KANA:
            return segment_bigrams(run)
        return segment_words(run)


class CharTokenizer(_ScriptRunTokenizer):
    """The character view: CJK bigrams and whole Latin words at consecutive positions, so a
    quoted phrase is an exact substring match whatever the segmenters did."""

    def _pieces(self, script: Script, run: str, number_before: str) -> Iterator[Piece]:
        if script is Script.WORD:
            return segment_words(run, with_parts=False)
        return segment_bigrams(run)
