"""Bytes -> text for archives in UTF-8, UTF-16, GB18030/GBK, Big5 and EUC-KR/CP949.

Legacy encodings cannot be told apart by validity alone (EUC-KR and Big5 bytes are
mostly valid GBK), so each strict decoding is scored by how plausible its text is.

A UTF-8 file with a few invalid bytes (a handful, or at most one in 1,000) is read with each
of them replaced by U+FFFD and counted, unless it reads as a legacy encoding: in a legacy
file few byte pairs are valid UTF-8, in a nearly-UTF-8 file valid UTF-8 dwarfs the errors.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from functools import lru_cache

from .skip import SkipFile

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LEGACY = ("gb18030", "big5hkscs", "cp949")
_SCORE_CHARS = 20_000
_MIN_SCORE = 0.6
_MIN_BOM_SCORE = 0.0  # a BOM declares the encoding: refuse only text where garbling outweighs
_MAX_CONTROL_SHARE = 0.01
_HAN_SPACE_HAN = re.compile(r"[\u4e00-\u9fff] [\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HANJA = re.compile(r"[\u4e00-\u9fff]")
_FEW_INVALID = 8  # invalid UTF-8 bytes replaced in any file or line ...
_INVALID_PER_BYTES = 1000  # ... or one per this many bytes of a larger one
_MIN_VALID_SHARE = 0.95  # and never where they are more than 5% of the bytes
_VALID_PER_INVALID = 10  # UTF-8 wins before legacy scoring: valid non-ASCII chars per bad byte
_ESCAPED = re.compile("[\udc80-\udcff]")


def decode(data: bytes) -> tuple[str, str, int]:
    """Decode ``data``: (text, the encoding used, how many invalid UTF-8 bytes were replaced).

    Raises SkipFile for an empty, binary or unknown file.
    """
    if not data.strip():
        raise SkipFile("empty file")
    if data.startswith(codecs.BOM_UTF8):
        nearly = lenient_utf8(data[len(codecs.BOM_UTF8) :])
        if nearly is None:  # too many invalid bytes: _strict names the first
            _strict(data, "utf-8-sig", "invalid {} after BOM")
        return (*_checked(nearly[0], "utf-8-sig"), nearly[1])
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding, "invalid {} after BOM")
            if plausibility(text) < _MIN_BOM_SCORE:
                raise SkipFile(f"binary file (garbled {encoding} after BOM)")
            return (*_checked(text, encoding), 0)
    if b"\x00" in data:
        return (*_checked(*_utf16_without_bom(data)), 0)
    try:
        return (*_checked(data.decode("utf-8"), "utf-8"), 0)
    except UnicodeDecodeError:
        pass
    nearly = lenient_utf8(data)
    if nearly is not None and _clearly_utf8(*nearly):
        return (*_checked(nearly[0], "utf-8"), nearly[1])
    legacy = _legacy(data)
    if nearly is not None and (legacy is None or legacy[0] < _MIN_SCORE):
        return (*_checked(nearly[0], "utf-8"), nearly[1])
    if legacy is None:
        raise SkipFile("unknown encoding (not UTF-8, UTF-16, GB18030, Big5 or CP949)")
    score, encoding, text = legacy
    if score < _MIN_SCORE:
        raise SkipFile(f"unknown encoding (best guess {encoding} looks garbled)")
    return (*_checked(text, encoding), 0)


def lenient_utf8(data: bytes) -> tuple[str, int] | None:
    """(text, count) with each invalid UTF-8 byte of ``data`` replaced by U+FFFD, when they are
    few: at most a handful, or one in 1,000 bytes; None when ``data`` is not nearly UTF-8."""
    text = data.decode("utf-8", "surrogateescape")
    invalid = len(_ESCAPED.findall(text))
    allowed = max(_FEW_INVALID, len(data) // _INVALID_PER_BYTES)
    if invalid > allowed or invalid > len(data) * (1 - _MIN_VALID_SHARE):
        return None
    return _ESCAPED.sub("\ufffd", text), invalid


def _clearly_utf8(text: str, invalid: int) -> bool:
    """Whether the valid multi-byte UTF-8 in ``text`` dwarfs its ``invalid`` bytes."""
    non_ascii = len(text) - len(text.encode("ascii", "ignore")) - invalid
    return non_ascii >= _VALID_PER_INVALID * invalid


def _legacy(data: bytes) -> tuple[float, str, str] | None:
    """The most plausible strict legacy decoding of ``data``: (score, encoding, text)."""
    candidates = []
    for encoding in _LEGACY:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((plausibility(text), encoding, text))
    return max(candidates) if candidates else None


def _strict(data: bytes, encoding: str, message: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise SkipFile(message.format(encoding) + f" at byte {error.start}") from None


def _utf16_without_bom(data: bytes) -> tuple[str, str]:
    """NUL bytes in a text file mean UTF-16 without BOM (ASCII leaves a NUL in each pair)."""
    candidates = []
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((plausibility(text), encoding, text))
    if not candidates or max(candidates)[0] < _MIN_SCORE:
        raise SkipFile("binary file (NUL bytes)")
    _, encoding, text = max(candidates)
    return text, encoding


def _checked(text: str, encoding: str) -> tuple[str, str]:
    """Refuse text that is mostly control characters: a binary file that happens to decode."""
    sample = text[:_SCORE_CHARS]
    controls = sum(1 for ch in sample if _is_control(ch))
    if "\x00" in sample or controls > len(sample) * _MAX_CONTROL_SHARE:
        raise SkipFile("binary file (control characters)")
    return text, encoding


def _is_control(ch: str) -> bool:
    return ch < " " and ch not in "\t\n\r\f\v" or "\x7f" <= ch <= "\x9f"


def plausibility(text: str) -> float:
    """Share of common characters (ASCII, frequent Han, KS X 1001 Hangul) minus garbling signs."""
    sample = text[:_SCORE_CHARS]
    if not sample:
        return 0.0
    total = good = bad = 0
    for ch in sample:
        if ch.isspace():
            continue
        total += 1
        kind = _char_kind(ch)
        good += kind > 0
        bad += kind < 0
    if not total:
        return 0.0
    score = (good - 3 * bad) / total
    han = len(_HANJA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    if han:
        # Chinese is written without spaces between characters; Korean misread as Chinese is not.
        score -= 4 * len(_HAN_SPACE_HAN.findall(sample)) / han
    if hangul and han:
        # Korean rarely mixes in Han characters; Chinese misread as Korean mixes in many.
        score -= 2 * min(han, hangul) / (han + hangul)
    return score


@lru_cache(maxsize=65_536)
def _char_kind(ch: str) -> int:
    """+1 for a common character, -1 for one that signals a wrong decoding, 0 otherwise."""
    if ch < "\x80":
        return 1
    if ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff" or unicodedata.category(ch) in ("Cn", "Co"):
        return -1
    if "\uac00" <= ch <= "\ud7a3":
        return 1 if _in_range(ch, "euc-kr", 0xB0A1, 0xC8FE) else -1
    if "\u4e00" <= ch <= "\u9fff":
        if _in_range(ch, "gb2312", 0xB0A1, 0xD7F9) or _in_range(ch, "big5", 0xA440, 0xC67E):
            return 1
        return 0
    if "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff" or "\uff61" <= ch <= "\uff9f":
        return -1
    if "\u3000" <= ch <= "\u303f" or "\uff01" <= ch <= "\uff5e" or "\u2010" <= ch <= "\u206f":
        return 1
    return 0


def _in_range(ch: str, encoding: str, low: int, high: int) -> bool:
    """Whether ``ch`` falls in the frequent-character block of a national standard."""
    try:
        code = int.from_bytes(ch.encode(encoding), "big")
    except UnicodeEncodeError:
        return False
    return low <= code <= high
