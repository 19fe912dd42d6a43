"""Every input format read into Documents with the metadata a user sees in results."""

from __future__ import annotations

import json
import lzma
import tarfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.dates import KOREA, parse_date
from indexer.dedupe import canonical_url
from indexer.formats import FormatOptions, JsonlFields, detect_format, read_documents
from indexer.skip import Notice, Skip
from search.document import Document, web_url

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "demo" / "seeds"
CHINESE_SEED = SEEDS / "000_7d7e8ccb8e4aa8ab.txt"
KOREAN_SEED = SEEDS / "004_af721fc1b1a612be.txt"
CORPUS = REPO.parent / "shared" / "corpus"
KST = timezone(timedelta(hours=9))


def _read(text: str, path: str = "a.txt", options: FormatOptions | None = None) -> list:
    return list(read_documents(text, path, options))


def _one(text: str, path: str = "a.txt") -> Document:
    [document] = _read(text, path)
    assert isinstance(document, Document), document
    return document


@pytest.fixture(scope="module")
def chinese_seed() -> Document:
    return _one(CHINESE_SEED.read_text(encoding="utf-8"), "seeds/000_7d7e8ccb8e4aa8ab.txt")


@pytest.fixture(scope="module")
def korean_seed() -> Document:
    return _one(KOREAN_SEED.read_text(encoding="utf-8"), "seeds/004_af721fc1b1a612be.txt")


def test_both_seeds_are_recognised_by_content_though_both_end_in_txt():
    assert detect_format(CHINESE_SEED.read_text(encoding="utf-8"), "000.txt") == "jekyll-html"
    assert detect_format(KOREAN_SEED.read_text(encoding="utf-8"), "004.txt") == "text"


def test_jekyll_post_metadata_comes_from_front_matter(chinese_seed):
    url = (
        "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/"
        "tt-us-japan-military-alliance-07282024104813.html"
    )
    assert chinese_seed.title == "美日2+2安全磋商 加强驻日美军军事指挥权"
    assert chinese_seed.url == url
    assert chinese_seed.id == url
    assert chinese_seed.published == datetime(2024, 7, 28, 16, 39, 3, 674000, tzinfo=UTC)
    assert chinese_seed.source == "自由亚洲电台"
    assert chinese_seed.author == ""
    assert chinese_seed.lang == "zh-Hans"
    assert chinese_seed.tags == ["自由亚洲电台"]


def test_jekyll_post_body_is_the_article_without_generator_lines(chinese_seed):
    body = chinese_seed.body
    assert body.startswith("为了应对来自中国的威胁，美国和日本外交部长和国防部长7月28日")
    assert body.endswith("该备忘录制度化三方定期高层会谈、联合演习及其他交流。")
    assert "联合嚇阻能力。”\n\n神川阳子发言指出" in body
    for furniture in ["<!--NaN-->", "](https://", "------", "<span", "&nbsp;", "责编", "路透社"]:
        assert furniture not in body


def test_jekyll_photo_caption_and_related_link_are_not_in_the_body(chinese_seed):
    caption = (
        "美国国务卿布林肯和国防部长奥斯汀与日本外务大臣神川阳子和防卫大臣木原稔，"
        "共同出席了这次2+2安全磋商会议。"
    )
    assert chinese_seed.body.count(caption) == 1  # in its paragraph, not again as a caption
    assert "因应台海局势和朝鲜威胁 驻日美军将新设司令部" not in chinese_seed.body


def test_scraped_korean_page_metadata(korean_seed):
    assert korean_seed.title == '미·일, 합동작전사령부 신설…"대만 사태, 북한 움직임 염두"'
    assert korean_seed.published == datetime(2024, 7, 28, 18, 22, 9, tzinfo=KST)
    assert korean_seed.source == "이데일리"
    assert korean_seed.author == "정수영"
    assert korean_seed.lang == "ko"
    assert korean_seed.url == ""
    assert korean_seed.id == "seeds/004_af721fc1b1a612be.txt"


def test_scraped_korean_page_body_runs_from_byline_to_last_paragraph(korean_seed):
    assert korean_seed.body.startswith("[이데일리 정수영 기자] 미국이 앞으로 일본에 주둔중인")
    assert korean_seed.body.endswith("공동 대응 방침도 이날 확인했다.")
    assert "등록 2024-07-28" not in korean_seed.body
    assert "수정 2024-07-28" not in korean_seed.body


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("등록 2024-07-28 오후 6:22:09", datetime(2024, 7, 28, 18, 22, 9, tzinfo=KST)),
        ("2024-07-28 오전 9:05", datetime(2024, 7, 28, 9, 5, tzinfo=KST)),
        ("2024-07-28 오후 12:30:00", datetime(2024, 7, 28, 12, 30, tzinfo=KST)),
        ("2024-07-28 오전 12:30:00", datetime(2024, 7, 28, 0, 30, tzinfo=KST)),
        ("2024.07.28 18:22", datetime(2024, 7, 28, 18, 22, tzinfo=KST)),
        ("2025-06-13T09:31:42", datetime(2025, 6, 13, 9, 31, 42, tzinfo=KST)),
        ("2020-02-25T08:53:01+00:00", datetime(2020, 2, 25, 8, 53, 1, tzinfo=UTC)),
        ("Wed, 10 Dec 2025 05:32:47 +0000", datetime(2025, 12, 10, 5, 32, 47, tzinfo=UTC)),
    ],
)
def test_news_dates_are_read_with_their_zone_or_the_default_one(written, expected):
    assert parse_date(written, KOREA) == expected


def test_chinese_date_without_zone_is_china_time():
    post = '---\ntitle: "测试"\ndate: 2020-10-03 08:50:32\nauthor: 寒冬\n---\n<p>中国的新闻。</p>'
    document = _one(post, "a.md")
    assert document.published == datetime(
        2020, 10, 3, 8, 50, 32, tzinfo=timezone(timedelta(hours=8))
    )


NAVER_STYLE = "\n".join(
    [
        "---",
        "id: 421_0008686170",
        'title: "李대통령, 이혜훈 논란에 &quot;다름은 시너지의 원천&quot;"',
        "category: ",
        "publisher: 뉴스1",
        "author: ",
        "\t\t",
        "\t\t\t한재준 기자 (hanantway@news1.kr),김지현 기자 (mine124@news1.kr)",
        "\t\t",
        "\t",
        "published_at: 2025-12-30 00:00",
        "url: https://n.news.naver.com/mnews/article/421/0008686170",
        'tags: [ 정치, "대통령" ]',
        "summary: |",
        "  first line",
        "  second line",
        "---",
        "",
        "# 李대통령, 이혜훈 논란에 &quot;다름은 시너지의 원천&quot;",
        "",
        "**뉴스1** | 2025-12-30 00:00 | ",
        "",
        "---",
        "",
        "(서울&#x3D;뉴스1) 한재준 기자 &#x3D; 이재명 대통령은 30일 "
        "&quot;국민을 통합하는 것&quot;이라고 밝혔다.이 대통령은 모두발언을 했다."
        "※ &#x27;당신의 제보가 뉴스가 됩니다&#x27;[카카오톡] YTN 검색[전화] 02-398-8585",
        "",
        "---",
        "",
        "*Crawled at: 2025-12-30 02:17:03*",
        "*Source: [원문 보기](https://n.news.naver.com/mnews/article/421/0008686170)*",
        "",
    ]
)


def test_markdown_front_matter_with_multiline_author_and_entities():
    document = _one(NAVER_STYLE, "baram/421_0008686170.md")
    assert document.title == '李대통령, 이혜훈 논란에 "다름은 시너지의 원천"'
    assert document.author == "한재준, 김지현"
    assert document.source == "뉴스1"
    assert document.published == datetime(2025, 12, 30, tzinfo=KST)
    assert document.url == "https://n.news.naver.com/mnews/article/421/0008686170"
    assert document.tags == ["정치", "대통령"]
    assert document.lang == "ko"


def test_markdown_body_drops_header_and_footer_lines():
    body = _one(NAVER_STYLE, "a.md").body
    assert body == (
        '(서울=뉴스1) 한재준 기자 = 이재명 대통령은 30일 "국민을 통합하는 것"이라고 밝혔다.'
        "이 대통령은 모두발언을 했다."
    )


def test_a_quoted_title_may_run_over_two_lines():
    # As a feed mirror wrote 9 DW posts: the closing quote on the next line, flush left.
    text = (
        '---\nlayout: post\ntitle: "美四大科技巨头国会听证 提及中国\n"\n'
        "date: 2020-07-30T11:53:53.000Z\nauthor: 德国之声\n---\n"
        "美国四大科技巨头的首席执行官周三在国会作证。\n"
    )
    document = _one(text, "dw.md")
    assert document.title == "美四大科技巨头国会听证 提及中国"
    assert (document.author, document.published) == (
        "德国之声",
        datetime(2020, 7, 30, 11, 53, 53, tzinfo=UTC),
    )
    assert document.body == "美国四大科技巨头的首席执行官周三在国会作证。"


def test_malformed_front_matter_is_reported_not_guessed():
    assert _read("---\ntitle: 제목\n\n본문만 있고 닫는 줄이 없다.\n", "bad.md") == [
        Skip("bad.md", "markdown: malformed front matter: no closing '---' line")
    ]
    assert _read("---\ntitle: x\nthis is not a key\n---\nbody\n", "bad2.md") == [
        Skip("bad2.md", "markdown: malformed front matter: line 3 is not 'key: value'")
    ]
    assert _read('---\ntitle: "x\ndate: 2024\n---\nbody\n', "bad3.md") == [
        Skip("bad3.md", "markdown: malformed front matter: the quote of 'title' never closes")
    ]


CHOSUN_STYLE = [
    {
        "id": "https://www.chosun.com/national/2025/12/10/G4Z/",
        "title": "내란 특검, 박종준 전 경호처장 불구속 기소",
        "url": "https://www.chosun.com/national/2025/12/10/G4Z/",
        "published": "2025-12-10T05:32:47+00:00",
        "author": "김희래 기자, 박혜연 기자",
        "publisher": "조선일보",
        "section": "national",
        "body": (
            "내란 특검이 박종준 전 대통령경호처장을 기소했다고 10일 밝혔다.\n\n"
            "특검 관계자는 이날 브리핑에서 말했다."
        ),
        "captions": ["박종준 전 대통령경호처장이 출석하고 있다. /연합뉴스"],
        "body_html": "<p>ignored when body is present</p>",
    },
    {
        "id": "law-2",
        "title": "오동운 공수처장 취임",
        "published": "2024-05-22T08:05:04",
        "body_html": (
            "<p>오동운 처장이 취임했다.</p>"
            "<figure><figcaption>《사진=연합뉴스》</figcaption></figure>"
        ),
        "lang": "ko",
    },
]


def test_json_lines_one_document_per_line_and_a_broken_line_reported(tmp_path):
    lines = [json.dumps(record, ensure_ascii=False) for record in CHOSUN_STYLE]
    truncated = '{"id": "law-3", "title": "잘린 줄'
    text = "\n".join([lines[0], truncated, "", lines[1]]) + "\n"
    first, broken, second = _read(text, "ko-chosun.jsonl")
    assert broken == Skip(
        "ko-chosun.jsonl:2",
        "invalid JSON: Unterminated string starting at: line 1 column 26 (char 25)",
    )
    assert first.id == "https://www.chosun.com/national/2025/12/10/G4Z/"
    assert first.title == "내란 특검, 박종준 전 경호처장 불구속 기소"
    assert first.author == "김희래, 박혜연"
    assert first.source == "조선일보"
    assert first.tags == ["national"]
    assert first.published == datetime(2025, 12, 10, 5, 32, 47, tzinfo=UTC)
    assert first.body == CHOSUN_STYLE[0]["body"]
    assert first.path == "ko-chosun.jsonl"
    assert (second.id, second.body, second.lang) == ("law-2", "오동운 처장이 취임했다.", "ko")
    assert second.published == datetime(2024, 5, 22, 8, 5, 4, tzinfo=KST)


def test_json_lines_field_names_are_configurable():
    record = {
        "headline_text": "Title here",
        "content": "Body text that is long enough.",
        "lang": "en",
    }
    fields = JsonlFields(title=("headline_text",), body=("content",))
    [document] = _read(json.dumps(record), "x.jsonl", FormatOptions(jsonl_fields=fields))
    assert (document.title, document.body, document.lang, document.id) == (
        "Title here",
        "Body text that is long enough.",
        "en",
        "x.jsonl:1",  # neither id nor URL: the line is the id
    )


def test_json_lines_bare_zh_lang_is_resolved_to_a_script():
    record = {"title": "國際論壇", "body": "這是一篇關於國際關係的報導。", "lang": "zh"}
    [document] = _read(json.dumps(record, ensure_ascii=False), "zh.jsonl")
    assert document.lang == "zh-Hant"


HTML_PAGE = """<!DOCTYPE html><html lang="ko"><head>
<title>합동작전사령부 신설 - 예시일보</title>
<meta property="og:site_name" content="예시일보">
<meta property="article:published_time" content="2024-07-28T18:22:09+09:00">
<link rel="canonical" href="https://news.example.kr/article/1">
<script>var tracking = 1;</script><style>p{color:red}</style>
</head><body><nav><a href="/">홈</a> <a href="/politics">정치</a></nav>
<article><h1>합동작전사령부 신설</h1>
<p>[예시일보 홍길동 기자] 미국이 일본에 새로운 합동작전 사령부를 설치한다고 밝혔다.</p>
<figure><img src="a.jpg" alt="회담 사진"><figcaption>회담 모습</figcaption></figure>
<p>양국은 이날 공동문서에 서명했다.<br>회담은 도쿄에서 열렸다.</p>
<p>ⓒ 예시일보. All rights reserved</p></article></body></html>"""


def test_html_page_metadata_and_body():
    document = _one(HTML_PAGE, "page.html")
    assert document.title == "합동작전사령부 신설 - 예시일보"
    assert document.url == "https://news.example.kr/article/1"
    assert document.id == "https://news.example.kr/article/1"
    assert document.published == datetime(2024, 7, 28, 18, 22, 9, tzinfo=KST)
    assert document.source == "예시일보"
    assert document.author == "홍길동"
    assert document.body == (
        "[예시일보 홍길동 기자] 미국이 일본에 새로운 합동작전 사령부를 설치한다고 밝혔다.\n\n"
        "양국은 이날 공동문서에 서명했다.\n회담은 도쿄에서 열렸다."
    )


def test_html_is_recognised_by_content():
    assert detect_format(HTML_PAGE, "page.txt") == "html"
    assert detect_format('{"title": "x"}\n{"title": "y"}\n', "dump.txt") == "jsonl"
    assert detect_format(NAVER_STYLE, "a.txt") == "markdown"
    assert detect_format("---\n그냥 줄입니다\n", "a.txt") == "text"


def test_a_json_dump_is_recognised_by_content_and_read_article_by_article():
    dump = json.dumps(
        [
            {"id": "d-1", "title": "국회서 법안 통과", "body": "법안이 통과됐다."},
            {"title": "둘"},
            3,
        ],
        ensure_ascii=False,
    )
    assert detect_format(dump, "export") == "jsonl"
    first, second, third = _read(dump, "export")
    assert (first.id, first.title, first.body) == ("d-1", "국회서 법안 통과", "법안이 통과됐다.")
    assert (second.id, second.title) == ("export:2", "둘")
    assert third == Skip("export:3", "not a JSON object")
    wrapped = json.dumps({"count": 1, "items": [{"title": "하나"}]}, ensure_ascii=False, indent=2)
    assert [d.id for d in _read(wrapped, "wrapped.json")] == ["wrapped.json:1"]
    assert _read("[]", "empty.json") == [
        Skip("empty.json", "a JSON file without articles (neither objects nor an array of them)")
    ]
    # Articles that open with a bracket are text, not JSON.
    assert detect_format("[인사]전라남도\n\n국장급 전보", "a.txt") == "text"
    assert detect_format("{속보} 국회 본회의\n\n법안 통과", "a.txt") == "text"


def test_canonical_url_ignores_case_of_host_fragments_tracking_and_trailing_slash():
    assert canonical_url("HTTP://Example.COM/x/?b=1&utm_medium=x#f") == "http://example.com/x?b=1"
    assert canonical_url("https://www.rfa.org/a/b.html") == canonical_url(
        "HTTPS://WWW.RFA.ORG/a/b.html/?utm_source=feed#top"
    )


requires_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")


def _tar_members(name: str, count: int) -> list[tuple[str, str]]:
    found = []
    with tarfile.open(CORPUS / name, "r:xz") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".md"):
                found.append((member.name, archive.extractfile(member).read().decode("utf-8")))
                if len(found) == count:
                    break
    return found


@requires_corpus
@pytest.mark.parametrize("name", ["zh-waimei-posts.tar.xz", "ko-naver-baram-md.tar.xz"])
def test_real_corpus_posts_read_with_title_date_source_and_clean_body(name):
    for path, text in _tar_members(name, 40):
        document = _one(text, path)
        assert document.title and document.published and document.source, path
        assert "Crawled at" not in document.body and "<!--" not in document.body, path


@requires_corpus
def test_real_json_lines_records_read_with_their_own_ids():
    with lzma.open(CORPUS / "ko-lawtimes-opinion.jsonl.xz", "rt", encoding="utf-8") as handle:
        text = "".join(next(handle) for _ in range(40))
    documents = _read(text, "ko-lawtimes-opinion.jsonl")
    assert all(d.id.startswith("https://www.lawtimes.co.kr/") and d.body for d in documents)
    assert {d.source for d in documents} == {"법률신문"}


def test_a_title_that_runs_into_the_opening_paragraph_ends_at_its_line_break():
    record = {
        "title": "伊朗向以色列发射导弹\n\n伊朗6月7日向以色列发射导弹，这是停火以来第一次。",
        "body": "以色列国防军证实，伊朗已发射11枚导弹。",
    }
    [document] = _read(json.dumps(record, ensure_ascii=False), "voa.jsonl")
    assert document.title == "伊朗向以色列发射导弹"
    assert document.body == (
        "伊朗6月7日向以色列发射导弹，这是停火以来第一次。\n\n以色列国防军证实，伊朗已发射11枚导弹。"
    )


# Markup in text fields (issue 9, item 4): known HTML tags become text and line breaks,
# entities are decoded once, and anything else in angle brackets stays text.


def test_html_line_breaks_in_a_json_lines_title_are_spaces_not_text():
    for br in ("<br>", "<BR >", "<br/>", "</br>", "<br />"):
        record = {"title": f"국방 개혁 속도전...{br}원로들은 우려", "body": "개혁안이 발표됐다."}
        [document] = _read(json.dumps(record, ensure_ascii=False), "feed.jsonl")
        assert document.title == "국방 개혁 속도전... 원로들은 우려", br
        assert document.body == "개혁안이 발표됐다."


def test_a_title_with_a_deck_split_by_br_tags_keeps_its_first_line_and_moves_the_deck():
    record = {
        "title": "칼럼 : 압류의 순서 - 먼저 한 압류가 앞선다</br>\n채권자들 순위는</br>\n"
        "압류 순서로 정해져<BR><BR>\n경합하면 평등하게",
        "body": "본문 첫 문단이다.",
    }
    [document] = _read(json.dumps(record, ensure_ascii=False), "opinion.jsonl")
    assert document.title == "칼럼 : 압류의 순서 - 먼저 한 압류가 앞선다"
    assert document.body == (
        "채권자들 순위는\n압류 순서로 정해져\n경합하면 평등하게\n\n본문 첫 문단이다."
    )


def test_html_in_a_json_lines_body_becomes_paragraphs_and_the_other_fields_text():
    record = {
        "title": "제목 &amp; 부제",
        "body": "첫 줄<br>둘째 줄<p>새 문단에 <b>굵은</b> 글씨와 "
        '<a href="https://x.example/">링크</a></p><div class="x">끝 문단</div>',
        "author": "홍길동 기자<br>",
        "publisher": "예시&#38;신문",
        "section": "사회&gt;법조",
    }
    [document] = _read(json.dumps(record, ensure_ascii=False), "feed.jsonl")
    assert document.title == "제목 & 부제"
    assert document.body == "첫 줄\n둘째 줄\n\n새 문단에 굵은 글씨와 링크\n\n끝 문단"
    assert document.author == "홍길동"
    assert (document.source, document.tags) == ("예시&신문", ["사회>법조"])


def test_escaped_markup_in_a_body_is_literal_text_decoded_once():
    record = {
        "title": "<script> 태그를 다룬 기사",
        "body": "기사에 &lt;script&gt;alert(1)&lt;/script&gt; 문자열과 &amp;lt; 기호가 있다. "
        "5 < 6 이고 R&D, AT&T, &notice 그대로. <조세법 판례백선>과 <A Tale of Two Cities>, "
        "<The Day After Tomorrow>는 책과 영화 제목이다.",
    }
    [document] = _read(json.dumps(record, ensure_ascii=False), "feed.jsonl")
    assert document.title == "<script> 태그를 다룬 기사"
    assert document.body == (
        "기사에 <script>alert(1)</script> 문자열과 &lt; 기호가 있다. "
        "5 < 6 이고 R&D, AT&T, &notice 그대로. <조세법 판례백선>과 <A Tale of Two Cities>, "
        "<The Day After Tomorrow>는 책과 영화 제목이다."
    )


def test_entities_and_tags_in_front_matter_values_become_text():
    post = "\n".join(
        [
            "---",
            'title: "总统呼吁&quot;保持冷静&quot;<br>众院表决"',
            "date: 2020-10-03 08:50:32",
            "author: Jane Roe &#38; John Doe",
            "from: https://example.com/a?x=1&amp;y=2",
            'tags: [评论, "A &amp; B"]',
            "---",
            "<p>正文第一段。</p>",
        ]
    )
    document = _one(post, "post.md")
    assert document.title == '总统呼吁"保持冷静" 众院表决'
    assert "Jane Roe & John Doe" in (document.source, document.author)
    assert "&#38;" not in document.source + document.author
    assert document.url == "https://example.com/a?x=1&y=2"
    assert "A & B" in document.tags

    markdown = NAVER_STYLE.replace("publisher: 뉴스1", "publisher: 뉴스&#38;통신")
    markdown = markdown.replace("한재준 기자 (", "한재준&lt;b&gt; 기자 (")
    document = _one(markdown, "baram/1.md")
    assert document.source == "뉴스&통신"
    assert document.author == "한재준<b>, 김지현"


# Only web URLs are URLs (issue 9, item 7).

HOSTILE_URLS = [
    ("javascript:alert(1)", "javascript:alert(1)"),
    (" JavaScript:alert(1)", "JavaScript:alert(1)"),
    ("java\tscript:alert(1)", "java\\x09script:alert(1)"),
    ("data:text/html,<script>", "data:text/html,<script>"),
    ("vbscript:msgbox", "vbscript:msgbox"),
    ("\x00javascript:", "\\x00javascript:"),
]


def _with_url(kind: str, url: str) -> tuple[str, str]:
    """An article in format ``kind`` whose URL is ``url``, and its path."""
    if kind == "jsonl":
        record = {"title": "제목", "body": "본문 문장이다.", "url": url}
        return json.dumps(record, ensure_ascii=False), "feed.jsonl"
    if kind == "jekyll":
        return f"---\ntitle: 제목\nfrom: {json.dumps(url)}\n---\n<p>본문 문장이다.</p>", "post.md"
    escaped = url.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    page = f'<html><head><link rel="canonical" href="{escaped}"><title>제목</title></head>'
    return page + "<body><p>본문 문장이다.</p></body></html>", "page.html"


@pytest.mark.parametrize("kind", ["jsonl", "jekyll", "html"])
@pytest.mark.parametrize(("url", "shown"), HOSTILE_URLS)
def test_a_url_that_is_not_http_is_dropped_with_a_notice_and_the_id_falls_back(kind, url, shown):
    text, path = _with_url(kind, url)
    notice, document = _read(text, path)
    assert isinstance(document, Document)
    assert document.url == ""
    where = "feed.jsonl:1" if kind == "jsonl" else path
    assert document.id == where
    assert notice.path == where
    assert notice.message.startswith("url dropped: not an http(s) URL: ")
    if kind != "jekyll":  # front matter values have their spaces collapsed first
        assert notice == Notice(where, f"url dropped: not an http(s) URL: {shown}")


def test_a_dropped_url_leaves_a_record_its_own_id_and_long_urls_are_cut_in_the_notice():
    record = {"id": "r-1", "title": "제목", "body": "본문.", "url": "data:" + "A" * 200}
    notice, document = _read(json.dumps(record), "feed.jsonl")
    assert (document.id, document.url) == ("r-1", "")
    assert notice.message == "url dropped: not an http(s) URL: data:" + "A" * 54 + "…"


def test_web_urls_lose_control_characters_and_other_schemes_are_none():
    assert web_url(" https://example.com/a\tb\x00c ") == "https://example.com/abc"
    for url in ["file:///etc/passwd", "//example.com/a", "/a/b.html", "http:///a", "mailto:a@b"]:
        assert web_url(url) == canonical_url(url) == "", url


def test_control_characters_leave_titles_and_ids():
    record = {
        "id": "a\x00b\x1fc\x7f",
        "title": "제목에\x00널\t탭\x07과\x1b[31m색\x85끝",
        "body": "본문 문장이다.",
    }
    [document] = _read(json.dumps(record, ensure_ascii=False), "feed.jsonl")
    assert document.id == "abc"
    assert document.title == "제목에 널 탭 과 [31m색 끝"
    [document] = _read(json.dumps({"title": "\x00\x01", "body": "본문."}), "feed.jsonl")
    assert (document.id, document.title) == ("feed.jsonl:1", "")
