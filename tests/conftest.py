"""Shared fixtures: the repository's paths and analyzers loaded once per test session."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from search.analysis import char_analyzer, load_user_dictionaries, word_analyzer

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "demo" / "seeds"
CHINESE_SEED = SEEDS / "000_7d7e8ccb8e4aa8ab.txt"
KOREAN_SEED = SEEDS / "004_af721fc1b1a612be.txt"


def pytest_addoption(parser):
    parser.addoption(
        "--update-screenshots",
        action="store_true",
        help="save the browser tests' screenshots to docs/screenshots (needs CJK fonts)",
    )


@pytest.fixture(scope="session")
def dictionaries():
    return load_user_dictionaries(REPO / "dicts" / "zh_user.txt", REPO / "dicts" / "ko_user.txt")


@pytest.fixture(scope="session")
def words(dictionaries):
    return word_analyzer(dictionaries)


@pytest.fixture(scope="session")
def chars():
    return char_analyzer()


def write_config(
    path: Path, corpus: Path, index: Path, extra: str = "", index_extra: str = ""
) -> Path:
    """A config file indexing ``corpus`` into ``index`` with the repository's dictionaries
    (``index_extra``: more of the [index] table, ``extra``: more tables)."""
    path.write_text(
        f'[corpus]\npaths = ["{corpus}"]\n[index]\npath = "{index}"\n{index_extra}'
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


_EBOLA = (
    "第17轮埃博拉疫情在刚果暴发。卫生人员已经抵达。世界卫生组织表示，新的病例出现在"
    "赤道省，距离上一轮疫情的中心数百公里。当地政府已经开始追踪接触者，并为一线医护人"
    "员接种疫苗。专家说，疫情扩散的风险取决于病例能否及早发现和隔离，以及社区是否配合"
    "。国际援助组织呼吁各国提供资金和物资，帮助刚果应对这次疫情以及同时流行的麻疹和新"
    "冠病毒。"
)


def _search_corpus(folder: Path) -> None:
    """The seeds plus articles written for the search tests (nothing third-party)."""
    import json
    import shutil

    folder.mkdir()
    shutil.copy(CHINESE_SEED, folder)
    shutil.copy(KOREAN_SEED, folder)
    records = [
        {
            # Markup in a text field is made text, entities decoded once (clean.markup_to_text):
            # these index the literal text "<script>alert(1)</script>" and "<b>태그</b>", which
            # every output must escape.
            "id": "xss-1",
            "title": "&lt;script&gt;alert(1)&lt;/script&gt; 태그 보도",
            "body": "사령부 관련 &lt;b&gt;태그&lt;/b&gt;가 들어간 기사이다. "
            "5 < 6 이고 & 기호도 있다.",
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
            # jieba cuts the query 埃博拉 as 埃 + 博拉 and this text as 轮埃 + 博拉.
            "id": "zh-ebola-1",
            "title": "刚果再现疫情",
            "body": _EBOLA,
            "publisher": "中央社",
            "published": "2020-06-02T10:00:00+08:00",
        },
        {
            # The same story republished by another outlet a day later, its last sentence
            # edited: folded.
            "id": "zh-ebola-2",
            "title": "刚果再现疫情",
            "body": _EBOLA.replace("麻疹和新冠病毒。", "麻疹。"),
            "publisher": "美国之音",
            "published": "2020-06-03T09:00:00+08:00",
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


def built_settings(root: Path, engine: str, write_corpus):
    """Settings of an index ``rebuild`` made with ``engine`` from the corpus that
    ``write_corpus(folder)`` writes into ``root / "news"``."""
    from indexer.build import rebuild
    from search.config import load_settings

    write_corpus(root / "news")
    extra = f'engine = "{engine}"\n'
    config = write_config(root / "config.toml", root / "news", root / "index", index_extra=extra)
    settings = load_settings(config, environ={})
    rebuild(settings)
    return settings


def _search_settings(tmp_path_factory, engine: str):
    return built_settings(tmp_path_factory.mktemp(f"search-{engine}"), engine, _search_corpus)


@pytest.fixture(scope="session")
def search_settings(tmp_path_factory):
    """Settings of a real Whoosh index on disk built by ``rebuild`` from ``_search_corpus``."""
    return _search_settings(tmp_path_factory, "whoosh")


@pytest.fixture(scope="session")
def xapian_search_settings(tmp_path_factory):
    """The same articles in a real Xapian database built by ``rebuild``."""
    return _search_settings(tmp_path_factory, "xapian")


class Served:
    """A running ``hansearch serve``: its process, base URL and output files."""

    def __init__(self, process: subprocess.Popen, port: int, stdout: Path, stderr: Path):
        self.process = process
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.stdout = stdout
        self.stderr = stderr

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        """(status, headers, body bytes) of one request, errors included."""
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def raw(
        self, request_line: bytes, headers: bytes = b"", body: bytes = b""
    ) -> tuple[int, bytes, bytes]:
        """(status, head, body) of a request sent byte for byte (no client re-encodes it);
        ``headers`` are CRLF-terminated lines."""
        import socket

        head = request_line + b"\r\nHost: localhost\r\nConnection: close\r\n" + headers
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
            sock.sendall(head + b"\r\n" + body)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        answer_head, _, answer_body = data.partition(b"\r\n\r\n")
        return int(answer_head.split(b" ", 2)[1]), answer_head, answer_body

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


def serving_config(settings, folder: Path, server: str) -> Path:
    """A settings file serving the index of ``settings``; ``server``: its [server] lines."""
    analysis = settings.analysis
    config = folder / "config.toml"
    config.write_text(
        f'[index]\npath = "{settings.index.path}"\n'
        f'[analysis]\nchinese_dictionary = "{analysis.chinese_dictionary}"\n'
        f'korean_dictionary = "{analysis.korean_dictionary}"\n[server]\n{server}',
        encoding="utf-8",
    )
    return config


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(config: Path, folder: Path, workers: int, startup_seconds: int = 90):
    """``hansearch serve`` on ``config`` until the block ends (then SIGTERM); ready once
    every worker has loaded its models or said it answers 503 for want of an index."""
    import signal
    import time

    port = free_port()
    stdout, stderr = folder / "stdout.txt", folder / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hansearch",
                "--config",
                str(config),
                "serve",
                "--port",
                str(port),
            ],
            cwd=REPO,
            stdout=out,
            stderr=err,
        )
    served = Served(process, port, stdout, stderr)
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited ({process.returncode}):\n" + stderr.read_text())
            log = stderr.read_text()
            if log.count("models loaded in") + log.count("answering 503 until") >= workers:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"not ready within {startup_seconds} s:\n" + log)
            time.sleep(0.2)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
