"""Query latency and throughput on a real index, feature by feature, against plain Whoosh.

    python bench/search_latency.py --config /tmp/hs-bench.toml            # latency
    python bench/search_latency.py --config /tmp/hs-bench.toml --load     # + HTTP load
    python bench/search_latency.py --config /tmp/hs-bench.toml --group questions \\
        --baseline /tmp/hs-head       # long queries, this checkout beside another one

Query groups (--group; --queries of them, fixed by --seed; `both` runs the two in turn):

  titles      (the default) real-looking queries made from titles in the index: one to four
              of their words, about one in five quoted as a phrase, half Korean, half Chinese
  questions   question-like queries of 10 to 30 words, as the product's word analyzer counts
              them (distinct word-view positions), about a third each of 10-14, 15-19 and
              20-30 words, half Chinese and half Korean, nothing concatenated:
              Chinese: questions of CMRC 2018 trial (simplified) and DRCD dev (traditional)
                (--questions-dir, SQuAD format), alternately where both have one of the
                length; sentences of Chinese article bodies in the index only if the two
                sets run short
              Korean: three in four a sentence of a Korean article's body (one per article,
                not its first, as a reader pastes it), one in four a question a reader
                writes about a Korean article's title ("<title>, 이 일은 언제 어디에서 왜
                일어났습니까?"); ASCII quotes and leading minus signs are dropped, so each
                is plain words, not phrases or exclusions
The number of words of each group's queries is printed (min/median/max), and for the
questions group the latency of each length band.

Each query is run in these stages, one after another in the same process, so each
feature's cost shows (the answer cache off; the time budget the config's, or --budget-ms,
answers cut short by it counted per stage):

  whoosh          plain Whoosh: AND of the query's word-view terms over body, top 10
  whoosh+facets   the same, counting language, source and month over all matches
                  (Whoosh then scores every match)
  whoosh any      plain Whoosh: OR of the same terms, top 10 (Whoosh may skip blocks
                  that cannot enter the top 10)
  hansearch       SearchService.search without highlights: both views, the words matched,
                  total and facets over all matches, top 10
  +highlights     SearchService.search as the API runs it

--rounds N runs every query N times per stage (each round after the last) and pools them;
--no-whoosh leaves out the three plain Whoosh stages (on long queries most of the time).

--baseline-config FILE: the same, this checkout on the index of FILE beside --config's (the
other engine, say: --config the Xapian one, --baseline-config the Whoosh one).

--queries-from FILE: make the queries from the articles of FILE's index (either engine)
instead of --config's.

--baseline DIR: the same queries (made once, by this checkout) measured with the `search`
package of another checkout (e.g. a git worktree of the last commit; it is only read):
each tree in a process of its own (PYTHONPATH=the tree, this script's measuring code; the
order of the two alternates from round to round), then both medians and p95s and new/old
per stage. The Whoosh stages are the control (the same Whoosh, each tree's analyzer): a
ratio far from 1 there is noise or an analyzer change, not the search path. The measuring
code uses only what both have (SearchService.search, its answer cache and time budget).

With --load (not with --baseline), `hansearch serve` runs on a free port and, for
--seconds each, with each group's queries in turn:

  uncached        4, 16 and 64 clients send the queries, uniformly, the answer cache off
  skewed          4, 16 and 64 clients send a realistic log: Zipf over the queries (a few
                  make most of the traffic) plus one in four unique (a word pair never
                  asked before), the answer cache on
  overload        16 clients loop the most expensive query the limits allow (1,000
                  characters of the commonest words of both languages, size=100) while 4
                  clients send ordinary queries: the ordinary ones must keep answering

Requests/s and latency percentiles of answered requests, the deliberate 503s (busy) and
any other error are reported, with the peak memory of the server's processes.

Everything measured, with the queries and their word counts, goes to --output
(bench/results/search_latency.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from whoosh import sorting
from whoosh.query import And, Or, Term

# Only what the last commits' `search` has too: --baseline runs this code on another tree.
from search.cache import AnswerCache
from search.columns import FACETS
from search.config import load_settings
from search.models import SearchError, SearchRequest
from search.query import parse_query
from search.searcher import SearchService

RESULTS = Path(__file__).parent / "results"
REPOSITORY = Path(__file__).resolve().parent.parent
QUESTIONS_DIR = REPOSITORY.parent / "shared" / "bench"
QUESTION_SETS = (("cmrc", "cmrc2018_trial.json"), ("drcd", "DRCD_dev.json"))
GROUPS = ("titles", "questions")
# Length bands of the questions group, in words; each gets a third of a language's queries.
BANDS = ((10, 14), (15, 19), (20, 30))
WHOOSH_STAGES = ("whoosh", "whoosh+facets", "whoosh any")
STAGES = (*WHOOSH_STAGES, "hansearch", "+highlights")
# A reader's question about a Korean headline (the title's own words, then these).
KOREAN_QUESTIONS = (
    "{}, 이 일은 언제 어디에서 왜 일어났습니까?",
    "{}에 대해 누가 무엇을 말했는지 알려 주세요.",
    "{}, 그래서 앞으로 어떻게 됩니까?",
    "{}의 이유는 무엇이고 누구에게 어떤 영향이 있습니까?",
)
# Sentence ends: CJK full stops, ! and ?, a period not inside a number, a line break.
_SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=\.)(?=[^\d.])|\n")
_NOT_PROSE = re.compile(r"[=@\[\]|©ⓒ▶☞■▲◆●]|https?:|www\.|\.(?:com|kr|cn|net)\b")
_SYNTAX = re.compile(r'"|(?<!\S)-+|\b(?:lang|source|published|title):|(?<!\S)(?:OR|AND)(?!\S)')
_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\)|【[^】]*】|<[^>]*>")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def make_queries(
    service: SearchService, group: str, count: int, seed: int, questions_dir: Path = QUESTIONS_DIR
) -> list[str]:
    """``count`` queries of ``group`` (see the module's docstring), the same for a seed."""
    with service._using() as opened:
        if group == "titles":
            return _queries_from_titles(opened, count, seed)
        return _question_queries(opened, count, seed, questions_dir)


def word_count(builder, q: str) -> int:
    """Words as the product's word analyzer counts them: distinct word-view positions."""
    return len({t.pos for t in builder.words(q.replace('"', " "), positions=True)})


def all_docnums(opened) -> list[int]:
    """Every article's number in the opened index, of either engine."""
    if hasattr(opened, "searcher"):  # Whoosh
        return list(opened.searcher.reader().all_doc_ids())
    return [item.docid for item in opened.db.postlist("")]  # Xapian: every document


def _queries_from_titles(opened, count: int, seed: int) -> list[str]:
    words = opened.builder.words
    rng = random.Random(seed)
    by_lang: dict[str, list[str]] = {"ko": [], "zh": []}
    docnums = all_docnums(opened)
    rng.shuffle(docnums)
    for docnum in docnums:
        stored = opened.stored(docnum)
        lang = "zh" if stored.get("lang", "").startswith("zh") else stored.get("lang")
        if lang not in by_lang or len(by_lang[lang]) >= count // 2:
            continue
        title = stored.get("title", "")
        spine, seen = [], set()
        for token in words(title, positions=True, chars=True):
            if token.pos not in seen and len(token.text) >= 2 and not token.text.isdigit():
                seen.add(token.pos)
                spine.append(title[token.startchar : token.endchar])
        if not spine:
            continue
        if rng.random() < 0.2 and len(spine) >= 2:
            start = rng.randrange(len(spine) - 1)
            quoted = title[
                title.find(spine[start]) : title.find(spine[start + 1]) + len(spine[start + 1])
            ]
            by_lang[lang].append(f'"{quoted}"')
        else:
            by_lang[lang].append(" ".join(rng.sample(spine, min(len(spine), rng.randint(1, 4)))))
        if all(len(v) >= count // 2 for v in by_lang.values()):
            break
    return [q for q in by_lang["ko"] + by_lang["zh"] if _searchable(opened.builder, q)]


def _searchable(builder, q: str) -> bool:
    try:
        builder.build(parse_query(q))
    except SearchError:
        return False
    return True


def _band(words: int) -> int | None:
    for number, (low, high) in enumerate(BANDS):
        if low <= words <= high:
            return number
    return None


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (i < total % parts) for i in range(parts)]


def _question_queries(opened, count: int, seed: int, questions_dir: Path) -> list[str]:
    """Half Korean (article sentences, questions about titles), half Chinese (the question
    sets' questions, article sentences only where they run short), a third of each
    language in each length band."""
    rng = random.Random(seed)
    builder = opened.builder
    sets: dict[str, list[list[str]]] = {}
    for name, file in QUESTION_SETS:
        data = json.loads((questions_dir / file).read_text(encoding="utf-8"))["data"]
        asked = sorted(
            {
                " ".join(qa["question"].split())
                for article in data
                for paragraph in article["paragraphs"]
                for qa in paragraph["qas"]
            }
        )
        rng.shuffle(asked)
        sets[name] = [[] for _ in BANDS]
        for q in asked:
            band = _band(word_count(builder, q))
            if band is not None and _searchable(builder, q):
                sets[name][band].append(q)
    chinese = _Articles(opened, "zh", rng)
    korean = _Articles(opened, "ko", rng)
    zh: list[str] = []
    ko: list[str] = []
    for band, wanted in enumerate(_shares(count // 2, len(BANDS))):
        cmrc, drcd = sets["cmrc"][band], sets["drcd"][band]
        simplified = cmrc[: (wanted + 1) // 2]
        traditional = drcd[: wanted - len(simplified)]
        simplified = cmrc[: wanted - len(traditional)]  # DRCD short of the half: more CMRC
        picked = simplified + traditional
        zh += picked + chinese.take("sentence", band, wanted - len(picked))
    for band, wanted in enumerate(_shares(count - count // 2, len(BANDS))):
        asked = korean.take("question", band, wanted // 4)
        ko += asked + korean.take("sentence", band, wanted - len(asked))
    return ko + zh


class _Articles:
    """Sentences of one language's article bodies (one an article, not its first) and
    questions about its titles, by length band, read from random articles as needed."""

    SCAN_LIMIT = 30_000  # articles read at most for one band that is hard to fill

    def __init__(self, opened, lang: str, rng: random.Random) -> None:
        self.opened, self.lang, self.rng = opened, lang, rng
        self.script = _HANGUL if lang == "ko" else _HAN
        self.found: dict[str, list[list[str]]] = {
            "sentence": [[] for _ in BANDS],
            "question": [[] for _ in BANDS],
        }
        self.docnums: list[int] | None = None

    def take(self, kind: str, band: int, wanted: int) -> list[str]:
        if wanted <= 0:
            return []
        if self.docnums is None:
            self.docnums = all_docnums(self.opened)
            self.rng.shuffle(self.docnums)
        read = 0
        while len(self.found[kind][band]) < wanted and self.docnums and read < self.SCAN_LIMIT:
            read += 1
            self._read(self.docnums.pop())
        taken = self.found[kind][band][:wanted]
        del self.found[kind][band][:wanted]
        return taken

    def _read(self, docnum: int) -> None:
        stored = self.opened.stored(docnum)
        if not stored.get("lang", "").lower().startswith(self.lang):
            return
        sentences = [s.strip() for s in _SENTENCE_END.split(stored.get("body", ""))][1:]
        candidates = [_plain(s) for s in sentences if self._prose(s)]
        self.rng.shuffle(candidates)
        self._keep("sentence", candidates)
        if self.lang == "ko":
            title = _plain(_BRACKETED.sub(" ", stored.get("title", ""))).strip(" .,")
            if title and self._mostly_script(title):
                template = self.rng.choice(KOREAN_QUESTIONS)
                self._keep("question", [_plain(template.format(title))])

    def _keep(self, kind: str, candidates: list[str]) -> None:
        """The first candidate of 10 to 30 words, into its band (one an article)."""
        for text in candidates:
            band = _band(word_count(self.opened.builder, text))
            if band is not None and _searchable(self.opened.builder, text):
                self.found[kind][band].append(text)
                return

    def _prose(self, sentence: str) -> bool:
        return (
            10 <= len(sentence) <= 300
            and sentence[-1] in ".?!。？！"
            and not _NOT_PROSE.search(sentence)
            and self._mostly_script(sentence)
        )

    def _mostly_script(self, text: str) -> bool:
        letters = sum(1 for c in text if c.isalpha())
        return bool(letters) and len(self.script.findall(text)) >= 0.6 * letters


def _plain(text: str) -> str:
    """The text as plain words: no phrase quotes, exclusions, filters or OR."""
    return " ".join(_SYNTAX.sub(" ", text).split())


def describe(builder, queries: list[str]) -> dict:
    """How many queries, of which language, and how many words."""
    counts = [word_count(builder, q) for q in queries]
    korean = sum(1 for q in queries if _HANGUL.search(q))
    return {
        "queries": len(queries),
        "korean": korean,
        "chinese": len(queries) - korean,
        "words": counts,
        "words_min": min(counts, default=0),
        "words_median": statistics.median(counts) if counts else 0,
        "words_max": max(counts, default=0),
    }


def time_stages(
    service: SearchService, queries: list[str], rounds: int = 1, whoosh: bool = True
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each query through each stage (the Whoosh ones only if ``whoosh``), ``rounds`` times
    (the answer cache off: every search is computed); the seconds of each and, per stage,
    the answers the budget cut short."""
    service.cache = AnswerCache(0)
    names = STAGES if whoosh else STAGES[len(WHOOSH_STAGES) :]
    stages: dict[str, list[float]] = {name: [] for name in names}
    timed_out = dict.fromkeys(names, 0)
    with service._using() as opened:
        for _ in range(rounds):
            _time_stages(service, opened, queries, stages, timed_out)
    return stages, timed_out


def _time_stages(
    service: SearchService,
    opened,
    queries: list[str],
    stages: dict[str, list[float]],
    timed_out: dict[str, int],
) -> None:
    """Each stage runs every query in turn, so no query is timed right after itself: the
    same query a moment before (another stage's) leaves its postings in the processor's
    and Xapian's caches, and the second run took 30-60% less than the first (session 13)."""
    # The plain Whoosh stages need a Whoosh index (run with --no-whoosh on a Xapian one).
    searcher, builder = getattr(opened, "searcher", None), opened.builder
    facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
    terms = [[Term("body", t.text) for t in builder.words(q.replace('"', " "))] for q in queries]
    for name, make, grouped in (
        ("whoosh", And, None),
        ("whoosh+facets", And, facets),
        ("whoosh any", Or, None),
    ):
        if name not in stages:
            continue
        for words in terms:
            started = time.perf_counter()
            if words:
                searcher.search(make(words), limit=10, groupedby=grouped)
            stages[name].append(time.perf_counter() - started)

    for name, highlight in (("hansearch", False), ("+highlights", True)):
        for q in queries:
            started = time.perf_counter()
            response = service.search(SearchRequest(q=q, highlight=highlight))
            stages[name].append(time.perf_counter() - started)
            timed_out[name] += bool(getattr(response, "timed_out", False))


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def by_band(seconds: list[float], words: list[int]) -> dict[str, dict[str, float]]:
    """The summary of each length band (``seconds`` repeat ``words`` once a round)."""
    rows = {}
    for low, high in BANDS:
        chosen = [s for i, s in enumerate(seconds) if low <= words[i % len(words)] <= high]
        if chosen:
            rows[f"{low}-{high}"] = {"n": len(chosen), **summary(chosen)}
    return rows


def print_stages(stages: dict[str, list[float]], timed_out: dict[str, int]) -> dict:
    base = statistics.median(stages["whoosh"]) if "whoosh" in stages else None
    print(f"\n{'stage':<14} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'x whoosh':>9} cut")
    rows = {}
    for name, seconds in stages.items():
        row = rows[name] = {**summary(seconds), "timed_out": timed_out[name]}
        times = f"{statistics.median(seconds) / base:>8.1f}x" if base else f"{'-':>9}"
        print(
            f"{name:<14} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f} {row['max_ms']:>8.1f}"
            f" {times} {timed_out[name]:>3}"
        )
    return rows


def print_bands(stages: dict[str, list[float]], words: list[int]) -> dict:
    rows = {name: by_band(stages[name], words) for name in ("hansearch", "+highlights")}
    print(f"\n{'words':<8} {'n':>4}   median / p95 ms: {'hansearch':>15} {'+highlights':>17}")
    for band in rows["+highlights"]:
        plain, marked = rows["hansearch"][band], rows["+highlights"][band]
        print(
            f"{band:<8} {marked['n']:>4} {plain['median_ms']:>26.1f} / {plain['p95_ms']:<7.1f}"
            f" {marked['median_ms']:>7.1f} / {marked['p95_ms']:<7.1f}"
        )
    return rows


# --baseline: each tree measured in a process of its own, by this script's --measure mode.


def measure(
    config: Path,
    queries_file: Path,
    output: Path,
    budget_ms: int | None,
    rounds: int = 1,
    whoosh: bool = True,
) -> None:
    """The --measure mode: the queries of each group through the stages with the ``search``
    package on PYTHONPATH; seconds per query and stage to ``output``."""
    import search

    service = SearchService(load_settings(config))
    if budget_ms is not None:
        service.budget_seconds = budget_ms / 1000 or None
    service.warm_up()
    groups = json.loads(queries_file.read_text(encoding="utf-8"))
    report: dict = {"search_package": str(Path(search.__file__).resolve().parent), "groups": {}}
    for group, queries in groups.items():
        time_stages(service, queries[:10] + queries[-10:], whoosh=whoosh)  # warm caches
        stages, timed_out = time_stages(service, queries, rounds, whoosh)
        report["groups"][group] = {"stages": stages, "timed_out": timed_out}
    output.write_text(json.dumps(report))


def compare(
    config: Path,
    baseline: Path,
    groups: dict[str, list[str]],
    words: dict[str, list[int]],
    budget_ms: int | None,
    rounds: int,
    whoosh: bool = True,
    baseline_config: Path | None = None,
) -> dict:
    """Both trees (or this tree on both configs) on the same queries, ``rounds``
    processes each, alternating which goes first; per group and stage both summaries and
    new/old."""
    trees = {"new": REPOSITORY, "old": baseline.resolve()}
    configs = {"new": config.resolve(), "old": (baseline_config or config).resolve()}
    names = STAGES if whoosh else STAGES[len(WHOOSH_STAGES) :]
    runs: dict[str, dict] = {
        side: {
            g: {"stages": {s: [] for s in names}, "timed_out": dict.fromkeys(names, 0)}
            for g in groups
        }
        for side in trees
    }
    packages = {}
    with tempfile.TemporaryDirectory(prefix="search-latency-") as scratch:
        queries_file = Path(scratch) / "queries.json"
        queries_file.write_text(json.dumps(groups, ensure_ascii=False), encoding="utf-8")
        for number in range(rounds):
            for side in ("new", "old") if number % 2 == 0 else ("old", "new"):
                print(f"round {number + 1}/{rounds}: {side} ({trees[side]}) …", flush=True)
                output = Path(scratch) / f"{side}-{number}.json"
                command = [
                    *(sys.executable, str(Path(__file__).resolve())),
                    *("--config", str(configs[side]), "--measure", str(queries_file)),
                    *("--output", str(output)),
                ]
                if budget_ms is not None:
                    command += ["--budget-ms", str(budget_ms)]
                if not whoosh:
                    command.append("--no-whoosh")
                env = {**os.environ, "PYTHONPATH": str(trees[side])}
                subprocess.run(command, env=env, check=True)
                measured = json.loads(output.read_text())
                packages[side] = measured["search_package"]
                if Path(packages[side]) != trees[side] / "search":
                    raise SystemExit(f"{side}: imported {packages[side]}, not {trees[side]}/search")
                for group, got in measured["groups"].items():
                    for stage in names:
                        runs[side][group]["stages"][stage] += got["stages"][stage]
                        runs[side][group]["timed_out"][stage] += got["timed_out"][stage]
    report: dict = {
        "packages": packages,
        "configs": {side: str(path) for side, path in configs.items()},
        "rounds": rounds,
        "groups": {},
    }
    for group in groups:
        new, old = runs["new"][group], runs["old"][group]
        print(
            f"\n{group}: new {packages['new']} ({configs['new'].name}) / old {packages['old']}"
            f" ({configs['old'].name}), {rounds} round(s)"
        )
        print(
            f"{'stage':<14} {'median new':>10} {'old':>8} {'new/old':>8}"
            f" {'p95 new':>9} {'old':>8} {'new/old':>8}  cut new/old"
        )
        rows = {}
        for stage in names:
            a, b = summary(new["stages"][stage]), summary(old["stages"][stage])
            rows[stage] = {
                "new": {**a, "timed_out": new["timed_out"][stage]},
                "old": {**b, "timed_out": old["timed_out"][stage]},
                "median_ratio": a["median_ms"] / b["median_ms"],
                "p95_ratio": a["p95_ms"] / b["p95_ms"],
            }
            cut = f"{new['timed_out'][stage]}/{old['timed_out'][stage]}"
            print(
                f"{stage:<14} {a['median_ms']:>10.1f} {b['median_ms']:>8.1f}"
                f" {rows[stage]['median_ratio']:>7.2f}x {a['p95_ms']:>9.1f} {b['p95_ms']:>8.1f}"
                f" {rows[stage]['p95_ratio']:>7.2f}x  {cut}"
            )
        entry: dict = {"stages": rows, "raw": {"new": new, "old": old}}
        if group == "questions":
            entry["bands"] = {}
            print(f"\n{'words':<8} {'n':>4}  {'+highlights median new / old':>30} {'p95':>22}")
            for side, run in (("new", new), ("old", old)):
                entry["bands"][side] = {
                    s: by_band(run["stages"][s], words[group]) for s in ("hansearch", "+highlights")
                }
            for band, a in entry["bands"]["new"]["+highlights"].items():
                b = entry["bands"]["old"]["+highlights"][band]
                print(
                    f"{band:<8} {a['n']:>4}  {a['median_ms']:>13.1f} / {b['median_ms']:<8.1f}"
                    f" {a['median_ms'] / b['median_ms']:>5.2f}x"
                    f" {a['p95_ms']:>9.1f} / {b['p95_ms']:<8.1f} {a['p95_ms'] / b['p95_ms']:>5.2f}x"
                )
        report["groups"][group] = entry
    if len(groups) == 2:
        for side in ("new", "old"):
            ratio = (
                report["groups"]["questions"]["stages"]["+highlights"][side]["median_ms"]
                / report["groups"]["titles"]["stages"]["+highlights"][side]["median_ms"]
            )
            print(f"\n{side}: questions / titles, median of +highlights: {ratio:.1f}x", end="")
        print()
    return report


def load_test(config: Path, queries: list[str], seconds: float, expensive: str) -> dict:
    report = {}
    with _server(config, {"HANSEARCH_SERVER_CACHE_MB": "0"}) as (base, peak):
        report["uncached"] = {}
        for clients in (4, 16, 64):
            row = _hammer(base, lambda rng: rng.choice(queries), clients, seconds)
            report["uncached"][clients] = row
            print(f"  uncached {clients:>3} clients: {row}", flush=True)
        report["overload"] = _overload(base, queries, expensive, seconds)
        print(f"  overload: {report['overload']}", flush=True)
        report["uncached_peak_rss_mb"] = peak["rss_mb"]
    with _server(config, {}) as (base, peak):
        pick = _skewed(queries)
        report["skewed"] = {}
        for clients in (4, 16, 64):
            row = _hammer(base, pick, clients, seconds)
            report["skewed"][clients] = row
            print(f"  skewed (cache on) {clients:>3} clients: {row}", flush=True)
        report["skewed_peak_rss_mb"] = peak["rss_mb"]
    return report


class _server:
    """``hansearch serve`` on a free port with extra environment; (base URL, peak memory)."""

    def __init__(self, config: Path, env: dict[str, str]) -> None:
        import os

        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hansearch",
                "--config",
                str(config),
                "serve",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **env},
        )
        self.peak = {"rss_mb": 0.0}
        self.stop = threading.Event()

    def __enter__(self):
        base = f"http://127.0.0.1:{self.port}"
        threading.Thread(
            target=_sample_rss, args=(self.process.pid, self.peak, self.stop), daemon=True
        ).start()
        _wait_for(f"{base}/api/health", 180)
        return base, self.peak

    def __exit__(self, *_):
        self.stop.set()
        self.process.terminate()
        self.process.wait(timeout=60)


def _skewed(queries: list[str]):
    """A query log: Zipf (s = 1) over the queries, and one request in four a query never
    seen before (two random words of different queries)."""
    weights = [1 / rank for rank in range(1, len(queries) + 1)]
    words = [w for q in queries for w in q.strip('"').split()]

    def pick(rng: random.Random) -> str:
        if rng.random() < 0.25:
            return f"{rng.choice(words)} {rng.choice(words)} {rng.randrange(10**6)}"
        return rng.choices(queries, weights)[0]

    return pick


def _overload(base: str, queries: list[str], expensive: str, seconds: float) -> dict:
    """16 clients loop the most expensive query while 4 send ordinary ones."""
    results: dict = {}
    threads = [
        threading.Thread(
            target=lambda: results.__setitem__(
                "expensive", _hammer(base, lambda rng: expensive, 16, seconds, size=100)
            )
        ),
        threading.Thread(
            target=lambda: results.__setitem__(
                "ordinary", _hammer(base, lambda rng: rng.choice(queries), 4, seconds)
            )
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _hammer(base: str, pick, clients: int, seconds: float, size: int = 10) -> dict:
    """``clients`` threads each sending ``pick(rng)`` queries for ``seconds``."""
    latencies: list[float] = []
    refused: list[float] = []
    errors: list[str] = []
    timed_out = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        nonlocal timed_out
        rng = random.Random(number)
        while time.monotonic() < deadline:
            q = pick(rng)
            started = time.perf_counter()
            try:
                status, body = _fetch(f"{base}/api/search?size={size}&q={urllib.parse.quote(q)}")
            except Exception as error:  # every failure is counted, none stops the run
                with lock:
                    errors.append(repr(error)[:120])
                continue
            took = time.perf_counter() - started
            with lock:
                if status == 200:
                    latencies.append(took)
                    timed_out += b'"timed_out":true' in body
                elif status == 503 and b'"busy"' in body:
                    refused.append(took)
                else:
                    errors.append(f"HTTP {status}")
            if status == 503:  # as a well-behaved client does: wait Retry-After (1 s)
                time.sleep(1.0)

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed = time.monotonic() - started
    return {
        "answered": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        **{k: round(v, 1) for k, v in summary(latencies or [0.0]).items()},
        "timed_out": timed_out,
        "busy_503": len(refused),
        "busy_503_max_ms": round(max(refused, default=0.0) * 1000, 1),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
    }


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def expensive_query(service: SearchService) -> str:
    """1,000 characters of the commonest words of Korean and Chinese articles."""
    with service._using() as opened:
        common = sorted(_body_frequencies(opened), reverse=True)
    korean = [t for _, t in common if "가" <= t[0] <= "힣" and len(t) >= 2][:200]
    chinese = [t for _, t in common if "\u4e00" <= t[0] <= "\u9fff" and len(t) >= 2][:200]
    words, query = [w for pair in zip(korean, chinese, strict=False) for w in pair], ""
    for word in words:
        if len(query) + len(word) + 1 > 1000:
            break
        query = f"{query} {word}".strip()
    return query


def _body_frequencies(opened) -> list[tuple[int, str]]:
    """(articles having it, word) for every word of the bodies, from an index of either
    engine."""
    if hasattr(opened, "searcher"):  # Whoosh
        return [
            (info.doc_frequency(), text.decode() if isinstance(text, bytes) else text)
            for text, info in opened.searcher.reader().iter_field("body")
        ]
    from search.xapian_documents import term

    prefix = term("body", "")
    return [
        (item.termfreq, item.term.decode("utf-8")[len(prefix) :])
        for item in opened.db.allterms(prefix)
    ]


def _get(url: str) -> int:
    return _fetch(url)[0]


def _wait_for(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _get(url) == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sample_rss(pid: int, peak: dict, stop: threading.Event) -> None:
    while not stop.is_set():
        peak["rss_mb"] = max(peak["rss_mb"], sum(_rss_kb(p) for p in _tree(pid)) / 1024)
        time.sleep(0.5)


def _tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pending += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--config", type=Path, required=True, help="config of an index to search")
    parser.add_argument(
        "--group", choices=(*GROUPS, "both"), default="titles", help="which queries (see above)"
    )
    parser.add_argument("--queries", type=int, default=200, help="queries per group")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--questions-dir", type=Path, default=QUESTIONS_DIR, help="CMRC 2018 and DRCD files"
    )
    parser.add_argument(
        "--budget-ms", type=int, help="time budget of a search (default: the config's; 0: none)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="times each query runs per stage")
    parser.add_argument(
        "--no-whoosh", action="store_true", help="only the hansearch stages (no plain Whoosh)"
    )
    parser.add_argument(
        "--baseline", type=Path, metavar="DIR", help="also measure the search package of DIR"
    )
    parser.add_argument(
        "--baseline-config",
        type=Path,
        metavar="FILE",
        help="also measure this checkout on the index of FILE (another engine, say)",
    )
    parser.add_argument(
        "--queries-from",
        type=Path,
        metavar="FILE",
        help="make the queries from the index of FILE (default: --config's)",
    )
    parser.add_argument("--load", action="store_true", help="also load-test the HTTP server")
    parser.add_argument("--seconds", type=float, default=20.0, help="per concurrency level")
    parser.add_argument("--output", type=Path, default=RESULTS / "search_latency.json")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # --baseline's worker
    args = parser.parse_args()
    if args.measure:
        whoosh = not args.no_whoosh
        measure(args.config, args.measure, args.output, args.budget_ms, args.rounds, whoosh)
        return
    if (args.baseline or args.baseline_config) and args.load:
        parser.error("--load measures one checkout and index: run it without --baseline")
    if args.baseline and not (args.baseline / "search" / "__init__.py").is_file():
        parser.error(f"{args.baseline} has no search package")

    service = SearchService(load_settings(args.config))
    if args.budget_ms is not None:
        service.budget_seconds = args.budget_ms / 1000 or None
    service.warm_up()
    names = GROUPS if args.group == "both" else (args.group,)
    groups, words = {}, {}
    report: dict = {
        "documents": service.health()["documents"],
        "seed": args.seed,
        "budget_ms": args.budget_ms,
        "rounds": args.rounds,
        "groups": {},
    }
    source = SearchService(load_settings(args.queries_from)) if args.queries_from else service
    for name in names:
        queries = make_queries(source, name, args.queries, args.seed, args.questions_dir)
        with service._using() as opened:
            described = describe(opened.builder, queries)
        groups[name], words[name] = queries, described["words"]
        report["groups"][name] = {**described, "queries": queries}
        print(
            f"{name}: {len(queries)} queries ({described['korean']} Korean,"
            f" {described['chinese']} Chinese), words min/median/max"
            f" {described['words_min']}/{described['words_median']:g}/{described['words_max']},"
            f" e.g. {queries[:2]} … {queries[-2:]}",
            flush=True,
        )

    if args.baseline or args.baseline_config:
        del service, source  # the two sides are measured in processes of their own
        report["baseline"] = compare(
            args.config,
            args.baseline or REPOSITORY,
            groups,
            words,
            args.budget_ms,
            args.rounds,
            not args.no_whoosh,
            args.baseline_config,
        )
    else:
        for name, queries in groups.items():
            print(f"\n{name}:", end="")
            time_stages(service, queries[:10] + queries[-10:], whoosh=not args.no_whoosh)  # warm
            stages, timed_out = time_stages(service, queries, args.rounds, not args.no_whoosh)
            entry = report["groups"][name]
            entry["stages"] = print_stages(stages, timed_out)
            if name == "questions":
                entry["bands"] = print_bands(stages, words[name])
        if len(groups) == 2:
            ratio = (
                report["groups"]["questions"]["stages"]["+highlights"]["median_ms"]
                / report["groups"]["titles"]["stages"]["+highlights"]["median_ms"]
            )
            print(f"\nquestions / titles, median of +highlights: {ratio:.1f}x")
        if args.load:
            expensive = expensive_query(source)
            print(f"\nthe most expensive query: {len(expensive)} characters: {expensive[:60]}…")
            for name, queries in groups.items():
                print(f"HTTP load (hansearch serve), {name}:")
                report["groups"][name]["load"] = load_test(
                    args.config, queries, args.seconds, expensive
                )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"\nwritten: {args.output}")


if __name__ == "__main__":
    main()
