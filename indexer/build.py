"""Build the index: ``rebuild`` writes a new generation from the whole corpus on every
core; ``update`` re-indexes only what changed. Both switch generations atomically, so a
build that fails or is killed leaves the serving index as it was."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from search.analysis import UserDictionaries, load_user_dictionaries
from search.config import ConfigError, Settings
from search.document import Document
from search.duplicates import Clusterer, Signature, signature
from search.engine import engine_of
from search.integrity import check_generation, has_checksums, record_checksums
from search.schema import document_fields
from search.store import INDEX_FAULTS, IndexNotFound, IndexStore, IndexUnavailable
from search.xapian_shards import XAPIAN_FAULTS

from .formats.base import FormatOptions, JsonlFields
from .furniture import Furniture, learn_furniture, load_furniture, save_furniture, without_furniture
from .manifest import MANIFEST, FileEntry, Manifest
from .progress import Progress, phase
from .reader import ReadOptions
from .shards import SHARD_FILE, Shard, check_shard, shard_of
from .skip import Notice, Skip
from .sources import SourceFile
from .units import Plan, corpus_files, file_units, plan_units, read_unit
from .writers import (
    Changes,
    PartWriter,
    commit,
    copy_generation,
    create,
    document_count,
    kept_clusters,
    laid_out_as_written_now,
    stored_copies,
)


class BuildError(RuntimeError):
    """A build that could not finish; the serving index is unchanged."""


class ShrinkRefused(BuildError):
    """A build that would drop most of the serving index's documents (see ``keep_at_least``)."""


@dataclass
class BuildReport:
    generation: str
    indexed: int = 0
    duplicates: int = 0
    skipped: list[Skip] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)  # read, with something replaced
    added: int = 0
    replaced: int = 0
    removed: int = 0
    text_bytes: int = 0
    seconds: float = 0.0
    changed: bool = True


def read_options(settings: Settings) -> ReadOptions:
    corpus = settings.corpus
    fields = {name: tuple(names) for name, names in vars(settings.jsonl).items()}
    return ReadOptions(
        max_bytes=int(corpus.max_file_mb * 1024 * 1024),
        formats=FormatOptions(jsonl_fields=JsonlFields(**fields)),
    )


def rebuild(
    settings: Settings,
    stream: TextIO | None = None,
    *,
    allow_shrink: bool = False,
    shard: Shard | None = None,
) -> BuildReport:
    """A complete new generation from every corpus file, switched in when verified,
    written by ``index.engine``; with ``shard``, only the articles of that shard.

    Refused (ShrinkRefused) when it would hold fewer than ``index.keep_at_least`` of the
    serving generation's documents, unless ``allow_shrink``."""
    started = time.monotonic()
    check_corpus_paths(settings)
    check_shard(settings.index.engine, shard, None)
    store = IndexStore(settings.index.path)
    with store.write_lock():
        store.remove_old_generations(keep_previous=store.previous_name())
        serving = _serving_documents(store)
        generation = store.new_generation()
        report = BuildReport(generation.name)
        try:
            if shard is not None:
                (generation / SHARD_FILE).write_text(f"{shard}\n", "utf-8")
            analysis = settings.analysis
            dictionaries = load_user_dictionaries(
                analysis.chinese_dictionary, analysis.korean_dictionary
            )
            create(generation, settings.index.engine, dictionaries)
            options = read_options(settings)
            with phase("finding the corpus files", stream):
                plan = plan_units(settings.corpus.paths, options)
            report.skipped.extend(plan.skips)
            _refuse_shrink(settings, serving, plan.estimated_docs, allow_shrink, "rebuild")
            with phase("learning each source's repeated lines", stream):
                furniture = learn_furniture(plan, options, worker_count(settings))
            save_furniture(generation, furniture)
            manifest = _run_workers(
                generation, plan, options, furniture, settings, report, stream, dictionaries, shard
            )
            with phase("dropping repeated articles and verifying", stream):
                report.duplicates = _drop_duplicates(generation, manifest)
                report.indexed = (
                    sum(len(e.docs) for e in manifest.files.values()) - report.duplicates
                )
                _verify(generation, report.indexed)
            _refuse_shrink(settings, serving, report.indexed, allow_shrink, "rebuild")
            manifest.save(generation)
            with phase("recording checksums and switching", stream):
                record_checksums(generation)
                previous = store.current_name_or_none()
                store.switch_to(generation)
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
        store.remove_old_generations(keep_previous=previous)
    report.seconds = time.monotonic() - started
    return report


def update(
    settings: Settings,
    stream: TextIO | None = None,
    *,
    allow_shrink: bool = False,
    shard: Shard | None = None,
) -> BuildReport:
    """Add new files, re-index changed ones (by content hash), remove what is gone.

    Works on a hard-linked copy of the serving generation (Whoosh never rewrites a file in
    place), so searches keep running on the old one until the switch. Checks the serving
    generation's files first, so a damaged one is never carried forward. When nothing
    changed, the serving generation stays (``report.changed`` is False)."""
    started = time.monotonic()
    check_corpus_paths(settings)
    store = IndexStore(settings.index.path)
    current_name = store.current_name()
    if current_name is not None:
        shard = check_shard(settings.index.engine, shard, shard_of(store.current_path()))
    if (
        current_name is None
        or engine_of(store.current_path()) != settings.index.engine
        or not laid_out_as_written_now(store.current_path())
    ):
        # No index yet, or one written by the other engine or laid out by another version
        # of hansearch: a whole new one.
        report = rebuild(settings, stream, allow_shrink=allow_shrink, shard=shard)
        report.added = report.indexed
        return report
    with store.write_lock():
        store.remove_old_generations(keep_previous=store.previous_name())
        current = store.current_path()
        if has_checksums(current):
            with phase(f"checking generation {current.name}", stream):
                check_generation(current)
        old = Manifest.load(current)
        furniture = load_furniture(current)
        report = BuildReport(current.name)
        with phase("finding new and changed files", stream):
            new, documents = _read_changes(settings, old, furniture, report, shard)
        old_winners, new_winners = old.winners(), new.winners()
        report.indexed = len(new_winners)
        if old_winners == new_winners:
            report.changed = False
            if _entries(new) != _entries(old):  # touched, not changed: remember the new times
                new.save(current)
            report.seconds = time.monotonic() - started
            return report
        removed = len(old_winners.keys() - new_winners.keys())
        kept = len(old_winners) - removed
        _refuse_shrink(settings, len(old_winners), kept, allow_shrink, "update")
        generation = store.new_generation()
        report.generation = generation.name
        try:
            copy_generation(current, generation, skip={MANIFEST})
            with phase(f"indexing {len(documents):,} new or changed articles", stream):
                _apply_changes(generation, old, new, documents, settings, report)
                _verify(generation, report.indexed)
            new.save(generation)
            with phase("recording checksums and switching", stream):
                record_checksums(generation)
                store.switch_to(generation)
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
        store.remove_old_generations(keep_previous=current.name)
    report.seconds = time.monotonic() - started
    return report


def check_corpus_paths(settings: Settings) -> None:
    """Every configured corpus path must exist: a typo or an unmounted share is a
    configuration error, not an empty corpus."""
    missing = [path for path in settings.corpus.paths if not path.exists()]
    if missing:
        raise ConfigError(
            f"corpus.paths: {missing[0]} does not exist (a typo, or a drive or share that is"
            " not mounted?); nothing was built and the serving index is unchanged"
        )


def _serving_documents(store: IndexStore) -> int | None:
    """How many documents the serving generation holds; None when there is none or it
    cannot be read (a rebuild is the way out of both)."""
    try:
        return document_count(store.current_path())
    except (IndexNotFound, IndexUnavailable, *INDEX_FAULTS, *XAPIAN_FAULTS):
        return None


def _refuse_shrink(
    settings: Settings, serving: int | None, kept: int, allow_shrink: bool, command: str
) -> None:
    share = settings.index.keep_at_least
    if allow_shrink or not serving or kept >= share * serving:
        return
    raise ShrinkRefused(
        f"the new index would hold {kept:,} documents where the serving one holds"
        f" {serving:,} (under {share:.0%} of it), so nothing was switched: is a corpus path"
        f" empty or not mounted? If the archive really shrank, run"
        f" 'hansearch {command} --allow-shrink'"
    )


def _entries(manifest: Manifest) -> dict[str, tuple[int, int]]:
    return {rel: (e.size, e.mtime_ns) for rel, e in manifest.files.items()}


def worker_count(settings: Settings) -> int:
    return settings.index.workers or os.cpu_count() or 1


# Rebuild: workers read, clean, analyse and write one part each (a Whoosh segment or a
# Xapian database).


def _run_workers(
    generation: Path,
    plan: Plan,
    options: ReadOptions,
    furniture: Furniture,
    settings: Settings,
    report: BuildReport,
    stream: TextIO | None,
    dictionaries: UserDictionaries,
    shard: Shard | None,
) -> Manifest:
    # spawn, not fork: each worker builds its own Kiwi (a Kiwi crossing a fork hangs).
    context = multiprocessing.get_context("spawn")
    tasks = context.Queue()
    results = context.Queue()
    workers = min(worker_count(settings), max(len(plan.units), 1))
    clusters = [context.Queue() for _ in range(workers)]  # to each worker: its units' clusters
    for number, unit in enumerate(plan.units):
        tasks.put((number, unit))
    for _ in range(workers):
        tasks.put(None)
    processes = [
        context.Process(
            target=_worker,
            args=(
                str(generation),
                options,
                furniture,
                tasks,
                results,
                worker,
                clusters[worker],
                dictionaries,
                shard,
            ),
            daemon=True,
        )
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    progress = Progress(plan.estimated_docs, "indexing", stream)
    by_unit: dict[int, dict[str, list[tuple[str, str]]]] = {}
    # Near-duplicates are clustered here, in document order (unit by unit), from the
    # signatures the workers compute; a worker waits for its unit's clusters before writing.
    clusterer = Clusterer()
    signed: dict[int, tuple[int, list[Signature | None]]] = {}  # unit -> (worker, signatures)
    next_unit = 0
    segments = []
    finished = 0
    finishing = contextlib.ExitStack()  # the workers' last step: sorting and writing segments
    all_read = False
    try:
        while finished < workers:
            if not all_read and len(by_unit) == len(plan.units):
                all_read = True
                progress.close()
                finishing.enter_context(phase("writing the index segments", stream))
            try:
                message = results.get(timeout=1.0)
            except queue.Empty:
                dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    raise BuildError(f"an indexing worker died (exit code {dead[0]})") from None
                continue
            kind = message[0]
            if kind == "signatures":
                _, number, worker, signatures = message
                signed[number] = (worker, signatures)
                while next_unit in signed:
                    worker, signatures = signed.pop(next_unit)
                    clusters[worker].put([clusterer.assign(sig) for sig in signatures])
                    next_unit += 1
            elif kind == "unit":
                _, number, docs, skips, notices, text_bytes = message
                by_unit[number] = docs
                report.skipped.extend(skips)
                report.notices.extend(notices)
                report.text_bytes += text_bytes
                progress.advance(plan.units[number].estimated_docs)
            elif kind == "done":
                finished += 1
                if message[1] is not None:
                    segments.append(message[1])
            else:
                raise BuildError(f"indexing failed: {message[1]}")
        for process in processes:
            process.join()
    finally:
        progress.close()
        finishing.close()
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
    commit(generation, segments, dictionaries)
    return _manifest(plan, by_unit)


def _worker(
    generation: str,
    options: ReadOptions,
    furniture: Furniture,
    tasks,
    results,
    worker: int,
    clusters,
    dictionaries: UserDictionaries,
    shard: Shard | None,
) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C does
    try:
        writer = PartWriter(Path(generation), worker, dictionaries)
        while (task := tasks.get()) is not None:
            number, unit = task
            docs: dict[str, list[tuple[str, str]]] = {}
            skips: list[Skip] = []
            notices: list[Notice] = []
            text_bytes = 0
            read: list[tuple[str, Document]] = []
            for rel, item in read_unit(unit, options):
                if isinstance(item, Skip):
                    skips.append(item)
                elif isinstance(item, Notice):
                    notices.append(item)
                elif shard is None or shard.holds(item.id):
                    read.append((rel, without_furniture(item, furniture)))
            # Signatures here, on every core; their clusters from the parent, which takes
            # the units in order (this one's turn comes once the units before it are read).
            signatures = [signature(i.title, i.body, i.published, i.source) for _, i in read]
            results.put(("signatures", number, worker, signatures))
            assigned = clusters.get()
            for (rel, item), sig, cluster in zip(read, signatures, assigned, strict=True):
                writer.add(document_fields(item, sig, cluster))
                docs.setdefault(rel, []).append((item.id, item.content_hash))
                text_bytes += len(item.title.encode()) + len(item.body.encode())
            results.put(("unit", number, docs, skips, notices, text_bytes))
        results.put(("done", writer.finish()))
    except BaseException as error:
        results.put(("error", f"{type(error).__name__}: {error}"))


def _die_with_parent() -> None:
    """A worker whose parent is killed (even by SIGKILL) dies too, instead of writing on."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _manifest(plan: Plan, by_unit: dict[int, dict[str, list[tuple[str, str]]]]) -> Manifest:
    manifest = Manifest()
    for file in plan.files:
        manifest.files[file.rel] = FileEntry(file.size, _mtime_ns(file))
    for number in sorted(by_unit):
        for rel, docs in by_unit[number].items():
            manifest.files[rel].docs.extend(docs)
    return manifest


def _drop_duplicates(generation: Path, manifest: Manifest) -> int:
    """Workers index every copy of a repeated article; keep the one the manifest chooses."""
    winners = manifest.winners()
    repeated = len(winners) != sum(len(e.docs) for e in manifest.files.values())
    if not repeated:
        return 0
    losers = []
    for doc_id, copies in stored_copies(generation):
        rel, content_hash = winners[doc_id]
        kept = False
        for handle, stored in copies:
            wins = stored.get("path") == rel and stored.get("content_hash") == content_hash
            if wins and not kept:
                kept = True
            else:
                losers.append(handle)
    changes = Changes(generation)
    try:
        for handle in losers:
            changes.delete_number(handle)
        changes.commit(merge=False)
    except BaseException:
        changes.cancel()
        raise
    return len(losers)


def _verify(generation: Path, expected: int) -> None:
    found = document_count(generation)
    if found != expected:
        raise BuildError(f"new index holds {found} documents, expected {expected}")


def _mtime_ns(file: SourceFile) -> int:
    return file.path.stat().st_mtime_ns


# Update: compare files with the manifest, re-read what changed, apply by id.


def _read_changes(
    settings: Settings,
    old: Manifest,
    furniture: Furniture,
    report: BuildReport,
    shard: Shard | None,
) -> tuple[Manifest, dict[tuple[str, str], Document]]:
    """The manifest of the corpus as it is now (of ``shard``'s articles only, when given),
    and the Documents the update must write."""
    options = read_options(settings)
    new = Manifest()
    files: dict[str, SourceFile] = {}
    changed: list[str] = []
    for entry in corpus_files(settings.corpus.paths):
        if isinstance(entry, Skip):
            report.skipped.append(entry)
            continue
        files[entry.rel] = entry
        before = old.files.get(entry.rel)
        mtime = _mtime_ns(entry)
        if before and (before.size, before.mtime_ns) == (entry.size, mtime):
            new.files[entry.rel] = before
        else:
            new.files[entry.rel] = FileEntry(entry.size, mtime)
            changed.append(entry.rel)
    documents: dict[tuple[str, str], Document] = {}
    for rel in changed:
        for item in _read_whole_file(files[rel], options, shard):
            if isinstance(item, Skip):
                report.skipped.append(item)
            elif isinstance(item, Notice):
                report.notices.append(item)
            else:
                item = without_furniture(item, furniture)
                new.files[rel].docs.append((item.id, item.content_hash))
                documents[(rel, item.id)] = item
    # A copy that now wins but sat unread in an unchanged file (the copy that won before
    # is gone) must be read again.
    old_winners = old.winners()
    unread = {
        rel
        for doc_id, (rel, content_hash) in new.winners().items()
        if old_winners.get(doc_id) != (rel, content_hash) and (rel, doc_id) not in documents
    }
    for rel in sorted(unread):
        for item in _read_whole_file(files[rel], options, shard):
            if isinstance(item, Document):
                documents.setdefault((rel, item.id), without_furniture(item, furniture))
    return new, documents


def _read_whole_file(file: SourceFile, options: ReadOptions, shard: Shard | None):
    for unit in file_units(file):
        for _, item in read_unit(unit, options):
            if not isinstance(item, Document) or shard is None or shard.holds(item.id):
                yield item


def _apply_changes(
    generation: Path,
    old: Manifest,
    new: Manifest,
    documents: dict[tuple[str, str], Document],
    settings: Settings,
    report: BuildReport,
) -> None:
    old_winners, new_winners = old.winners(), new.winners()
    leaving = {i for i, before in old_winners.items() if new_winners.get(i) != before}
    clusterer = kept_clusters(generation, leaving)
    changes = Changes(generation)
    try:
        for doc_id in old_winners.keys() - new_winners.keys():
            changes.delete(doc_id)
            report.removed += 1
        for doc_id, (rel, content_hash) in new_winners.items():
            before = old_winners.get(doc_id)
            if before == (rel, content_hash):
                continue
            doc = documents[(rel, doc_id)]
            if clusterer is None:  # an index built before clusters: none until a rebuild
                fields = document_fields(doc)
            else:
                sig = signature(doc.title, doc.body, doc.published, doc.source)
                fields = document_fields(doc, sig, clusterer.assign(sig))
            changes.put(fields)
            if before is None:
                report.added += 1
            else:
                report.replaced += 1
        changes.commit()
    except BaseException:
        changes.cancel()
        raise
