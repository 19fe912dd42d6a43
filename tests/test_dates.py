"""An article's date as the article states it: read by every reader with its own UTC offset
(or as a day without time), shown so on the page, in the CLI and in the API, and used for
day filters and month facets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from conftest import run_hansearch, write_config

from indexer.dates import KOREA
from indexer.formats import read_documents
from search.config import load_settings
from search.models import SearchRequest
from search.searcher import SearchService
from web.app import create_app

CHINA = timezone(timedelta(hours=8))


def _jekyll(date: str) -> str:
    return (
        f"---\nlayout: post\ntitle: 美国之音报道\ndate: {date}\nauthor: 美国之音\n"
        "from: https://www.voachinese.com/a/1.html\n---\n\n<!--1-->\n<p>美国总统今天在白宫发表讲话。</p>\n"
    )


def _markdown(date: str) -> str:
    return (
        f"---\ntitle: 관세 협상 타결\npublisher: 연합뉴스\npublished_at: {date}\n---\n\n"
        "정부는 오늘 미국과의 관세 협상이 타결됐다고 밝혔다.\n"
    )


def _jsonl(date: str) -> str:
    record = {
        "id": "j1",
        "title": "법원 판결",
        "body": "대법원은 오늘 판결을 선고했다.",
        "published": date,
    }
    return json.dumps(record, ensure_ascii=False)


def _text(date: str) -> str:
    return (
        f"국방부 조직 개편 발표\n등록 {date}\n\n"
        "국방부는 오늘 사령부 개편 계획을 발표했다. 개편은 두 단계로 진행된다.\n"
    )


def _html(date: str) -> str:
    return (
        "<!doctype html><html><head><title>美国总统讲话</title>"
        f'<meta property="article:published_time" content="{date}"></head>'
        "<body><article><p>美国总统今天在白宫发表讲话，谈到了经济问题。</p></article></body></html>"
    )


READERS = {
    "jekyll": (_jekyll, "post.md", CHINA),
    "markdown": (_markdown, "naver.md", KOREA),
    "jsonl": (_jsonl, "items.jsonl", KOREA),
    "text": (_text, "page.txt", KOREA),
    "html": (_html, "page.html", CHINA),
}


FORMS = [
    ("2026-06-10", "date", (2026, 6, 10, 0, 0)),
    ("2025-12-29 00:00", "local", (2025, 12, 29, 0, 0)),
    ("2025-12-29 14:05", "local", (2025, 12, 29, 14, 5)),
    ("2026-06-10T08:30:00+02:00", "zoned", (2026, 6, 10, 8, 30)),
]


@pytest.mark.parametrize(
    ("reader", "written", "form", "local"),
    [
        (reader, *case)
        for reader in sorted(READERS)
        for case in FORMS
        if not (reader == "text" and case[1] == "zoned")  # scraped pages write local dates
    ],
)
def test_every_reader_keeps_the_articles_own_date(reader, written, form, local):
    make, path, zone = READERS[reader]
    (doc,) = read_documents(make(written), path)
    expected_zone = timezone(timedelta(hours=2)) if form == "zoned" else zone
    assert doc.published == datetime(*local, tzinfo=expected_zone)
    assert doc.published.utcoffset() == expected_zone.utcoffset(None)
    assert doc.published_form == form


def test_a_unix_time_is_a_zoned_utc_time():
    record = json.dumps({"id": "u", "title": "제목", "body": "본문이다.", "published": 1780000000})
    (doc,) = read_documents(record, "a.jsonl")
    assert (doc.published, doc.published_form) == (datetime.fromtimestamp(1780000000, UTC), "zoned")


@pytest.fixture(scope="module")
def dated_settings(tmp_path_factory):
    from indexer.build import rebuild

    root = tmp_path_factory.mktemp("dates")
    corpus = root / "news"
    corpus.mkdir()
    (corpus / "voa.md").write_text(_jekyll("2026-06-10"), "utf-8")
    (corpus / "naver.md").write_text(_markdown("2025-12-29 00:00"), "utf-8")
    (corpus / "zoned.html").write_text(_html("2026-06-10T23:30:00-05:00"), "utf-8")
    settings = load_settings(write_config(root / "c.toml", corpus, root / "index"), environ={})
    rebuild(settings)
    return settings


def _published(settings, query: str):
    response = SearchService(settings).search(SearchRequest(q=query))
    return {hit.title: hit.published for hit in response.results}


def test_the_api_gives_a_plain_date_or_the_articles_offset(dated_settings):
    client = create_app(dated_settings).test_client()
    found = {}
    for query in ("美国", "관세"):
        for hit in client.get("/api/search", query_string={"q": query}).get_json()["results"]:
            found[hit["title"]] = hit["published"]
    assert found == {
        "美国之音报道": "2026-06-10",
        "美国总统讲话": "2026-06-10T23:30:00-05:00",
        "관세 협상 타결": "2025-12-29T00:00:00+09:00",
    }
    document = client.get("/api/documents/news/naver.md").get_json()
    assert document["published"] == "2025-12-29T00:00:00+09:00"


def test_the_page_shows_the_date_as_the_article_states_it(dated_settings):
    client = create_app(dated_settings).test_client()
    chinese = client.get("/search", query_string={"q": "美国"}).get_data(as_text=True)
    assert '<time datetime="2026-06-10">2026-06-10</time>' in chinese
    assert '<time datetime="2026-06-10T23:30:00-05:00">2026-06-10 23:30 UTC-05:00</time>' in (
        chinese
    )
    korean = client.get("/search", query_string={"q": "관세"}).get_data(as_text=True)
    assert '<time datetime="2025-12-29T00:00:00+09:00">2025-12-29 00:00</time>' in korean


def test_the_command_line_shows_the_articles_date(dated_settings, tmp_path):
    config = write_config(tmp_path / "c.toml", tmp_path, dated_settings.index.path, extra="")
    result = run_hansearch("--config", str(config), "search", "关税 관세")
    assert result.returncode == 0, result.stderr
    assert "     연합뉴스 · 2025-12-29 00:00 · news/naver.md" in result.stdout.splitlines()


def test_day_filters_and_month_facets_use_the_articles_own_day(dated_settings):
    service = SearchService(dated_settings)
    # 2026-06-10 23:30 at UTC-5 is 2026-06-11 in UTC; 2026-06-10 in China is 06-09 in UTC.
    on_the_day = service.search(SearchRequest(q="美国 published:2026-06-10"))
    assert sorted(hit.title for hit in on_the_day.results) == ["美国之音报道", "美国总统讲话"]
    assert service.search(SearchRequest(q="美国 published:2026-06-11")).results == []
    assert service.search(SearchRequest(q="美国")).facets["month"] == [("2026-06", 2)]
    korean = service.search(SearchRequest(q="관세 published:2025-12-29"))
    assert [hit.title for hit in korean.results] == ["관세 협상 타결"]
