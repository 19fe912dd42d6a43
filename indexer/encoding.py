"""Bytes -> text for archives in UTF-8, UTF-16, GB18030/GBK, Big5 and EUC-KR/CP949.

Legacy encodings cannot be told apart by validity alone (EUC-KR and Big5 bytes are
mostly valid GBK), so each strict decoding is scored by how plausible its text is.
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
_MAX_CONTROL_SHARE = 0.01
_HAN_SPACE_HAN = re.compile(r"[\u4e00-\u9fff] [\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HANJA = re.compile(r"[\u4e00-\u9fff]")


def decode(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and name the encoding used; raise SkipFile for empty/binary/unknown."""
    if not data.strip():
        raise SkipFile("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(_strict(data, encoding, "invalid {} after BOM"), encoding)
    if b"\x00" in data:
        return _checked(*_utf16_without_bom(data))
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    candidates = []
    for encoding in _LEGACY:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((plausibility(text), encoding, text))
    if not candidates:
        raise SkipFile("unknown encoding (not UTF-8, UTF-16, GB18030, Big5 or CP949)")
    score, encoding, text = max(candidates)
    if score < _MIN_SCORE:
        raise SkipFile(f"unknown encoding (best guess {encoding} looks garbled)")
    return _checked(text, encoding)


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
