"""A serving index that breaks: the server stays up and answers 503 with the reason, serves
again once a good generation is switched in, and lets go of old generations' files.
A real ``hansearch serve`` (gunicorn) on an index built by the real rebuild."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import run_hansearch, serving, write_config

from indexer.build import rebuild, update
from search.config import load_settings
from search.store import IndexStore


def _records(count: int, tag: str = "") -> str:
    return "".join(
        json.dumps(
            {
                "id": f"n-{n}",
                "title": f"국방부 발표 {n}{tag}",
                "body": f"국방부는 {n}일 사령부 개편 계획을 발표했다. {tag}",
                "published": "2024-07-28",
            },
            ensure_ascii=False,
        )
        + "\n"
        for n in range(count)
    )


@pytest.fixture
def built(tmp_path):
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "items.jsonl").write_text(_records(12), "utf-8")
    config = write_config(
        tmp_path / "c.toml", corpus, tmp_path / "index", extra="[server]\nworkers = 1\n"
    )
    settings = load_settings(config, environ={})
    rebuild(settings)
    return settings, corpus, config


def _percent(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode())


def _get(server, path: str):
    status, headers, body = server.request("GET", path)
    return status, headers, body


def test_an_emptied_segment_is_a_503_with_its_reason_until_a_rebuild(built, tmp_path):
    settings, _, config = built
    with serving(config, tmp_path, workers=1) as server:
        status, _, _ = _get(server, "/api/search?q=" + _percent("사령부"))
        assert status == 200
        generation = IndexStore(settings.index.path).current_path()
        segment = next(generation.glob("*.seg"))
        segment.write_bytes(b"")

        status, headers, body = _get(server, "/api/search?q=" + _percent("국방부"))
        error = json.loads(body)["error"]
        assert (status, error["code"]) == (503, "index_unavailable")
        assert error["message"].startswith(f"generation {generation.name} ")
        status, _, body = _get(server, "/api/health")
        assert status == 503
        assert json.loads(body)["error"]["code"] == "index_unavailable"
        status, headers, page = _get(server, "/search?q=" + _percent("국방부"))
        assert (status, headers["Content-Type"]) == (503, "text/html; charset=utf-8")
        assert b"The index cannot be read" in page and b"hansearch rebuild" in page

        result = run_hansearch("--config", str(config), "search", "사령부")
        assert result.returncode == 3
        assert len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith(f"hansearch: generation {generation.name} ")

        assert run_hansearch("--config", str(config), "rebuild").returncode == 0
        status, _, body = _get(server, "/api/search?q=" + _percent("사령부"))
        assert (status, json.loads(body)["total"]) == (200, 12)
        assert server.process.poll() is None


def test_a_server_started_on_a_broken_index_stays_up_and_serves_after_a_rebuild(built, tmp_path):
    settings, _, config = built
    generation = IndexStore(settings.index.path).current_path()
    for toc in generation.glob("*.toc"):
        toc.unlink()
    with serving(config, tmp_path, workers=1) as server:
        status, _, body = _get(server, "/api/health")
        error = json.loads(body)["error"]
        assert (status, error["code"]) == (503, "index_unavailable")
        assert error["message"].startswith(f"generation {generation.name} cannot be opened")
        assert run_hansearch("--config", str(config), "rebuild").returncode == 0
        status, _, body = _get(server, "/api/health")
        assert (status, json.loads(body)["documents"]) == (200, 12)


@pytest.mark.parametrize("pointer", ["../../../../../etc", "/etc", "..", "a/b", "\x00x"])
def test_current_must_name_a_generation_folder(built, pointer):
    settings, _, config = built
    (settings.index.path / "CURRENT").write_text(pointer + "\n")
    result = run_hansearch("--config", str(config), "stats")
    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        f"hansearch: {settings.index.path / 'CURRENT'} names no generation"
        f" ({pointer!r}): rebuild the index"
    ]
    from web.app import create_app

    response = create_app(settings).test_client().get("/api/search?q=x")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_unavailable"
    # A rebuild replaces the bad pointer.
    assert run_hansearch("--config", str(config), "rebuild").returncode == 0
    assert run_hansearch("--config", str(config), "stats").returncode == 0


def _deleted_files(pid: int, under: Path) -> list[str]:
    """Deleted files under ``under`` that the process still holds open."""
    held = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.endswith(" (deleted)") and target.startswith(str(under)):
            held.append(target)
    return held


def _generations_open(pid: int, index: Path) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(index / "generations")):
            found.add(Path(target.removesuffix(" (deleted)")).parent.name)
    return found


def test_a_worker_lets_go_of_old_generations_after_any_number_of_switches(built, tmp_path):
    settings, corpus, config = built
    with serving(config, tmp_path, workers=1) as server:
        (worker,) = server.worker_pids()
        store = IndexStore(settings.index.path)
        for number in range(5):
            (corpus / "items.jsonl").write_text(_records(12, tag=f"판{number}"), "utf-8")
            update(settings)
            if number % 2:  # searched between some switches, not between others
                assert _get(server, "/api/search?q=" + _percent("사령부"))[0] == 200
        time.sleep(3)  # the worker looks for a switch every 2 s
        assert _deleted_files(worker, settings.index.path) == []
        assert _generations_open(worker, settings.index.path) <= {store.current_name()}
        assert _get(server, "/api/search?q=" + _percent("판4"))[0] == 200
        assert _generations_open(worker, settings.index.path) == {store.current_name()}
