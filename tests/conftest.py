"""Shared fixtures: the repository's paths and analyzers loaded once per test session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from search.analysis import char_analyzer, load_user_dictionaries, word_analyzer

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "demo" / "seeds"
CHINESE_SEED = SEEDS / "000_7d7e8ccb8e4aa8ab.txt"
KOREAN_SEED = SEEDS / "004_af721fc1b1a612be.txt"


@pytest.fixture(scope="session")
def dictionaries():
    return load_user_dictionaries(REPO / "dicts" / "zh_user.txt", REPO / "dicts" / "ko_user.txt")


@pytest.fixture(scope="session")
def words(dictionaries):
    return word_analyzer(dictionaries)


@pytest.fixture(scope="session")
def chars():
    return char_analyzer()


def write_config(path: Path, corpus: Path, index: Path, extra: str = "") -> Path:
    """A config file indexing ``corpus`` into ``index`` with the repository's dictionaries."""
    path.write_text(
        f'[corpus]\npaths = ["{corpus}"]\n[index]\npath = "{index}"\n'
        f'[analysis]\nchinese_dictionary = "{REPO}/dicts/zh_user.txt"\n'
        f'korean_dictionary = "{REPO}/dicts/ko_user.txt"\n{extra}'
    )
    return path


def run_hansearch(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """The installed ``hansearch`` command, run from the repository as a user runs it."""
    options = {"capture_output": True, "text": True, "timeout": 120, **kwargs}
    if "stdout" in kwargs:
        options.pop("capture_output")
    return subprocess.run([sys.executable, "-m", "hansearch", *args], cwd=REPO, **options)


def tokens(analyzer, text: str) -> list[tuple[str, int, str]]:
    """(term, position, original surface) for every token of ``text``."""
    return [
        (t.text, t.pos, text[t.startchar : t.endchar])
        for t in analyzer(text, positions=True, chars=True)
    ]


def terms(analyzer, text: str) -> list[str]:
    return [t.text for t in analyzer(text)]


def _search_corpus(folder: Path) -> None:
    """The seeds plus articles written for the search tests (nothing third-party)."""
    import json
    import shutil

    folder.mkdir()
    shutil.copy(CHINESE_SEED, folder)
    shutil.copy(KOREAN_SEED, folder)
    records = [
        {
            "id": "xss-1",
            "title": "<script>alert(1)</script> 태그 보도",
            "body": "사령부 관련 <b>태그</b>가 들어간 기사이다. 5 < 6 이고 & 기호도 있다.",
            "publisher": "테스트일보",
            "published": "2024-06-01T09:00:00+09:00",
        },
        {
            "id": "zh-hant-1",
            "title": "國際論壇在臺灣舉行",
            "body": "美日安全磋商後，國際論壇在臺灣舉行。與會者討論威懾策略。",
            "publisher": "中央社",
            "published": "2024-08-15T10:00:00+08:00",
        },
        {
            "id": "en-1",
            "title": "US and Japan upgrade military command",
            "body": "Blinken and Austin met Kamikawa and Kihara in Tokyo. "
            "Production of PAC-3 missiles will increase.",
            "publisher": "VOA",
            "published": "2024-07-29T08:00:00+00:00",
            "lang": "en",
        },
    ]
    for number in range(30):
        month = 1 + number % 12
        year = 2023 + number // 24
        records.append(
            {
                "id": f"bulk-{number:02d}",
                "title": f"국방부 조직 개편 {number}차 발표",
                "body": f"국방부는 {number + 1}일 사령부 개편 계획을 발표했다. "
                f"개편은 {number + 2}단계로 진행된다.",
                "publisher": "연합뉴스" if number % 2 else "뉴스1",
                "published": f"{year}-{month:02d}-{1 + number % 28:02d}T12:00:00+09:00",
            }
        )
    (folder / "extra.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8"
    )


@pytest.fixture(scope="session")
def search_settings(tmp_path_factory):
    """Settings of a real index on disk built by ``rebuild`` from ``_search_corpus``."""
    from indexer.build import rebuild
    from search.config import load_settings

    root = tmp_path_factory.mktemp("search")
    _search_corpus(root / "news")
    config = write_config(root / "config.toml", root / "news", root / "index")
    settings = load_settings(config, environ={})
    rebuild(settings)
    return settings
