"""The JSON API on a real index (the ``search_settings`` fixture) through Flask's test client.

Every JSON answer a test sees is validated against the app's own /api/openapi.json.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate as validate_openapi_document
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from search.config import Settings
from search.searcher import SearchService
from web.app import create_app

CHINESE_SEED = (
    "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/"
    "tt-us-japan-military-alliance-07282024104813.html"
)
CHINESE_SEED_TITLE = "美日2+2安全磋商 加强驻日美军军事指挥权"
KOREAN_SEED = "news/004_af721fc1b1a612be.txt"
KOREAN_SEED_TITLE = '미·일, 합동작전사령부 신설…"대만 사태, 북한 움직임 염두"'
DOCUMENT_URN = "urn:hansearch:openapi"


class Api:
    """The test client, checking every answer against the OpenAPI document: the schema of
    the operation (``template``, default the URL's path) for the status, else ``default``;
    an answer for no operation (unknown URL, wrong method) must be an ``Error``."""

    def __init__(self, client) -> None:
        self.client = client
        self.document = client.get("/api/openapi.json").get_json()
        resource = Resource.from_contents(self.document, default_specification=DRAFT4)
        self.registry = Registry().with_resource(DOCUMENT_URN, resource)

    def get(self, url: str, template: str | None = None, **kwargs):
        return self.request("GET", url, template, **kwargs)

    def request(self, method: str, url: str, template: str | None = None, **kwargs):
        response = self.client.open(url, method=method, **kwargs)
        if method == "OPTIONS":
            return response
        assert response.mimetype == "application/json", response.data[:200]
        assert response.status_code != 500, response.get_json()
        self.validate(response.get_json(), template or urlsplit(url).path, method, response)
        return response

    def validate(self, body, template: str, method: str, response) -> None:
        operation = self.document["paths"].get(template, {}).get(method.lower())
        if operation is None:
            assert response.status_code >= 400
            pointer = "/components/schemas/Error"
        else:
            status = str(response.status_code)
            status = status if status in operation["responses"] else "default"
            escaped = template.replace("~", "~0").replace("/", "~1")
            pointer = (
                f"/paths/{escaped}/{method.lower()}/responses/{status}"
                "/content/application~1json/schema"
            )
        validator = OAS30Validator(
            {"$ref": f"{DOCUMENT_URN}#{pointer}"},
            registry=self.registry,
            format_checker=oas30_format_checker,
        )
        validator.validate(body)


@pytest.fixture(scope="module")
def api(search_settings) -> Api:
    return Api(create_app(search_settings).test_client())


def search(api: Api, **params):
    response = api.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(body) -> list[str]:
    return [hit["id"] for hit in body["results"]]


def test_openapi_document_is_valid_openapi_3(api):
    validate_openapi_document(api.document)
    assert api.document["openapi"].startswith("3.0")
    assert set(api.document["paths"]) == {
        "/api/search",
        "/api/documents/{id}",
        "/api/documents/{id}/related",
        "/api/documents",
        "/api/related",
        "/api/health",
        "/api/openapi.json",
    }


def test_chinese_words_rank_the_chinese_seed_first(api):
    body = search(api, q="美日 安全磋商")
    assert body["total_all_words"] == 2
    assert ids(body) == [CHINESE_SEED, "zh-hant-1"]
    first = body["results"][0]
    assert first["title"] == CHINESE_SEED_TITLE
    assert first["title_html"] == "<mark>美日</mark>2+2<mark>安全磋商</mark> 加强驻日美军军事指挥权"
    assert first["url"] == CHINESE_SEED
    assert first["lang"] == "zh-Hans"
    assert first["source"] == "自由亚洲电台"
    assert first["published"] == "2024-07-28T16:39:03.674000+00:00"


def test_korean_words_rank_the_korean_seed_first(api):
    body = search(api, q="주일미군 사령부")
    assert (body["total"], body["total_all_words"]) == (32, 1)
    assert ids(body)[0] == KOREAN_SEED
    assert [hit["missing"] for hit in body["results"]] == [[]] + [["주일미군"]] * 9
    assert body["results"][0]["title"] == KOREAN_SEED_TITLE
    assert body["results"][0]["source"] == "이데일리"
    assert body["results"][0]["author"] == "정수영"


def test_simplified_query_marks_the_traditional_characters_as_written(api):
    body = search(api, q="吓阻")
    assert ids(body) == [CHINESE_SEED]
    assert "<mark>嚇阻</mark>" in body["results"][0]["snippet_html"]
    assert "吓阻" not in body["results"][0]["snippet_html"]


def test_pages_differ_and_share_the_total(api):
    first = search(api, q="사령부", lang="ko", size=5, page=1)
    second = search(api, q="사령부", lang="ko", size=5, page=2)
    assert ids(first) == [KOREAN_SEED, "xss-1", "bulk-00", "bulk-01", "bulk-02"]
    assert ids(second) == ["bulk-03", "bulk-04", "bulk-05", "bulk-06", "bulk-07"]
    assert first["total"] == second["total"] == 32
    assert (first["page"], first["size"], second["page"]) == (1, 5, 2)


def test_a_month_range_keeps_only_that_month(api):
    body = search(api, q="사령부", size=100, **{"from": "2024-06", "to": "2024-06"})
    assert ids(body) == ["xss-1", "bulk-29"]
    assert body["facets"]["month"] == [{"value": "2024-06", "count": 2}]


def test_from_and_to_days_exclude_articles_outside(api):
    assert ids(search(api, q="美日", to="2024-07-31")) == [CHINESE_SEED]
    assert ids(search(api, q="美日", **{"from": "2024-08-01"})) == ["zh-hant-1"]


def test_facets_count_the_whole_result_set_not_the_page(api):
    body = search(api, q="사령부", size=1)
    assert len(body["results"]) == 1
    assert body["facets"]["lang"] == [{"value": "ko", "count": 32}]
    assert body["facets"]["source"] == [
        {"value": "뉴스1", "count": 15},
        {"value": "연합뉴스", "count": 15},
        {"value": "이데일리", "count": 1},
        {"value": "테스트일보", "count": 1},
    ]
    months = body["facets"]["month"]
    assert months[:3] == [
        {"value": "2024-07", "count": 1},
        {"value": "2024-06", "count": 2},
        {"value": "2024-05", "count": 1},
    ]
    assert sum(month["count"] for month in months) == 32


def test_lang_may_be_repeated_or_comma_separated(api):
    repeated = search(api, q="Blinken", lang=["en", "ko"])
    assert ids(repeated) == ["en-1", KOREAN_SEED]
    assert ids(search(api, q="Blinken", lang="en,ko")) == ids(repeated)
    assert ids(search(api, q="Blinken", lang="en")) == ["en-1"]
    assert search(api, q="사령부", lang="zh")["total"] == 0


def test_source_filters_by_publisher(api):
    body = search(api, q="사령부", source="뉴스1", size=3)
    assert body["total"] == 15
    assert ids(body) == ["bulk-00", "bulk-02", "bulk-04"]
    both = search(api, q="사령부", source=["뉴스1", "테스트일보"], size=100)
    assert both["total"] == 16


def test_date_sort_puts_the_newest_first(api):
    body = search(api, q="사령부", sort="date", size=3)
    assert ids(body) == [KOREAN_SEED, "bulk-29", "xss-1"]
    assert [hit["published"][:10] for hit in body["results"]] == [
        "2024-07-28",
        "2024-06-02",
        "2024-06-01",
    ]


def test_markup_in_a_title_is_escaped_never_live(api):
    body = search(api, q="alert")
    hit = body["results"][0]
    assert hit["id"] == "xss-1"
    assert hit["title"] == "<script>alert(1)</script> 태그 보도"
    assert hit["title_html"] == "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; 태그 보도"
    assert "<script>" not in hit["snippet_html"]
    assert "&lt;b&gt;태그&lt;/b&gt;" in hit["snippet_html"]
    assert "5 &lt; 6" in hit["snippet_html"]


def test_document_by_canonical_url_id(api):
    response = api.get(f"/api/documents/{CHINESE_SEED}", "/api/documents/{id}")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["id"] == doc["url"] == CHINESE_SEED
    assert doc["title"] == CHINESE_SEED_TITLE
    assert doc["lang"] == "zh-Hans"
    assert doc["body"].startswith("为了应对来自中国的威胁")


@pytest.mark.parametrize(
    "url",
    [
        f"/api/documents/{KOREAN_SEED}",
        f"/api/documents/{quote(KOREAN_SEED, safe='')}",
        f"/api/documents/{quote(quote(KOREAN_SEED, safe=''), safe='')}",
        f"/api/documents/{quote(CHINESE_SEED, safe='')}",
    ],
    ids=["path", "encoded", "encoded-twice", "url-encoded"],
)
def test_document_ids_with_slashes_are_found_as_paths_or_encoded(api, url):
    response = api.get(url, "/api/documents/{id}")
    assert response.status_code == 200
    assert response.get_json()["id"] in (KOREAN_SEED, CHINESE_SEED)
    assert response.get_json()["title"] in (KOREAN_SEED_TITLE, CHINESE_SEED_TITLE)


def test_document_by_id_parameter(api):
    response = api.get("/api/documents", query_string={"id": "en-1"})
    assert response.status_code == 200
    assert response.get_json() == {
        "id": "en-1",
        "url": "",
        "title": "US and Japan upgrade military command",
        "body": "Blinken and Austin met Kamikawa and Kihara in Tokyo. "
        "Production of PAC-3 missiles will increase.",
        "lang": "en",
        "source": "VOA",
        "author": "",
        "published": "2024-07-29T08:00:00+00:00",
        "tags": [],
    }


def test_related_articles_of_the_chinese_seed(api):
    response = api.get(f"/api/documents/{CHINESE_SEED}/related", "/api/documents/{id}/related")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == CHINESE_SEED
    assert ids(body)[0] == "zh-hant-1"
    assert CHINESE_SEED not in ids(body)


def test_related_by_path_and_by_id_parameter_agree(api):
    by_path = api.get(
        f"/api/documents/{quote(KOREAN_SEED, safe='')}/related?size=3",
        "/api/documents/{id}/related",
    ).get_json()
    by_parameter = api.get("/api/related", query_string={"id": KOREAN_SEED, "size": 3})
    assert by_parameter.status_code == 200
    assert by_parameter.get_json() == by_path
    assert by_path["id"] == KOREAN_SEED
    assert len(by_path["results"]) == 3
    assert KOREAN_SEED not in ids(by_path)


def test_health_names_the_generation_and_counts_documents(api, search_settings):
    response = api.get("/api/health")
    assert response.status_code == 200
    current = (search_settings.index.path / "CURRENT").read_text().strip()
    assert response.get_json() == {"status": "ok", "generation": current, "documents": 37}


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/search", 400, "missing_query"),
        ("/api/search?q=", 400, "missing_query"),
        ("/api/search?q=%20%20", 400, "missing_query"),
        ("/api/search?q=a&q=b", 400, "bad_parameter"),
        ("/api/search?q=x&size=0", 400, "bad_parameter"),
        ("/api/search?q=x&size=101", 400, "bad_parameter"),
        ("/api/search?q=x&size=ten", 400, "bad_parameter"),
        ("/api/search?q=x&page=0", 400, "bad_parameter"),
        ("/api/search?q=x&page=abc", 400, "bad_parameter"),
        ("/api/search?q=x&page=-1", 400, "bad_parameter"),
        ("/api/search?q=x&page=1.5", 400, "bad_parameter"),
        ("/api/search?q=x&page=" + "9" * 5000, 400, "bad_parameter"),
        ("/api/search?q=x&page=200&size=10", 400, "page_too_deep"),
        ("/api/search?q=x&page=11&size=100", 400, "page_too_deep"),
        ("/api/search?q=x&from=2024-13", 400, "bad_parameter"),
        ("/api/search?q=x&to=2024-02-30", 400, "bad_parameter"),
        ("/api/search?q=x&from=yesterday", 400, "bad_parameter"),
        ("/api/search?q=x&from=2024-08&to=2024-07", 400, "bad_parameter"),
        ("/api/search?q=x&sort=foo", 400, "bad_parameter"),
        ("/api/search?q=x&lang=xx", 400, "bad_parameter"),
        ("/api/search?q=" + "x" * 1001, 400, "query_too_long"),
        ("/api/search?q=lang:xx", 400, "bad_filter"),
        ("/api/documents/no-such-document", 404, "not_found"),
        ("/api/documents/no-such-document/related", 404, "not_found"),
        ("/api/documents/%ff%fe", 400, "bad_request"),
        ("/api/documents", 400, "missing_id"),
        ("/api/documents?id=no-such-document", 404, "not_found"),
        ("/api/related?id=no-such-document", 404, "not_found"),
        ("/api/related?id=xss-1&size=0", 400, "bad_parameter"),
        ("/api/no-such-endpoint", 404, "not_found"),
    ],
)
def test_bad_requests_get_a_json_error_with_a_stable_code(api, url, status, code):
    response = api.get(url)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_a_bad_parameter_is_named_in_the_error(api):
    error = api.get("/api/search?q=x&size=101").get_json()["error"]
    assert error == {
        "code": "bad_parameter",
        "message": "size must be a whole number from 1 to 100",
        "parameter": "size",
    }
    error = api.get("/api/search?q=x&from=2024-13").get_json()["error"]
    assert error == {
        "code": "bad_parameter",
        "message": "from: '2024-13' is not a date",
        "parameter": "from",
    }


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_refused_with_405(api, method):
    response = api.request(method, "/api/search?q=x")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    allowed = set(response.headers["Allow"].replace(" ", "").split(","))
    assert allowed == {"GET", "HEAD", "OPTIONS", "POST"}
    response = api.request("POST", "/api/health")
    assert response.status_code == 405


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced quote',
        'unbalanced" quote',
        "-",
        "AND",
        "OR",
        "*",
        "사령*",
        "x" * 10_000,
        "사령부\x00\x01\x1b[31m",
        "\x7f\u200b\ufeff",
        "주일미군은 어디에 있나?",
        "?",
        "()[]{}:^~\\",
        "lang:",
        "published:2024-99..x",
    ],
)
def test_malformed_queries_get_a_search_or_a_400_never_a_500(api, q):
    response = api.get("/api/search", query_string={"q": q})
    assert response.status_code in (200, 400)


def test_invalid_utf8_in_the_query_string_is_searched_as_escapes(api):
    response = api.get("/api/search?q=%ff%fe")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.get_json()["query"] == "%FF%FE"


def test_question_mark_at_the_end_of_a_question_still_finds(api):
    body = search(api, q="주일미군 사령부?")
    assert ids(body) == ids(search(api, q="주일미군 사령부"))
    assert ids(body)[0] == KOREAN_SEED


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=st.text(max_size=60))
def test_any_query_string_gets_a_search_or_a_400(api, q):
    response = api.get("/api/search", query_string={"q": q})
    assert response.status_code in (200, 400)
    body = response.get_json()
    if response.status_code == 200:
        assert body["total"] >= len(body["results"])
        assert body["page"] == 1 and body["size"] == 10
        assert len(body["results"]) <= 10
        assert "<script" not in "".join(
            h["title_html"] + h["snippet_html"] for h in body["results"]
        )


def test_json_answers_are_utf8_json_with_nosniff(api):
    response = api.get("/api/search?q=사령부&size=1")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "사령부".encode() in response.data


def test_no_cors_headers_when_no_origin_is_configured(api):
    response = api.get("/api/health", headers={"Origin": "http://example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers


def _with_server(settings: Settings, **server) -> Settings:
    from dataclasses import replace

    return replace(settings, server=replace(settings.server, **server))


def test_cors_allows_only_the_configured_origins(search_settings):
    app = create_app(_with_server(search_settings, cors_origins=["http://example.org"]))
    client = Api(app.test_client())
    allowed = client.get("/api/health", headers={"Origin": "http://example.org"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://example.org"
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/api/health", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    refused = client.get("/api/search?q=x&size=0", headers={"Origin": "http://example.org"})
    assert refused.status_code == 400
    assert refused.headers["Access-Control-Allow-Origin"] == "http://example.org"


def test_cors_preflight_names_methods_and_headers(search_settings):
    app = create_app(_with_server(search_settings, cors_origins=["http://example.org"]))
    client = Api(app.test_client())
    preflight = client.request(
        "OPTIONS",
        "/api/search",
        headers={
            "Origin": "http://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://example.org"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert preflight.headers["Access-Control-Allow-Headers"] == "Accept, Content-Type"
    other = client.request("OPTIONS", "/api/search", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Methods" not in other.headers


def test_star_allows_any_origin(search_settings):
    client = Api(create_app(_with_server(search_settings, cors_origins=["*"])).test_client())
    response = client.get("/api/health", headers={"Origin": "http://anywhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_without_an_index_every_endpoint_answers_503(tmp_path, search_settings):
    from dataclasses import replace

    empty = replace(search_settings, index=replace(search_settings.index, path=tmp_path))
    client = Api(create_app(empty).test_client())
    for url, template in [
        ("/api/health", None),
        ("/api/search?q=사령부", None),
        ("/api/documents/xss-1", "/api/documents/{id}"),
        ("/api/related?id=xss-1", None),
    ]:
        response = client.get(url, template)
        assert response.status_code == 503, url
        assert response.get_json()["error"]["code"] == "index_not_found"
        assert str(tmp_path) in response.get_json()["error"]["message"]


class _FailingService(SearchService):
    def health(self) -> dict:
        raise RuntimeError("disk on fire")


def test_a_server_fault_is_a_logged_json_500(search_settings, caplog):
    app = create_app(search_settings, service=_FailingService(search_settings))
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/api/health")
    assert response.status_code == 500
    assert response.get_json() == {
        "error": {
            "code": "internal_error",
            "message": "the server failed to answer; it was logged",
        }
    }
    assert "disk on fire" not in response.get_data(as_text=True)
    assert "RuntimeError: disk on fire" in caplog.text


def test_creating_apps_opens_no_index(tmp_path, search_settings):
    from dataclasses import replace

    missing = replace(search_settings, index=replace(search_settings.index, path=tmp_path / "x"))
    create_app(missing)
    assert not (tmp_path / "x").exists()


def test_an_id_ending_in_related_is_never_hidden(tmp_path, search_settings):
    """Documents "topic" and "topic/related": the path names the document when one has that
    id; /api/related?id= reaches the related articles of either without ambiguity."""
    import io
    import json
    from dataclasses import replace

    from indexer.build import rebuild

    corpus = tmp_path / "news"
    corpus.mkdir()
    records = [
        {
            "id": doc_id,
            "title": f"사령부 개편 {doc_id}",
            "body": "국방부는 사령부 개편 계획을 발표했다.",
        }
        for doc_id in ("topic", "topic/related", "other")
    ]
    (corpus / "a.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8"
    )
    settings = replace(
        search_settings,
        corpus=replace(search_settings.corpus, paths=[corpus]),
        index=replace(search_settings.index, path=tmp_path / "index", workers=1),
    )
    rebuild(settings, stream=io.StringIO())
    client = Api(create_app(settings).test_client())

    document = client.get("/api/documents/topic/related", "/api/documents/{id}")
    assert document.status_code == 200
    assert document.get_json()["id"] == "topic/related"

    of_topic = client.get("/api/related?id=topic").get_json()
    assert of_topic["id"] == "topic"
    assert sorted(ids(of_topic)) == ["other", "topic/related"]

    of_related = client.get(
        "/api/documents/topic/related/related", "/api/documents/{id}/related"
    ).get_json()
    assert of_related == client.get("/api/related?id=topic/related").get_json()
    assert of_related["id"] == "topic/related"
    assert sorted(ids(of_related)) == ["other", "topic"]


def test_a_quotation_no_article_holds_is_named_in_the_answer(api):
    body = search(api, q='"주일미군 합동작전사령부" 개편')
    assert body["phrases_as_words"] == ['"주일미군 합동작전사령부"']
    assert body["results"][0]["id"] == KOREAN_SEED
    assert search(api, q="주일미군 개편")["phrases_as_words"] == []
