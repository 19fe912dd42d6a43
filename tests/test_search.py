"""The search engine on a real index: ranking, query language, highlights, facets, paging."""

from __future__ import annotations

import html
import json
import math
import re
from datetime import date

import pytest
from conftest import built_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.build import rebuild
from search import proximity
from search.analysis.normalizers.chinese import to_simplified
from search.analysis.normalizers.unicode import nfkc
from search.config import load_settings
from search.models import SearchError, SearchRequest
from search.query import parse_query
from search.searcher import SearchService
from search.xapian_documents import DocumentData

CHINESE_SEED_ID = (
    "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/"
    "tt-us-japan-military-alliance-07282024104813.html"
)
KOREAN_SEED_ID = "news/004_af721fc1b1a612be.txt"
_MARK = re.compile(r"<mark>(.*?)</mark>")


@pytest.fixture(scope="module", params=["whoosh", "xapian"])
def service(request, search_settings, xapian_search_settings):
    """The search service on each engine's index of the same articles."""
    settings = search_settings if request.param == "whoosh" else xapian_search_settings
    service = SearchService(settings)
    service.warm_up()
    return service


@pytest.fixture(scope="module")
def whoosh_service(search_settings):
    service = SearchService(search_settings)
    service.warm_up()
    return service


def _search(service, q: str, **kwargs):
    return service.search(SearchRequest(q=q, **kwargs))


def _ids(response) -> list[str]:
    return [hit.id for hit in response.results]


def _complete_ids(response) -> list[str]:
    """The results with every word of the query."""
    return [hit.id for hit in response.results if not hit.missing]


def test_chinese_words_rank_the_chinese_seed_first(service):
    response = _search(service, "美日 安全磋商")
    assert response.total_all_words == 2
    assert response.results[0].missing == []
    assert _ids(response)[0] == CHINESE_SEED_ID
    assert response.results[0].title_html == (
        "<mark>美日</mark>2+2<mark>安全磋商</mark> 加强驻日美军军事指挥权"
    )


def test_korean_words_rank_the_korean_seed_first(service):
    response = _search(service, "주일미군 사령부")
    assert _ids(response)[0] == KOREAN_SEED_ID
    assert "<mark>주일미군</mark>" in response.results[0].snippet_html


def test_simplified_query_marks_the_traditional_characters_as_written(service):
    response = _search(service, "吓阻")
    assert _ids(response) == [CHINESE_SEED_ID]
    marks = _MARK.findall(response.results[0].snippet_html)
    assert marks and set(marks) == {"嚇阻"}


def test_traditional_query_finds_simplified_article_and_back(service):
    assert _complete_ids(_search(service, "國際論壇")) == ["zh-hant-1"]
    assert _complete_ids(_search(service, "国际论坛")) == ["zh-hant-1"]
    assert _search(service, "国际论坛").results[0].title_html == "<mark>國際論壇</mark>在臺灣舉行"


def test_a_word_is_marked_whole_where_the_article_segments_it_otherwise(service):
    response = _search(service, "埃博拉")
    assert _ids(response) == ["zh-ebola-2"]  # zh-ebola-1, its copy, folded under it
    assert response.results[0].snippet_html.startswith("第17轮<mark>埃博拉</mark>疫情在刚果暴发。")


def test_a_near_duplicate_is_folded_under_the_result_it_copies(service):
    response = _search(service, "刚果 疫情")
    assert response.total == 2  # both copies match; one result shows
    [hit] = response.results
    assert (hit.id, hit.source) == ("zh-ebola-2", "美国之音")  # the shorter text ranks first
    assert [(s.id, s.title, s.source) for s in hit.similar] == [
        ("zh-ebola-1", "刚果再现疫情", "中央社")
    ]
    assert hit.similar[0].published.iso() == "2020-06-02T10:00:00+08:00"


def test_a_compound_is_every_word_only_where_it_stands_whole(service):
    response = _search(service, "주일미군 사령부", size=100)
    seed = response.results[0]
    assert seed.id == KOREAN_SEED_ID and seed.missing == []
    # Articles with 사령부 but not 주일미군 (nor 주일 미군 next to each other) lack it.
    assert {tuple(hit.missing) for hit in response.results[1:]} == {("주일미군",)}


def test_quoted_korean_compound_is_an_exact_phrase(service):
    response = _search(service, '"합동작전사령부"')
    assert _ids(response) == [KOREAN_SEED_ID]
    assert "<mark>합동작전사령부</mark>" in response.results[0].title_html
    # Spacing does not matter inside a Korean phrase; other words in between do.
    assert "<mark>합동 작전 사령부</mark>" in response.results[0].snippet_html
    # Only the phrase is marked, not 사령부 or 작전 standing elsewhere.
    marked = _MARK.findall(response.results[0].title_html + response.results[0].snippet_html)
    assert set(marked) == {"합동작전사령부", "합동 작전 사령부", "합동작전 사령부"}
    # 합동 then 사령부 stands in no article: the phrase is searched as its words, and said.
    apart = _search(service, '"합동 사령부"', size=100)
    assert apart.phrases_as_words == ['"합동 사령부"']
    assert _ids(apart) == _ids(_search(service, "합동 사령부", size=100))
    assert KOREAN_SEED_ID in _ids(apart)
    within = _search(service, '"합동 사령부" OR "합동작전사령부"', size=100)
    assert within.phrases_as_words == [] and _ids(within) == [KOREAN_SEED_ID]


def test_a_korean_headlines_hanja_finds_the_word_it_stands_for(service):
    # Korean headlines write 美 for 미국 and 日 for 일본; the seed writes them in Hangul.
    response = _search(service, "美 日 사령부 설치", size=100)
    seed = response.results[0]
    assert (seed.id, seed.missing) == (KOREAN_SEED_ID, [])
    assert response.total_all_words == 1
    marked = set(_MARK.findall(seed.title_html + seed.snippet_html))
    assert {"미국", "일본"} <= marked
    # Without Hangul the query is Chinese: 美 and 日 are not 미국 and 일본.
    chinese = _search(service, "美 日", size=100)
    assert KOREAN_SEED_ID not in _ids(chinese)


def test_korean_particles_do_not_hide_nouns(service):
    with_particle = _ids(_search(service, "사령부를", size=100))
    assert KOREAN_SEED_ID in with_particle
    assert set(with_particle) == set(_ids(_search(service, "사령부", size=100)))


def test_excluded_word_removes_articles(service):
    assert {"bulk-00", "xss-1", KOREAN_SEED_ID} <= set(_ids(_search(service, "사령부", size=100)))
    assert _ids(_search(service, "사령부 -국방부", size=100)) == [KOREAN_SEED_ID, "xss-1"]
    assert _ids(_search(service, "사령부 -일본", size=100)).count(KOREAN_SEED_ID) == 0


def test_or_between_words_matches_either(service):
    assert set(_ids(_search(service, "嚇阻 OR 國際論壇"))) == {CHINESE_SEED_ID, "zh-hant-1"}


def test_language_filter_in_query_and_request(service):
    assert _search(service, "사령부 lang:zh").total == 0
    assert _ids(_search(service, "PAC-3 lang:en")) == ["en-1"]
    assert _ids(_search(service, "PAC-3", lang=("zh",))) == [CHINESE_SEED_ID]
    assert _ids(_search(service, "PAC-3 -lang:en")) == [CHINESE_SEED_ID]


def test_date_range_excludes_what_it_should(service):
    expected = ["bulk-00", "bulk-01", "bulk-02", "bulk-12", "bulk-13", "bulk-14"]
    by_query = _search(service, "사령부 published:2023-01..2023-03", size=100)
    assert sorted(_ids(by_query)) == expected
    by_request = _search(
        service, "사령부", date_from=date(2023, 1, 1), date_to=date(2023, 3, 31), size=100
    )
    assert sorted(_ids(by_request)) == expected
    assert _ids(_search(service, "사령부 published:2024-07-28")) == [KOREAN_SEED_ID]


def test_source_filter(service):
    response = _search(service, '사령부 source:"연합뉴스"', size=100)
    assert response.total == 15
    assert {hit.source for hit in response.results} == {"연합뉴스"}


def test_title_only_words(service):
    assert set(_ids(_search(service, "磋商"))) == {CHINESE_SEED_ID, "zh-hant-1"}
    assert _ids(_search(service, "title:磋商")) == [CHINESE_SEED_ID]  # zh-hant-1: body only


def test_an_article_lacking_a_word_is_listed_after_those_with_every_word(service):
    response = _search(service, "사령부 존재하지않는낱말", size=100)
    assert response.total_all_words == 0
    assert KOREAN_SEED_ID in _ids(response)
    # 존재하지않는낱말 is read as 존재 (하지 않는) 낱말: two words, both missing.
    assert {tuple(hit.missing) for hit in response.results} == {("존재", "낱말")}
    every = _search(service, "국방부 사령부 개편", size=100)
    complete = [hit for hit in every.results if not hit.missing]
    assert len(complete) == every.total_all_words > 0
    assert every.results[: len(complete)] == complete  # every word first, then the rest
    assert every.total > every.total_all_words


def _coordination(searcher, units, present) -> float:
    """The documented coordination: (weight of the units present / weight of all) ** 3,
    a unit weighing log(1 + articles / articles with it), counted by plain Whoosh."""
    articles = searcher.doc_count_all()
    weights = {}
    for unit in units:
        having = len(searcher.search(unit.match, limit=None))
        weights[unit.label] = math.log(1 + articles / max(having, 1))
    share = sum(weights[label] for label in present) / sum(weights.values())
    return 1.0 if set(present) == set(weights) else share**3


def _built(search_settings, q):
    from search.query import QueryBuilder, parse_query
    from search.store import IndexStore, open_index

    index = open_index(IndexStore(search_settings.index.path).current_path())
    schema = index.schema
    builder = QueryBuilder(schema["body"].analyzer, schema["body_chars"].analyzer)
    return index, builder.build(parse_query(q))


def test_a_missing_word_costs_its_share_of_the_words_rarity(service, search_settings):
    # 사령부 is in 32 of the 37 articles; qxzvwk in none, and weighs as a word of one.
    alone = {hit.id: hit.score for hit in _search(service, "사령부", size=100).results}
    half = _search(service, "사령부 qxzvwk", size=100)
    assert half.total_all_words == 0
    assert half.total == len(alone) == 32
    index, built = _built(search_settings, "사령부 qxzvwk")
    with index.searcher() as searcher:
        assert searcher.doc_count_all() == 37
        factor = _coordination(searcher, built.counted, ["사령부"])
    assert factor == pytest.approx(
        (math.log(1 + 37 / 32) / (math.log(1 + 37 / 32) + math.log(38))) ** 3
    )
    # The first RESCORE_DEPTH are rescored by the share of the words' weight their best
    # passage holds (search.proximity): 사령부's again.
    share = math.log(1 + 37 / 32) / (math.log(1 + 37 / 32) + math.log(38))
    assert proximity.RESCORE_DEPTH == 20
    for rank, hit in enumerate(half.results):
        assert hit.missing == ["qxzvwk"]
        closeness = share**1.5 if rank < 20 else 1.0
        assert hit.score == pytest.approx(factor * closeness * alone[hit.id], rel=1e-12)


def test_a_common_word_lists_no_article_by_itself_beside_a_rarer_one(service, monkeypatch):
    from search import ranked_list

    assert _search(service, "사령부 합동작전사령부", size=100).total == 32  # 사령부: in 32 of 36
    monkeypatch.setattr(ranked_list, "COMMON_MIN", 10)  # 32 articles are many now
    response = _search(service, "합동작전사령부 사령부", size=100)
    assert _ids(response) == [KOREAN_SEED_ID]
    assert response.total == response.total_all_words == 1


_HEADLINE_ARTICLES = [  # (id, title, body)
    ("whole", "국회일정 발표", "이번 주 국회일정과 법안 처리 계획이 나왔다."),
    ("parts", "본회의 열려", "국회는 오늘 본회의를 열어 법안을 처리했다. 다음 주 일정은 미정이다."),
    (
        "neither",
        "법안 처리 늦어져",
        "법안 처리가 늦어졌다. 법안 심사와 법안 표결, 법안 공포는 미뤄졌다.",
    ),
    ("beach", "숭어 떼 발견", "강릉 해변에서 숭어 떼가 발견됐다."),
    ("court", "증언 번복", "그는 법정에서 진술을 번복했다. 보고서는 제출하지 않았다."),
    ("zh-pairs", "柏林集会", "罗冠聪今天在柏林呼吁德国支持香港。"),
    ("zh-neither", "德国外交", "德国外交部说，德国政府与德国议会都关注此事。"),
    ("close", "부두 소식", "태풍이 항구를 덮쳤다. " + "오늘은 맑고 따뜻하다. " * 10),
    (
        "apart",
        "해안 소식",
        "태풍이 왔다. 태풍 피해. " + "오늘은 맑고 따뜻하다. " * 10 + "항구는 조용했다.",
    ),
    *[(f"other-{i}", f"날씨 {i}", "오늘은 맑고 따뜻하다.") for i in range(6)],
]


@pytest.fixture(scope="module", params=["whoosh", "xapian"])
def headlines(request, tmp_path_factory):
    """A service on a few articles for headline-like queries (``_HEADLINE_ARTICLES``)."""

    def write_corpus(folder):
        folder.mkdir()
        lines = [
            json.dumps({"id": i, "title": t, "body": b, "publisher": "테스트일보"}) + "\n"
            for i, t, b in _HEADLINE_ARTICLES
        ]
        (folder / "a.jsonl").write_text("".join(lines), "utf-8")

    root = tmp_path_factory.mktemp(f"headlines-{request.param}")
    return SearchService(built_settings(root, request.param, write_corpus))


def test_an_article_holding_the_words_together_ranks_above_one_holding_them_apart(
    headlines, monkeypatch
):
    # Both hold 태풍 and 항구 (every word); "apart" has 태풍 twice, so by BM25 alone it is
    # first, but its 항구 stands over 100 characters after: its best passage holds half of
    # the words' weight (each is in the same two articles), and its score is multiplied by
    # 0.5 ** 1.5.
    ranked = _search(headlines, "태풍 항구", size=10).results
    assert [(hit.id, hit.missing) for hit in ranked] == [("close", []), ("apart", [])]
    monkeypatch.setattr(proximity, "RESCORE_DEPTH", 0)
    plain = _search(SearchService(headlines.settings), "태풍 항구", size=10).results
    assert [hit.id for hit in plain] == ["apart", "close"]
    scores = {hit.id: hit.score for hit in plain}
    assert ranked[0].score == pytest.approx(scores["close"], rel=1e-12)
    assert ranked[1].score == pytest.approx(scores["apart"] * 0.5**1.5, rel=1e-12)


def test_a_compounds_parts_apart_earn_part_of_its_weight(headlines):
    # "parts" says 국회 … 일정, not 국회일정: it lacks the compound (and says so), but ranks
    # above "neither", which has 법안 more often and neither part. Without the credit it
    # ranked below on both engines.
    response = _search(headlines, "국회일정 법안", size=10)
    assert [(hit.id, hit.missing) for hit in response.results] == [
        ("whole", []),
        ("parts", ["국회일정"]),
        ("neither", ["국회일정"]),
    ]
    assert response.total_all_words == 1


def test_a_guessed_chinese_words_character_pairs_earn_part_of_its_weight(headlines):
    # jieba guesses 罗冠聪吁 (罗冠聪 + 吁, in no dictionary) as one word: the article that
    # writes 罗冠聪 holds two of its three character pairs and ranks above the article
    # with more 德国 and none of them.
    response = _search(headlines, "罗冠聪吁德国", size=10)
    assert [(hit.id, hit.missing) for hit in response.results] == [
        ("zh-pairs", ["罗冠聪吁"]),
        ("zh-neither", ["罗冠聪吁"]),
    ]


def test_korean_words_are_read_in_the_querys_whole_text(headlines):
    # 해변서 read alone is one unknown noun; in the headline Kiwi reads 해변 + 서 (에서), as
    # it reads 해변에서 in the article. Read word by word, the article lacked 해변서.
    response = _search(headlines, "강릉 해변서 숭어 떼죽음… 이유는?", size=10)
    assert [(hit.id, hit.missing) for hit in response.results] == [("beach", ["떼죽음", "이유"])]
    assert _MARK.findall(response.results[0].snippet_html) == ["강릉", "해변", "숭어"]


def test_a_headlines_contracted_particle_is_not_part_of_the_word(headlines):
    # Headlines write 법정서 for 법정에서; Kiwi reads 법정 + 서, a compound of two nouns.
    response = _search(headlines, "법정서 진술 번복", size=10)
    assert [(hit.id, hit.missing) for hit in response.results] == [("court", [])]
    assert _MARK.findall(response.results[0].snippet_html) == ["법정", "진술", "번복"]
    # Words of 書, which Kiwi keeps whole, stay whole: 보고서 is marked whole, not as 보고.
    report = _search(headlines, "보고서 제출", size=10)
    assert [(hit.id, hit.missing) for hit in report.results] == [("court", [])]
    assert _MARK.findall(report.results[0].snippet_html) == ["보고서", "제출"]


def test_a_word_written_twice_is_said_missing_once(service):
    # <script>…</script> pasted into the box: "Missing: script" once, not twice.
    response = _search(service, "zqxv 사령부 zqxv 사령부를", size=100)
    assert response.results and {tuple(hit.missing) for hit in response.results} == {("zqxv",)}


def test_question_words_are_never_required(service):
    response = _search(service, "주일미군 사령부는 어디에 있습니까?")
    assert _ids(response)[0] == KOREAN_SEED_ID
    assert response.results[0].missing == []
    question = _search(service, "美日安全磋商是什么？")
    assert question.total_all_words == 2  # 是 and 什么 are not asked of an article
    assert set(_ids(question)) == {CHINESE_SEED_ID, "zh-hant-1"}
    assert [hit.missing for hit in question.results] == [[], []]
    # Traditional questions ask the older way: 甚麼 (甚么), 何年, 何處 are question words too.
    older = _search(service, "美日安全磋商在何處？為甚麼？")
    assert older.total_all_words == 2
    assert set(_ids(older)) == {CHINESE_SEED_ID, "zh-hant-1"}
    assert [hit.missing for hit in older.results] == [[], []]


def test_a_korean_counter_is_asked_with_its_number_not_alone(service, search_settings):
    # The seed says 지난 1월 23일 워싱턴에서: its 일 was a dropped bound noun (Kiwi read
    # "일 워싱턴에서" without its number) while the query's 23일 kept it, and the seed was
    # "missing 일". A counter is now a word in both, and asks nothing of an article alone.
    _, built = _built(search_settings, "1월 23일 회담")
    assert [(u.label, u.function) for u in built.units] == [
        ("1", False),
        ("월", True),
        ("23", False),
        ("일", True),
        ("회담", False),
    ]
    response = _search(service, "1월 23일 회담")
    assert response.results[0].id == KOREAN_SEED_ID
    assert response.results[0].missing == []
    assert "지난 <mark>1</mark>월 <mark>23</mark>일 워싱턴에서" in response.results[0].snippet_html
    # A query of numbers and their counters only is a date or a count: all of it is asked.
    _, date = _built(search_settings, "1월 23일")
    assert [(u.label, u.function) for u in date.units] == [
        ("1", False),
        ("월", False),
        ("23", False),
        ("일", False),
    ]
    assert _search(service, "1월 23일").results[0].id == KOREAN_SEED_ID
    # Two syllables against a number are a word (7정상회의 asks 정상회의).
    _, summit = _built(search_settings, "G7정상회의")
    assert [(u.label, u.function) for u in summit.units] == [
        ("G7", False),
        ("정상회의", False),
    ]


@pytest.mark.parametrize("q", ["사령부", "개편", "美日 安全", "사령부 없는낱말", "국방부 발표"])
def test_a_smaller_page_is_the_start_of_a_bigger_one(service, q):
    # Whoosh picked a different matcher for small top-N searches and scored them differently.
    full = [(hit.id, hit.score) for hit in _search(service, q, size=100).results]
    for size in (1, 3, 10):
        page = _search(service, q, size=size).results
        assert [(hit.id, hit.score) for hit in page] == full[:size]


@pytest.mark.parametrize("q", ["사령부", "美日 安全磋商", "주일미군 사령부 일본", "Japan military"])
def test_scores_are_whoosh_bm25f_of_the_query_terms(search_settings, q, monkeypatch):
    from whoosh.query import Or
    from whoosh.scoring import BM25F

    monkeypatch.setattr(proximity, "RESCORE_DEPTH", 0)  # scores before the head's rescoring
    index, built = _built(search_settings, q)
    ours = _search(SearchService(search_settings), q, size=100).results
    assert ours
    with index.searcher(weighting=BM25F(K1=2.5, B=0.75)) as searcher:
        whoosh = {
            searcher.stored_fields(hit.docnum)["id"]: hit.score
            for hit in searcher.search(Or(built.ranking), limit=None)
        }
        for hit in ours:
            present = [u.label for u in built.counted if u.label not in hit.missing]
            factor = _coordination(searcher, built.counted, present)
            assert hit.score == pytest.approx(whoosh[hit.id] * factor, rel=1e-9)
    ordered = sorted(ours, key=lambda hit: (bool(hit.missing), -hit.score))
    assert [hit.score for hit in ours] == [hit.score for hit in ordered]


@pytest.mark.parametrize("q", ["사령부", "美日 安全磋商", "주일미군 사령부 일본", "Japan military"])
def test_xapian_scores_are_bm25f_of_the_query_terms(xapian_search_settings, q, monkeypatch):
    """Plain Xapian, asked for the OR of the ranking terms (weighted as the query weighs
    them, times Whoosh's idf over Xapian's) with BM25 (k1 2.5 x 100, b 0) over the
    per-field normalised frequencies (titles' twice), gives each score before
    coordination (and before the head's rescoring, search.proximity)."""
    import xapian

    from search.store import IndexStore

    monkeypatch.setattr(proximity, "RESCORE_DEPTH", 0)
    service = SearchService(xapian_search_settings)
    ours = _search(service, q, size=100).results
    assert ours
    db = xapian.Database(str(IndexStore(xapian_search_settings.index.path).current_path()))
    with service._using() as engine:
        built = engine.builder.build(parse_query(q))
    prefixes = {"title": "T", "body": "B", "title_chars": "U", "body_chars": "C"}
    articles = db.get_doccount()

    def whoosh_idf_over_xapian_idf(name):
        having = db.get_termfreq(name)
        whoosh = math.log(articles / (having + 1)) + 1
        ratio = (articles - having + 0.5) / (having + 0.5)  # Xapian's BM25Weight
        return whoosh / math.log(ratio if ratio >= 2 else ratio * 0.5 + 1)

    terms = [
        xapian.Query(
            xapian.Query.OP_SCALE_WEIGHT,
            xapian.Query(prefixes[t.fieldname] + t.text),
            t.boost * whoosh_idf_over_xapian_idf(prefixes[t.fieldname] + t.text),
        )
        for t in built.ranking
        if db.get_termfreq(prefixes[t.fieldname] + t.text)
    ]
    enquire = xapian.Enquire(db)
    enquire.set_query(xapian.Query(xapian.Query.OP_OR, terms))
    enquire.set_weighting_scheme(xapian.BM25Weight(250, 0, 1, 0, 0.5))
    plain = {
        DocumentData(m.document.get_data()).stored["id"]: m.weight for m in enquire.get_mset(0, 100)
    }
    weights = {}
    for unit in built.counted:
        counter = xapian.Enquire(db)
        counter.set_query(_plain_xapian(unit.match, prefixes))
        having = counter.get_mset(0, 0, articles).get_matches_estimated()
        weights[unit.label] = math.log(1 + articles / max(having, 1))
    for hit in ours:
        present = [label for label in weights if label not in hit.missing]
        share = sum(weights[label] for label in present) / sum(weights.values())
        factor = 1.0 if len(present) == len(weights) else share**3
        assert hit.score == pytest.approx(plain[hit.id] * factor, rel=1e-9)


def _plain_xapian(query, prefixes):
    """A unit's Whoosh query as plain Xapian asks it."""
    import xapian
    from whoosh.query import And, Or, Phrase, Term

    if isinstance(query, Term):
        return xapian.Query(prefixes[query.fieldname] + query.text)
    if isinstance(query, Phrase):
        words = [xapian.Query(prefixes[query.fieldname] + w) for w in query.words]
        return xapian.Query(xapian.Query.OP_PHRASE, words, len(words))
    op = xapian.Query.OP_AND if isinstance(query, And) else xapian.Query.OP_OR
    assert isinstance(query, And | Or)
    return xapian.Query(op, [_plain_xapian(q, prefixes) for q in query.subqueries])


def test_question_mark_ends_a_question_and_is_no_wildcard(service):
    assert _ids(_search(service, "주일미군 사령부?")) == _ids(_search(service, "주일미군 사령부"))
    assert _ids(_search(service, "安全磋商？")) == _ids(_search(service, "安全磋商"))


def test_html_in_documents_is_escaped_before_marks(service):
    [hit] = _search(service, "태그").results
    assert hit.id == "xss-1"
    assert hit.title_html == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>태그</mark> 보도"
    assert hit.snippet_html == (
        "사령부 관련 &lt;b&gt;<mark>태그</mark>&lt;/b&gt;가 들어간 기사이다. "
        "5 &lt; 6 이고 &amp; 기호도 있다."
    )


def _folded(text: str) -> str:
    return " ".join(text.split())


def _fragments(fragment_html: str) -> list[str]:
    text = html.unescape(_MARK.sub(r"\1", fragment_html))
    return [_folded(piece) for piece in text.strip("… ").split(" … ") if piece.strip()]


def _normalized(text: str) -> str:
    return to_simplified(nfkc(text)[0]).lower().replace(" ", "")


@pytest.mark.parametrize(
    "query", ["吓阻", "美日 安全磋商", "주일미군 사령부", "PAC-3", '"합동작전사령부"', "태그"]
)
def test_highlights_mark_exactly_the_matched_surfaces(service, query):
    query_terms = [_normalized(w) for w in re.split(r'[\s"]+', query) if w]
    for hit in _search(service, query, size=20).results:
        body = _folded(service.document(hit.id).body)
        for fragment, source in ((hit.title_html, _folded(hit.title)), (hit.snippet_html, body)):
            assert re.sub(r"</?mark>", "", fragment).count("<") == 0  # only marks are markup
            assert all(piece in source for piece in _fragments(fragment)), fragment
            for marked in _MARK.findall(fragment):
                word = _normalized(html.unescape(marked))
                assert any(word in term or term in word for term in query_terms), marked


def test_facets_count_the_whole_result_set(service):
    response = _search(service, "사령부", size=5)
    assert response.total == 32
    assert len(response.results) == 5
    assert dict(response.facets["lang"]) == {"ko": 32}
    assert dict(response.facets["source"]) == {
        "연합뉴스": 15,
        "뉴스1": 15,
        "이데일리": 1,
        "테스트일보": 1,
    }
    assert dict(response.facets["month"])["2024-07"] == 1
    assert sum(count for _, count in response.facets["month"]) == 32


def test_pages_are_disjoint_and_cover_every_result(service):
    seen = []
    for page in range(1, 5):
        response = _search(service, "사령부", page=page, size=10)
        assert response.total == 32
        seen += _ids(response)
    assert len(seen) == len(set(seen)) == 32
    assert _search(service, "사령부", page=5, size=10).results == []


def test_sort_by_date_puts_the_newest_first(service):
    results = _search(service, "사령부", sort="date", size=100).results
    dates = [hit.published.at for hit in results]
    assert dates == sorted(dates, reverse=True)
    assert results[0].id == KOREAN_SEED_ID
    assert all(hit.score > 0 for hit in results)


def test_equal_scores_are_ordered_the_same_way_every_time(service):
    first = _ids(_search(service, "개편", size=30))
    assert all(_ids(_search(service, "개편", size=30)) == first for _ in range(3))


def test_unknown_latin_word_gets_a_spelling_suggestion(service):
    response = _search(service, "Blinkn Austin")
    assert response.suggestion == "blinken Austin"


def test_related_articles_share_distinctive_words(service):
    related = [hit.id for hit in service.related(KOREAN_SEED_ID, limit=5)]
    assert related[0].startswith("bulk-")  # they too report on a 사령부 (command)
    assert KOREAN_SEED_ID not in related
    assert service.related("no-such-id") is None


def test_document_by_id(service):
    doc = service.document(KOREAN_SEED_ID)
    assert doc.title == '미·일, 합동작전사령부 신설…"대만 사태, 북한 움직임 염두"'
    assert doc.source == "이데일리" and doc.author == "정수영"
    assert service.document("no-such-id") is None


@pytest.mark.parametrize(
    ("request_args", "code"),
    [
        ({"q": "사령부", "size": 0}, "bad_parameter"),
        ({"q": "사령부", "size": 101}, "bad_parameter"),
        ({"q": "사령부", "page": 0}, "bad_parameter"),
        ({"q": "사령부", "page": 11, "size": 100}, "page_too_deep"),
        ({"q": "사령부", "sort": "popular"}, "bad_parameter"),
        ({"q": "사령부", "lang": ("xx",)}, "bad_parameter"),
        ({"q": "*"}, "empty_query"),
        ({"q": "AND"}, "empty_query"),
        ({"q": " - "}, "empty_query"),
        ({"q": "lang:ko"}, "empty_query"),
        ({"q": "사령부 lang:xx"}, "bad_filter"),
        ({"q": "사령부 published:2024-13"}, "bad_date"),
        ({"q": "사령부 published:2024-08..2024-07"}, "bad_date"),
        ({"q": "가" * 1001}, "query_too_long"),
    ],
)
def test_requests_a_client_must_fix_name_the_problem(service, request_args, code):
    with pytest.raises(SearchError) as error:
        service.search(SearchRequest(**request_args))
    assert error.value.code == code
    assert error.value.message


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8"),
            st.sampled_from(list('사령부美日嚇阻 "-:*?()ORAND.lang:ko published:2024')),
        ),
        max_size=80,
    )
)
def test_any_query_string_gives_results_or_a_named_error(service, q):
    try:
        response = service.search(SearchRequest(q=q))
    except SearchError as error:
        assert error.code and error.message
    else:
        assert response.total >= len(response.results)
        assert response.total >= response.total_all_words


def test_a_running_service_searches_the_new_generation_after_a_rebuild(tmp_path):
    from conftest import CHINESE_SEED, write_config

    from indexer.build import update

    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "seed.txt").write_bytes(CHINESE_SEED.read_bytes())
    config = write_config(tmp_path / "config.toml", corpus, tmp_path / "index")
    settings = load_settings(config, environ={})
    rebuild(settings)
    service = SearchService(settings)
    assert _search(service, "吓阻").total == 1
    assert _search(service, "신설").total == 0

    (corpus / "new.txt").write_text(
        "미일 사령부 신설\n\n미국이 주일미군에 사령부를 신설한다.", "utf-8"
    )
    generation = update(settings).generation

    assert service.health()["generation"] == generation
    assert _ids(_search(service, "신설")) == ["news/new.txt"]
    assert _search(service, "吓阻").total == 1


def test_a_quotation_no_article_holds_is_searched_as_its_words(service):
    # A pasted headline quoting someone: the quotation is nowhere as written.
    quoted = _search(service, '"합동작전사령부 주일미군" 개편', size=100)
    assert quoted.phrases_as_words == ['"합동작전사령부 주일미군"']
    plain = _search(service, "합동작전사령부 주일미군 개편", size=100)
    assert [(h.id, h.score) for h in quoted.results] == [(h.id, h.score) for h in plain.results]
    assert quoted.results[0].id == KOREAN_SEED_ID
    held = _search(service, '"합동작전사령부" 개편')
    assert held.phrases_as_words == []
    assert held.results[0].id == KOREAN_SEED_ID


def test_a_rare_character_written_against_a_word_is_found_by_that_word_too(search_settings):
    from whoosh.query import Term

    # 访 (visit) is rare as a word in jieba's dictionary and joins 柏林: the unit 访柏林 is
    # found by its characters together or by 柏林, which is marked whole.
    _, built = _built(search_settings, "王毅将访柏林")
    assert [u.label for u in built.counted] == ["王毅", "访柏林"]
    joined = built.counted[1].match
    assert Term("body", "柏林") in joined.subqueries and Term("title", "柏林") in joined.subqueries
    assert "柏林" in built.mark_terms


def test_a_pasted_headlines_section_label_weighs_little_in_titles(service, search_settings):
    # [단독] and (종합) name a column, not the story: an article whose title holds them is
    # not raised by them (the function words' title weight); in a body they count as words.
    from search.query import FUNCTION_TITLE_WEIGHT, TITLE_WEIGHT

    _, built = _built(search_settings, "[단독] 주일미군 사령부(종합)")
    assert [(u.label, u.function) for u in built.units] == [
        ("단독", False),
        ("주일미군", False),
        ("사령부", False),
        ("종합", False),
    ]
    boosts = {(t.fieldname, t.text): t.boost for t in built.ranking}
    assert boosts[("title", "단독")] == boosts[("title", "종합")] == FUNCTION_TITLE_WEIGHT
    assert boosts[("title", "사령부")] == TITLE_WEIGHT
    assert boosts[("body", "단독")] == boosts[("body", "사령부")] == 1.0
    labelled = _search(service, "[단독] 주일미군 사령부 설치(종합)")
    assert labelled.results[0].id == KOREAN_SEED_ID
    assert labelled.results[0].missing == ["단독", "종합"]
    # An excluded or field-bound one is as written.
    _, excluding = _built(search_settings, "주일미군 -(종합)")
    assert [u.label for u in excluding.units] == ["주일미군"] and excluding.excluded is not None
    # Brackets inside a query are a word's (변협), not a label.
    _, inside = _built(search_settings, "대한변호사협회(변협) 회장")
    boosts = {(t.fieldname, t.text): t.boost for t in inside.ranking}
    assert boosts[("title", "변협")] == TITLE_WEIGHT


def test_capitalised_acronyms_are_not_english_function_words(search_settings):
    _, built = _built(search_settings, "WHO 改革 who")
    assert [(u.label, u.function) for u in built.units] == [
        ("WHO", False),
        ("改革", False),
        ("who", True),
    ]


def test_a_rankings_strongest_terms_are_chosen_from_the_query_and_counts_alone(monkeypatch):
    """boost x idf x the field's ceiling (a title holds a word once): what both engines,
    and shards, leave out of a long query's ranking is the same."""
    from whoosh.query import Term

    from search import scoring

    having = {("title", "甲"): 10, ("body", "甲"): 100, ("body_chars", "乙"): 1, ("body", "丙"): 0}
    terms = [
        Term("body", "甲", boost=1.0),
        Term("body", "丙", boost=1.0),
        Term("body_chars", "乙", boost=0.5),
        Term("title", "甲", boost=1.5),
    ]
    count = lambda t: having[(t.fieldname, t.text)]  # noqa: E731
    # 1.5 x (ln(1000/11) + 1) x 2/2.625 = 6.30; 0.5 x (ln(1000/2) + 1) = 3.61; 3.29; none hold 丙
    assert scoring.CEILING["title"] == pytest.approx(2 / 2.625)
    chosen = scoring.strongest(terms, 1000, count)
    assert [(t.fieldname, t.text) for t in chosen] == [
        ("title", "甲"),
        ("body_chars", "乙"),
        ("body", "甲"),
    ]
    monkeypatch.setattr(scoring, "MAX_TERMS", 2)
    chosen = scoring.strongest(terms, 1000, count)
    assert [(t.fieldname, t.text) for t in chosen] == [("title", "甲"), ("body_chars", "乙")]


def test_a_heads_rescoring_stops_once_the_budget_is_spent(whoosh_service):
    """Words together (search.proximity) reads every place of the query's words in the
    head's articles: a 20 MB article's hundreds of thousands cost a second. Once the
    search's budget is spent, between two terms, the head keeps its order: factor 1."""
    import time

    from search.budget import Budget
    from search.ranked_list import match_units

    with whoosh_service._using() as engine:
        built = engine.builder.build(parse_query("주일미군 사령부 일본"))
        matched = match_units(engine.searcher, built.counted)
        docs = sorted(matched.docs)
        units, weights = matched.looked_up, matched.weights
        full = proximity.Closeness(engine.occurrences, units, weights).of(docs, matched.held)
        spent = Budget(0.000001)
        time.sleep(0.01)
        cut = proximity.Closeness(engine.occurrences, units, weights, spent).of(docs, matched.held)
    assert len(docs) > 1 and min(full.values()) < 1.0
    assert cut == dict.fromkeys(docs, 1.0)
