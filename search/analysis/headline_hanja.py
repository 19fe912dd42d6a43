"""Hanja that Korean headlines write for a word: 尹 for 윤석열, 檢 for 검찰, 美 for 미국.

Korean newspapers shorten countries, institutions and people in headlines to one Hanja
character (尹 측, 檢 압수수색, 美 관세, 中관광객), while the article beneath writes the word
in Hangul. In a query that holds Hangul, such a character standing as a word of its own is
a topic word (中 and 前 are function words in Chinese) and also finds the words it
stands for (``search.query``); a Chinese query keeps reading 美 and 中 as Chinese.

Keys are written as Korean headlines write them (traditional forms: 檢, 與); values are
Hangul words, as they are searched. Only the abbreviations the press uses for one thing
are here, and people of the years the bundled archives cover (尹, 李, 文).
"""

from __future__ import annotations

KOREAN_HEADLINE_HANJA: dict[str, tuple[str, ...]] = {
    # countries
    "美": ("미국",),
    "中": ("중국",),
    "日": ("일본",),
    "北": ("북한",),
    "韓": ("한국",),
    "英": ("영국",),
    "獨": ("독일",),
    "佛": ("프랑스",),
    "露": ("러시아",),
    "印": ("인도",),
    "濠": ("호주",),
    "臺": ("대만",),
    # people
    "尹": ("윤석열", "윤"),
    "李": ("이재명",),
    "文": ("문재인",),
    # institutions and sides
    "檢": ("검찰",),
    "警": ("경찰",),
    "軍": ("군",),
    "靑": ("청와대",),
    "與": ("여당",),
    "野": ("야당",),
    # common nouns
    "前": ("전",),
    "男": ("남성", "남자"),
    "女": ("여성", "여자"),
    "母": ("어머니", "모친"),
    "父": ("아버지", "부친"),
    "校": ("학교",),
    "法": ("법",),
}


def headline_words(surface: str) -> tuple[str, ...]:
    """The Hangul words a Korean headline's one-character Hanja ``surface`` stands for."""
    return KOREAN_HEADLINE_HANJA.get(surface, ())
