"""Property-based fuzzing of every operation of ``/api/openapi.json`` against a real
``hansearch serve`` (gunicorn): values of any kind for every parameter (any Unicode, raw
bytes, huge and negative numbers, repeated parameters, the longest strings the limits
allow and beyond) must give no 5xx, and every answer must match the documented schema."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from conftest import serving, serving_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

DOCUMENT_URN = "urn:hansearch:openapi"
EXAMPLES = 60


@pytest.fixture(scope="module")
def server(search_settings, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    config = serving_config(
        search_settings, folder, "workers = 1\nthreads = 4\nqueue_wait_ms = 60000\n"
    )
    with serving(config, folder, workers=1) as served:
        yield served


@pytest.fixture(scope="module")
def document(server):
    status, _, body = server.request("GET", "/api/openapi.json")
    assert status == 200
    return json.loads(body)


# Text of every kind: words the index has, filters, any Unicode, and very long strings.
_WORDS = st.sampled_from(
    [
        "사령부",
        "美日",
        "嚇阻",
        "Blinken",
        '"합동작전사령부"',
        "-국방부",
        "lang:ko",
        "published:2024",
        "source:이데일리",
        "OR",
        "*",
        "?",
        "%",
        "\\",
        "<script>",
        "&amp;",
        "..",
        "/related",
    ]
)
_TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(_WORDS, max_size=8).map(" ".join),
    st.integers(min_value=0, max_value=1200).map(lambda n: "가" * n),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
# Raw bytes as a client might send them unencoded in a URL (the server must say 400).
_RAW = st.binary(min_size=1, max_size=12).filter(lambda b: b" " not in b and b"#" not in b)


def _encoded(value: str) -> bytes:
    return quote(value, safe="").encode()


@st.composite
def _query_string(draw, names: list[str]) -> bytes:
    parts = []
    for name in draw(st.lists(st.sampled_from(names), max_size=6)):
        if draw(st.integers(0, 9)) == 0:
            value = draw(_RAW).replace(b"&", b"").replace(b"\r", b"").replace(b"\n", b"")
        else:
            value = _encoded(draw(_TEXT))
        parts.append(name.encode() + b"=" + value)
    return b"&".join(parts)


def _validator(document: dict, operation_path: str, method: str, status: int) -> OAS30Validator:
    operation = document["paths"].get(operation_path, {}).get(method)
    if operation is None:
        pointer = "/components/schemas/Error"
    else:
        code = str(status) if str(status) in operation["responses"] else "default"
        escaped = operation_path.replace("~", "~0").replace("/", "~1")
        pointer = f"/paths/{escaped}/{method}/responses/{code}/content/application~1json/schema"
    registry = Registry().with_resource(
        DOCUMENT_URN, Resource.from_contents(document, default_specification=DRAFT4)
    )
    return OAS30Validator(
        {"$ref": f"{DOCUMENT_URN}#{pointer}"},
        registry=registry,
        format_checker=oas30_format_checker,
    )


def _check(document, operation_path: str, method: str, answer) -> None:
    status, head, body = answer
    assert status < 500, (status, body[:300])
    assert b"Content-Type: application/json" in head, head
    _validator(document, operation_path, method, status).validate(json.loads(body))


def _operations(document) -> list[tuple[str, str, list[str]]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            found.append((path, method, names))
    return found


def test_every_operation_is_fuzzed(document):
    assert {(p, m) for p, m, _ in _operations(document)} == {
        ("/api/search", "get"),
        ("/api/search", "post"),
        ("/api/documents/{id}", "get"),
        ("/api/documents/{id}/related", "get"),
        ("/api/documents", "get"),
        ("/api/related", "get"),
        ("/api/health", "get"),
        ("/api/openapi.json", "get"),
    }


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_query_string_on_any_get_operation(server, document, data):
    operations = [(p, names) for p, m, names in _operations(document) if m == "get"]
    path, names = data.draw(st.sampled_from(operations))
    target = path.encode()
    if "{id}" in path:
        doc_id = data.draw(st.one_of(_TEXT.map(_encoded), _RAW.filter(lambda b: b"?" not in b)))
        target = target.replace(b"{id}", doc_id or b"x")
    query = data.draw(_query_string(names + ["unknown"]))
    answer = server.raw(b"GET " + target + (b"?" + query if query else b"") + b" HTTP/1.1")
    _check(document, path, "get", answer)


_BODY_VALUE = st.one_of(
    _TEXT,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.lists(_TEXT, max_size=3),
    st.dictionaries(st.text(max_size=5), _TEXT, max_size=2),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.one_of(
        st.dictionaries(
            st.sampled_from(["q", "lang", "source", "from", "to", "sort", "page", "size", "x"]),
            _BODY_VALUE,
            max_size=5,
        ).map(lambda d: json.dumps(d).encode()),
        st.binary(max_size=64),
        st.integers(0, 70_000).map(lambda n: json.dumps({"q": "美" * n}).encode()),
    )
)
def test_any_body_on_the_search_post(server, document, body):
    head = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n".encode()
    status, head_out, out = server.raw(b"POST /api/search HTTP/1.1", head, body)
    assert status < 500, (status, out[:300])
    _check(document, "/api/search", "post", (status, head_out, out))
    if re.search(rb"^\{.*\}$", body, re.S) and status == 200:
        assert "results" in json.loads(out)
