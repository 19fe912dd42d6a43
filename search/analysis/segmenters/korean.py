"""Korean with Kiwi: content morphemes kept, particles and endings dropped, compounds kept
whole and in parts."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator

from kiwipiepy import Kiwi

from . import Piece

# Nouns, numerals, roots, foreign words and Hanja, verb and adjective stems.
KEPT_TAGS = frozenset("NNG NNP NR SL SN SH XR VV VA VV-I VV-R VA-I VA-R".split())
# Morphemes that join into one compound when nothing separates them: 합동+작전+사령부.
COMPOUND_TAGS = frozenset("NNG NNP NR XR SH".split())
# A numeral, and the bound noun that counts after it (2월, 6일, 10명, 3억 원): the counter is
# a word. Other bound nouns (것, 수, 때) are not.
NUMERAL_TAGS = frozenset("SN NR".split())
COUNTER_TAG = "NNB"
MAX_COMPOUND_PARTS = 6

_models: dict[tuple, Kiwi] = {}
_lock = threading.Lock()


def kiwi_model(user_words: tuple[tuple[str, str, float], ...] = ()) -> Kiwi:
    """The process's Kiwi for these user words, built on first use (about 500 MB, 1 s).

    Built lazily inside the process that uses it: a Kiwi made before a fork hangs in the
    child.
    """
    with _lock:
        kiwi = _models.get(user_words)
        if kiwi is None:
            with warnings.catch_warnings():
                # 0 means one thread since kiwipiepy 0.21 and it warns about that change.
                warnings.simplefilter("ignore", DeprecationWarning)
                kiwi = Kiwi(num_workers=0)
            for word, tag, score in user_words:
                kiwi.add_user_word(word, tag, score)
            _models[user_words] = kiwi
        return kiwi


def segment_korean(run: str, kiwi: Kiwi, number_before: str = "") -> Iterator[Piece]:
    """사령부를 gives 사령부; 합동작전사령부 gives itself and 합동, 작전, 사령부.

    ``number_before`` is the digit written right before the run (the 6 of 6일), which digits
    end: Kiwi reads the run with it, so a counter is read as one whatever follows it (alone,
    일 is a noun; in 일(금) or 일 발표했다 a bound noun), and kept.
    """
    group: list[Piece] = []
    shift = len(number_before)
    after_numeral = False
    # Kiwi sees Korean runs only (URLs, mail addresses, serial numbers are Latin and digit
    # runs), and reads no token whole: a hashtag's words are its words (#윤석열탄핵 is 윤석열
    # and 탄핵, as #covid19 is covid and 19), whether or not its # starts the run.
    for token in kiwi.tokenize(number_before + run, match_options=0):
        start, end = token.start - shift, token.start + token.len - shift
        counter = after_numeral and token.tag == COUNTER_TAG
        after_numeral = token.tag in NUMERAL_TAGS
        form = token.form
        if start < 0:  # the number, or a noun Kiwi made with it (3사): its part in the run
            if end <= 0:
                continue
            form, start = run[:end], 0
        if token.tag not in KEPT_TAGS and not counter:
            yield from _flush(group)
            continue
        if token.tag in COMPOUND_TAGS:
            if group and (group[-1].end != start or len(group) >= MAX_COMPOUND_PARTS):
                yield from _flush(group)
            group.extend(_words(form, start, end))
            continue
        yield from _flush(group)
        yield Piece(form, start, end)
    yield from _flush(group)


def _words(form: str, start: int, end: int) -> list[Piece]:
    """A name Kiwi returns with a space inside (가미카와 요코) is two words of one compound."""
    if " " not in form or len(form) != end - start:
        return [Piece(form, start, end)]
    pieces, offset = [], start
    for word in form.split(" "):
        if word:
            pieces.append(Piece(word, offset, offset + len(word)))
        offset += len(word) + 1
    return pieces


def _flush(group: list[Piece]) -> Iterator[Piece]:
    """The parts at consecutive positions, the whole at the first part's position."""
    if group:
        yield group[0]
    if len(group) > 1:
        yield Piece("".join(p.text for p in group), group[0].start, group[-1].end, True)
        yield from group[1:]
    group.clear()
