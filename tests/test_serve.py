"""The commands on a real index: ``hansearch serve`` (a real gunicorn with two worker
processes, real HTTP) and ``hansearch search`` (the same answers in the terminal)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from conftest import Served, run_hansearch, serving, serving_config

CHINESE_SEED = (
    "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/"
    "tt-us-japan-military-alliance-07282024104813.html"
)
KOREAN_SEED = "news/004_af721fc1b1a612be.txt"
ALLOWED_ORIGIN = "http://example.org"
WORKERS = 2


class Server:
    """A running ``hansearch serve`` (conftest.Served) with JSON helpers."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.process = served.process
        self.base = served.base
        self.port = served.port
        self.stdout = served.stdout
        self.stderr = served.stderr

    def get(self, path: str, headers: dict[str, str] | None = None):
        """(status, headers, parsed JSON body) of a GET."""
        status, answer_headers, body = self.served.request("GET", path, headers=headers)
        return status, answer_headers, json.loads(body)

    def search(self, **params) -> dict:
        status, _, body = self.get("/api/search?" + urlencode(params, doseq=True))
        assert status == 200, body
        return body


@pytest.fixture(scope="module")
def config(search_settings, tmp_path_factory) -> Path:
    """A settings file for the fixture's index, with two workers of four threads."""
    return serving_config(
        search_settings,
        tmp_path_factory.mktemp("config"),
        f'workers = {WORKERS}\nthreads = 4\ncors_origins = ["{ALLOWED_ORIGIN}"]\n'
        "queue_wait_ms = 60000\n",
    )


@pytest.fixture(scope="module")
def server(config, tmp_path_factory):
    with serving(config, tmp_path_factory.mktemp("serve"), workers=WORKERS) as served:
        yield Server(served)
    assert served.process.returncode == 0, served.stderr.read_text()


def _loaded_workers(server: Server) -> set[int]:
    return {
        int(pid) for pid in re.findall(r"worker (\d+): models loaded in", server.stderr.read_text())
    }


def test_serve_prints_the_address_it_listens_on(server):
    assert server.stdout.read_text().splitlines() == [
        f"hansearch: serving the search page at http://127.0.0.1:{server.port}/ and the API at "
        f"http://127.0.0.1:{server.port}/api/ "
        "(2 workers x 4 threads); Ctrl-C stops"
    ]


def test_health_through_the_server(server, search_settings):
    status, headers, body = server.get("/api/health")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    current = (search_settings.index.path / "CURRENT").read_text().strip()
    assert body == {"status": "ok", "generation": current, "documents": 37}


def test_korean_search_through_the_server(server):
    body = server.search(q="주일미군 사령부")
    assert [hit["id"] for hit in body["results"]][0] == KOREAN_SEED
    assert body["total_all_words"] == 1
    assert body["results"][0]["source"] == "이데일리"


def test_chinese_search_through_the_server(server):
    body = server.search(q="美日 安全磋商")
    assert [hit["id"] for hit in body["results"]] == [CHINESE_SEED, "zh-hant-1"]
    assert body["results"][0]["title"] == "美日2+2安全磋商 加强驻日美军军事指挥权"


@pytest.mark.parametrize("path", [CHINESE_SEED, quote(CHINESE_SEED, safe="")])
def test_a_url_id_reaches_its_document_through_the_server(server, path):
    status, _, body = server.get(f"/api/documents/{path}")
    assert status == 200
    assert body["id"] == CHINESE_SEED


def test_invalid_utf8_in_the_url_is_no_server_error(server):
    status, _, body = server.get("/api/search?q=%ff%fe")
    assert status in (200, 400)
    assert ("error" in body) == (status == 400)


def test_cors_header_only_for_the_configured_origin(server):
    _, allowed, _ = server.get(
        "/api/search?q=%EC%82%AC%EB%A0%B9%EB%B6%80", {"Origin": ALLOWED_ORIGIN}
    )
    assert allowed["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    _, other, _ = server.get(
        "/api/search?q=%EC%82%AC%EB%A0%B9%EB%B6%80", {"Origin": "http://other.example"}
    )
    assert other["Access-Control-Allow-Origin"] is None
    _, plain, _ = server.get("/api/health")
    assert plain["Access-Control-Allow-Origin"] is None


def test_twenty_concurrent_requests_all_succeed(server):
    queries = ["주일미군 사령부", "美日 安全磋商", "吓阻", "사령부", "Blinken"] * 4
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(lambda q: server.get("/api/search?" + urlencode({"q": q})), queries)
        )
    assert [status for status, _, _ in answers] == [200] * 20
    firsts = {q: body["results"][0]["id"] for q, (_, _, body) in zip(queries, answers, strict=True)}
    assert firsts == {
        "주일미군 사령부": KOREAN_SEED,
        "美日 安全磋商": CHINESE_SEED,
        "吓阻": CHINESE_SEED,
        "사령부": KOREAN_SEED,
        "Blinken": "en-1",
    }


def _rss_mb(pid: int) -> float:
    status = open(f"/proc/{pid}/status", encoding="utf-8").read()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024


def _parent(pid: int) -> int:
    stat = open(f"/proc/{pid}/stat", encoding="utf-8").read()
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_each_worker_loads_the_models_after_it_forks(server):
    workers = _loaded_workers(server)
    assert len(workers) == WORKERS
    master = server.process.pid
    assert master not in workers
    assert {_parent(pid) for pid in workers} == {master}
    # The master never builds Kiwi (a Kiwi built before the fork hangs in the child): each
    # worker holds the models, the master stays small.
    assert all(_rss_mb(pid) - _rss_mb(master) > 150 for pid in workers), (
        _rss_mb(master),
        [_rss_mb(pid) for pid in workers],
    )


def _search(config: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return run_hansearch("--config", str(config), "search", *args, **kwargs)


def test_search_json_is_what_the_api_answers(config, server):
    printed = json.loads(_search(config, "주일미군 사령부", "--json").stdout)
    answered = server.search(q="주일미군 사령부")
    assert printed.pop("took_ms") >= 0
    answered.pop("took_ms")
    assert printed == answered
    assert [hit["id"] for hit in printed["results"]][0] == KOREAN_SEED


def test_search_prints_ranked_results_with_brackets_for_marks_off_a_terminal(config):
    result = _search(config, "alert OR 國際論壇", "--limit", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "  1. [國際論壇]在臺灣舉行",
        "     中央社 · 2024-08-15 10:00 UTC+08:00 · zh-hant-1",
        "     美日安全磋商後，[國際論壇]在臺灣舉行。與會者討論威懾策略。",
        "",
        "  2. <script>[alert](1)</script> 태그 보도",
        "     테스트일보 · 2024-06-01 09:00 UTC+09:00 · xss-1",
        "     사령부 관련 <b>태그</b>가 들어간 기사이다. 5 < 6 이고 & 기호도 있다.",
        "",
        "2 results; 2 with every word",
    ]


def test_search_says_when_a_quotation_was_searched_as_its_words(config):
    result = _search(config, '"國際論壇 alert"', "--limit", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [
        "5 results (1 shown); 0 with every word",
        'no article has "國際論壇 alert" as written: its words were searched instead',
    ]


def test_search_marks_in_bold_on_a_terminal(config):
    controller, terminal = pty.openpty()
    try:
        result = run_hansearch(
            "--config",
            str(config),
            "search",
            "alert",
            "--lang",
            "ko",
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=False,
        )
        os.close(terminal)
        output = b""
        while chunk := _read(controller):
            output += chunk
    finally:
        os.close(controller)
    assert result.returncode == 0, result.stderr
    assert "<script>\x1b[1malert\x1b[0m(1)</script>" in output.decode()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal's other end is closed: everything was read
        return b""


def test_search_filters_by_language_and_limits(config):
    result = _search(config, "사령부", "--lang", "ko", "--limit", "3", "--json")
    body = json.loads(result.stdout)
    assert [hit["id"] for hit in body["results"]] == [KOREAN_SEED, "xss-1", "bulk-00"]
    assert (body["total"], body["size"]) == (32, 3)


def test_search_reports_a_query_it_cannot_search_with_exit_code_2(config):
    result = _search(config, "-")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "hansearch: the query has no words to search for\n"


def test_search_without_an_index_exits_with_code_3(config, tmp_path):
    result = _search(config, "사령부", env={**os.environ, "HANSEARCH_INDEX_PATH": str(tmp_path)})
    assert result.returncode == 3
    assert result.stderr == (
        f"hansearch: no index at {tmp_path}: build one with 'hansearch rebuild'\n"
    )
