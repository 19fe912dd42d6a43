"""Question and function words: words a query holds that say nothing of its topic.

A question asks 锣鼓经是什么？ or 헤이그는 나토에서 얼마나 있었습니까? and the article that
answers it holds 锣鼓经 and 헤이그, 나토, not 是, 什么, 얼마, 있. Such words are never
required of an article and weigh little in its score (``search.query``).

The lists hold word-view terms as the analysis makes them: Chinese in simplified script
(traditional text is folded before segmenting, so 什麼 is 什么), Korean morphemes as Kiwi
gives them (verb and adjective stems without endings: 있, 하, 되), English words
lowercased as written (before stemming). Japanese is read as character pairs and has no
list.
"""

from __future__ import annotations

import re

CHINESE = frozenset(
    # interrogatives
    "什么 什么样 为什么 为何 怎么 怎么样 怎样 如何 哪 哪里 哪儿 哪个 哪些 哪一 哪一年 哪种"
    " 哪位 哪家 哪国 谁 几 几个 几时 多少 多久 多长 多大 多远 多高 多重 何 何时 何地 何人"
    " 何种 何者 是否 是不是 有没有 吗 呢 么 请问 啥"
    # written the older way, as traditional questions often ask (甚麼, 何年, 何處), of
    # years and ages (哪年, 几年, 几岁), and 时候 of 什么时候 (when)
    " 甚么 何年 哪年 几年 几岁 何处 何故 何以 何谓 时候"
    # copulas, particles, pronouns, conjunctions, prepositions, auxiliaries
    " 是 的 了 着 过 地 得 之 也 都 就 才 又 还 再 而 且 并 与 及 和 跟 同 或 或者 但 但是"
    " 因为 所以 如果 虽然 被 把 对 于 在 从 到 为 以 由 向 给 让 将 会 能 可 可以 要 应 该"
    " 这 那 此 其 这个 那个 这些 那些 这种 那种 一个 个 有 没有 没 不 已 已经 所 等 等等"
    " 他 她 它 他们 她们 它们 我 我们 你 你们 自己 吧 啊 呀 哦"
    # single characters that are words by themselves and say nothing of a topic: time,
    # degree and place words, verbs of saying and doing (米, 书, 人 are topics: not here)
    " 时 约 说 较 非 最 很 更 多 少 上 下 中 里 内 后 前 起 来 去 曾 共 每 各 某 如 若 则 即"
    " 便 却 仍 只 亦 乃 些 当 叫 称 做 作 使 令 据 按 至 比".split()
)

KOREAN = frozenset(
    # interrogatives (Kiwi keeps some as nouns, numerals or adverbs)
    "무엇 뭐 언제 어디 누구 누가 얼마 몇 어떻 어떤 무슨 어느 왜 어찌"
    # light verbs and adjectives, copula, negation, bound nouns, connectives
    " 있 없 하 되 이 아니 않 같 것 수 등 때 중 및 또 또는 그 이것 그것 저것 대하 대한 위하"
    " 통하 의하 따르 관하".split()
)

ENGLISH = frozenset(
    "what which who whom whose when where why how whether is are was were be been being am"
    " do does did has have had having the a an of in on at to for from by with about as"
    " and or but if than that this these those it its there their they them he she his her"
    " i we you can could will would should may might must shall not no".split()
)


# Measure words: 一 and one of them (一座, 一种, 一部) counts one thing, as 哪 and one of them
# (哪座, 哪一部) asks which; neither names a topic.
CHINESE_CLASSIFIERS = frozenset(
    "个 座 种 部 位 家 条 门 名 只 件 次 本 张 幕 边 些 段 项 类 样 场 届".split()
)


# A Korean counter is one syllable written against a number (6일, 2월, 10명, 3차): it says
# what the number counts, and the number is what is asked (an article's schedule page
# that never writes the date is not missing 일).
_KOREAN_SYLLABLE = re.compile("[가-힣]")


def is_function_word(term: str, surface: str, after_number: bool = False) -> bool:
    """Whether a query word (its word-view ``term``, and ``surface`` as written; written
    right after a digit when ``after_number``) is a question or function word."""
    if after_number and _KOREAN_SYLLABLE.fullmatch(term):
        return True
    if surface.isascii():
        # WHO, IT, US written in capitals are names, not the words who, it, us.
        return surface.lower() in ENGLISH and not (len(surface) > 1 and surface.isupper())
    if term in CHINESE or term in KOREAN:
        return True
    rest = term.removeprefix("哪").removeprefix("一")
    return rest != term and len(rest) == 1 and rest in CHINESE_CLASSIFIERS
