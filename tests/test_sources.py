"""Walking a corpus and decoding its files: every encoding read right, every bad file reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.encoding import lenient_utf8
from indexer.reader import ReadOptions
from indexer.skip import Notice, Skip
from indexer.sources import DEFAULT_MAX_BYTES, SourceFile, read_text, walk
from indexer.units import plan_units, read_unit

CHINESE = "为了应对来自中国的威胁，美国和日本外交部长7月28日在东京举行2+2会谈。"
TRADITIONAL = "為了應對來自中國的威脅，美國和日本外交部長在東京舉行會談。"
KOREAN = "미국이 앞으로 일본에 주둔중인 주일미군에 새로운 합동작전 사령부를 설치한다."


def _file(tmp_path: Path, name: str, data: bytes) -> SourceFile:
    path = tmp_path / name
    path.write_bytes(data)
    return SourceFile(path, name, len(data))


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (CHINESE, "gbk"),
        (CHINESE, "gb18030"),
        (TRADITIONAL, "big5"),
        (KOREAN, "euc-kr"),
        (KOREAN, "cp949"),
        (CHINESE, "utf-16"),
        (KOREAN, "utf-16"),
        (KOREAN, "utf-8-sig"),
        (CHINESE, "utf-8"),
    ],
)
def test_each_archive_encoding_decodes_to_the_original_text(tmp_path, text, encoding):
    result = read_text(_file(tmp_path, "a.txt", text.encode(encoding)))
    assert not isinstance(result, Skip)
    assert result.text.lstrip("\ufeff") == text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (CHINESE[:6], "gbk"),
        (TRADITIONAL[:6], "gbk"),
        (TRADITIONAL[:6], "big5"),
        (KOREAN[:6], "euc-kr"),
        ("대만 사태", "euc-kr"),
    ],
)
def test_short_legacy_texts_are_not_misread_as_another_cjk_encoding(tmp_path, text, encoding):
    result = read_text(_file(tmp_path, "a.txt", text.encode(encoding)))
    assert not isinstance(result, Skip)
    assert result.text == text


def test_utf16_without_bom_is_recognised_by_its_nul_bytes(tmp_path):
    text = "2+2 meeting: " + KOREAN
    result = read_text(_file(tmp_path, "a.txt", text.encode("utf-16-le")))
    assert not isinstance(result, Skip)
    assert (result.text, result.encoding) == (text, "utf-16-le")


def test_empty_file_is_skipped_with_reason(tmp_path):
    assert read_text(_file(tmp_path, "empty.txt", b"")) == Skip("empty.txt", "empty file")
    assert read_text(_file(tmp_path, "blank.txt", b" \n\n")) == Skip("blank.txt", "empty file")


def test_binary_file_is_skipped_with_reason(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 8
    assert read_text(_file(tmp_path, "photo.png", png)) == Skip(
        "photo.png", "binary file (NUL bytes)"
    )


def test_bytes_behind_a_utf16_bom_that_decode_to_garble_are_skipped_as_binary(tmp_path):
    # Every pair is a valid UTF-16 unit (no surrogates), so only the text's look can tell.
    garble = "".join(chr(0x3400 + (i * 7919) % 0x6000) for i in range(4000))
    data = b"\xff\xfe" + garble.encode("utf-16-le")
    assert read_text(_file(tmp_path, "dump.bin", data)) == Skip(
        "dump.bin", "binary file (garbled utf-16 after BOM)"
    )


@pytest.mark.parametrize("text", ["Привет, мир: русский текст", "これは日本語の文章です。", KOREAN])
def test_text_of_any_script_behind_a_utf16_bom_is_read(tmp_path, text):
    result = read_text(_file(tmp_path, "a.txt", b"\xff\xfe" + text.encode("utf-16-le")))
    assert not isinstance(result, Skip)
    assert (result.text.lstrip("\ufeff"), result.encoding) == (text, "utf-16")


def test_text_full_of_control_characters_is_skipped_as_binary(tmp_path):
    data = bytes(range(1, 32)) * 20
    assert read_text(_file(tmp_path, "x.bin", data)) == Skip(
        "x.bin", "binary file (control characters)"
    )


def test_file_over_max_size_is_skipped_without_being_read(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    file = SourceFile(path, "huge.txt", path.stat().st_size)
    assert read_text(file) == Skip(
        "huge.txt", f"too large: {50 * 1024 * 1024} bytes (max {DEFAULT_MAX_BYTES})"
    )


def test_walk_yields_sorted_relative_paths_and_leaves_out_hidden_files(tmp_path):
    (tmp_path / "news" / "b").mkdir(parents=True)
    (tmp_path / "news" / ".git").mkdir()
    for name in ["news/b/2.txt", "news/a.txt", "news/.hidden.txt", "news/.git/config", "one.md"]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = list(walk(tmp_path, ["news", "one.md", "missing"]))
    assert [getattr(e, "rel", None) or e.path for e in found] == [
        "news/a.txt",
        "news/b/2.txt",
        "one.md",
        "missing",
    ]
    assert found[-1] == Skip("missing", "no such file or folder")


def test_bad_files_are_reported_and_the_walk_goes_on(tmp_path):
    (tmp_path / "a_empty.txt").write_bytes(b"")
    (tmp_path / "b_binary.dat").write_bytes(b"\x00\x01\x02\x03" * 100)
    (tmp_path / "c_article.txt").write_text(f"제목\n\n{KOREAN} 이번이 처음이다.", encoding="euc-kr")
    results = [
        item
        for unit in plan_units([tmp_path], ReadOptions()).units
        for _, item in read_unit(unit, ReadOptions())
    ]
    assert results[:2] == [
        Skip(f"{tmp_path.name}/a_empty.txt", "empty file"),
        Skip(f"{tmp_path.name}/b_binary.dat", "binary file (NUL bytes)"),
    ]
    assert [(d.title, d.lang) for d in results[2:]] == [("제목", "ko")]


def test_large_json_lines_file_is_streamed_line_by_line(tmp_path):
    lines = [
        json.dumps({"title": f"기사 {n}", "body": KOREAN}, ensure_ascii=False) for n in range(50)
    ]
    (tmp_path / "big.jsonl").write_text("\n".join(lines), encoding="utf-8")
    options = ReadOptions(max_bytes=1024)
    results = [
        item
        for unit in plan_units([tmp_path], options).units
        for _, item in read_unit(unit, options)
    ]
    assert [d.title for d in results] == [f"기사 {n}" for n in range(50)]
    assert {d.path for d in results} == {f"{tmp_path.name}/big.jsonl"}
    assert [d.id for d in results[:2]] == [
        f"{tmp_path.name}/big.jsonl:1",
        f"{tmp_path.name}/big.jsonl:2",
    ]


# Nearly-UTF-8 files (issue 9, item 6): a few invalid bytes are replaced and reported.


def _nearly_utf8() -> bytes:
    """A UTF-8 article with three invalid bytes: a lone 0xFF, a lone 0xC0 and a cut 0xFE."""
    return (
        f"제목\n\n{KOREAN} ".encode()
        + b"\xff"
        + f" {KOREAN}".encode()
        + b"\xc0 "
        + f"{CHINESE}".encode()
        + b"\xfe"
    )


def test_utf8_with_a_few_invalid_bytes_is_read_with_replacements_and_a_notice(tmp_path):
    result = read_text(_file(tmp_path, "a.txt", _nearly_utf8()))
    assert not isinstance(result, Skip)
    assert result.encoding == "utf-8"
    assert result.text.count("\ufffd") == 3
    assert result.text == _nearly_utf8().decode("utf-8", "replace")
    assert result.notices == (Notice("a.txt", "3 invalid UTF-8 bytes replaced"),)


def test_the_notice_of_replaced_bytes_comes_before_the_document_through_a_build_unit(tmp_path):
    (tmp_path / "a.txt").write_bytes(_nearly_utf8())
    (tmp_path / "b.txt").write_bytes(
        b"\xef\xbb\xbf" + "제목\n\n".encode() + b"\xff" + KOREAN.encode()
    )
    results = [
        item
        for unit in plan_units([tmp_path], ReadOptions()).units
        for _, item in read_unit(unit, ReadOptions())
    ]
    folder = tmp_path.name
    assert [type(item).__name__ for item in results] == ["Notice", "Document"] * 2
    assert results[0] == Notice(f"{folder}/a.txt", "3 invalid UTF-8 bytes replaced")
    assert results[2] == Notice(f"{folder}/b.txt", "1 invalid UTF-8 byte replaced")
    assert (results[1].title, results[1].body.count("\ufffd")) == ("제목", 3)


@pytest.mark.parametrize(
    ("word", "encoding"),
    [
        ("外长会谈", "gbk"),
        ("外长会谈", "gb18030"),
        ("外長會談", "big5"),
        ("외교장관 회담", "cp949"),
    ],
)
def test_a_mostly_ascii_legacy_file_with_few_invalid_utf8_bytes_is_still_legacy(
    tmp_path, word, encoding
):
    # As UTF-8 its few invalid bytes would pass as a nearly-UTF-8 file: legacy must win.
    text = (
        "Tokyo, July 28 (2+2 meeting of foreign and defence ministers). The ministers met in"
        " Tokyo on Sunday and agreed to upgrade the command structure of the forces stationed"
        f" in the country: {word}"
    )
    assert 0 < lenient_utf8(text.encode(encoding))[1] <= 8
    result = read_text(_file(tmp_path, "a.txt", text.encode(encoding)))
    assert not isinstance(result, Skip)
    assert (result.text, result.notices) == (text, ())
    assert result.encoding in ("gb18030", "big5hkscs", "cp949")


def test_utf8_with_many_invalid_bytes_is_still_an_unknown_encoding(tmp_path):
    data = (f"{KOREAN} ".encode() + b"\xff\xfe ") * 20
    assert read_text(_file(tmp_path, "a.txt", data)) == Skip(
        "a.txt", "unknown encoding (not UTF-8, UTF-16, GB18030, Big5 or CP949)"
    )


def test_json_lines_with_a_few_invalid_bytes_are_read_and_reported_line_by_line(tmp_path):
    good = json.dumps({"title": "기사 1", "body": KOREAN}, ensure_ascii=False).encode()
    nearly = good.replace("기사 1".encode(), b"\xff\xfe 2")
    broken = b'{"title": "' + b"\xb1\xe2\xbb\xe7" * 10 + b'", "body": "x"}'
    (tmp_path / "feed.jsonl").write_bytes(b"\n".join([good, nearly, broken, good]))
    results = [
        item
        for unit in plan_units([tmp_path], ReadOptions()).units
        for _, item in read_unit(unit, ReadOptions())
    ]
    where = f"{tmp_path.name}/feed.jsonl"
    assert [type(item).__name__ for item in results] == [
        "Document",
        "Notice",
        "Document",
        "Skip",
        "Document",
    ]
    assert results[1] == Notice(f"{where}:2", "2 invalid UTF-8 bytes replaced")
    assert results[2].title == "\ufffd\ufffd 2"
    assert results[3] == Skip(f"{where}:3", "invalid UTF-8 at byte 11")
