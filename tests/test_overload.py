"""Overload is answered, not queued: the admission gate, the time budget of a search and the
answer cache, on the real index (``search_settings``) and the real app."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from search.models import SearchRequest
from search.searcher import SearchService
from web.admission import Busy, Gate
from web.app import create_app


def test_the_gate_lets_in_so_many_queues_a_few_and_refuses_the_rest_at_once():
    gate = Gate(at_once=1, queue=1, max_wait_seconds=0.3)
    gate.enter()  # the one running
    outcome: list[str] = []

    def wait_in_queue() -> None:
        try:
            gate.enter()
        except Busy as exc:
            outcome.append(f"busy: {exc}")
        else:
            outcome.append("admitted")
            gate.leave()

    waiting = threading.Thread(target=wait_in_queue)
    waiting.start()
    time.sleep(0.1)
    started = time.monotonic()
    with pytest.raises(Busy, match="1 searches running and 1 waiting"):
        gate.enter()  # the queue is full: refused at once
    assert time.monotonic() - started < 0.05
    waiting.join()
    assert outcome == ["busy: no search finished within 0.3 s"]
    gate.leave()
    gate.enter()  # free again
    gate.leave()


def test_a_waiting_request_is_admitted_when_a_place_frees_up():
    gate = Gate(at_once=1, queue=4, max_wait_seconds=5)
    gate.enter()
    admitted = threading.Event()

    def wait_in_queue() -> None:
        gate.enter()
        admitted.set()
        gate.leave()

    threading.Thread(target=wait_in_queue).start()
    time.sleep(0.1)
    assert not admitted.is_set()
    gate.leave()
    assert admitted.wait(5)


@pytest.fixture
def full_app(search_settings):
    """An app whose only search place is taken and whose queue holds nobody."""
    settings = replace(
        search_settings,
        server=replace(search_settings.server, searches_at_once=1, queue=0, queue_wait_ms=0),
    )
    app = create_app(settings)
    gate = app.extensions["hansearch.gate"]
    gate.enter()
    yield app
    gate.leave()


def test_a_busy_server_answers_503_with_retry_after_in_json_and_as_a_page(full_app):
    client = full_app.test_client()
    started = time.monotonic()
    response = client.get("/api/search?q=사령부")
    assert time.monotonic() - started < 0.5
    assert (response.status_code, response.headers["Retry-After"]) == (503, "1")
    error = response.get_json()["error"]
    assert error["code"] == "busy"
    assert error["message"] == (
        "the server is busy (1 searches running and 0 waiting); try again in a moment"
    )
    page = client.get("/search?q=사령부")
    assert (page.status_code, page.headers["Retry-After"]) == (503, "1")
    assert page.mimetype == "text/html"
    assert "Too many searches at once. Try again in a moment." in page.get_data(as_text=True)
    # What never searches always answers.
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200


def test_long_queries_have_a_lane_of_their_own_so_short_ones_keep_answering(search_settings):
    settings = replace(
        search_settings,
        server=replace(search_settings.server, queue=0, queue_wait_ms=0),
    )
    app = create_app(settings)
    heavy = app.extensions["hansearch.heavy_gate"]
    heavy.enter()  # a pasted paragraph is being searched
    try:
        client = app.test_client()
        paragraph = "주일미군 사령부를 합동작전사령부로 개편한다는 발표가 나왔다. " * 4
        assert client.get("/api/search", query_string={"q": paragraph}).status_code == 503
        body = {"q": "사령부"}
        assert client.post("/api/search", json=body).status_code == 503
        assert (
            client.get("/api/search", query_string={"q": "사령부", "size": 50}).status_code == 503
        )
        assert client.get("/api/search", query_string={"q": "주일미군 사령부"}).status_code == 200
    finally:
        heavy.leave()
    assert client.get("/api/search", query_string={"q": paragraph}).status_code == 200


def test_a_search_past_its_budget_answers_with_what_it_has_marked(search_settings):
    request = SearchRequest(q="국방부 사령부 개편 발표", size=5)
    exact = SearchService(search_settings).search(request)
    assert not exact.timed_out and (exact.total, exact.total_all_words) == (32, 30)
    service = SearchService(search_settings)
    service.budget_seconds = 1e-9  # spent before the first posting list is read
    cut = service.search(request)
    assert cut.timed_out
    # What was found by then: the rarest word's articles (by its first form only), the
    # other words not looked up, ranked by no term (score 0, in index order).
    assert cut.total >= 1 and cut.results
    assert all(hit.score == 0.0 for hit in cut.results)
    # A cut-short answer is never cached: with time, the same search is exact.
    service.budget_seconds = None
    again = service.search(request)
    assert (again.timed_out, again.total) == (False, exact.total)


def test_the_api_says_timed_out(search_settings):
    app = create_app(search_settings)
    app.extensions["hansearch.search_service"].budget_seconds = 1e-9
    body = app.test_client().get("/api/search?q=국방부 사령부").get_json()
    assert body["timed_out"] is True
    assert body["results"]


def test_a_repeated_search_is_answered_from_the_cache_until_the_index_changes(search_settings):
    service = SearchService(search_settings)
    request = SearchRequest(q="주일미군 사령부")
    first = service.search(request)
    second = service.search(request)
    assert (service.cache.misses, service.cache.hits) == (1, 1)
    assert [h.id for h in second.results] == [h.id for h in first.results]
    assert second.total == first.total and second.facets == first.facets
    other = service.search(replace(request, page=2))
    assert service.cache.misses == 2 and other.page == 2
    # Another generation serving: nothing of the old one is answered.
    assert service.cache.get("another-generation", request) is None
