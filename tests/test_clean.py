"""HTML to clean text, and boilerplate removal that keeps every article paragraph."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.boilerplate import cut_inline_footer, drop_lines, repeated_lines, strip_boilerplate
from indexer.clean import html_to_text

KOREAN_SEED = Path(__file__).resolve().parent.parent / "demo" / "seeds" / "004_af721fc1b1a612be.txt"

ARTICLE_PARAGRAPHS = [
    "[이데일리 정수영 기자] 미국이 앞으로 일본에 주둔중인 ‘주일미군’에 "
    "새로운 합동작전 사령부를 설치한다. 이를 통해 일본 자위대와 지휘통제를 연계한다는 방침이다.",
    "28일 일본 니혼게이자이(닛케이)신문에 따르면 미국과 일본은 이날 도쿄에서",
    "일본 측에서는 가미카와 요코 외무상과 기하라 미노루 방위상이 참석했으며,",
    "주일 미군은 올해 말 자위대에 설립하는 ‘합동 작전 사령부’를 위해",
    "닛케이에 따르면 합동작전사령부 인원은 240명 규모로",
    "두 나라는 또 미국이 핵을 포함한 군사력으로 일본을 방어하는",
    "오스틴 장관은 개회사에서 “확장억제는 일본 방위를 위해",
    "가미카와 외무상은 “현존하는 국제질서를 지키기 위해서는",
    "이날 4자회담에선 지난 4월 미일 정상회담에서 합의한 대로",
    "닛케이는 “‘4자장관급 회담은 미국이 국내외에서",
    "아울러 양국은 핵심 인프라 시설에 대한 사이버 공격을 막기 위한 공동 대응 방침도 이날 확인했다.",
    "TOKYO, JAPAN - JULY 28 : Antony Blinken, U.S. Secretary of State",
]
SITE_FURNITURE = [
    "추천 뉴스by Taboola",
    "맞춤 뉴스by Dable",
    "소셜 댓글",
    "많이 본 뉴스",
    "왼쪽 오른쪽",
    "바이오 투자 길라잡이 팜이데일리",
    "스무살의 설레임 스냅타임",
    "재미에 지식을 더하다 영상+",
    "두근두근 핫포토",
    "필드 위 여신",
    "GD시선강탈",
    "노병, 돌아오다",
    "'완벽 몸매'",
    "04517 서울시 중구 통일로 92",
    "대표전화 02-3772-0114",
    "webmaster@edaily.co.kr",
    "등록번호 서울 아 00090",
    "ⓒ 이데일리. All rights reserved",
    "\n이데일리\n",
]


@pytest.fixture(scope="module")
def seed_body() -> str:
    text = KOREAN_SEED.read_text(encoding="utf-8")
    return "\n" + strip_boilerplate(text.split("\n", 1)[1]) + "\n"


@pytest.mark.parametrize("paragraph", ARTICLE_PARAGRAPHS)
def test_scraped_korean_page_keeps_every_article_paragraph(seed_body, paragraph):
    assert paragraph in seed_body


@pytest.mark.parametrize("furniture", SITE_FURNITURE)
def test_scraped_korean_page_drops_site_footer(seed_body, furniture):
    assert furniture not in seed_body


def test_scraped_korean_page_keeps_paragraph_breaks(seed_body):
    assert seed_body.count("\n\n") == 10


def test_block_elements_become_paragraphs_and_br_a_line_break():
    html = "<div><p>첫 문단 &amp; 이어서</p><p>둘째 줄<br>셋째 줄</p></div><h2>소제목</h2>끝"
    assert html_to_text(html) == "첫 문단 & 이어서\n\n둘째 줄\n셋째 줄\n\n소제목\n\n끝"


def test_scripts_styles_frames_and_comments_are_removed():
    html = (
        "<p>본문<script>alert('x')</script><style>p{}</style>입니다</p><!-- hidden -->"
        "<noscript>자바스크립트를 켜세요</noscript><iframe src='x'>frame</iframe>"
    )
    assert html_to_text(html) == "본문입니다"


def test_whitespace_is_normalised_without_losing_text():
    html = "<p>  美国\n  和\t日本&nbsp;&nbsp;外长\u200b会谈 </p>\n\n\n<p>PAC-3</p>"
    assert html_to_text(html) == "美国 和 日本 外长会谈\n\nPAC-3"


def test_a_wrapper_named_after_captions_keeps_the_article_it_wraps():
    # An editor (cheditor) wraps whole articles, photo and all, in a "caption wrapper".
    html = (
        '<div class="cheditor-caption-wrapper"><figure><img src="a.jpg">'
        "<figcaption>법원 전경</figcaption></figure><p>대법원은 28일 원심을 확정했다.</p>"
        '<p class="photo-caption">사진 설명</p></div>'
    )
    assert html_to_text(html) == "대법원은 28일 원심을 확정했다."


def test_image_captions_and_alt_text_are_not_duplicated_into_the_body():
    html = (
        '<figure><img src="a.jpg" alt="회담 사진"><figcaption>회담 모습</figcaption></figure>'
        '<span class="lead_image_caption">사진 설명</span><span class="copyright">로이터</span>'
        "<p>회담이 열렸다.</p>"
    )
    assert html_to_text(html) == "회담이 열렸다."


def test_comment_sections_and_link_only_list_items_are_not_body():
    html = (
        '<article class="post comments-open"><p>正文第一段。</p>'
        '<ul><li><a href="/x">相关报道标题</a></li><li>列表 <b>正文</b></li></ul></article>'
        '<div id="comments"><p>spam comment</p></div>'
    )
    assert html_to_text(html) == "正文第一段。\n\n列表 正文"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (
            "덧붙였습니다.※ '당신의 제보가 뉴스가 됩니다'[카카오톡] YTN 검색[전화] 02-398-8585",
            "덧붙였습니다.",
        ),
        ("강조했다.■ 제보하기▷ 전화 : 02-781-1234▷ 이메일 : kbs1234@kbs.co.kr", "강조했다."),
        ("말했다.IT동아 이문규 기자 (munch@itdonga.com)", "말했다.IT동아"),
        ("밝혔다.#비행기 #항공 #휠체어", "밝혔다."),
        (
            "官方死亡總數來16萬2829例。（編輯：林沂鋒/核稿：林治平）1091111",
            "官方死亡總數來16萬2829例。",
        ),
        ("서명했다. 2025.12.30 kmn@newsis.com", "서명했다. 2025.12.30"),
        ("#請聽記者的採訪報導#台灣區電機公會理事長指出，供應鏈移出中國。", None),
    ],
)
def test_footers_glued_to_the_last_sentence_are_cut(line, kept):
    assert cut_inline_footer(line) == (line if kept is None else kept)


def test_feed_text_keeps_lists_and_short_items_but_drops_trailing_furniture():
    text = (
        "첫 문장입니다.\n\n▲김모 별세, 이모 모친상=29일 서울성모병원, (02)2258-5940\n\n[KBS 춘천]"
    )
    assert strip_boilerplate(text, trim_head=False) == (
        "첫 문장입니다.\n\n▲김모 별세, 이모 모친상=29일 서울성모병원, (02)2258-5940"
    )
    assert strip_boilerplate("전국 대체로 흐리고 곳곳에 비", trim_head=False) == (
        "전국 대체로 흐리고 곳곳에 비"
    )


def test_related_articles_heading_ends_the_article():
    text = "第一段正文。\n\n第二段正文。\n\n延伸閱讀\n\n另一篇新聞的標題"
    assert strip_boilerplate(text, trim_head=False) == "第一段正文。\n\n第二段正文。"


def test_lines_repeated_across_a_source_are_found_and_dropped():
    bodies = [f"기사 {n} 본문입니다.\n\n많이 본 뉴스\n\n구독하고 혜택 받기" for n in range(10)]
    bodies += ["다른 기사 본문입니다."] * 2
    repeated = repeated_lines(bodies, min_docs=5, min_share=0.5)
    assert repeated == {"많이 본 뉴스", "구독하고 혜택 받기"}
    assert drop_lines(bodies[0], repeated) == "기사 0 본문입니다."


@pytest.mark.parametrize(
    "line",
    [
        "2021-01-08T08:29:34Z",
        "2021-01-09T15:24:40.692Z",
        "2024-07-28 10:30",
        "Sun, 10 Jan 2021 13:50:30 GMT",
        "McCaffrey Newsletters , Opinion , 关于中国 2016年5月20日 2019年11月13日 0 Minutes",
    ],
)
def test_timestamp_and_post_meta_lines_are_not_body(line):
    text = f"美国总统拜登周五宣布新的制裁措施。\n\n{line}\n\n他说，这些措施将于下周生效。"
    assert strip_boilerplate(text, trim_head=False) == (
        "美国总统拜登周五宣布新的制裁措施。\n\n他说，这些措施将于下周生效。"
    )


def test_a_sentence_with_a_date_in_it_stays():
    text = "2021年1月11日，美国加州圣迭戈，新冠疫苗超级接种站开放。\n\n接种规模每日5000人。"
    assert strip_boilerplate(text, trim_head=False) == text


def test_html_line_breaks_in_plain_text_become_line_breaks():
    from indexer.clean import normalise_paragraphs

    assert normalise_paragraphs("집행정지 결정 <br />등기사항으로<BR>적는다") == (
        "집행정지 결정\n등기사항으로\n적는다"
    )


@pytest.mark.parametrize(
    "line",
    [
        "Embed from Getty Images",
        "（欢迎点击此处订阅NYT简报，我们将在每个工作日发送最新内容至您的邮箱。）",
        "20/01/2021 - 20:31",
        "Don Evans 在 星期日, 02/11/2018 - 18:20 提交",
        "Anonymous (未验证) 在 星期六, 12/20/2014 - 08:58 提交",
        "wechatimg1424.jpeg",
        "12140117416_79136e723d_z.jpg",
    ],
)
def test_embeds_subscription_invitations_post_stamps_and_image_names_are_not_body(line):
    text = f"美国总统拜登周五宣布新的制裁措施。\n\n{line}\n\n他说，这些措施将于下周生效。"
    assert strip_boilerplate(text, trim_head=False) == (
        "美国总统拜登周五宣布新的制裁措施。\n\n他说，这些措施将于下周生效。"
    )


@pytest.mark.parametrize(
    "text",
    [
        "欢迎仪式结束后，他订阅了三份当地报纸，每天早上都读。",
        "他在20/01/2021 - 20:31发出了这条推文。",
        "The file photo.jpg was attached to the complaint, she said.",
    ],
)
def test_sentences_like_furniture_lines_stay(text):
    assert strip_boilerplate(text, trim_head=False) == text


def test_a_feed_items_more_link_is_cut_and_its_text_kept():
    text = "港警下午發出聲明，承諾會徹查到底，警方目前逮捕37名嫌犯，並有7人被......more"
    assert strip_boilerplate(text, trim_head=False) == text.removesuffix("more")
    assert strip_boilerplate("他说他还想要更多 more", trim_head=False) == "他说他还想要更多 more"


def _post(folder: Path, number: int, author: str, url: str, extra: str = "") -> None:
    (folder / f"post-{number:02d}.md").write_text(
        f'---\nlayout: post\ntitle: "第{number}篇文章"\ndate: 2021-01-{number % 28 + 1:02d}\n'
        f"author: {author}\nfrom: {url}\ntags: [ 评论 ]\n---\n\n<!--NaN-->\n\n"
        f"<div>{extra}<p>这是第{number}篇文章的正文，讲述了当天发生的事情。</p></div>\n",
        "utf-8",
    )


def _learned_corpus(folder: Path):
    from indexer.furniture import learn_furniture, without_furniture
    from indexer.reader import ReadOptions
    from indexer.units import plan_units, read_unit
    from search.document import Document

    plan = plan_units([folder], ReadOptions())
    furniture = learn_furniture(plan, ReadOptions())
    docs = [
        without_furniture(item, furniture)
        for unit in plan.units
        for _, item in read_unit(unit, ReadOptions())
        if isinstance(item, Document)
    ]
    return furniture, {doc.url.rsplit("/", 1)[-1]: doc for doc in docs}


def test_a_hosts_usual_name_is_its_publisher_and_a_rare_one_a_person(tmp_path):
    corpus = tmp_path / "posts"
    corpus.mkdir()
    for number in range(1, 7):
        _post(corpus, number, "Feed A", f"https://a.example/{number}")
    _post(corpus, 7, "Jane Doe", "https://www.a.example/7")
    _, docs = _learned_corpus(corpus)
    assert {doc.source for doc in docs.values()} == {"Feed A"}
    assert {key: doc.author for key, doc in docs.items() if doc.author} == {"7": "Jane Doe"}


def test_a_host_without_a_usual_name_is_its_own_publisher(tmp_path):
    corpus = tmp_path / "posts"
    corpus.mkdir()
    for number, author in enumerate(["张三", "李四", "王五", "张三", "unknown"], start=1):
        _post(corpus, number, author, f"https://www.blog.example/{number}")
    _, docs = _learned_corpus(corpus)
    assert {doc.source for doc in docs.values()} == {"blog.example"}
    assert [docs[str(n)].author for n in range(1, 6)] == ["张三", "李四", "王五", "张三", ""]


def test_publisher_is_the_name_of_most_posts_else_the_host_and_unknown_under_three_posts():
    from indexer.furniture import publisher

    assert publisher("a.example", {"Feed A": 3, "Jane Doe": 2}) == "Feed A"
    assert publisher("a.example", {"Feed A": 2, "Jane Doe": 2}) == "a.example"
    assert publisher("a.example", {"Feed A": 3, "Anonymous": 9}) == "Feed A"
    assert publisher("a.example", {"Feed A": 2, "unknown": 5}) is None


def test_a_host_with_too_few_posts_keeps_their_names_as_sources(tmp_path):
    corpus = tmp_path / "posts"
    corpus.mkdir()
    _post(corpus, 1, "自由亚洲电台", "https://www.rfa.org/1")
    _post(corpus, 2, "unknown", "https://www.rfa.org/2")
    _, docs = _learned_corpus(corpus)
    assert [(docs[n].source, docs[n].author) for n in "12"] == [
        ("自由亚洲电台", ""),
        ("rfa.org", ""),
    ]


def test_a_small_sources_furniture_is_learned_under_its_publisher_and_saved(tmp_path):
    from indexer.furniture import load_furniture, save_furniture, without_furniture
    from indexer.reader import ReadOptions
    from indexer.units import plan_units, read_unit

    corpus = tmp_path / "posts"
    corpus.mkdir()
    promo = "<p>点击订阅我们的每日新闻简报</p>"
    for number in range(1, 29):
        _post(corpus, number, "Big Feed", f"https://big.example/{number}")
    for number in range(29, 35):
        _post(corpus, number, "Small Feed", f"https://small.example/{number}", promo)
    _post(corpus, 35, "Jane Doe", "https://small.example/35", promo)
    furniture, docs = _learned_corpus(corpus)
    assert furniture.lines == {"Small Feed": {"点击订阅我们的每日新闻简报"}}
    assert "简报" not in docs["35"].body
    assert (docs["35"].source, docs["35"].author) == ("Small Feed", "Jane Doe")

    save_furniture(tmp_path, furniture)
    (unit,) = plan_units([corpus / "post-35.md"], ReadOptions()).units
    (_, doc), *_ = read_unit(unit, ReadOptions())
    doc = without_furniture(doc, load_furniture(tmp_path))
    assert (doc.source, doc.author, doc.body) == (
        docs["35"].source,
        docs["35"].author,
        docs["35"].body,
    )
