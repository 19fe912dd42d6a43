"""Which language a text is written in: zh-Hans, zh-Hant, ko, ja, en, or und."""

from __future__ import annotations

import re
from functools import lru_cache

import opencc

from .scripts import HAN_CHARS, HANGUL_CHARS, KANA_CHARS

_SAMPLE_CHARS = 20_000
# One CJK character carries about as much as two Latin letters.
_CJK_WEIGHT = 2
_HAN = re.compile(f"[{HAN_CHARS}]")
_HANGUL = re.compile(f"[{HANGUL_CHARS}]")
_KANA = re.compile(f"[{KANA_CHARS}]")
_LATIN = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=2)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def detect_language(text: str) -> str:
    """The dominant language of ``text`` by script, and for Chinese by character forms."""
    sample = text[:_SAMPLE_CHARS]
    han = "".join(_HAN.findall(sample))
    counts = {
        "ko": len(_HANGUL.findall(sample)) * _CJK_WEIGHT,
        "ja": len(_KANA.findall(sample)) * _CJK_WEIGHT,
        "zh": len(han) * _CJK_WEIGHT,
        "en": len(_LATIN.findall(sample)),
    }
    lang, count = max(counts.items(), key=lambda item: item[1])
    if count == 0:
        return "und"
    if lang == "ko" and counts["ja"] > counts["ko"] / 4:
        return "ja"
    if lang == "zh":
        if counts["ja"] > counts["zh"] / 4:
            return "ja"
        return _chinese_variant(han)
    return lang


def _chinese_variant(han: str) -> str:
    """zh-Hant when more characters change going to simplified than going to traditional."""
    to_simplified = _converter("t2s").convert(han)
    to_traditional = _converter("s2t").convert(han)
    traditional_only = sum(a != b for a, b in zip(han, to_simplified, strict=False))
    simplified_only = sum(a != b for a, b in zip(han, to_traditional, strict=False))
    return "zh-Hant" if traditional_only > simplified_only else "zh-Hans"
