"""The Xapian engine: the same answers as the Whoosh engine where they must be the same,
and an archive split into shards, each served by a real ``xapian-tcpsrv``, searched as one
database (same ids, order, scores and totals)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import _search_corpus, built_settings, free_port, run_hansearch, serving, write_config

from search.config import ConfigError, load_settings
from search.models import SearchRequest
from search.query import parse_query
from search.scoring import MAX_TERMS
from search.searcher import SearchService
from search.store import IndexUnavailable
from search.xapian_engine import _Search

QUERIES = [
    "美日 安全磋商",
    "주일미군 사령부",
    '"합동작전사령부"',
    "사령부 -국방부",
    "埃博拉",
    "刚果 疫情",
    "磋商 OR 威懾",
    "title:磋商",
    "사령부 lang:ko published:2023-01..2023-06",
    "사령부 source:연합뉴스",
    "국방부 사령부 개편",
    "주일미군 사령부는 어디에 있습니까?",
    "美日安全磋商是什么？",
    "Japan military",
    "사령부 존재하지않는낱말",
    # More units than one query of _Search._hold finds (HOLD_BATCH): 60 words no article
    # has, then one that 32 have.
    " ".join(f"zq{a}{b}" for a in "bcdfgh" for b in "klmnprstvw") + " 사령부",
]


def _answer(service: SearchService, q: str, **kwargs):
    response = service.search(SearchRequest(q=q, size=100, **kwargs))
    return {
        "total": response.total,
        "total_all_words": response.total_all_words,
        "facets": response.facets,
        "phrases_as_words": response.phrases_as_words,
        "results": [(h.id, h.missing, [s.id for s in h.similar]) for h in response.results],
        "scores": [h.score for h in response.results],
        "marks": [(h.title_html, h.snippet_html) for h in response.results],
    }


@pytest.fixture(scope="module")
def whoosh(search_settings):
    return SearchService(search_settings)


@pytest.fixture(scope="module")
def xapian_service(xapian_search_settings):
    return SearchService(xapian_search_settings)


@pytest.mark.parametrize("q", QUERIES)
def test_both_engines_find_the_same_articles_with_the_same_words_and_marks(
    whoosh, xapian_service, q
):
    ours, theirs = _answer(xapian_service, q), _answer(whoosh, q)
    for key in ("total", "total_all_words", "facets", "phrases_as_words"):
        assert ours[key] == theirs[key], key
    assert sorted(ours["results"]) == sorted(theirs["results"])
    assert sorted(ours["marks"]) == sorted(theirs["marks"])


def test_copies_folded_under_a_result_count_among_the_articles_with_every_word(xapian_service):
    # Both copies hold every word: both are counted, one is shown with the other under it.
    response = xapian_service.search(SearchRequest(q="刚果 疫情"))
    assert [(h.id, [s.id for s in h.similar]) for h in response.results] == [
        ("zh-ebola-2", ["zh-ebola-1"])
    ]
    assert (response.total, response.total_all_words) == (2, 2)


def test_articles_lacking_a_word_weigh_their_words_score_without_the_gathering_bonus(
    xapian_search_settings, monkeypatch
):
    # Gathered with a bonus per word held, their score is then that weight less the
    # bonuses of the words each holds: what querying the words' score again gives.
    q = "국방부 사령부 개편"
    found = _answer(SearchService(xapian_search_settings), q)
    monkeypatch.setattr(_Search, "_less_bonuses", _Search._score)
    again = _answer(SearchService(xapian_search_settings), q)
    lacking = [(doc_id, missing) for doc_id, missing, _ in found["results"] if missing]
    assert len(found["results"]) == 32 and len(lacking) == 2, lacking
    assert (found["results"], found["scores"]) == (again["results"], again["scores"])


def test_both_engines_sort_by_date_alike(whoosh, xapian_service):
    for q in ("사령부", "국방부 사령부 개편"):
        ours = _answer(xapian_service, q, sort="date")["results"]
        assert ours == _answer(whoosh, q, sort="date")["results"]


def test_documents_and_related_articles_by_id(whoosh, xapian_service):
    seed = "news/004_af721fc1b1a612be.txt"
    assert xapian_service.document(seed) == whoosh.document(seed)
    assert xapian_service.document("no-such-id") is None
    related = [hit.id for hit in xapian_service.related("bulk-01", limit=5)]
    assert len(related) == 5 and "bulk-01" not in related
    assert all(r.startswith("bulk-") for r in related)


def test_the_engine_setting_is_checked(tmp_path):
    config = write_config(
        tmp_path / "c.toml", tmp_path, tmp_path / "i", index_extra='engine = "lucene"\n'
    )
    with pytest.raises(
        ConfigError, match="index.engine must be one of 'whoosh', 'xapian', got 'lucene'"
    ):
        load_settings(config, environ={})
    bad = write_config(
        tmp_path / "s.toml", tmp_path, tmp_path / "i", extra='[xapian]\nshards = ["db1"]\n'
    )
    with pytest.raises(ConfigError, match="xapian.shards: 'db1' is not host:port"):
        load_settings(bad, environ={})
    refused = run_hansearch("rebuild", "--config", str(config), "--shard", "3/2")
    assert refused.returncode == 2
    assert "--shard '3/2': I must be from 1 to N" in refused.stderr


# Shards: the test corpus built as two shards on this machine, each served by xapian-tcpsrv.


@contextmanager
def _tcpsrv(database: Path, port: int):
    """xapian-tcpsrv serving ``database`` on ``port``, in a process group of its own: it
    forks a child per connection, and stopping it (``_stop``) stops them too."""
    process = subprocess.Popen(
        ["xapian-tcpsrv", "--port", str(port), "--interface", "127.0.0.1", "--quiet"]
        + [str(database)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"xapian-tcpsrv did not start: {process.stderr.read()!r}")
                time.sleep(0.05)
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """Two shard indexes of the search corpus ('rebuild --shard 1/2' and '2/2'), each
    served by xapian-tcpsrv from its stub; yields (the shards' configs, service settings)."""
    if shutil.which("xapian-tcpsrv") is None:
        pytest.fail("xapian-tcpsrv is missing: apt-get install xapian-tools (.ci/run does)")
    root = tmp_path_factory.mktemp("shards")
    _search_corpus(root / "news")
    configs = []
    for number in (1, 2):
        config = write_config(
            root / f"shard{number}.toml",
            root / "news",
            root / f"index{number}",
            index_extra='engine = "xapian"\n',
        )
        built = run_hansearch("rebuild", "--config", str(config), "--shard", f"{number}/2")
        assert built.returncode == 0, built.stderr
        configs.append(config)
    ports = [free_port(), free_port()]
    with _tcpsrv(root / "index1" / "current.xapian", ports[0]) as one:
        with _tcpsrv(root / "index2" / "current.xapian", ports[1]) as two:
            service_config = write_config(
                root / "service.toml",
                root / "news",
                root / "unused",
                extra=f'[xapian]\nshards = ["127.0.0.1:{ports[0]}", "127.0.0.1:{ports[1]}"]\n'
                "timeout_ms = 1000\n",
            )
            yield {
                "configs": configs,
                "settings": load_settings(service_config, environ={}),
                "config": service_config,
                "servers": (one, two),
                "root": root,
            }


def test_each_shard_holds_its_part_and_together_all(shards, xapian_service):
    counts = []
    for config in shards["configs"]:
        stats = run_hansearch("stats", "--config", str(config))
        assert stats.returncode == 0, stats.stderr
        counts.append(int(stats.stdout.split(":")[1].split()[0]))
    assert all(count > 5 for count in counts)
    assert sum(counts) == xapian_service.health()["documents"] == 37


@pytest.mark.parametrize("q", QUERIES)
def test_two_remote_shards_answer_as_one_database(shards, xapian_service, q):
    sharded = SearchService(shards["settings"])
    ours, one = _answer(sharded, q), _answer(xapian_service, q)
    for key in ("total", "total_all_words", "facets", "phrases_as_words", "results", "marks"):
        assert ours[key] == one[key], key
    assert ours["scores"] == pytest.approx(one["scores"], rel=1e-9)


def test_a_page_deep_in_the_results_is_the_same_over_shards(shards, xapian_service):
    sharded = SearchService(shards["settings"])
    for page in (1, 2, 3):
        ours = sharded.search(SearchRequest(q="사령부", size=5, page=page))
        one = xapian_service.search(SearchRequest(q="사령부", size=5, page=page))
        assert [h.id for h in ours.results] == [h.id for h in one.results]


def test_the_service_over_shards_answers_http(shards):
    folder = shards["root"] / "serve"
    folder.mkdir(exist_ok=True)
    with serving(shards["config"], folder, workers=1) as served:
        status, _, body = served.request("GET", "/api/search?q=%EC%82%AC%EB%A0%B9%EB%B6%80")
        assert status == 200
        assert b'"total": 32' in body or b'"total":32' in body


def test_a_rebuilt_shard_is_searched_without_restarting(shards, monkeypatch):
    from search import xapian_shards

    monkeypatch.setattr(xapian_shards, "REOPEN_SECONDS", 0.0)
    sharded = SearchService(shards["settings"])
    assert sharded.search(SearchRequest(q="샤드교체시험")).total == 0
    news = shards["root"] / "news"
    (news / "added.md").write_text(
        "---\ntitle: 샤드교체시험 기사\n---\n샤드교체시험 본문입니다.\n", encoding="utf-8"
    )
    try:
        for config in shards["configs"]:  # the article is one shard's: update both
            updated = run_hansearch("update", "--config", str(config))  # each its own shard
            assert updated.returncode == 0, updated.stderr
        found = sharded.search(SearchRequest(q="샤드교체시험"))
        assert [hit.title for hit in found.results] == ["샤드교체시험 기사"]
    finally:
        (news / "added.md").unlink()
        for config in shards["configs"]:
            assert run_hansearch("update", "--config", str(config)).returncode == 0


def test_a_restarted_shard_server_is_searched_again(shards, tmp_path):
    """xapian-tcpsrv restarted between two searches: the pooled connection is found dead
    and replaced; while it is down, a clear 503 over HTTP, never a 500."""
    sharded = SearchService(shards["settings"])
    before = sharded.search(SearchRequest(q="사령부")).total
    first_port = shards["settings"].xapian.shards[0].rpartition(":")[2]
    _stop(shards["servers"][0])  # the server and the child serving our connection
    with pytest.raises(IndexUnavailable, match=f"shard 127.0.0.1:{first_port} cannot be reached"):
        sharded.search(SearchRequest(q="사령부", size=3))
    folder = tmp_path / "serve"
    folder.mkdir()
    with serving(shards["config"], folder, workers=1) as served:
        status, headers, body = served.request("GET", "/api/search?q=%EC%82%AC%EB%A0%B9%EB%B6%80")
        assert status == 503
        assert headers["Content-Type"].startswith("application/json")
        assert f"shard 127.0.0.1:{first_port} cannot be reached".encode() in body
    stub = shards["root"] / "index1" / "current.xapian"
    with _tcpsrv(stub, int(first_port)):
        assert sharded.search(SearchRequest(q="사령부")).total == before


def test_a_shard_that_is_down_or_silent_is_a_clear_503_never_a_hang(shards, tmp_path):
    port = free_port()
    down = write_config(
        tmp_path / "down.toml",
        tmp_path,
        tmp_path / "i",
        extra=f'[xapian]\nshards = ["127.0.0.1:{port}"]\ntimeout_ms = 500\n',
    )
    with pytest.raises(IndexUnavailable, match=f"shard 127.0.0.1:{port} cannot be reached"):
        SearchService(load_settings(down, environ={})).search(SearchRequest(q="사령부"))
    # A server that takes the connection and never answers: the timeout answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    silent_port = listener.getsockname()[1]
    held = []
    threading.Thread(target=lambda: held.append(listener.accept()), daemon=True).start()
    silent = write_config(
        tmp_path / "silent.toml",
        tmp_path,
        tmp_path / "i",
        extra=f'[xapian]\nshards = ["127.0.0.1:{silent_port}"]\ntimeout_ms = 500\n',
    )
    started = time.monotonic()
    with pytest.raises(IndexUnavailable, match=f"shard 127.0.0.1:{silent_port} cannot be reached"):
        SearchService(load_settings(silent, environ={})).search(SearchRequest(q="사령부"))
    assert time.monotonic() - started < 5
    listener.close()


def test_a_worker_writes_small_databases_that_merge_into_one_in_order(tmp_path, monkeypatch):
    """A rebuild worker starts a new Xapian database every XAPIAN_PART_DOCS documents;
    the generation is their merge, every document in the order written."""
    import xapian

    from indexer import writers
    from search.analysis import UserDictionaries
    from search.document import Document
    from search.schema import document_fields
    from search.xapian_documents import SLOT_ID

    monkeypatch.setattr(writers, "XAPIAN_PART_DOCS", 3)
    monkeypatch.setattr(writers, "XAPIAN_COMMIT_DOCS", 2)
    generation = tmp_path / "generation"
    generation.mkdir()
    writers.create(generation, "xapian", UserDictionaries())
    parts = []
    for worker, ids in ((0, range(7)), (1, range(7, 9))):
        writer = writers.PartWriter(generation, worker, UserDictionaries())
        for number in ids:
            doc = Document(
                id=f"doc-{number}", title=f"제목 {number}", body="사령부 본문", lang="ko"
            )
            writer.add(document_fields(doc))
        parts.append(writer.finish())
    assert [len(p) for p in parts] == [3, 1]
    writers.commit(generation, parts, UserDictionaries())
    db = xapian.Database(str(generation))
    ids = [db.get_document(p.docid).get_value(SLOT_ID).decode() for p in db.postlist("")]
    assert ids == [f"doc-{n}" for n in range(9)]
    assert not (generation / "parts").exists()


def test_verify_names_a_damaged_file_of_a_xapian_generation(shards, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(shards["root"] / "index1", copy)
    config = write_config(tmp_path / "c.toml", shards["root"] / "news", copy)
    intact = run_hansearch("verify", "--config", str(config))
    assert intact.returncode == 0 and "every file is intact" in intact.stdout
    generation = copy / "generations" / (copy / "CURRENT").read_text().strip()
    with (generation / "postlist.glass").open("ab") as handle:
        handle.write(b"x")
    damaged = run_hansearch("verify", "--config", str(config))
    assert damaged.returncode == 1
    assert "postlist.glass has" in damaged.stderr and "were written" in damaged.stderr


# A question whose answer holds its rarest word, among more articles than the re-ranking
# window holds that have every other word, in their titles too.


def _crowded_corpus(folder: Path) -> None:
    import random

    rng = random.Random(7)
    folder.mkdir(parents=True)

    def filler(count: int) -> str:  # words of no other article: no near-duplicates
        letters = "bcdfghjklmnpqrstvwxz"
        return " ".join("".join(rng.choice(letters) for _ in range(7)) for _ in range(count))

    for number in range(150):
        (folder / f"crowd-{number:03d}.md").write_text(
            "---\ntitle: alpha bravo charlie delta echo\n---\n"
            f"Alpha bravo charlie delta echo. {filler(40)}\n",
            encoding="utf-8",
        )
    (folder / "answer.md").write_text(
        f"---\ntitle: {filler(3)}\n---\nThe zulu alpha report. {filler(40)}\n", encoding="utf-8"
    )


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    root = tmp_path_factory.mktemp("crowded")
    _crowded_corpus(root / "news")
    services = {}
    for engine in ("whoosh", "xapian"):
        config = write_config(
            root / f"{engine}.toml",
            root / "news",
            root / engine,
            index_extra=f'engine = "{engine}"\n',
        )
        built = run_hansearch("rebuild", "--config", str(config))
        assert built.returncode == 0, built.stderr
        services[engine] = SearchService(load_settings(config, environ={}))
    return services


def test_the_answer_with_the_rarest_word_is_first_beyond_the_rescoring_window(crowded):
    """150 articles hold five of the six words, in title and body (a higher BM25 than the
    answer's: more than the re-ranking window of a 10-result page, 100, gathered by BM25
    alone); the answer holds the rarest word and one other. Coordination puts it first,
    as the Whoosh engine, which ranks every listed article, does."""
    from search import xapian_engine

    assert xapian_engine.RERANK_MIN < 150
    q = "alpha bravo charlie delta echo zulu"
    for engine in ("whoosh", "xapian"):
        found = crowded[engine].search(SearchRequest(q=q, size=10))
        assert found.total == 151, engine
        assert [found.results[0].id, found.results[0].missing] == [
            "news/answer.md",
            ["bravo", "charlie", "delta", "echo"],
        ], engine
        assert found.results[1].missing == ["zulu"], engine


def test_a_rebuild_that_drops_repeated_articles_leaves_its_database_packed(tmp_path):
    """The 35 articles of extra.jsonl crawled twice (a copy of the file): each is indexed
    once, and the database left after deleting the copies is as small as Xapian's own
    compaction of it (changing packed blocks in place splits them: 40% larger on a shard
    of ../shared/corpus)."""
    import xapian

    from indexer.build import rebuild
    from search.store import IndexStore

    corpus = tmp_path / "news"
    _search_corpus(corpus)
    shutil.copy(corpus / "extra.jsonl", corpus / "extra-again.jsonl")
    config = write_config(
        tmp_path / "c.toml", corpus, tmp_path / "index", index_extra='engine = "xapian"\n'
    )
    settings = load_settings(config, environ={})
    report = rebuild(settings)
    assert (report.indexed, report.duplicates) == (37, 35)
    generation = IndexStore(settings.index.path).current_path()
    xapian.Database(str(generation)).compact(str(tmp_path / "again"), xapian.Compactor.FULLER)

    def size(folder: Path) -> int:
        return sum(p.stat().st_size for p in folder.iterdir() if p.name.endswith(".glass"))

    assert size(generation) == size(tmp_path / "again")
    found = SearchService(settings).search(SearchRequest(q="국방부 조직 개편 7차"))
    assert [hit.id for hit in found.results][:1] == ["bulk-07"]


def test_a_query_of_more_units_than_one_query_holds_says_what_each_result_lacks(xapian_service):
    from search.xapian_engine import HOLD_BATCH

    words = [f"zq{a}{b}" for a in "bcdfgh" for b in "klmnprstvw"]
    assert len(words) > HOLD_BATCH
    found = xapian_service.search(SearchRequest(q=" ".join(words) + " 사령부", size=100))
    assert found.total == 32
    assert all(hit.missing == words for hit in found.results)


# A caption pasted whole with a question after it: more ranking terms than a ranking reads
# (scoring.MAX_TERMS), so each engine leaves the weakest out.
LONG_QUESTION = (
    "美国国务卿布林肯和国防部长奥斯汀与日本外务大臣神川阳子和防卫大臣木原稔，"
    "共同出席了这次2+2安全磋商会议。國際論壇在臺灣舉行，與會者討論威懾策略嗎？"
)


def test_a_long_question_is_ranked_alike_by_both_engines(whoosh, xapian_service):
    """Both engines leave out the same terms (``scoring.strongest``, from the query and
    the archive's counts alone), so their rankings agree article by article."""
    with whoosh._using() as engine:
        built = engine.builder.build(parse_query(LONG_QUESTION))
    assert len(built.ranking) > MAX_TERMS
    ours, theirs = _answer(xapian_service, LONG_QUESTION), _answer(whoosh, LONG_QUESTION)
    assert [r[0] for r in ours["results"]] == [r[0] for r in theirs["results"]]
    assert ours["results"][0][0] == (
        "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/"
        "tt-us-japan-military-alliance-07282024104813.html"
    )


def test_a_database_of_another_layout_is_refused_until_it_is_rebuilt(tmp_path):
    """A generation an older hansearch wrote (its data and values laid out otherwise) is
    never misread: searching, stats and update say what to do, and a rebuild cures it."""
    import json

    import xapian

    from search.integrity import record_checksums
    from search.store import IndexStore
    from search.xapian_documents import LAYOUT_KEY

    def one_article(folder):
        folder.mkdir()
        line = {"id": "a", "title": "주일미군 사령부", "body": "주일미군 사령부를 개편한다."}
        (folder / "a.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", "utf-8")

    settings = built_settings(tmp_path, "xapian", one_article)
    generation = IndexStore(settings.index.path).current_path()
    db = xapian.WritableDatabase(str(generation), xapian.DB_OPEN)
    db.set_metadata(LAYOUT_KEY, "")  # as written before layouts were stamped
    db.commit()
    db.close()
    record_checksums(generation)  # as that version recorded them: intact, not damaged
    told = (
        f"generation {generation.name} was built by another version of hansearch "
        "(layout 1, this one reads layout 2): run hansearch rebuild"
    )
    with pytest.raises(IndexUnavailable) as refused:
        SearchService(settings).search(SearchRequest(q="사령부"))
    assert str(refused.value) == told
    config = str(tmp_path / "config.toml")
    line = {"id": "b", "title": "새 기사", "body": "합동작전사령부가 출범했다."}
    (tmp_path / "news" / "b.jsonl").write_text(json.dumps(line, ensure_ascii=False), "utf-8")
    for command in ("search", "stats"):
        args = (command, "사령부") if command == "search" else (command,)
        answer = run_hansearch(*args, "--config", config)
        assert (answer.returncode, answer.stderr) == (3, f"hansearch: {told}\n"), command
    # update cannot add to it: it builds a new one, as when the engine changed
    assert run_hansearch("update", "--config", config).returncode == 0
    assert IndexStore(settings.index.path).current_name() != generation.name
    found = SearchService(settings).search(SearchRequest(q="사령부"))
    assert [hit.id for hit in found.results] == ["a", "b"]


def test_a_documents_data_gives_back_its_fields_and_every_offset(words, chars):
    """The stored fields and each token's offsets, whatever the widths of the numbers: a
    word said again 99,000 characters on (a step beyond two bytes), tokens at positions
    beyond 65,535 (the character view's bigrams of 港口 港口 …, nearly 66,000)."""
    from datetime import datetime

    from search.xapian_documents import DocumentData, stored_data

    body = "美日安全磋商在东京举行。" + "港口 " * 33_000 + "美日再次磋商。"
    title = "美日磋商"
    tokens_of = {
        name: [
            (t.text, t.pos + 1, t.startchar, t.endchar)
            for t in analyzer(text, positions=True, chars=True)
        ]
        for name, analyzer, text in (
            ("title", words, title),
            ("body", words, body),
            ("title_chars", chars, title),
            ("body_chars", chars, body),
        )
    }
    stored = {"id": "a", "title": title, "body": body, "published": datetime(2024, 7, 28, 9, 30)}
    data = DocumentData(stored_data(stored, tokens_of))
    assert data.stored == stored
    for fieldname in ("title", "body"):
        expected: dict[str, list[tuple[int, int, int]]] = {}
        for text, position, start, end in tokens_of[fieldname]:
            expected.setdefault(text, []).append((position, start, end))
        for text, places in expected.items():
            assert list(data.offsets.of_term(fieldname, text)) == places, (fieldname, text)
        assert list(data.offsets.of_term(fieldname, "없는말")) == []
    assert [p[:2] for p in data.offsets.of_term("body", "磋商")] == [(3, 4), (33_009, 99_016)]
    for fieldname in ("title_chars", "body_chars"):
        tokens = tokens_of[fieldname]
        placed = list(data.offsets.at_positions(fieldname, [p for _, p, _, _ in tokens]))
        assert placed == [(p, start, end) for _, p, start, end in tokens], fieldname
    assert tokens_of["body_chars"][-1][1] > 65_535
