"""What a careless or hostile client sends, through a real ``hansearch serve`` (gunicorn):
raw bytes, the longest queries and ids, repeated parameters, wrong methods and URLs.
Every answer is a 4xx a person or a program can read, never a 500 or gunicorn's own page."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from conftest import run_hansearch, serving, serving_config

KOREAN_SEED = "news/004_af721fc1b1a612be.txt"
# 1,000 characters: the longest query the API takes (9,000 bytes once percent-encoded).
LONGEST_CHINESE = ("美日安全磋商加强驻日美军军事指挥权" * 60)[:1000]
LONGEST_KOREAN = ("주일미군 사령부를 합동작전사령부로 " * 60)[:1000]


@pytest.fixture(scope="module")
def server(search_settings, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    config = serving_config(
        search_settings,
        folder,
        "workers = 1\nthreads = 8\nqueue_wait_ms = 30000\nsearch_budget_ms = 0\n",
    )
    with serving(config, folder, workers=1) as served:
        yield served


@pytest.mark.parametrize(
    "target",
    [
        b"/api/search?q=\xff",
        b"/api/search?q=%EC%82%AC&lang=\xff",
        b"/api/documents?id=\xff\xfe",
        b"/api/related?id=\xc3",
        b"/api/documents/\xff",
    ],
)
def test_raw_bytes_that_are_not_utf8_get_a_json_400_under_api(server, target):
    status, head, body = server.raw(b"GET " + target + b" HTTP/1.1")
    assert status == 400
    assert b"Content-Type: application/json" in head
    error = json.loads(body)["error"]
    assert error["code"] == "bad_request"
    assert "is not valid UTF-8; percent-encode it" in error["message"]


@pytest.mark.parametrize(
    "target", [b"/?q=\xff", b"/search?q=\xff", b"/doc?id=\xff", b"/search?q=a&lang=\xff\xff"]
)
def test_raw_bytes_that_are_not_utf8_get_a_page_400_elsewhere(server, target):
    status, head, body = server.raw(b"GET " + target + b" HTTP/1.1")
    assert status == 400
    assert b"Content-Type: text/html; charset=utf-8" in head
    assert b"is not valid UTF-8; percent-encode it" in body


def test_the_home_page_keeps_a_raw_utf8_query_intact(server):
    status, head, _ = server.raw("GET /?q=吓阻&lang=zh HTTP/1.1".encode())
    assert status == 302
    assert b"Location: /search?q=%E5%90%93%E9%98%BB&lang=zh\r\n" in head + b"\r\n"
    status, _, body = server.raw("GET /search?q=吓阻 HTTP/1.1".encode())
    assert status == 200
    assert "<mark>嚇阻</mark>".encode() in body


@pytest.mark.parametrize("query", [LONGEST_CHINESE, LONGEST_KOREAN])
def test_the_longest_query_works_by_get_and_by_post_with_the_same_answer(server, query):
    status, _, got = server.request("GET", "/api/search?q=" + quote(query))
    assert status == 200, got[:300]
    body = json.dumps({"q": query}).encode()
    status, _, posted = server.request(
        "POST", "/api/search", body, {"Content-Type": "application/json"}
    )
    assert status == 200, posted[:300]
    got, posted = json.loads(got), json.loads(posted)
    assert got["total"] > 0
    assert [h["id"] for h in got["results"]] == [h["id"] for h in posted["results"]]
    assert got["total"] == posted["total"]
    status, head, page = server.request("GET", "/search?q=" + quote(query))
    assert status == 200
    assert head["Content-Type"] == "text/html; charset=utf-8"


def test_a_query_over_the_limit_is_refused_by_the_app_in_json(server):
    query = LONGEST_CHINESE + "美"
    status, head, body = server.request("GET", "/api/search?q=" + quote(query))
    assert (status, head["Content-Type"]) == (400, "application/json")
    assert json.loads(body)["error"]["code"] == "query_too_long"
    status, _, body = server.request(
        "POST",
        "/api/search",
        json.dumps({"q": query}).encode(),
        {"Content-Type": "application/json"},
    )
    assert (status, json.loads(body)["error"]["code"]) == (400, "query_too_long")


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"not json", "bad_body", "the body must be a JSON object"),
        (b'["q"]', "bad_body", "the body must be a JSON object"),
        (b'{"size": 5}', "missing_query", "q is required: the words to search for"),
        (b'{"q": "x", "limit": 5}', "bad_parameter", "unknown parameter 'limit'"),
        (b'{"q": "x", "size": true}', "bad_parameter", "size must be a string or a whole number"),
        (b'{"q": "x", "size": 500}', "bad_parameter", "size must be a whole number from 1 to 100"),
    ],
)
def test_a_bad_search_body_gets_a_400_naming_the_problem(server, body, code, message):
    status, _, answer = server.request(
        "POST", "/api/search", body, {"Content-Type": "application/json"}
    )
    assert status == 400
    error = json.loads(answer)["error"]
    assert (error["code"], error["message"][: len(message)]) == (code, message)


def test_a_body_over_64_kb_is_refused(server):
    body = json.dumps({"q": "x" * 70_000}).encode()
    status, _, answer = server.request(
        "POST", "/api/search", body, {"Content-Type": "application/json"}
    )
    assert status == 413
    assert json.loads(answer)["error"]["code"] == "request_entity_too_large"


def test_a_document_with_a_very_long_id_is_answered_by_the_app(server):
    long_id = "https://example.org/" + "가" * 3000
    status, head, body = server.request("GET", "/doc?id=" + quote(long_id))
    assert (status, head["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert "No document has the id https://example.org/가가가".encode() in body
    status, _, body = server.request("GET", "/api/documents?id=" + quote(long_id))
    assert (status, json.loads(body)["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("GET", "/nothing", 404, "Not Found"),
        ("GET", "/static/nothing.css", 404, "Not Found"),
        ("POST", "/search?q=x", 405, "Method Not Allowed"),
        ("DELETE", "/doc?id=x", 405, "Method Not Allowed"),
    ],
)
def test_browsers_get_pages_for_unknown_urls_and_wrong_methods(server, method, path, status, title):
    got, head, body = server.request(method, path, b"" if method != "GET" else None)
    assert (got, head["Content-Type"]) == (status, "text/html; charset=utf-8")
    assert f"<title>{title} · hansearch</title>".encode() in body


@pytest.mark.parametrize("name", ["q", "page", "sort", "size", "from"])
def test_a_repeated_parameter_is_refused_on_the_page_as_in_the_api(server, name):
    value = {"q": "사령부", "page": "1", "sort": "date", "size": "10", "from": "2024"}[name]
    query = f"q=사령부&{name}={value}" if name != "q" else "q=사령부"
    path = f"?{quote(query, safe='=&')}&{name}={quote(value)}"
    status, _, page = server.request("GET", "/search" + path)
    assert status == 400
    assert f"{name} is given 2 times; give it once".encode() in page.lower()
    status, _, answer = server.request("GET", "/api/search" + path)
    assert status == 400
    assert json.loads(answer)["error"]["message"] == f"{name} is given 2 times; give it once"


def test_serve_reports_a_bad_port_in_one_line(tmp_path):
    result = run_hansearch("serve", "--port", "99999")
    assert (result.returncode, result.stderr) == (
        2,
        "hansearch: port 99999 is not a port: use 1 to 65535\n",
    )


def test_serve_reports_a_busy_port_in_one_line(server):
    result = run_hansearch("serve", "--port", str(server.port))
    assert (result.returncode, result.stderr) == (
        2,
        f"hansearch: cannot listen on 127.0.0.1:{server.port}: Address already in use\n",
    )
