"""Related articles on a real index: the same event first, the article's own language only,
never the article or a copy of it, and a 5 MB article answers like a short one."""

from __future__ import annotations

import io
import json

import pytest
from conftest import write_config

from search.related import distinctive_words, related_documents
from search.searcher import SearchService

# A 5 MB article (5,000,000 characters): a flood report said over and over.
LONG_PARAGRAPH = (
    "长江中游洪水持续上涨，湖北武汉和江西九江的防汛形势严峻。"
    "长江水利委员会发布洪水预警，三峡水库加大泄洪，沿江堤防全线巡查。"
)
LONG_CHARS = 5_000_000


def _record(doc_id: str, title: str, body: str, publisher: str, published: str, **extra):
    return {
        "id": doc_id,
        "title": title,
        "body": body,
        "publisher": publisher,
        "published": published,
        **extra,
    }


ITAEWON_1 = _record(
    "ko-itaewon-1",
    "이태원 클럽 코로나19 집단감염 확진자 54명으로 늘어",
    "서울 이태원 클럽을 다녀간 확진자가 54명으로 늘었다. 방역당국은 이태원 클럽 방문자에게 "
    "코로나19 진단검사를 받으라고 당부했다. 이태원 클럽 집단감염은 지역사회로 번지고 있다. "
    "방역당국은 클럽 방문자 명단을 확보해 연락하고 있다.",
    "연합뉴스",
    "2020-05-10T10:00:00+09:00",
)
ITAEWON_2 = _record(
    "ko-itaewon-2",
    "이태원 클럽 방문자 진단검사 하루 1만5천건",
    "이태원 클럽 집단감염 이후 진단검사를 받은 방문자가 하루 1만5천 명을 넘었다. "
    "방역당국은 이태원 클럽 방문자의 익명 검사를 허용했다. 클럽 방문자 가운데 확진자가 "
    "이어지자 서울시는 클럽에 집합금지 명령을 내렸다.",
    "뉴스1",
    "2020-05-12T09:00:00+09:00",
)
KOREAN = [
    ITAEWON_1,
    # The same article again under another address: a copy, never related to itself.
    {**ITAEWON_1, "id": "ko-itaewon-1-copy", "publisher": "네이버뉴스"},
    ITAEWON_2,
    # Another outlet's copy of the second article: listed once at most.
    {**ITAEWON_2, "id": "ko-itaewon-2-copy", "publisher": "다음뉴스"},
    _record(
        "ko-vaccine",
        "코로나19 백신 접종 다음 달 시작",
        "정부는 코로나19 백신 접종을 다음 달 시작한다고 밝혔다. 백신 접종은 의료진부터 "
        "시작하며 백신 물량은 충분하다고 정부는 설명했다.",
        "KBS",
        "2021-01-20T09:00:00+09:00",
    ),
    _record(
        "ko-command",
        "주일미군 사령부 격상 합의…미일 안보협의",
        "미국과 일본이 주일미군 사령부를 통합군사령부로 격상하기로 합의했다. 미일 안보협의에서 "
        "양국은 주일미군 사령부의 지휘 권한을 강화하고 자위대와 작전 협력을 늘리기로 했다.",
        "이데일리",
        "2024-07-28T18:00:00+09:00",
    ),
    _record(
        "ko-rain",
        "전국 장마 시작…남부 폭우 주의",
        "기상청은 전국이 장마에 들어갔다고 밝혔다. 남부 지방에는 폭우가 예상되며 기상청은 "
        "장마 기간 산사태와 침수에 주의하라고 당부했다.",
        "SBS",
        "2024-06-25T07:00:00+09:00",
    ),
    _record(
        "ko-baseball",
        "프로야구 개막전 매진…관중 10만 명",
        "프로야구 개막전 다섯 경기가 모두 매진됐다. 프로야구 관중은 하루 10만 명을 넘었고 "
        "구단들은 개막전 관중 기록을 새로 썼다.",
        "MBC",
        "2024-03-23T20:00:00+09:00",
    ),
]
CHINESE = [
    _record(
        "zh-command",
        "美日2+2安全磋商 加强驻日美军指挥权",
        "美日两国在东京举行2+2安全磋商，美国国务卿布林肯（Blinken）和国防部长奥斯汀（Austin）"
        "出席。双方同意升级驻日美军司令部，加强驻日美军的指挥权。布林肯（Blinken）说，"
        "驻日美军司令部将与自卫队联合司令部协调；奥斯汀（Austin）说，美日将增加导弹生产。",
        "自由亚洲电台",
        "2024-07-28T12:00:00+08:00",
    ),
    _record(
        "zh-hant-command",
        "美日2+2安全磋商 強化駐日美軍指揮權",
        "美日兩國舉行2+2安全磋商，同意升級駐日美軍司令部，強化駐日美軍的指揮權。"
        "美日安全磋商後，駐日美軍司令部將與自衛隊聯合司令部協調。",
        "中央社",
        "2024-07-29T09:00:00+08:00",
    ),
    _record(
        "zh-korea-drill",
        "美韩举行联合军演",
        "美韩两国举行年度联合军演，驻韩美军和韩国军队参加。联合军演持续两周，"
        "驻韩美军司令部表示军演是防御性的。",
        "美国之音",
        "2024-08-19T10:00:00+08:00",
    ),
    _record(
        "zh-flood",
        "长江洪水告急 武汉九江防汛",
        "长江中游洪水上涨，武汉和九江防汛形势严峻。长江水利委员会发布洪水预警，三峡水库加大泄洪。",
        "联合早报",
        "2020-07-12T10:00:00+08:00",
    ),
    _record(
        "zh-flood-long",
        "长江洪水 沿江城市防汛全纪录",
        (LONG_PARAGRAPH * (LONG_CHARS // len(LONG_PARAGRAPH) + 1))[:LONG_CHARS],
        "长文社",
        "2020-07-15T10:00:00+08:00",
    ),
    _record(
        "zh-stocks",
        "中国股市大涨 沪指创新高",
        "中国股市周一大涨，沪指创下新高。股市成交额放大，券商股领涨，投资者对股市前景乐观。",
        "路透",
        "2020-10-12T16:00:00+08:00",
    ),
    _record(
        "zh-hant-typhoon",
        "颱風逼近台灣 東部豪雨",
        "颱風逼近台灣，中央氣象局發布颱風警報，東部地區將有豪雨。颱風預計明天登陸。",
        "中央社",
        "2024-09-01T10:00:00+08:00",
    ),
]
ENGLISH = [
    _record(
        "en-command",
        "US and Japan upgrade the command of US forces in Japan",
        "Blinken and Austin met their Japanese counterparts in Tokyo. The United States and "
        "Japan agreed to upgrade the command of US forces in Japan, Blinken said; Austin said "
        "the command will work with the joint command of Japan's forces.",
        "VOA",
        "2024-07-29T08:00:00+00:00",
        lang="en",
    ),
    _record(
        "en-command-2",
        "Tokyo talks: a joint force command for US forces in Japan",
        "After the Tokyo talks, US forces in Japan will get a joint force command, and Japan "
        "will produce more missiles for the United States.",
        "Reuters",
        "2024-07-30T08:00:00+00:00",
        lang="en",
    ),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from indexer.build import rebuild
    from search.config import load_settings

    root = tmp_path_factory.mktemp("related")
    corpus = root / "news"
    corpus.mkdir()
    records = KOREAN + CHINESE + ENGLISH
    (corpus / "news.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8"
    )
    config = write_config(root / "config.toml", corpus, root / "index")
    settings = load_settings(config, environ={})
    rebuild(settings, stream=io.StringIO())
    service = SearchService(settings)
    service.warm_up()
    return service


def _related(service, doc_id: str, limit: int = 10) -> list[str]:
    return [hit.id for hit in service.related(doc_id, limit)]


def _langs(service, doc_id: str) -> set[str]:
    return {hit.lang for hit in service.related(doc_id, 10)}


def test_the_same_event_comes_first(service):
    assert _related(service, "ko-itaewon-1")[0] == "ko-itaewon-2"
    assert _related(service, "ko-itaewon-2")[0] == "ko-itaewon-1"
    assert _related(service, "zh-command")[0] == "zh-hant-command"
    assert _related(service, "zh-hant-command")[0] == "zh-command"
    assert _related(service, "en-command") == ["en-command-2"]


def test_simplified_and_traditional_chinese_are_one_language(service):
    """The traditional report of the same talks is found from the simplified one, and
    the other way round; never an article in Korean or English."""
    assert _langs(service, "zh-command") <= {"zh-Hans", "zh-Hant"}
    assert _langs(service, "zh-hant-command") <= {"zh-Hans", "zh-Hant"}


def test_an_article_in_another_language_is_never_related(service):
    """The English report of the 2+2 talks shares Blinken and Austin with the Chinese one,
    said twice in each, but is in another language: never listed with it, nor the Korean
    report."""
    assert "en-command" not in _related(service, "zh-command")
    assert "ko-command" not in _related(service, "zh-command")
    assert _langs(service, "ko-itaewon-1") == {"ko"}
    assert _langs(service, "ko-command") <= {"ko"}
    assert _langs(service, "en-command") == {"en"}


def test_the_article_and_its_copies_are_never_listed(service):
    related = _related(service, "ko-itaewon-1")
    assert "ko-itaewon-1" not in related
    assert "ko-itaewon-1-copy" not in related
    assert "ko-itaewon-1" not in _related(service, "ko-itaewon-1-copy")


def test_copies_of_a_related_article_are_listed_once(service):
    """The first of two copies (same cluster, or in an index without clusters, same
    title) stands for both."""
    related = _related(service, "ko-itaewon-1")
    assert "ko-itaewon-2" in related
    assert "ko-itaewon-2-copy" not in related


def test_an_article_on_another_subject_is_not_related(service):
    """The Itaewon cluster's reports share 코로나19 with the vaccine story and 서울 or
    밝혔다 with others, but only the cluster itself is related."""
    assert _related(service, "ko-itaewon-1") == ["ko-itaewon-2"]
    assert _related(service, "ko-command") == []  # no other Korean report of the talks


def test_a_five_megabyte_article_answers(service):
    """Only the opening of a 5 MB article is read: it answers with the other flood
    report, and is itself found from it."""
    document = service.document("zh-flood-long")
    assert len(document.body) == LONG_CHARS
    assert _related(service, "zh-flood-long")[0] == "zh-flood"
    assert _related(service, "zh-flood")[0] == "zh-flood-long"


def test_without_clusters_a_copy_is_an_article_with_the_same_title(service, monkeypatch):
    """An index built before near-duplicate clusters: the article's copy and the second
    copy of a related article are told by their titles."""
    with service._using() as opened:
        monkeypatch.setattr(opened.columns, "clusters", None)
        searcher = opened.searcher
        docnum = searcher.document_number(id="ko-itaewon-1")
        ranked = related_documents(searcher, opened.columns, opened.builder.words, docnum, 10)
        ids = [searcher.stored_fields(d)["id"] for d, _ in ranked]
    assert ids == ["ko-itaewon-2"]


def test_the_limit_is_kept(service):
    assert len(_related(service, "zh-command", limit=1)) == 1
    assert service.related("no-such-id") is None


def test_distinctive_words_are_the_articles_subject_in_its_own_words(service):
    """Title words and words said again; never a function word, a number or a word
    said once."""
    with service._using() as opened:
        searcher = opened.searcher
        docnum = searcher.document_number(id="ko-itaewon-1")
        stored = searcher.stored_fields(docnum)
        words = distinctive_words(searcher, opened.builder.words, stored["title"], stored["body"])
    terms = [w.term for w in words]
    assert {"이태원", "클럽", "확진자"} <= set(terms)
    assert "54" not in terms  # a number
    assert "있" not in terms  # a function word (번지고 있다)
    assert "지역사회" not in terms  # said once, in the body only
    assert terms == [w.term for w in sorted(words, key=lambda w: -w.weight)]
