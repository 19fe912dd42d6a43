"""What the analyzers make of real sentences: the exact terms, positions and surfaces."""

from __future__ import annotations

import pickle

from conftest import CHINESE_SEED, KOREAN_SEED, terms, tokens

from search.analysis import UserDictionaries, word_analyzer


def test_traditional_and_simplified_spellings_give_the_same_term(words, chars):
    assert terms(words, "嚇阻") == terms(words, "吓阻") == ["吓阻"]
    assert terms(chars, "嚇阻") == terms(chars, "吓阻") == ["吓阻"]


def test_traditional_term_in_the_chinese_seed_points_at_the_traditional_characters(words):
    text = CHINESE_SEED.read_text(encoding="utf-8")
    start = text.index("嚇阻")
    found = [(t.text, t.startchar, t.endchar) for t in words(text, chars=True) if t.text == "吓阻"]
    assert (("吓阻", start, start + 2)) in found
    assert {text[s:e] for _, s, e in found} == {"嚇阻"}


def test_traditional_text_is_segmented_after_folding_to_simplified(words):
    assert tokens(words, "國際論壇在臺灣舉行") == [
        ("国际", 0, "國際"),
        ("论坛", 1, "論壇"),
        ("在", 2, "在"),
        ("台湾", 3, "臺灣"),
        ("举行", 4, "舉行"),
    ]


def test_korean_particles_are_dropped_from_nouns(words):
    assert terms(words, "사령부를") == ["사령부"]
    assert terms(words, "사령부는") == ["사령부"]


def test_korean_compound_is_indexed_whole_and_in_parts(words):
    assert tokens(words, "합동작전사령부") == [
        ("합동", 0, "합동"),
        ("합동작전사령부", 0, "합동작전사령부"),
        ("작전", 1, "작전"),
        ("사령부", 2, "사령부"),
    ]
    assert tokens(words, "확장억제는") == [
        ("확장", 0, "확장"),
        ("확장억제", 0, "확장억제"),
        ("억제", 1, "억제"),
    ]


def test_a_korean_hashtag_gives_its_words_wherever_it_stands(words):
    # Kiwi would keep "#윤석열탄핵" whole when its # falls inside a Korean run, so an article
    # saying 윤석열 탄핵 was not found by it; a Latin hashtag (#covid19) was always its words.
    hashtag = [("윤석열", 1, "윤석열"), ("윤석열탄핵", 1, "윤석열탄핵"), ("탄핵", 2, "탄핵")]
    assert tokens(words, "[주말]#윤석열탄핵#계급도세계관") == [
        ("주말", 0, "주말"),
        *hashtag,
        ("계급", 3, "계급"),
        ("세계관", 4, "세계관"),
    ]
    assert tokens(words, "#윤석열탄핵") == [(t, p - 1, s) for t, p, s in hashtag]
    assert terms(words, "윤석열 탄핵") == ["윤석열", "탄핵"]  # as an article writes them


def test_a_korean_counter_after_a_number_is_a_word_whatever_follows_it(words):
    # Digits end a Korean run, so Kiwi used to read 일 without its number: a noun when it
    # stood alone (the query 6일), a dropped bound noun before (금) or 발표 (the article).
    # Articles saying 6일(금) were then "missing 일" for the query 6일.
    assert terms(words, "6일") == ["6", "일"]
    assert terms(words, "6일(금)") == ["6", "일", "금"]
    assert terms(words, "지난 6일 발표했다") == ["지나", "6", "일", "발표"]
    assert terms(words, "2024년 8월 22일") == ["2024", "년", "8", "월", "22", "일"]
    assert tokens(words, "10억원을 1만 명에게") == [
        ("10", 0, "10"),
        ("억", 1, "억"),
        ("원", 2, "원"),
        ("1", 3, "1"),
        ("만", 4, "만"),
        ("명", 5, "명"),
    ]
    # Kiwi may read the number and its counter as one noun (3사): its part after the number.
    assert tokens(words, "3사 합병") == [("3", 0, "3"), ("사", 1, "사"), ("합병", 2, "합병")]
    # A bound noun after anything but a number stays dropped.
    assert terms(words, "할 수 있는 것") == ["하", "있"]


def test_korean_verb_stems_keep_the_surface_span(words):
    assert tokens(words, "새로운 사령부를 설치한다") == [
        ("새롭", 0, "새로운"),
        ("사령부", 1, "사령부"),
        ("설치", 2, "설치"),
    ]


def test_chinese_long_word_also_gives_the_dictionary_words_inside_it(words):
    assert tokens(words, "中华人民共和国") == [
        ("中华人民共和国", 0, "中华人民共和国"),
        ("中华", 0, "中华"),
        ("华人", 0, "华人"),
        ("人民", 0, "人民"),
        ("共和", 0, "共和"),
        ("共和国", 0, "共和国"),
    ]


def test_character_view_finds_part_of_a_word(chars):
    assert tokens(chars, "安装简单") == [
        ("安装", 0, "安装"),
        ("装简", 1, "装简"),
        ("简单", 2, "简单"),
    ]
    assert set(terms(chars, "简单")) <= set(terms(chars, "安装简单"))


def test_character_view_positions_are_consecutive_across_scripts(chars):
    assert tokens(chars, "美日2+2安全磋商") == [
        ("美日", 0, "美日"),
        ("2+2", 1, "2+2"),
        ("安全", 2, "安全"),
        ("全磋", 3, "全磋"),
        ("磋商", 4, "磋商"),
    ]


def test_character_view_ignores_korean_spacing_but_not_punctuation(chars):
    assert terms(chars, "합동 작전") == terms(chars, "합동작전") == ["합동", "동작", "작전"]
    assert terms(chars, "합동, 작전") == ["합동", "작전"]


def test_each_script_of_a_mixed_string_goes_to_its_own_segmenter(words):
    text = "美日2+2安全磋商将嚇阻中国，사령부를 설치한다 Blinken said the ICBMs"
    assert tokens(words, text) == [
        ("美日", 0, "美日"),  # jieba
        ("2", 1, "2"),  # Latin and digits: parts, the whole at the first part
        ("2+2", 1, "2+2"),
        ("2", 2, "2"),
        ("安全", 3, "安全"),  # jieba
        ("磋商", 4, "磋商"),
        ("将", 5, "将"),
        ("吓阻", 6, "嚇阻"),
        ("中国", 7, "中国"),
        ("사령부", 8, "사령부"),  # Kiwi: particle 를 and ending 한다 dropped
        ("설치", 9, "설치"),
        ("blinken", 10, "Blinken"),  # Latin: lowercased, plural stemmed
        ("said", 11, "said"),
        ("the", 12, "the"),
        ("icbm", 13, "ICBMs"),
    ]


def test_english_and_numbers_stay_findable(words):
    assert tokens(words, "PAC-3 ICBM 2+2 Blinken 5,000 ministers policies news") == [
        ("pac", 0, "PAC"),
        ("pac-3", 0, "PAC-3"),
        ("3", 1, "3"),
        ("icbm", 2, "ICBM"),
        ("2", 3, "2"),
        ("2+2", 3, "2+2"),
        ("2", 4, "2"),
        ("blinken", 5, "Blinken"),
        ("5000", 6, "5,000"),
        ("minister", 7, "ministers"),
        ("policy", 8, "policies"),
        ("news", 9, "news"),
    ]


def test_full_width_digits_and_letters_match_ascii(words, chars):
    assert tokens(words, "２０２４ ＡＢＣ") == [("2024", 0, "２０２４"), ("abc", 1, "ＡＢＣ")]
    assert terms(words, "２０２４ ＡＢＣ") == terms(words, "2024 abc")
    assert terms(chars, "２０２４年") == terms(chars, "2024年") == ["2024", "年"]


def test_user_dictionaries_teach_names(words):
    untaught = word_analyzer(UserDictionaries())
    assert terms(untaught, "확장억제는 가미카와 요코 외무상") == [
        "확장",
        "확장억제",
        "억제",
        "가미카",
        "요코",
        "외무상",
    ]
    assert terms(words, "확장억제는 가미카와 요코 외무상") == [
        "확장",
        "확장억제",
        "억제",
        "가미카와",
        "가미카와요코",
        "요코",
        "외무상",
    ]
    assert tokens(words, "기하라 미노루 방위상") == [
        ("기하라", 0, "기하라"),
        ("기하라미노루", 0, "기하라 미노루"),
        ("미노루", 1, "미노루"),
        ("방위상", 2, "방위상"),
    ]
    assert terms(untaught, "国务卿布林肯") == ["国务卿", "国务", "布", "林肯"]
    assert terms(words, "国务卿布林肯") == ["国务卿", "国务", "布林肯", "林肯"]
    assert terms(untaught, "大臣神川阳子") == ["大臣", "神川", "阳子"]
    assert terms(words, "大臣神川阳子") == ["大臣", "神川阳子", "阳子"]


def test_analyzer_pickles_without_its_models(words):
    """Whoosh pickles the schema with its analyzers: no model may ride along."""
    data = pickle.dumps(words)
    assert len(data) < 2_000
    restored = pickle.loads(data)
    assert terms(restored, "사령부를 嚇阻") == ["사령부", "吓阻"]


def test_korean_seed_terms_include_its_key_words(words):
    found = set(terms(words, KOREAN_SEED.read_text(encoding="utf-8")))
    assert {"합동작전사령부", "합동", "작전", "사령부", "주일미군", "확장억제", "icbm"} <= found
    assert {"를", "는", "에서", "했다"}.isdisjoint(found)


def test_every_chinese_word_stands_in_the_character_view_as_its_bigrams(words, chars):
    # The search matches a Chinese word by its characters alone (search/query.py), which
    # finds every article the word view finds only while this holds.
    from conftest import REPO

    from search.query import _HAN_WORD

    texts = [CHINESE_SEED.read_text(encoding="utf-8")]
    articles = REPO / "demo" / "articles"
    for path in sorted(articles.glob("*.jsonl")):
        texts += path.read_text(encoding="utf-8").splitlines()[:40]
    checked = 0
    for text in texts:
        at: dict[str, set[int]] = {}
        for token in chars(text, positions=True):
            at.setdefault(token.text, set()).add(token.pos)
        for token in words(text, positions=True):
            if not _HAN_WORD.fullmatch(token.text):
                continue
            bigrams = [token.text[i : i + 2] for i in range(len(token.text) - 1)]
            starts = at.get(bigrams[0], set())
            assert any(
                all(start + k in at.get(b, ()) for k, b in enumerate(bigrams)) for start in starts
            ), token.text
            checked += 1
    assert checked > 5000
