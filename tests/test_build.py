"""Rebuild and update on real files, real worker processes and a real Whoosh index."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CHINESE_SEED, KOREAN_SEED, write_config
from whoosh.query import Term

from indexer.build import rebuild, update
from search.config import load_settings
from search.models import SearchRequest
from search.searcher import SearchService
from search.stats import index_stats
from search.store import IndexBusy, IndexStore


def _config(tmp_path: Path, corpus: Path, index: Path) -> Path:
    return write_config(tmp_path / f"{index.name}.toml", corpus, index)


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "news"
    corpus.mkdir()
    shutil.copy(CHINESE_SEED, corpus)
    shutil.copy(KOREAN_SEED, corpus)
    records = [
        {
            "id": "lt-1",
            "title": "법원, 사령부 이전 소송 기각",
            "body": "서울행정법원은 28일 소송을 기각했다.",
            "published": "2024-08-02T09:00:00+09:00",
            "publisher": "법률신문",
        },
        {
            "id": "lt-2",
            "title": "국회, 확장억제 논의",
            "body": "국회 국방위원회는 확장억제를 논의했다.",
            "published": "2024-09-10T14:00:00+09:00",
            "publisher": "법률신문",
        },
    ]
    (corpus / "lawtimes.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return corpus


def _found(settings, field: str, text: str) -> list[str]:
    ix = IndexStore(settings.index.path).open_current()
    with ix.searcher() as searcher:
        return sorted(hit["id"] for hit in searcher.search(Term(field, text), limit=None))


def test_rebuild_indexes_every_document_and_switches_to_the_new_generation(tmp_path):
    settings = load_settings(_config(tmp_path, _corpus(tmp_path), tmp_path / "index"), environ={})
    report = rebuild(settings)
    assert (report.indexed, report.duplicates, report.skipped) == (4, 0, [])
    store = IndexStore(settings.index.path)
    assert store.current_name() == report.generation
    stats = index_stats(store.current_path())
    assert stats.documents == 4
    assert stats.by_lang == {"ko": 3, "zh-Hans": 1}
    assert stats.by_source == {"법률신문": 2, "이데일리": 1, "自由亚洲电台": 1}
    assert stats.by_month == {"2024-07": 2, "2024-08": 1, "2024-09": 1}
    assert _found(settings, "body", "吓阻") == [
        "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/"
        "tt-us-japan-military-alliance-07282024104813.html"
    ]
    assert _found(settings, "body", "확장억제") == ["lt-2", "news/004_af721fc1b1a612be.txt"]


def test_second_rebuild_keeps_the_previous_generation_and_no_older(tmp_path):
    settings = load_settings(_config(tmp_path, _corpus(tmp_path), tmp_path / "index"), environ={})
    first = rebuild(settings).generation
    second = rebuild(settings).generation
    third = rebuild(settings).generation
    generations = sorted(p.name for p in (tmp_path / "index" / "generations").iterdir())
    assert generations == [second, third]
    assert first not in generations


def test_same_article_crawled_twice_is_indexed_once(tmp_path):
    corpus = _corpus(tmp_path)
    copy = corpus / "zz-copy-of-seed.txt"
    shutil.copy(CHINESE_SEED, copy)
    settings = load_settings(_config(tmp_path, corpus, tmp_path / "index"), environ={})
    report = rebuild(settings)
    assert (report.indexed, report.duplicates) == (4, 1)
    ix = IndexStore(settings.index.path).open_current()
    with ix.searcher() as searcher:
        hits = searcher.search(Term("body", "吓阻"))
        assert [hit["path"] for hit in hits] == ["news/000_7d7e8ccb8e4aa8ab.txt"]


def test_second_writer_is_told_the_index_is_busy(tmp_path):
    config = _config(tmp_path, _corpus(tmp_path), tmp_path / "index")
    store = IndexStore(tmp_path / "index")
    with store.write_lock():
        with pytest.raises(IndexBusy, match=f"is being written by process {os.getpid()}"):
            rebuild(load_settings(config, environ={}))
        result = subprocess.run(
            [sys.executable, "-m", "hansearch", "--config", str(config), "rebuild"],
            capture_output=True,
            text=True,
        )
    assert result.returncode == 3
    assert f"is being written by process {os.getpid()}" in result.stderr
    assert "wait for it to finish and try again" in result.stderr


def _many_articles(corpus: Path, count: int) -> None:
    paragraphs = KOREAN_SEED.read_text(encoding="utf-8").split("\n\n")[2:14]
    for number in range(count):
        body = "\n\n".join(paragraphs[(number + k) % len(paragraphs)] for k in range(3))
        (corpus / f"bulk-{number:05d}.txt").write_text(f"기사 {number}\n\n{body}\n", "utf-8")


def test_rebuild_killed_midway_leaves_the_old_index_serving(tmp_path):
    corpus = _corpus(tmp_path)
    config = _config(tmp_path, corpus, tmp_path / "index")
    settings = load_settings(config, environ={})
    serving = rebuild(settings).generation
    _many_articles(corpus, 1200)
    process = subprocess.Popen(
        [sys.executable, "-m", "hansearch", "--config", str(config), "rebuild"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    generations = tmp_path / "index" / "generations"
    deadline = time.monotonic() + 60
    while len(list(generations.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(5)  # workers started, models loaded, documents being written
    assert process.poll() is None, "the rebuild finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()

    store = IndexStore(tmp_path / "index")
    assert store.current_name() == serving
    assert len(list(generations.iterdir())) == 2  # the serving one and the abandoned one
    assert _found(settings, "body", "확장억제") == ["lt-2", "news/004_af721fc1b1a612be.txt"]

    report = rebuild(settings)
    assert report.indexed == 1204
    assert sorted(p.name for p in generations.iterdir()) == [serving, report.generation]


def test_update_after_edit_add_and_delete_matches_a_full_rebuild(tmp_path):
    corpus = _corpus(tmp_path)
    settings = load_settings(_config(tmp_path, corpus, tmp_path / "index"), environ={})
    rebuild(settings)
    before = IndexStore(settings.index.path).current_path()
    manifest_before = (before / "manifest.json").read_bytes()

    edited = corpus / CHINESE_SEED.name
    edited.write_text(edited.read_text("utf-8").replace("嚇阻", "威慑"), "utf-8")
    (corpus / KOREAN_SEED.name).unlink()
    with (corpus / "lawtimes.jsonl").open("a", encoding="utf-8") as handle:
        record = {
            "id": "lt-3",
            "title": "사령부 신설 법안",
            "body": "합동작전사령부 신설 법안이 발의됐다.",
            "published": "2024-10-01T08:00:00+09:00",
            "publisher": "법률신문",
        }
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    (corpus / "extra.md").write_text(
        "---\ntitle: 추가 기사\npublisher: 이데일리\npublished_at: 2024-07-29 10:00:00\n---\n"
        "미국과 일본이 주일미군 사령부 설치에 합의했다.\n",
        "utf-8",
    )

    report = update(settings)
    assert (report.added, report.replaced, report.removed) == (2, 1, 1)
    fresh = load_settings(_config(tmp_path, corpus, tmp_path / "fresh"), environ={})
    rebuild(fresh)
    for field, text in [
        ("body", "威慑"),
        ("body", "사령부"),
        ("body", "확장억제"),
        ("title", "사령부"),
        ("body_chars", "합동"),
        ("body", "吓阻"),
    ]:
        assert _found(settings, field, text) == _found(fresh, field, text), (field, text)
    # Searches see the same articles: deleted and replaced ones are neither found nor counted.
    served, rebuilt_service = SearchService(settings), SearchService(fresh)
    for q in ["吓阻", "威慑", "사령부", '"합동작전사령부"', "사령부 -국회", "확장억제 OR 威慑"]:
        a, b = served.search(SearchRequest(q=q)), rebuilt_service.search(SearchRequest(q=q))
        assert (a.total, a.total_all_words, a.facets) == (b.total, b.total_all_words, b.facets), q
        assert {hit.id for hit in a.results} == {hit.id for hit in b.results}, q
    assert served.search(SearchRequest(q="吓阻")).total == 0
    updated = index_stats(IndexStore(settings.index.path).current_path())
    rebuilt = index_stats(IndexStore(fresh.index.path).current_path())
    assert (updated.documents, updated.by_lang, updated.by_source, updated.by_month) == (
        rebuilt.documents,
        rebuilt.by_lang,
        rebuilt.by_source,
        rebuilt.by_month,
    )
    assert updated.documents == 5
    # The generation that served during the update is intact (it shares files by hard link).
    assert (before / "manifest.json").read_bytes() == manifest_before
    assert index_stats(before).documents == 4


def test_update_with_nothing_changed_writes_nothing(tmp_path):
    settings = load_settings(_config(tmp_path, _corpus(tmp_path), tmp_path / "index"), environ={})
    rebuild(settings)
    report = update(settings)
    assert (report.indexed, report.added, report.replaced, report.removed) == (4, 0, 0, 0)


def test_lines_a_source_repeats_in_its_articles_are_not_indexed(tmp_path):
    corpus = tmp_path / "feed"
    corpus.mkdir()
    promo = "▶ 테스트일보 앱 설치하고 경품 받기"

    def record(number: int) -> str:
        body = f"{number}번 기사의 첫 문단이다.\n\n{promo}\n\n국회는 {number}일 법안을 통과시켰다."
        return json.dumps(
            {
                "id": f"t-{number}",
                "title": f"기사 {number}",
                "body": body,
                "publisher": "테스트일보",
            },
            ensure_ascii=False,
        )

    (corpus / "a.jsonl").write_text("\n".join(record(n) for n in range(1, 11)) + "\n", "utf-8")
    settings = load_settings(_config(tmp_path, corpus, tmp_path / "index"), environ={})
    rebuild(settings)
    assert _found(settings, "body", "경품") == []
    assert len(_found(settings, "body", "법안")) == 10

    (corpus / "b.jsonl").write_text(record(11) + "\n", "utf-8")
    assert update(settings).added == 1
    assert _found(settings, "body", "경품") == []
    assert _found(settings, "body_chars", "11") == ["t-11"]


def test_rebuild_reads_json_dumps_article_by_article_and_skips_a_broken_one(tmp_path):
    corpus = tmp_path / "dumps"
    corpus.mkdir()
    # A scraper's export: one line of 20 MB at most (corpus.max_file_mb), an array of
    # articles; the id-less ones are named by their place in it.
    body = "국회에서 법안이 통과됐다. " * 110
    articles = [{"title": f"국회서 법안 {n}차 통과", "body": f"{n}차. {body}"} for n in range(5000)]
    articles[0]["id"] = "first"
    articles.append("광고")  # not an article
    line = json.dumps(articles, ensure_ascii=False)
    assert 19.5 * 1024 * 1024 < len(line.encode()) < 20 * 1024 * 1024
    (corpus / "export.json").write_text(line, "utf-8")
    wrapped = {"source": "예시일보", "articles": [{"id": "w-1", "title": "확장억제 논의"}]}
    (corpus / "wrapped").write_text(json.dumps(wrapped, ensure_ascii=False, indent=2), "utf-8")
    (corpus / "broken.json").write_text('[{"id": "b-1", "title": "잘린', "utf-8")
    settings = load_settings(_config(tmp_path, corpus, tmp_path / "index"), environ={})

    report = rebuild(settings)

    assert sorted((s.path, s.reason) for s in report.skipped) == [
        (
            "dumps/broken.json",
            "invalid JSON: Unterminated string starting at: line 1 column 25 (char 24)",
        ),
        ("dumps/export.json:5001", "not a JSON object"),
    ]
    assert (report.indexed, report.duplicates) == (5001, 0)
    assert _found(settings, "title", "확장억제") == ["w-1"]
    assert _found(settings, "title", "4999") == ["dumps/export.json:5000"]
    assert _found(settings, "title", "0") == ["first"]
    assert len(_found(settings, "body", "법안")) == 5000


def test_rebuild_reads_every_encoding_and_skips_bad_files_with_their_reason(tmp_path):
    corpus = tmp_path / "mixed"
    corpus.mkdir()
    chinese = (
        "美日安全磋商\n\n为了应对来自中国的威胁，美国和日本在东京举行会谈，宣布升级军事指挥系统。"
    )
    traditional = (
        "美日安全磋商\n\n為了應對來自中國的威脅，美國和日本在東京舉行會談，宣布升級軍事指揮系統。"
    )
    korean = (
        "주일미군 사령부 신설\n\n미국이 일본에 주둔 중인 주일미군에 합동작전 사령부를 설치한다."
    )
    (corpus / "gbk.txt").write_bytes(chinese.encode("gbk"))
    (corpus / "big5.txt").write_bytes(traditional.encode("big5"))
    (corpus / "euckr.txt").write_bytes(korean.encode("euc-kr"))
    (corpus / "utf16.txt").write_bytes(korean.replace("주일미군", "미군").encode("utf-16"))
    (corpus / "utf8bom.txt").write_bytes(chinese.replace("东京", "华盛顿").encode("utf-8-sig"))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.dat").write_bytes(bytes(range(256)) * 64)
    (corpus / "front.md").write_text("---\ntitle: 제목\n\n닫는 줄이 없다.\n", "utf-8")
    good = json.dumps(
        {"id": "j-1", "title": "확장억제 논의", "body": "확장억제를 논의했다."}, ensure_ascii=False
    )
    (corpus / "feed.jsonl").write_text(good + '\n{"id": "j-2", "title": "잘린\n', "utf-8")
    with (corpus / "huge.txt").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    settings = load_settings(_config(tmp_path, corpus, tmp_path / "index"), environ={})

    report = rebuild(settings)

    assert sorted((s.path, s.reason) for s in report.skipped) == [
        ("mixed/binary.dat", "binary file (NUL bytes)"),
        ("mixed/empty.txt", "empty file"),
        (
            "mixed/feed.jsonl:2",
            "invalid JSON: Unterminated string starting at: line 1 column 24 (char 23)",
        ),
        ("mixed/front.md", "markdown: malformed front matter: no closing '---' line"),
        ("mixed/huge.txt", f"too large: {50 * 1024 * 1024} bytes (max {20 * 1024 * 1024})"),
    ]
    assert report.indexed == 6
    encoded_in_chinese = ["mixed/big5.txt", "mixed/gbk.txt", "mixed/utf8bom.txt"]
    assert _found(settings, "title", "磋商") == encoded_in_chinese
    assert _found(settings, "body", "威胁") == encoded_in_chinese  # 威脅 in the Big5 file
    assert _found(settings, "body", "사령부") == ["mixed/euckr.txt", "mixed/utf16.txt"]
    assert _found(settings, "title", "확장억제") == ["j-1"]
