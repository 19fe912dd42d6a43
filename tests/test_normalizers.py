"""Normalisers and the script-run splitter, each alone: text in, text (or runs) out."""

from __future__ import annotations

from search.analysis.language import detect_language
from search.analysis.normalizers.chinese import to_simplified
from search.analysis.normalizers.unicode import nfkc
from search.analysis.scripts import MAX_RUN_CHARS, Script, script_runs


def test_nfkc_folds_full_width_forms_without_changing_length():
    text, offsets = nfkc("ＡＢＣ２０２４，")
    assert text == "ABC2024,"
    assert offsets.chunks == []


def test_nfkc_maps_expanded_characters_back_to_their_source():
    original = "a㈜b"
    text, offsets = nfkc(original)
    assert text == "a(주)b"
    assert [original[offsets.start(i) : offsets.end(i + 1)] for i in range(len(text))] == [
        "a",
        "㈜",
        "㈜",
        "㈜",
        "b",
    ]


def test_nfkc_composes_decomposed_hangul_and_accents():
    original = "\u1112\u1161\u11ab e\u0301"
    text, offsets = nfkc(original)
    assert text == "한 é"
    assert original[offsets.start(0) : offsets.end(1)] == "\u1112\u1161\u11ab"
    assert original[offsets.start(2) : offsets.end(3)] == "e\u0301"


def test_nfkc_removes_invisible_characters_and_blanks_out_controls():
    text, _ = nfkc("사령\u200b부\u00ad를\x00끝\ud800")
    assert text == "사령부를 끝 "


def test_traditional_chinese_folds_to_simplified_keeping_length():
    assert to_simplified("國際論壇 嚇阻 乾燥 乾隆") == "国际论坛 吓阻 干燥 乾隆"
    assert to_simplified("사령부 ABC 美日") == "사령부 ABC 美日"


def test_script_runs_keep_cjk_punctuation_inside_and_split_at_other_scripts():
    text = "美日2+2安全磋商，加强 사령부를 설치 PAC-3と日本"
    runs = [(script, text[a:b]) for script, a, b in script_runs(text)]
    assert runs == [
        (Script.HAN, "美日"),
        (Script.WORD, "2+2"),
        (Script.HAN, "安全磋商，加强"),
        (Script.HANGUL, "사령부를 설치"),
        (Script.WORD, "PAC-3"),
        (Script.KANA, "と"),
        (Script.HAN, "日本"),
    ]


def test_long_runs_are_cut_at_a_space():
    text = "가나 " * MAX_RUN_CHARS
    runs = list(script_runs(text))
    assert all(b - a <= MAX_RUN_CHARS for _, a, b in runs)
    assert "".join(text[a:b] for _, a, b in runs) == text.rstrip()
    assert all(text[b - 1] == " " for _, _, b in runs[:-1])


def test_language_is_detected_by_script_and_character_forms():
    assert detect_language("美日2+2安全磋商 加强驻日美军军事指挥权") == "zh-Hans"
    assert detect_language("美日2+2安全磋商 加強駐日美軍軍事指揮權") == "zh-Hant"
    assert detect_language("미·일, 합동작전사령부 신설") == "ko"
    assert detect_language("Blinken met Kamikawa in Tokyo") == "en"
    assert detect_language("ひらがなと漢字") == "ja"
    assert detect_language("") == "und"
    assert detect_language("2024 !!!") == "und"
