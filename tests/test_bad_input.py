"""Inputs no one should send still give sensible tokens, or none, and never an exception;
records no one should write still give clean documents, and the build says what it changed."""

from __future__ import annotations

import json
import re

import pytest
from conftest import run_hansearch, write_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.clean import markup_to_text
from indexer.formats import read_documents
from search.analysis.tokenizers import MAX_TOKEN_CHARS
from search.document import Document

# Characters from every script the analyzers route, plus the ones that break naive code.
_ALPHABET = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list("사령부를합동작전美日嚇阻中华人民共和国ひらがなカタカナ ，。、!?-+.'")),
    st.sampled_from(["\u0301", "\u1161", "\u11ab", "\u200b", "\ufeff", "\x00", "\ud800", "😀"]),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _check(analyzer, text: str) -> list[str]:
    found = []
    last_pos = -1
    for token in analyzer(text, positions=True, chars=True):
        assert 0 <= token.startchar < token.endchar <= len(text)
        assert 0 < len(token.text) <= MAX_TOKEN_CHARS
        assert token.pos >= last_pos
        last_pos = token.pos
        found.append(token.text)
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_any_text_gives_well_formed_tokens(words, chars, text):
    _check(words, text)
    _check(chars, text)


@pytest.mark.parametrize(
    "text",
    ["", " \n\t ", "\x00\x01\x02", "\ud800\udfff", "\u200b\ufeff", "!!!???...", "😀🎉"],
    ids=["empty", "spaces", "controls", "lone-surrogates", "invisible", "punctuation", "emoji"],
)
def test_text_without_words_gives_no_tokens(words, chars, text):
    assert _check(words, text) == []
    assert _check(chars, text) == []


def test_scripts_no_segmenter_knows_are_kept_as_words(words):
    assert _check(words, "Привет мир ꦲꦏ꧀ꦱꦫ") == ["привет", "мир", "ꦲꦏ", "ꦱꦫ"]


def test_lone_surrogate_inside_korean_does_not_reach_kiwi(words):
    assert _check(words, "사령부\ud800를") == ["사령부"]


def test_overlong_tokens_are_dropped_but_their_neighbours_kept(words):
    assert _check(words, "a" * 5000 + " ICBM " + "가" * 300) == ["icbm"]


def test_ten_megabyte_mixed_text_is_analysed(words, chars):
    unit = "The US and Japan (2+2) agreed on a joint command. 美日安全磋商。 사령부를 설치. 😀 "
    text = unit * (10_000_000 // len(unit.encode()))
    assert len(text.encode()) > 9_900_000
    word_terms = _check(words, text)
    assert word_terms[:7] == ["the", "us", "and", "japan", "2", "2+2", "2"]
    assert word_terms.count("사령부") == text.count("사령부")
    assert len(_check(chars, text)) > len(word_terms) // 2


# Hostile records: whatever a feed puts in a URL, an id or a title, a document comes out
# with a web URL or none, and an id and a title without control characters.

_URLISH = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=40),
    st.builds(
        "".join,
        st.lists(
            st.sampled_from(
                ["http", "https", "javascript", "data", ":", "//", "\t", "\x00", " ", "<", "&#9;"]
                + ["example.com", "/a", "?q=1", "#f", "[", "]", "\n", "\x85", "JavaScript"]
            ),
            max_size=8,
        ),
    ),
)


@settings(max_examples=300, deadline=None)
@given(url=_URLISH, doc_id=st.text(alphabet=_ALPHABET, max_size=20), title=_URLISH)
def test_any_record_gives_a_web_url_or_none_and_ids_and_titles_without_controls(url, doc_id, title):
    record = json.dumps({"id": doc_id, "title": title, "body": "본문 문장이다.", "url": url})
    items = list(read_documents(record, "feed.jsonl"))
    *notices, document = items
    assert isinstance(document, Document), items
    assert document.url == "" or document.url.lower().startswith(("http://", "https://"))
    assert not _CONTROL.search(document.url + document.id + document.title)
    assert document.id and document.id == document.id.strip()
    if document.url:
        assert notices == []
    else:
        assert all(n.message.startswith("url dropped: not an http(s) URL: ") for n in notices)
        assert len(notices) == (1 if url.strip() else 0)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.one_of(_ALPHABET, st.sampled_from(list("<>/&;#brpBR="))), max_size=60))
def test_any_text_field_is_made_text_without_error_and_plain_text_keeps_its_words(text):
    markup_to_text(text)
    plain = markup_to_text(text, inline=True)
    if "<" not in text and "&" not in text:
        assert plain.split() == text.split()


def test_a_rebuild_reports_replaced_bytes_and_dropped_urls_and_indexes_the_documents(tmp_path):
    corpus = tmp_path / "news"
    corpus.mkdir()
    records = [
        {
            "id": "j-1",
            "title": "확장억제 논의",
            "body": "확장억제를 논의했다.",
            "url": "javascript:alert(1)",
        },
        {
            "title": "<b>사령부</b> 개편<br>발표",
            "body": "사령부 개편을 발표했다.",
            "url": "java\tscript:x",
        },
    ]
    feed = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    (corpus / "feed.jsonl").write_text(feed, "utf-8")
    article = "합동작전 사령부\n\n미국이 일본에 합동작전 사령부를 설치한다. 이번이 처음이다. "
    (corpus / "a.txt").write_bytes(article.encode() + b"\xff\xfe" + "끝.".encode() + b"\xc0")
    config = write_config(tmp_path / "c.toml", corpus, tmp_path / "index")

    result = run_hansearch("--config", str(config), "rebuild")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  documents indexed   3" in lines
    assert "  skipped             0" in lines
    assert "  notices             3" in lines
    assert sorted(line for line in lines if line.startswith("  notice ")) == [
        "  notice news/a.txt: 3 invalid UTF-8 bytes replaced",
        "  notice news/feed.jsonl:1: url dropped: not an http(s) URL: javascript:alert(1)",
        "  notice news/feed.jsonl:2: url dropped: not an http(s) URL: java\\x09script:x",
    ]
    found = run_hansearch("--config", str(config), "search", "개편", "--json")
    [hit] = json.loads(found.stdout)["results"]
    assert (hit["id"], hit["url"], hit["title"]) == ("news/feed.jsonl:2", "", "사령부 개편 발표")

    (corpus / "b.txt").write_bytes(article.replace("합동작전", "연합").encode() + b"\xff")
    result = run_hansearch("--config", str(config), "update")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  added               1" in lines
    assert "  notices             1" in lines
    assert [line for line in lines if line.startswith("  notice ")] == [
        "  notice news/b.txt: 1 invalid UTF-8 byte replaced"
    ]
