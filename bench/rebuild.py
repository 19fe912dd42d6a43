"""Full rebuild of a real corpus, against the floor of the same work without Whoosh.

In one run, on the same machine and the same page cache:

- Phase A, the floor: the units ``hansearch rebuild`` would plan (``plan_units``), the
  furniture it would learn, read and cleaned on as many spawned processes as the rebuild
  uses; first read + clean only, then read + clean + both analyzers over title and body
  (``positions=True, chars=True``, every token consumed), as Whoosh's ``add_document`` would.
- Phase B, the real thing: ``hansearch --config <temp config> rebuild`` as a subprocess; the
  memory of its whole process tree (VmRSS summed over the process and its descendants,
  PSS too) is sampled every 0.5 s. Then ``hansearch stats`` and ``hansearch update``
  (nothing changed, so it should only compare sizes and mtimes).

Run from the repository root:

    python bench/rebuild.py                       # the corpus in /tmp/hs-corpus
    python bench/rebuild.py --limit-files 300     # quick: first 300 files per folder
    python bench/rebuild.py --skip-floor          # phase B only
    python bench/rebuild.py --profile-docs 500    # cProfile of one worker's share, only

Prints a table (A beside B, ratio B / A), writes bench/results/rebuild.json. The index is
written to --index (default /tmp/hs-bench-index), the temporary config to /tmp.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import pstats
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from indexer.build import read_options, worker_count
from indexer.formats.jsonl import is_json_lines
from indexer.furniture import learn_furniture, without_furniture
from indexer.skip import Skip
from indexer.units import plan_units, read_unit
from indexer.writers import WRITER_LIMIT_MB
from search.analysis import char_analyzer, load_user_dictionaries, word_analyzer
from search.config import load_settings
from search.document import Document
from search.engine import engine_of
from search.schema import build_schema, document_fields
from search.store import IndexStore

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DEFAULT_CORPUS = Path("/tmp/hs-corpus")
DEFAULT_INDEX = Path("/tmp/hs-bench-index")
SAMPLE_SECONDS = 0.5
TOP_SKIPS = 10
TOP_SOURCES = 15
MB = 1e6
GIB = 1024**3
WARMUP_TEXT = "吓阻导弹 사령부를 방문했다 PAC-3"


# --- Corpus and config ---


def top_level_paths(corpus: Path) -> list[Path]:
    """The corpus's visible top-level entries (its folders), or the corpus itself."""
    entries = sorted(p for p in corpus.iterdir() if not p.name.startswith("."))
    return entries or [corpus]


def _is_jsonl(path: Path, rel: str) -> bool:
    with path.open("rb") as handle:
        head = handle.read(65_536).decode("utf-8", errors="replace")
    return is_json_lines(head, rel)


def make_subset(corpus: Path, limit: int, target: Path) -> dict[str, int]:
    """The first ``limit`` files (in the indexer's walk order) of each top-level folder as
    symlinks under ``target``; a JSON Lines file is cut to its first ``limit`` lines (a real
    file: one of them alone holds tens of thousands of articles)."""
    counts: dict[str, int] = {}
    for top in top_level_paths(corpus):
        taken = 0
        if top.is_file():
            files = [top]
        else:
            files = []
            for folder, dirs, names in os.walk(top):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(Path(folder) / n for n in sorted(names) if not n.startswith("."))
                if len(files) >= limit:
                    break
        for path in files[:limit]:
            rel = path.relative_to(corpus)
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            if _is_jsonl(path, rel.as_posix()):
                with path.open("rb") as source, out.open("wb") as sink:
                    for number, line in enumerate(source):
                        if number >= limit:
                            break
                        sink.write(line)
            else:
                out.symlink_to(path.resolve())
            taken += 1
        counts[top.name] = taken
    return counts


def write_config(
    folder: Path, corpus: Path, index: Path, workers: int, engine: str = "whoosh"
) -> Path:
    def quoted(path: Path) -> str:
        return json.dumps(str(path))  # a TOML basic string

    paths = ", ".join(quoted(p) for p in top_level_paths(corpus))
    config = folder / "config.toml"
    config.write_text(
        "# Written by bench/rebuild.py\n"
        f"[corpus]\npaths = [{paths}]\n\n"
        f"[index]\npath = {quoted(index)}\nworkers = {workers}\nengine = {quoted(engine)}\n\n"
        f"[analysis]\nchinese_dictionary = {quoted(REPO / 'dicts' / 'zh_user.txt')}\n"
        f"korean_dictionary = {quoted(REPO / 'dicts' / 'ko_user.txt')}\n",
        encoding="utf-8",
    )
    return config


def warm_page_cache(paths: list[Path]) -> dict:
    """Read every corpus file once, so both phases start from the same page cache."""
    started = time.perf_counter()
    total = files = 0
    for top in paths:
        walked = [(str(top.parent), [], [top.name])] if top.is_file() else os.walk(top)
        for folder, _, names in walked:
            for name in names:
                try:
                    with open(os.path.join(folder, name), "rb") as handle:
                        while chunk := handle.read(1 << 20):
                            total += len(chunk)
                except OSError:
                    continue
                files += 1
    return {"files": files, "mb": total / MB, "seconds": time.perf_counter() - started}


# --- Memory of a process tree, from /proc ---


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(c) for c in handle.read().split())
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def _kb(path: str, key: str) -> int:
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class TreeSampler(threading.Thread):
    """Every ``interval`` seconds: VmRSS, its anonymous part (RssAnon: heap, not mapped
    files) and PSS summed over ``pid`` and its descendants, and when multiprocessing's
    spawned workers are alive."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.started = time.perf_counter()
        self.peak_rss_kb = self.peak_pss_kb = self.peak_anon_kb = 0
        self.peak_anon_at = 0.0
        self.peak_processes = 0
        self.peak_at = 0.0
        self.workers_first: float | None = None
        self.workers_last: float | None = None
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while True:
            self.sample()
            if self._stop_event.wait(self.interval):
                return

    def sample(self) -> None:
        now = time.perf_counter() - self.started
        pids = _tree(self.pid)
        rss = sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in pids)
        anon = sum(_kb(f"/proc/{p}/status", "RssAnon:") for p in pids)
        pss = sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
        if any("spawn_main" in _cmdline(p) for p in pids):
            self.workers_first = now if self.workers_first is None else self.workers_first
            self.workers_last = now
        if rss > self.peak_rss_kb:
            self.peak_rss_kb, self.peak_at = rss, now
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        if anon > self.peak_anon_kb:
            self.peak_anon_kb, self.peak_anon_at = anon, now
        self.peak_processes = max(self.peak_processes, len(pids))
        self.samples += 1

    def stop(self) -> dict:
        self._stop_event.set()
        self.join()
        return {
            "peak_rss_gib": self.peak_rss_kb * 1024 / GIB,
            "peak_pss_gib": self.peak_pss_kb * 1024 / GIB,
            "peak_at_s": self.peak_at,
            "peak_anon_gib": self.peak_anon_kb * 1024 / GIB,
            "peak_anon_at_s": self.peak_anon_at,
            "peak_processes": self.peak_processes,
            "workers_seen_s": [self.workers_first, self.workers_last],
            "samples": self.samples,
        }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds of this process and its waited-for children, and of the whole machine
    (/proc/stat), so CPU taken by other processes during a phase is visible."""

    def __init__(self) -> None:
        self.ours, self.machine = self._ours(), self._machine()

    @staticmethod
    def _ours() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return own.ru_utime + own.ru_stime + _children_cpu()

    @staticmethod
    def _machine() -> float:
        with open("/proc/stat") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
        busy = sum(fields[:3]) + sum(fields[5:8])  # user nice system, irq softirq steal
        return busy / os.sysconf("SC_CLK_TCK")

    def read(self) -> dict:
        ours = self._ours() - self.ours
        machine = self._machine() - self.machine
        return {"ours_s": ours, "machine_s": machine, "others_s": max(machine - ours, 0.0)}


# --- Phase A: the floor ---


def _floor_worker(options, furniture, dictionaries, analyse: bool, tasks, results) -> None:
    try:
        started = time.perf_counter()
        words = word_analyzer(dictionaries) if analyse else None
        chars = char_analyzer() if analyse else None
        if analyse:  # load jieba and Kiwi now, to time it apart
            for analyzer in (words, chars):
                for _ in analyzer(WARMUP_TEXT, positions=True, chars=True, mode="index"):
                    pass
        load_s = time.perf_counter() - started
        read_s = analyse_s = 0.0
        while (task := tasks.get()) is not None:
            number, unit = task
            docs = text_bytes = word_tokens = char_tokens = 0
            skips: list[tuple[str, str]] = []
            items = read_unit(unit, options)
            while True:
                t0 = time.perf_counter()
                item = next(items, None)
                if item is not None and isinstance(item[1], Document):
                    doc = without_furniture(item[1], furniture)
                t1 = time.perf_counter()
                read_s += t1 - t0
                if item is None:
                    break
                if not isinstance(item[1], Document):
                    if isinstance(item[1], Skip):  # not a Notice: that document is read
                        skips.append((item[1].path, item[1].reason))
                    continue
                docs += 1
                text_bytes += len(doc.title.encode()) + len(doc.body.encode())
                if analyse:
                    for text in (doc.title, doc.body):
                        for _ in words(text, positions=True, chars=True, mode="index"):
                            word_tokens += 1
                        for _ in chars(text, positions=True, chars=True, mode="index"):
                            char_tokens += 1
                    analyse_s += time.perf_counter() - t1
            results.put(("unit", number, docs, text_bytes, word_tokens, char_tokens, skips))
        results.put(("done", {"load_s": load_s, "read_s": read_s, "analyse_s": analyse_s}))
    except BaseException as error:
        results.put(("error", f"{type(error).__name__}: {error}"))


def floor_pass(plan, options, furniture, dictionaries, workers: int, analyse: bool) -> dict:
    context = multiprocessing.get_context("spawn")
    tasks, results = context.Queue(), context.Queue()
    for number, unit in enumerate(plan.units):
        tasks.put((number, unit))
    for _ in range(workers):
        tasks.put(None)
    cpu_before = _children_cpu()
    meter = CpuMeter()
    sampler = TreeSampler(os.getpid())
    sampler.start()
    started = time.perf_counter()
    processes = [
        context.Process(
            target=_floor_worker,
            args=(options, furniture, dictionaries, analyse, tasks, results),
            daemon=True,
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    totals = Counter()
    skips: list[tuple[str, str]] = []
    per_worker: list[dict] = []
    while len(per_worker) < workers:
        message = results.get()
        if message[0] == "unit":
            _, _, docs, text_bytes, word_tokens, char_tokens, unit_skips = message
            totals.update(
                docs=docs, text_bytes=text_bytes, word_tokens=word_tokens, char_tokens=char_tokens
            )
            skips.extend(unit_skips)
        elif message[0] == "done":
            per_worker.append(message[1])
        else:
            raise RuntimeError(f"phase A worker failed: {message[1]}")
    for process in processes:
        process.join()
    seconds = time.perf_counter() - started
    memory = sampler.stop()
    return {
        "seconds": seconds,
        "cpu_s": _children_cpu() - cpu_before,
        "cpu": meter.read(),
        "documents": totals["docs"],
        "text_mb": totals["text_bytes"] / MB,
        "word_tokens": totals["word_tokens"],
        "char_tokens": totals["char_tokens"],
        "skips": skips,
        "workers": per_worker,
        "memory": memory,
    }


def phase_a(config: Path, workers: int) -> dict:
    settings = load_settings(config)
    options = read_options(settings)
    analysis = settings.analysis
    dictionaries = load_user_dictionaries(analysis.chinese_dictionary, analysis.korean_dictionary)
    own = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    plan = plan_units(settings.corpus.paths, options)
    plan_s = time.perf_counter() - started
    started = time.perf_counter()
    furniture = learn_furniture(plan, options, workers)
    furniture_s = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    serial_cpu = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
    workers = min(workers, max(len(plan.units), 1))
    print(
        f"phase A: {len(plan.files):,} files, {len(plan.units):,} units, "
        f"~{plan.estimated_docs:,} documents; plan {plan_s:.1f} s, furniture {furniture_s:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    read = floor_pass(plan, options, furniture, dictionaries, workers, analyse=False)
    print(f"phase A: read + clean {read['seconds']:.1f} s", file=sys.stderr, flush=True)
    analysed = floor_pass(plan, options, furniture, dictionaries, workers, analyse=True)
    print(f"phase A: + analysis {analysed['seconds']:.1f} s", file=sys.stderr, flush=True)
    skips = [(s.path, s.reason) for s in plan.skips] + analysed.pop("skips")
    read.pop("skips")
    serial = plan_s + furniture_s
    return {
        "files": len(plan.files),
        "units": len(plan.units),
        "workers": workers,
        "plan_s": plan_s,
        "furniture_s": furniture_s,
        "furniture_lines": {source: len(lines) for source, lines in furniture.lines.items()},
        "serial_cpu_s": serial_cpu,
        "read": {**read, "wall_s": serial + read["seconds"], "cpu_s": serial_cpu + read["cpu_s"]},
        "analysis": {
            **analysed,
            "wall_s": serial + analysed["seconds"],
            "cpu_s": serial_cpu + analysed["cpu_s"],
        },
        "skips": skips,
    }


# --- Phase B: hansearch as a user runs it ---


def _hansearch() -> list[str]:
    beside = Path(sys.executable).with_name("hansearch")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("hansearch")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from hansearch.cli import main; sys.exit(main())"]


def run_hansearch(config: Path, command: str, echo: bool = True) -> dict:
    """``hansearch --config CONFIG COMMAND``: wall time, CPU of the tree, memory, output."""
    cmd = [*_hansearch(), "--config", str(config), command]
    cpu_before = _children_cpu()
    meter = CpuMeter()
    started = time.perf_counter()
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8"
    )
    sampler = TreeSampler(process.pid)
    sampler.start()
    stdout: list[str] = []
    stderr: list[str] = []

    def pump(stream, lines: list[str], show: bool) -> None:
        for line in stream:
            lines.append(line)
            if show:
                stamp = time.perf_counter() - started
                print(f"  [{command} {stamp:7.1f} s] {line.rstrip()}", file=sys.stderr, flush=True)

    readers = [
        threading.Thread(target=pump, args=(process.stdout, stdout, False), daemon=True),
        threading.Thread(target=pump, args=(process.stderr, stderr, echo), daemon=True),
    ]
    for reader in readers:
        reader.start()
    code = process.wait()
    seconds = time.perf_counter() - started
    for reader in readers:
        reader.join()
    memory = sampler.stop()
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}:\n{''.join(stdout)}{''.join(stderr)}")
    return {
        "command": cmd,
        "seconds": seconds,
        "cpu_s": _children_cpu() - cpu_before,
        "cpu": meter.read(),
        "memory": memory,
        "stdout": "".join(stdout),
        "stderr": "".join(stderr),
    }


def _number(pattern: str, text: str) -> float | None:
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1).replace(",", "")) if match else None


def parse_build_report(stdout: str) -> dict:
    report = {
        key: _number(rf"^\s+{label}\s+([\d,]+)$", stdout)
        for key, label in (
            ("indexed", "documents indexed"),
            ("added", "added"),
            ("replaced", "replaced"),
            ("removed", "removed"),
            ("duplicates", "duplicates dropped"),
            ("skipped", "skipped"),
        )
    }
    report["reported_seconds"] = _number(r"^\s+time\s+([\d.]+) s", stdout)
    report["reported_mb_per_s"] = _number(r"([\d.]+) MB/s of text read", stdout)
    report["shown_skips"] = re.findall(r"^\s+skipped (\S.*?): (.*)$", stdout, re.MULTILINE)
    return report


def parse_stats(stdout: str) -> dict:
    sections: dict[str, list[tuple[str, int]]] = {}
    current = None
    for line in stdout.splitlines():
        header = re.match(r"^by (\w+):$", line)
        if header:
            current = sections.setdefault(header.group(1), [])
        elif current is not None and line.strip():
            name, count = line.strip().rsplit(None, 1)
            current.append((name, int(count.replace(",", ""))))
    return {
        "documents": _number(r"^generation \S+: ([\d,]+) documents", stdout),
        "by_language": sections.get("language", []),
        "top_sources": sections.get("source", [])[:TOP_SOURCES],
        "sources": len(sections.get("source", [])),
        "months": len(sections.get("month", [])),
    }


def disk_usage(folder: Path) -> dict:
    blocks = apparent = files = 0
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            blocks += stat.st_blocks * 512
            apparent += stat.st_size
            files += 1
    return {"mb": blocks / MB, "apparent_mb": apparent / MB, "files": files}


def skip_table(skips: list[tuple[str, str]]) -> list[dict]:
    """Reasons by frequency (numbers folded to N), with one example each."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for path, reason in skips:
        key = re.sub(r"\d+", "N", reason)
        key = key if len(key) <= 90 else key[:87] + "..."
        groups.setdefault(key, []).append((path, reason))
    rows = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [
        {"count": len(items), "reason": key, "example": items[0][0], "example_reason": items[0][1]}
        for key, items in rows[:TOP_SKIPS]
    ]


def _clear_index(index: Path) -> None:
    """Start from no index, but only remove a folder that is a hansearch index under /tmp."""
    if not index.exists():
        return
    names = {p.name for p in index.iterdir()}
    if index.resolve().is_relative_to("/tmp") and names <= {"CURRENT", "generations", "write.lock"}:
        shutil.rmtree(index)
    else:
        print(f"note: {index} is not a bench index; leaving it as it is", file=sys.stderr)


def phase_b(config: Path, index: Path) -> dict:
    _clear_index(index)
    print("phase B: hansearch rebuild", file=sys.stderr, flush=True)
    run = run_hansearch(config, "rebuild")
    report = parse_build_report(run["stdout"])
    generation = IndexStore(index).current_path()
    segments = 1
    if engine_of(generation) == "whoosh":
        ix = whoosh_index.open_dir(str(generation))
        segments = len(ix._segments())
        ix.close()
    furniture_path = generation / "furniture.json"
    furniture = json.loads(furniture_path.read_text("utf-8")) if furniture_path.exists() else {}
    seen = run["memory"]["workers_seen_s"]
    return {
        **run,
        **report,
        "generation": str(generation),
        "segments": segments,
        "index": disk_usage(generation),
        "furniture_lines": {source: len(lines) for source, lines in furniture.items()},
        "timeline": {
            "before_workers_s": seen[0],
            "workers_s": (seen[1] - seen[0]) if seen[0] is not None else None,
            "after_workers_s": (run["seconds"] - seen[1]) if seen[1] is not None else None,
        },
    }


# --- One worker's share under cProfile ---


def _sample_units(plan, docs: int) -> tuple[list, int]:
    rng = random.Random(20240728)
    units = rng.sample(plan.units, min(len(plan.units), max(docs // 10, 1)))
    return units, max(docs // len(units), 1)


def _read_sample(units, per_unit: int, docs: int, options, furniture) -> list[Document]:
    """Up to ``per_unit`` documents of each unit, ``docs`` in all, cleaned as the rebuild does."""
    out: list[Document] = []
    for unit in units:
        taken = 0
        for _, item in read_unit(unit, options):
            if not isinstance(item, Document):
                continue
            out.append(without_furniture(item, furniture))
            taken += 1
            if taken >= per_unit or len(out) >= docs:
                break
        if len(out) >= docs:
            break
    return out


def _timed_worker(sample: list[Document], schema, words, chars) -> dict:
    """Unprofiled: the analyzers alone, then add_document, then _finalize_segment."""
    started = time.perf_counter()
    for doc in sample:
        for text in (doc.title, doc.body):
            for analyzer in (words, chars):
                for _ in analyzer(text, positions=True, chars=True, mode="index"):
                    pass
    analyse_s = time.perf_counter() - started
    folder = Path(tempfile.mkdtemp(prefix="hs-bench-profile-"))
    try:
        ix = whoosh_index.create_in(str(folder), schema)
        writer = SegmentWriter(ix, _lk=False, limitmb=WRITER_LIMIT_MB)
        started = time.perf_counter()
        for doc in sample:
            writer.add_document(**document_fields(doc))
        add_s = time.perf_counter() - started
        started = time.perf_counter()
        writer._finalize_segment()
        finalize_s = time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "analyzers_alone_s": analyse_s,
        "add_document_s": add_s,
        "whoosh_in_add_document_s": add_s - analyse_s,
        "finalize_s": finalize_s,
    }


def profile_worker(config: Path, docs: int, out: Path) -> dict:
    """read_unit + SegmentWriter.add_document + _finalize_segment over ``docs`` documents
    spread over the corpus, in this process, after the models are loaded: timed by stage
    without a profiler, then once more under cProfile."""
    settings = load_settings(config)
    options = read_options(settings)
    analysis = settings.analysis
    dictionaries = load_user_dictionaries(analysis.chinese_dictionary, analysis.korean_dictionary)
    plan = plan_units(settings.corpus.paths, options)
    furniture = learn_furniture(plan, options)
    units, per_unit = _sample_units(plan, docs)
    schema = build_schema(dictionaries)
    words, chars = schema["body"].analyzer, schema["body_chars"].analyzer
    for analyzer in (words, chars):
        list(analyzer(WARMUP_TEXT, positions=True, chars=True))  # load the models
    started = time.perf_counter()
    sample = _read_sample(units, per_unit, docs, options, furniture)
    read_s = time.perf_counter() - started
    plain = {"read_unit_s": read_s, **_timed_worker(sample, schema, words, chars)}
    counted = Counter(doc.lang for doc in sample)
    text_bytes = sum(len(d.title.encode()) + len(d.body.encode()) for d in sample)
    folder = Path(tempfile.mkdtemp(prefix="hs-bench-profile-"))
    try:
        ix = whoosh_index.create_in(str(folder), schema)
        writer = SegmentWriter(ix, _lk=False, limitmb=WRITER_LIMIT_MB)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for doc in _read_sample(units, per_unit, docs, options, furniture):
            writer.add_document(**document_fields(doc))
        finalize_started = time.perf_counter()
        writer._finalize_segment()
        profiler.disable()
        ended = time.perf_counter()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    stats = pstats.Stats(profiler)
    text = io.StringIO()
    for order in ("tottime", "cumulative"):
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(40)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text.getvalue(), encoding="utf-8")
    total = sum(row[2] for row in stats.stats.values())  # own time of everything

    def own(predicate) -> float:
        return sum(row[2] for key, row in stats.stats.items() if predicate(key))

    def cumulative(name: str, file_part: str) -> float:
        return max(
            (row[3] for key, row in stats.stats.items() if key[2] == name and file_part in key[0]),
            default=0.0,
        )

    whoosh_own = own(lambda key: f"{os.sep}whoosh{os.sep}" in key[0])
    top_whoosh = sorted(
        (
            (row[2], row[3], row[1], f"{Path(key[0]).parent.name}/{Path(key[0]).name}:{key[2]}")
            for key, row in stats.stats.items()
            if f"{os.sep}whoosh{os.sep}" in key[0]
        ),
        reverse=True,
    )[:20]
    return {
        "documents": len(sample),
        "by_lang": dict(counted),
        "text_mb": text_bytes / MB,
        "unprofiled": plain,
        "wall_s": ended - started,
        "finalize_wall_s": ended - finalize_started,
        "profiled_own_s": total,
        "analyzer_cumulative_s": cumulative("__call__", "tokenizers.py"),
        "read_unit_cumulative_s": cumulative("_read_sample", "rebuild.py"),
        "add_document_cumulative_s": cumulative("add_document", "writing.py"),
        "finalize_cumulative_s": cumulative("_finalize_segment", "writing.py"),
        "whoosh_own_s": whoosh_own,
        "top_whoosh_by_own_time": [
            {"own_s": o, "cumulative_s": c, "calls": n, "function": f} for o, c, n, f in top_whoosh
        ],
        "profile_file": str(out),
    }


def print_profile(result: dict) -> None:
    print(
        f"\nOne worker's share: {result['documents']:,} documents "
        f"({result['text_mb']:.2f} MB, {result['by_lang']})"
    )
    plain = result["unprofiled"]
    total = plain["read_unit_s"] + plain["add_document_s"] + plain["finalize_s"]
    print(f"  without profiler, {total:.1f} s in all:")
    for label, key in (
        ("read_unit + furniture", "read_unit_s"),
        ("analyzers alone (as in phase A)", "analyzers_alone_s"),
        ("add_document (incl. analysis)", "add_document_s"),
        ("  Whoosh's part of it", "whoosh_in_add_document_s"),
        ("_finalize_segment", "finalize_s"),
    ):
        print(f"    {label:<34} {plain[key]:8.2f} s  {plain[key] / total:5.0%}")
    print(f"  under cProfile, {result['wall_s']:.1f} s wall (profiler overhead inflates calls):")
    for label, key in (
        ("read_unit + furniture", "read_unit_cumulative_s"),
        ("add_document (incl. analysis)", "add_document_cumulative_s"),
        ("  of which analyzers (cumulative)", "analyzer_cumulative_s"),
        ("_finalize_segment", "finalize_cumulative_s"),
        ("own time inside whoosh/*", "whoosh_own_s"),
        ("everything profiled", "profiled_own_s"),
    ):
        print(f"    {label:<34} {result[key]:8.2f} s")
    print("  top Whoosh functions by own time:")
    print(f"    {'own s':>7} {'cum s':>7} {'calls':>9}  function")
    for row in result["top_whoosh_by_own_time"][:15]:
        own, cumulative, calls = row["own_s"], row["cumulative_s"], row["calls"]
        print(f"    {own:7.2f} {cumulative:7.2f} {calls:9,}  {row['function']}")
    print(f"  full profile: {result['profile_file']}")


# --- Report ---


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (CJK characters take two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - columns, 0)


def _fmt(value, spec: str = ",.1f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(result: dict) -> None:
    a = result.get("phase_a")
    b = result["phase_b"]
    columns = ["A read+clean", "A +analysis", "B rebuild"] if a else ["B rebuild"]
    rows: list[tuple[str, list]] = []

    def row(label: str, values_a: tuple, value_b, spec: str = ",.1f") -> None:
        values = [*values_a, value_b] if a else [value_b]
        rows.append((label, [_fmt(v, spec) for v in values]))

    ra, aa = (a["read"], a["analysis"]) if a else ({}, {})
    b_mb = b["text_mb"]
    row("wall time, s", (ra.get("wall_s"), aa.get("wall_s")), b["seconds"])
    serial = a["plan_s"] + a["furniture_s"] if a else None
    row("  plan + furniture (serial), s", (serial, serial), b["timeline"]["before_workers_s"])
    row("  parallel workers, s", (ra.get("seconds"), aa.get("seconds")), b["timeline"]["workers_s"])
    row("  after workers (serial), s", (0.0, 0.0), b["timeline"]["after_workers_s"])
    row("CPU time (serial part + workers), s", (ra.get("cpu_s"), aa.get("cpu_s")), b["cpu_s"])
    others = tuple(p["cpu"]["others_s"] if p else None for p in (ra, aa))
    row("CPU of other processes, s", others, b["cpu"]["others_s"])
    row("documents", (ra.get("documents"), aa.get("documents")), b["indexed"], ",.0f")
    row("duplicates dropped", (None, None), b["duplicates"], ",.0f")
    skipped = a["skipped"] if a else None
    row("skipped", (skipped, skipped), b["skipped"], ",.0f")
    row("text, MB (UTF-8 title+body)", (ra.get("text_mb"), aa.get("text_mb")), b_mb)
    b_docs = (b["indexed"] or 0) + (b["duplicates"] or 0)
    row(
        "docs/s (documents read)",
        tuple(p.get("documents", 0) / p["wall_s"] if p else None for p in (ra, aa)),
        b_docs / b["seconds"],
        ",.0f",
    )
    row(
        "MB/s of text",
        tuple(p.get("text_mb", 0) / p["wall_s"] if p else None for p in (ra, aa)),
        b_mb / b["seconds"] if b_mb else None,
        ",.2f",
    )
    memory = [ra.get("memory", {}), aa.get("memory", {})]
    row(
        "peak RSS of tree, GiB",
        tuple(m.get("peak_rss_gib") for m in memory),
        b["memory"]["peak_rss_gib"],
        ",.2f",
    )
    row(
        "peak anonymous RSS of tree, GiB",
        tuple(m.get("peak_anon_gib") for m in memory),
        b["memory"]["peak_anon_gib"],
        ",.2f",
    )
    row(
        "peak PSS of tree, GiB",
        tuple(m.get("peak_pss_gib") for m in memory),
        b["memory"]["peak_pss_gib"],
        ",.2f",
    )
    row("index on disk, MB", (None, None), b["index"]["mb"])
    width = max(len(label) for label, _ in rows)
    header = f"{'':<{width}}  " + "  ".join(f"{c:>13}" for c in columns)
    print("\n" + header)
    print("-" * len(header))
    for label, values in rows:
        print(f"{label:<{width}}  " + "  ".join(f"{v:>13}" for v in values))
    ratios = result.get("ratios", {})
    if ratios:
        print(
            f"\nB / A(analysis): {ratios['b_over_a_analysis']:.2f} wall "
            f"(aim <= 1.3), {ratios['b_over_a_parallel']:.2f} for the parallel part alone, "
            f"{ratios['b_over_a_cpu']:.2f} in CPU seconds (less sensitive to other load); "
            f"reading is {ratios['read_share_of_a']:.0%} of A(analysis)"
        )
    cores = os.cpu_count() or 1
    for label, phase in (("A(analysis)", aa or None), ("B", b)):
        if phase:
            share = phase["cpu"]["others_s"] / (phase["seconds"] * cores)
            if share > 0.05:
                print(f"warning: other processes took {share:.0%} of the CPU during {label}")
    peak = b["memory"]["peak_rss_gib"]
    verdict = "within" if peak < 4 else "OVER"
    print(f"peak memory of the rebuild's tree: {peak:.2f} GiB RSS ({verdict} the 4 GiB aim)")


def print_details(result: dict) -> None:
    b = result["phase_b"]
    print("\nskip reasons (top 10; numbers folded to N):")
    if result["skips"]["complete"]:
        print(f"  from phase A's read of every unit: {result['skips']['total']:,} skips")
    else:
        print("  (phase A skipped: only the skips the CLI printed are grouped)")
    for entry in result["skips"]["top"]:
        print(f"  {entry['count']:>7,}  {entry['reason']}")
        shown = entry["example"].translate({10: "\\n", 13: "\\r", 9: "\\t"})
        print(f"           e.g. {shown}")
    stats = result["stats"]
    print(
        f"\nhansearch stats: {_fmt(stats['documents'], ',.0f')} documents "
        f"({stats['seconds']:.1f} s)"
    )
    print("  by language: " + ", ".join(f"{k} {v:,}" for k, v in stats["by_language"]))
    print(f"  top {TOP_SOURCES} of {stats['sources']} sources:")
    for name, count in stats["top_sources"]:
        print(f"    {_pad(name, 36)} {count:>9,}")
    update = result.get("update")
    if update:
        print(
            f"\nhansearch update (nothing changed): {update['seconds']:.1f} s wall, "
            f"added {_fmt(update['added'], ',.0f')}, replaced {_fmt(update['replaced'], ',.0f')}, "
            f"removed {_fmt(update['removed'], ',.0f')}, peak RSS "
            f"{update['memory']['peak_rss_gib']:.2f} GiB"
        )
    print(
        f"\nindex: {b['generation']} ({b['segments']} segments, {b['index']['files']} files, "
        f"{b['index']['mb']:,.0f} MB on disk)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument(
        "--limit-files",
        type=int,
        default=0,
        metavar="N",
        help="first N files of each top-level folder (JSON Lines: first N lines)",
    )
    parser.add_argument("--skip-floor", action="store_true", help="skip phase A")
    parser.add_argument("--skip-update", action="store_true", help="no 'hansearch update' after")
    parser.add_argument("--workers", type=int, default=0, help="index.workers (0: one per core)")
    parser.add_argument("--engine", choices=("whoosh", "xapian"), default="whoosh")
    parser.add_argument(
        "--profile-docs",
        type=int,
        default=0,
        metavar="N",
        help="only profile one worker's share over N documents, then exit",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "rebuild.json")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        parser.exit(2, f"no corpus at {args.corpus} (pass --corpus DIR)\n")

    scratch = Path(tempfile.mkdtemp(prefix="hs-bench-rebuild-"))
    try:
        corpus = args.corpus.resolve()
        subset = None
        if args.limit_files:
            subset = make_subset(corpus, args.limit_files, scratch / "corpus")
            corpus = scratch / "corpus"
        config = write_config(scratch, corpus, args.index.resolve(), args.workers, args.engine)
        if args.profile_docs:
            result = profile_worker(config, args.profile_docs, RESULTS / "rebuild_profile.txt")
            print_profile(result)
            out = args.out.with_name("rebuild_profile.json")
            out.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
            print(f"wrote {out}")
            return 0
        settings = load_settings(config)
        workers = worker_count(settings)
        result: dict = {
            "corpus": str(args.corpus),
            "limit_files": args.limit_files or None,
            "subset_files": subset,
            "index": str(args.index),
            "config": config.read_text("utf-8"),
            "cores": os.cpu_count(),
            "workers": workers,
            "python": sys.version.split()[0],
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        result["page_cache_warmup"] = warm_page_cache(settings.corpus.paths)
        print(
            "page cache warm-up: {files:,} files, {mb:,.0f} MB in {seconds:.1f} s".format(
                **result["page_cache_warmup"]
            ),
            file=sys.stderr,
            flush=True,
        )
        a = None if args.skip_floor else phase_a(config, workers)
        b = phase_b(config, args.index)
        b["text_mb"] = (
            a["analysis"]["text_mb"]
            if a
            else (b["reported_mb_per_s"] or 0) * (b["reported_seconds"] or 0) or None
        )
        b["text_mb_source"] = "phase A (same units, same cleaning)" if a else "CLI MB/s x time"
        if a:
            expected = a["analysis"]["documents"]
            found = (b["indexed"] or 0) + (b["duplicates"] or 0)
            b["documents_match_phase_a"] = expected == found
            b["furniture_matches_phase_a"] = a["furniture_lines"] == b["furniture_lines"]
            skips = a.pop("skips")
            a["skipped"] = len(skips)
            complete = True
        else:
            skips = [tuple(s) for s in b["shown_skips"]]
            complete = False
        result["skips"] = {"total": len(skips), "complete": complete, "top": skip_table(skips)}
        result["phase_a"] = a
        result["phase_b"] = b
        print("phase B: hansearch stats", file=sys.stderr, flush=True)
        stats_run = run_hansearch(config, "stats", echo=False)
        result["stats"] = {**parse_stats(stats_run["stdout"]), "seconds": stats_run["seconds"]}
        if not args.skip_update:
            print("hansearch update (nothing changed)", file=sys.stderr, flush=True)
            update = run_hansearch(config, "update")
            result["update"] = {
                **parse_build_report(update["stdout"]),
                "seconds": update["seconds"],
                "cpu_s": update["cpu_s"],
                "memory": update["memory"],
                "stdout": update["stdout"],
            }
        if a:
            result["ratios"] = {
                "b_over_a_analysis": b["seconds"] / a["analysis"]["wall_s"],
                "b_over_a_parallel": (b["timeline"]["workers_s"] or b["seconds"])
                / a["analysis"]["seconds"],
                "b_over_a_cpu": b["cpu_s"] / a["analysis"]["cpu_s"],
                "read_share_of_a": a["read"]["wall_s"] / a["analysis"]["wall_s"],
                "whoosh_extra_s": b["seconds"] - a["analysis"]["wall_s"],
            }
        print_table(result)
        print_details(result)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
        print(f"\nwrote {args.out}")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
