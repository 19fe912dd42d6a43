"""The installed ``hansearch`` command, run as a user runs it."""

from __future__ import annotations

import json

from conftest import run_hansearch as _run


def test_analyze_prints_terms_positions_and_original_surfaces():
    result = _run("analyze", "嚇阻 사령부를 PAC-3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "   0  吓阻\t0-2\t嚇阻",
        "   1  사령부\t3-6\t사령부",
        "   2  pac\t8-11\tPAC",
        "   2  pac-3\t8-13\tPAC-3",
        "   3  3\t12-13\t3",
    ]


def test_analyze_uses_the_configured_user_dictionary_and_speaks_json():
    result = _run("analyze", "--json", "가미카와 요코")
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"text": "가미카와", "pos": 0, "start": 0, "end": 4, "surface": "가미카와"},
        {"text": "가미카와요코", "pos": 0, "start": 0, "end": 7, "surface": "가미카와 요코"},
        {"text": "요코", "pos": 1, "start": 5, "end": 7, "surface": "요코"},
    ]


def test_character_view_on_request():
    result = _run("analyze", "--view", "chars", "安装简单")
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["安装", "装简", "简单"]


def test_bad_config_is_reported_without_a_traceback(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[index]\npath = 5\n")
    result = _run("--config", str(config), "analyze", "x")
    assert result.returncode == 2
    assert result.stderr == f"hansearch: {config}: index.path must be a path, got 5\n"
