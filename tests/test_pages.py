"""The HTML pages through Flask's test client on the real fixture index: what a reader sees
in the markup (escaped text, marks, facet links and counts, paging that keeps filters,
error pages)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from web.app import create_app

CHINESE_SEED = (
    "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/"
    "tt-us-japan-military-alliance-07282024104813.html"
)
KOREAN_SEED = "news/004_af721fc1b1a612be.txt"
KOREAN = quote("사령부")


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the text of the page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def client(search_settings):
    return create_app(search_settings).test_client()


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "text/html; charset=utf-8"
    return response.get_data(as_text=True)


def hits(html: str) -> list[str]:
    """The markup of each result, in order."""
    return re.findall(r'<li class="hit".*?</li>', html, re.S)


def title_links(html: str) -> list[str]:
    return re.findall(r'<h2 class="hit-title"[^>]*><a href="([^"]*)">', html)


def facet(html: str, name: str) -> list[tuple[str, int, str, bool]]:
    """(label, count, link, active) of each value of the facet headed ``name``."""
    section = re.search(rf"<h3 id=\"facet-\d\">{name}</h3>(.*?)</section>", html, re.S)
    assert section, f"no {name} facet"
    return [
        (label, int(count), href.replace("&amp;", "&"), bool(active))
        for href, active, label, count in re.findall(
            r'<a href="([^"]*)"( class="active")?[^>]*>.*?<span class="label"[^>]*>([^<]*)</span>'
            r'\s*<span class="count">(\d+)</span>',
            section[1],
            re.S,
        )
    ]


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_the_home_page_is_a_labelled_search_box(client):
    html = page(client, "/")
    assert '<label for="q" class="visually-hidden">' in html
    assert '<form class="searchbox" role="search" action="/search" method="get">' in html
    assert "<h1>Search the news in Chinese, Korean and English</h1>" in html


def test_a_query_on_the_home_url_goes_to_its_results_page(client):
    response = client.get("/?q=%EC%82%AC%EB%A0%B9%EB%B6%80&lang=ko")
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?q=%EC%82%AC%EB%A0%B9%EB%B6%80&lang=ko"


def test_the_query_is_kept_in_the_box_and_only_ever_escaped(client):
    html = page(client, "/search?q=" + quote('"><script>alert(1)</script>'))
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert '<span class="query">&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</span>' in html
    assert "<script>alert(1)</script>" not in html
    assert '"><script>' not in html


def test_the_chinese_seed_is_found_by_simplified_with_its_traditional_word_marked(client):
    html = page(client, "/search?q=" + quote("吓阻"))
    assert "1 result for" in html
    assert title_links(html) == [CHINESE_SEED]
    (seed,) = hits(html)
    assert '<li class="hit" lang="zh-Hans">' in seed
    snippet = re.search(r'<p class="snippet">(.*?)</p>', seed, re.S)[1]
    assert snippet.count("<mark>嚇阻</mark>") == 3
    assert '<span class="badge" lang="zh-Hans">简体中文</span>' in seed
    assert '<span class="source">自由亚洲电台</span>' in seed
    assert '<time datetime="2024-07-28T16:39:03.674000+00:00">2024-07-28 16:39 UTC</time>' in seed
    assert re.search(r'<span class="age" lang="en">\d+ years? ago</span>', seed)
    assert "Every result has every word." in html
    assert re.search(r'<span class="took">\d+ ms</span>', html)


def test_a_title_with_a_script_tag_is_shown_as_text(client):
    html = page(client, "/search?q=alert")
    (xss,) = hits(html)
    assert (
        '<a href="/doc?id=xss-1&amp;q=alert">&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;'
        " 태그 보도</a>"
    ) in xss
    assert "관련 &lt;b&gt;태그&lt;/b&gt;가 들어간 기사이다. 5 &lt; 6 이고 &amp; 기호도 있다." in xss
    assert "<script>alert" not in html and "<b>" not in html


def test_a_result_without_a_url_links_to_its_page_here(client):
    html = page(client, "/search?q=" + quote("주일미군 사령부"))
    assert title_links(html)[:1] == [
        "/doc?id=news%2F004_af721fc1b1a612be.txt&amp;q="
        + quote("주일미군 사령부", safe="").replace("%20", "+")
    ]
    seed = hits(html)[0]
    assert '<span class="source">이데일리</span> <span class="author">정수영</span>' in seed
    # 등록 2024-07-28 오후 6:22:09 states no zone: shown as written, placed in Korea time.
    assert '<time datetime="2024-07-28T18:22:09+09:00">2024-07-28 18:22</time>' in seed


def test_facets_show_counts_and_link_to_narrower_pages(client):
    html = page(client, f"/search?q={KOREAN}")
    assert "32 results for" in html
    assert facet(html, "Language") == [("한국어", 32, f"/search?q={KOREAN}&lang=ko", False)]
    sources = facet(html, "Source")
    assert [(label, count) for label, count, _, _ in sources] == [
        ("뉴스1", 15),
        ("연합뉴스", 15),
        ("이데일리", 1),
        ("테스트일보", 1),
    ]
    assert sources[1][2] == f"/search?q={KOREAN}&source={quote('연합뉴스')}"
    months = facet(html, "Month")
    assert months[0] == ("2024-07", 1, f"/search?q={KOREAN}&from=2024-07&to=2024-07", False)
    assert len(months) == 19  # 8 shown, 11 under "more"
    assert sum(count for _, count, _, _ in months) == 32  # every result is dated


def test_an_active_facet_is_marked_and_its_link_undoes_it(client):
    narrowed = page(client, f"/search?q={KOREAN}&source={quote('이데일리')}")
    assert "1 result for" in narrowed
    assert title_links(narrowed) == [
        "/doc?id=news%2F004_af721fc1b1a612be.txt&amp;q="
        + quote("사령부")
        + "&amp;source="
        + quote("이데일리")
    ]
    assert facet(narrowed, "Source") == [("이데일리", 1, f"/search?q={KOREAN}", True)]
    chip = re.search(r'<a class="chip" href="([^"]*)">이데일리', narrowed)
    assert chip[1] == f"/search?q={KOREAN}"


def test_a_month_facet_narrows_to_that_month_and_undoes(client):
    html = page(client, f"/search?q={KOREAN}&from=2024-06&to=2024-06")
    assert "2 results for" in html
    assert facet(html, "Month") == [("2024-06", 2, f"/search?q={KOREAN}", True)]


def pager(html: str) -> list[tuple[str, str, bool]]:
    """(link, label, current) of each link of the pager."""
    nav = html.split('<nav class="pager"')[1].split("</nav>")[0]
    return [
        (href.replace("&amp;", "&"), label, bool(current))
        for href, current, label in re.findall(
            r'<a (?:rel="\w+" )?href="([^"]*)"( aria-current="page")?>'
            r'(?:<span class="visually-hidden">Page </span>)?([^<]+)</a>',
            nav,
        )
    ]


def test_paging_links_keep_every_filter(client):
    filters = f"/search?q={KOREAN}&source={quote('연합뉴스')}&from=2023&to=2024&sort=date"
    first = page(client, filters)
    assert "15 results for" in first
    assert pager(first) == [
        (filters, "1", True),
        (filters + "&page=2", "2", False),
        (filters + "&page=2", "Next ›", False),
    ]
    second = page(client, filters + "&page=2")
    assert len(hits(second)) == 5
    assert all('<span class="source">연합뉴스</span>' in hit for hit in hits(second))
    assert pager(second) == [
        (filters, "‹ Previous", False),
        (filters, "1", False),
        (filters + "&page=2", "2", True),
    ]
    assert set(title_links(first)).isdisjoint(title_links(second))


def test_many_pages_show_the_first_last_and_nearby_numbers(client):
    html = page(client, f"/search?q={KOREAN}&size=2&page=8")
    numbers = [label for _, label, _ in pager(html)]
    assert numbers == ["‹ Previous", "1", "6", "7", "8", "9", "10", "16", "Next ›"]
    assert html.count('<li class="gap" aria-hidden="true">…</li>') == 2


def test_sorting_by_date_puts_the_newest_first(client):
    html = page(client, f"/search?q={KOREAN}&sort=date")
    days = re.findall(r'<time datetime="[^"]*">([0-9-]+)[^<]*</time>', html)
    assert days == sorted(days, reverse=True) and days[0] == "2024-07-28"


def test_a_new_query_from_the_box_keeps_the_filters(client):
    html = page(client, f"/search?q={KOREAN}&lang=ko&sort=date")
    form = html.split('<form class="searchbox"')[1].split("</form>")[0]
    assert '<input type="hidden" name="lang" value="ko">' in form
    assert '<input type="hidden" name="sort" value="date">' in form
    assert 'name="page"' not in form


def test_no_results_say_so_and_offer_the_spelling_suggestion(client):
    html = page(client, "/search?q=blinkn")
    assert "0 results for" in html
    assert 'No article matches <span class="query">blinkn</span>.' in html
    assert 'Did you mean <a href="/search?q=blinken">blinken</a>?' in html


def test_no_results_with_filters_offer_the_search_without_them(client):
    html = page(client, "/search?q=Blinken&lang=zh-Hant")
    assert 'No article matches <span class="query">Blinken</span> with these filters.' in html
    assert '<a href="/search?q=Blinken">Search every language, source and date</a>' in html


def test_results_lacking_a_word_say_which_after_those_with_every_word(client):
    html = page(client, "/search?q=" + quote("Blinken 國際論壇"))
    status = "<strong>No article has every word;</strong> each result says which words it lacks"
    assert status in html
    assert title_links(html)[0] == "/doc?id=zh-hant-1&amp;q=Blinken+" + quote("國際論壇")
    assert len(hits(html)) == 5
    missing = '<p class="missing"><span lang="en">Missing:</span> <s>{}</s></p>'
    assert missing.format("Blinken") in hits(html)[0]
    assert missing.format("國際</s> <s>論壇") in hits(html)[1]  # en-1: Blinken only
    # A short story's one 国际 (国际援助组织) outweighs the Korean seed's one Blinken in a
    # long article (BM25's length normalisation, k1 2.5), though Blinken is rarer.
    assert title_links(html)[2].startswith("/doc?id=zh-ebola-2&amp;")
    assert missing.format("Blinken</s> <s>論壇") in hits(html)[2]
    assert missing.format("國際</s> <s>論壇") in hits(html)[3]
    every = page(client, "/search?q=" + quote("국방부 개편"))
    assert "Every result has every word." in every
    assert 'class="missing"' not in every


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/search?q=-", "The query has no words to search for"),
        ("/search?q=x&page=abc", "Page must be a whole number of at least 1"),
        ("/search?q=x&from=2024-13", "From: &#39;2024-13&#39; is not a date"),
        ("/search?q=x&from=2024-08&to=2024-07", "From (2024-08-01) is after to (2024-07-31)"),
        ("/search?q=x&sort=foo", "Sort must be one of relevance, date"),
        ("/search?q=x&page=200", "Page 200 of 10 reaches result 2000"),
        (
            "/search?q=" + quote("lang:<b>"),
            "Unknown language &#39;&lt;b&gt;&#39; in lang:&lt;b&gt;",
        ),
    ],
)
def test_a_query_that_cannot_be_searched_is_a_400_page_with_the_reason(client, url, message):
    html = page(client, url, status=400)
    assert "<h1>Cannot search that</h1>" in html
    assert message in html
    assert "<b>" not in html


def test_a_document_page_marks_the_query_in_its_text(client):
    html = page(client, f"/doc?id={quote(CHINESE_SEED, safe='')}&q={quote('吓阻')}")
    assert '<article class="doc" lang="zh-Hans">' in html
    assert "<h1>美日2+2安全磋商 加强驻日美军军事指挥权</h1>" in html
    body = html.split('<div class="body">')[1].split("</div>")[0]
    assert body.count("<p>") == 15
    assert body.count("<mark>嚇阻</mark>") == body.count("嚇阻") == 5
    assert f'<a class="url" href="{CHINESE_SEED}">' in html
    assert f'<a href="/search?q={quote("吓阻")}">‹ Results for' in html
    related = html.split('<aside class="related"')[1]
    assert related.count('<li class="hit"') >= 1


def test_a_document_page_without_a_query_shows_the_plain_text(client):
    html = page(client, f"/doc?id={quote(KOREAN_SEED, safe='')}")
    assert "<mark>" not in html
    assert '<article class="doc" lang="ko">' in html
    assert f'<dd class="url">{KOREAN_SEED}</dd>' in html
    assert "[이데일리 정수영 기자] 미국이 앞으로 일본에 주둔중인" in html


def test_a_document_title_with_a_script_tag_is_text_on_its_page(client):
    html = page(client, "/doc?id=xss-1&q=alert")
    assert "<h1>&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; 태그 보도</h1>" in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; 태그 보도 · hansearch</title>" in html


def test_an_unknown_document_is_a_404_page(client):
    html = page(client, "/doc?id=" + quote("<script>nope</script>"), status=404)
    assert "<h1>No such document</h1>" in html
    assert "No document has the id &lt;script&gt;nope&lt;/script&gt;." in html
    page(client, "/doc", status=400)


def test_without_an_index_the_pages_say_to_build_one(search_settings, tmp_path):
    from dataclasses import replace

    empty = replace(search_settings, index=replace(search_settings.index, path=tmp_path))
    client = create_app(empty).test_client()
    for url in (f"/search?q={KOREAN}", "/doc?id=xss-1"):
        html = page(client, url, status=503)
        assert "<h1>No index yet</h1>" in html
        assert "<pre><code>hansearch rebuild</code></pre>" in html


@pytest.mark.parametrize(
    "url", ["/", f"/search?q={KOREAN}", "/search?q=-", "/doc?id=xss-1&q=alert", "/doc?id=no"]
)
def test_pages_load_nothing_from_elsewhere_and_forbid_inline_script(client, url):
    response = client.get(url)
    elements = Elements(response.get_data(as_text=True))
    assets = [
        attrs.get("src") or attrs.get("href")
        for tag, attrs in elements.tags
        if tag in ("script", "link", "img", "iframe", "source", "video", "audio")
    ]
    assert assets and all(a.startswith("/static/") or a == "data:," for a in assets), assets
    assert all(attrs.get("src") for tag, attrs in elements.tags if tag == "script")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    assert "unsafe-inline" not in policy


def test_every_input_has_a_label_and_content_has_its_language(client):
    html = page(client, f"/search?q={KOREAN}")
    elements = Elements(html)
    labelled = {attrs["for"] for tag, attrs in elements.tags if tag == "label"}
    inputs = [a for tag, a in elements.tags if tag == "input" and a.get("type") != "hidden"]
    assert [a["id"] for a in inputs] == ["q", "from", "to"]
    assert all(a["id"] in labelled for a in inputs)
    assert elements.tags[0] == ("html", {"lang": "en"})
    assert all(a.get("lang") == "ko" for tag, a in elements.tags if a.get("class") == "hit")
    assert [tag for tag, _ in elements.tags].count("h1") == 1


def test_static_files_are_served_with_their_version_for_a_long_cache(client):
    html = page(client, "/")
    css = re.search(r'href="(/static/hansearch\.css\?v=[0-9a-f]{10})"', html)[1]
    response = client.get(css)
    assert response.status_code == 200
    assert response.content_type.startswith("text/css")
    assert "max-age=31536000" in response.headers["Cache-Control"]
    response.close()


def test_a_quotation_no_article_holds_is_said_and_escaped(client):
    html = page(client, "/search?q=" + quote('"사령부 <i>qxzvwk</i>"'))
    assert (
        '<p class="relaxed">No article has <span class="query">'
        "&#34;사령부 &lt;i&gt;qxzvwk&lt;/i&gt;&#34;</span>"
        " as written: its words were searched instead.</p>"
    ) in html
    assert len(hits(html)) == 10
