"""What protects the serving index from a build gone wrong: configuration errors, a corpus
that suddenly shrank, damaged files, no-op updates; and builds that always say what they do.

Real worker processes and a real Whoosh index; the command as a user runs it."""

from __future__ import annotations

import io
import json
import re
import time

import pytest
from conftest import run_hansearch, write_config

import indexer.progress
from indexer.build import ShrinkRefused, rebuild, update
from indexer.progress import phase
from search.config import ConfigError, load_settings
from search.store import IndexStore


def _records(count: int, start: int = 0) -> str:
    return "".join(
        json.dumps(
            {
                "id": f"n-{n}",
                "title": f"국방부 발표 {n}",
                "body": f"국방부는 {n}일 사령부 개편 계획을 발표했다.",
                "published": "2024-07-28",
            },
            ensure_ascii=False,
        )
        + "\n"
        for n in range(start, start + count)
    )


@pytest.fixture
def built(tmp_path):
    """A corpus of 10 articles in one JSON Lines file, indexed: (settings, corpus, config)."""
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "items.jsonl").write_text(_records(10), "utf-8")
    config = write_config(tmp_path / "c.toml", corpus, tmp_path / "index")
    settings = load_settings(config, environ={})
    rebuild(settings)
    return settings, corpus, config


def _serving(settings) -> tuple[str | None, int]:
    store = IndexStore(settings.index.path)
    return store.current_name(), store.open_current().doc_count()


def test_a_missing_corpus_path_is_a_configuration_error_and_switches_nothing(built, tmp_path):
    settings, _, config = built
    before = _serving(settings)
    for command in ("rebuild", "update"):
        result = run_hansearch(
            "--config", str(config), command, env={"HANSEARCH_CORPUS_PATHS": '["/no/such"]'}
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            "hansearch: corpus.paths: /no/such does not exist (a typo, or a drive or share that"
            " is not mounted?); nothing was built and the serving index is unchanged\n"
        )
    assert _serving(settings) == before


def test_a_rebuild_of_an_emptied_corpus_is_refused_unless_allowed(built):
    settings, corpus, config = built
    before = _serving(settings)
    (corpus / "items.jsonl").write_text(_records(4), "utf-8")
    with pytest.raises(ShrinkRefused) as refused:
        rebuild(settings)
    assert str(refused.value) == (
        "the new index would hold 4 documents where the serving one holds 10 (under 50% of"
        " it), so nothing was switched: is a corpus path empty or not mounted? If the archive"
        " really shrank, run 'hansearch rebuild --allow-shrink'"
    )
    assert _serving(settings) == before
    assert sorted(p.name for p in (settings.index.path / "generations").iterdir()) == [before[0]]

    result = run_hansearch("--config", str(config), "rebuild", "--allow-shrink")
    assert result.returncode == 0, result.stderr
    assert _serving(settings)[1] == 4


def test_an_update_that_would_remove_most_articles_is_refused(built):
    settings, corpus, _ = built
    before = _serving(settings)
    (corpus / "items.jsonl").write_text(_records(3), "utf-8")
    with pytest.raises(ShrinkRefused, match="hold 3 documents where the serving one holds 10"):
        update(settings)
    assert _serving(settings) == before
    report = update(settings, allow_shrink=True)
    assert (report.removed, _serving(settings)[1]) == (7, 3)


def test_the_share_to_keep_is_a_setting_checked_on_load(tmp_path):
    config = write_config(tmp_path / "c.toml", tmp_path, tmp_path / "i")
    config.write_text(config.read_text().replace("[index]\n", "[index]\nkeep_at_least = 2\n"))
    with pytest.raises(ConfigError, match="index.keep_at_least must be a share from 0 to 1"):
        load_settings(config, environ={})


def test_an_update_that_finds_nothing_changed_keeps_the_serving_generation(built):
    settings, corpus, config = built
    store = IndexStore(settings.index.path)
    before = store.current_name()
    older = [p.name for p in (settings.index.path / "generations").iterdir()]
    for _ in range(2):
        result = run_hansearch("--config", str(config), "update")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[0] == (
            f"update: nothing changed in the corpus; generation {before} keeps serving"
            f" 10 documents from {settings.index.path}"
        )
    assert store.current_name() == before
    assert [p.name for p in (settings.index.path / "generations").iterdir()] == older
    # Touched but unchanged: still nothing to index, and the new times are remembered.
    (corpus / "items.jsonl").touch()
    assert update(settings).changed is False
    manifest = json.loads((store.current_path() / "manifest.json").read_text("utf-8"))
    entry = manifest["files"]["news/items.jsonl"]
    assert entry["mtime_ns"] == (corpus / "items.jsonl").stat().st_mtime_ns


def test_a_damaged_segment_is_found_by_verify_and_never_carried_forward(built):
    settings, corpus, config = built
    result = run_hansearch("--config", str(config), "verify")
    assert (result.returncode, result.stdout.strip()) == (
        0,
        f"generation {IndexStore(settings.index.path).current_name()}: every file is intact",
    )
    generation = IndexStore(settings.index.path).current_path()
    segment = next(generation.glob("*.seg"))
    data = bytearray(segment.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 16] = b"\xa5" * 16
    segment.write_bytes(bytes(data))

    result = run_hansearch("--config", str(config), "verify")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"generation {generation.name} is damaged:",
        f"  {segment.name} has changed since it was written (checksum differs)",
        "build a new index from the corpus with 'hansearch rebuild'",
    ]
    (corpus / "more.jsonl").write_text(_records(2, start=10), "utf-8")
    result = run_hansearch("--config", str(config), "update")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-2:] == [
        f"hansearch: update failed: generation {generation.name} is damaged: {segment.name}"
        " has changed since it was written (checksum differs). Build a new index from the"
        " corpus with 'hansearch rebuild'",
        "hansearch: the serving index is unchanged",
    ]
    assert IndexStore(settings.index.path).current_name() == generation.name
    result = run_hansearch("--config", str(config), "rebuild")
    assert result.returncode == 0, result.stderr
    assert _serving(settings)[1] == 12


def test_a_rebuild_names_each_step_as_it_goes(tmp_path):
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "items.jsonl").write_text(_records(3), "utf-8")
    config = write_config(tmp_path / "c.toml", corpus, tmp_path / "index")
    result = run_hansearch("--config", str(config), "rebuild")
    assert result.returncode == 0, result.stderr
    steps = [line for line in result.stderr.splitlines() if line.endswith(" …")]
    assert steps == [
        "finding the corpus files …",
        "learning each source's repeated lines …",
        "writing the index segments …",
        "dropping repeated articles and verifying …",
        "recording checksums and switching …",
    ]


def test_a_long_step_says_it_is_still_working(monkeypatch):
    monkeypatch.setattr(indexer.progress, "LOG_INTERVAL_SECONDS", 0.1)
    stream = io.StringIO()
    with phase("writing the index segments", stream):
        time.sleep(0.55)
    first, *rest = stream.getvalue().splitlines()
    assert first == "writing the index segments …"
    assert len(rest) >= 3  # one every 0.1 s (at least three even on a busy machine)
    assert all(re.fullmatch(r"writing the index segments: still working, [01] s", r) for r in rest)


def test_stats_works_on_an_empty_index_and_one_without_dates(tmp_path):
    corpus = tmp_path / "news"
    corpus.mkdir()
    config = write_config(tmp_path / "c.toml", corpus, tmp_path / "index")
    assert run_hansearch("--config", str(config), "rebuild").returncode == 0
    result = run_hansearch("--config", str(config), "stats")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith(": 0 documents")
    record = {"id": "u", "title": "날짜 없는 기사", "body": "이 기사에는 날짜가 없다."}
    (corpus / "a.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    assert run_hansearch("--config", str(config), "update").returncode == 0
    result = run_hansearch("--config", str(config), "stats")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == ["by month:", f"  {'(none)':<30} {1:>9,}"]
