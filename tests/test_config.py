"""config.toml is read into typed settings; mistakes are reported by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from search.config import ConfigError, load_settings


def test_repository_config_points_at_the_demo_corpus_and_dictionaries():
    settings = load_settings(REPO / "config.toml", environ={})
    assert settings.corpus.paths == [REPO / "demo" / "seeds", REPO / "demo" / "articles"]
    assert settings.index.path == REPO / "var" / "index"
    assert settings.analysis.chinese_dictionary == REPO / "dicts" / "zh_user.txt"
    assert settings.analysis.korean_dictionary == REPO / "dicts" / "ko_user.txt"


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    config = tmp_path / "conf" / "hansearch.toml"
    config.parent.mkdir()
    config.write_text('[corpus]\npaths = ["news", "/abs/more"]\n[index]\npath = "idx"\n')
    settings = load_settings(config, environ={})
    assert settings.corpus.paths == [tmp_path / "conf" / "news", Path("/abs/more")]
    assert settings.index.path == tmp_path / "conf" / "idx"


def test_environment_overrides_the_file(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[index]\npath = "idx"\n')
    settings = load_settings(
        config,
        environ={"HANSEARCH_INDEX_PATH": "/srv/idx", "HANSEARCH_CORPUS_PATHS": '["/a", "b"]'},
    )
    assert settings.index.path == Path("/srv/idx")
    assert settings.corpus.paths == [Path("/a"), tmp_path / "b"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[corpus]\npaths = 3\n", "corpus.paths must be a list of paths, got 3"),
        ("[index]\npaht = 'x'\n", "unknown setting index.paht"),
        ("[serach]\n", "unknown section [serach]"),
        ("[index\n", "Expected ']'"),
    ],
    ids=["wrong-type", "unknown-key", "unknown-section", "bad-toml"],
)
def test_invalid_config_is_reported_by_name(tmp_path, content, message):
    config = tmp_path / "c.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings(config, environ={})


def test_missing_config_file_named_explicitly_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "absent.toml", environ={})
