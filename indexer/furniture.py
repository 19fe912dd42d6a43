"""What a rebuild learns about its corpus before indexing it, saved with the generation so
``update`` treats new articles the way the rebuild treated the rest:

- the lines a source repeats across its articles (menus, promotions, sign-offs), learned
  from up to ``SAMPLE_PER_SOURCE`` articles of every source spread over the corpus, and
  removed from every article of that source;
- which name on a post is its publisher and which a person (``attributed``), from the names
  all the posts of each URL host carry.

Learning reads the head of every file (its front matter: URL and names), then the sampled
articles in full.
"""

from __future__ import annotations

import codecs
import json
import multiprocessing
import signal
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import islice
from pathlib import Path
from urllib.parse import urlsplit

from search.document import Document

from .boilerplate import drop_lines, repeated_lines
from .encoding import decode
from .formats import jekyll
from .frontmatter import split_front_matter
from .reader import ReadOptions
from .skip import SkipFile
from .sources import SourceFile
from .units import Plan, WorkUnit, read_unit

SAMPLE_PER_SOURCE = 100
MIN_PUBLISHER_POSTS = 3
FURNITURE = "furniture.json"
PUBLISHERS = "publishers.json"
_HEAD_BYTES = 8192
_SAMPLE_BATCH = 64
_JSONL_PLACES = 4
# Under this many documents, starting processes costs more than it saves.
_PARALLEL_DOCS = 1000
_MAX_FURNITURE_SHARE = 0.5
_MAX_FURNITURE_LINES = 20
# Names that name nobody: such a post has no author, and its host's publisher.
_NOBODY = frozenset({"unknown", "anonymous", "none", "null", "nan", "n/a", "佚名", "匿名", "未知"})


@dataclass(frozen=True)
class Furniture:
    """What a rebuild learned: each source's repeated ``lines``, and for each URL host how
    many of its posts carry each name (``posts``)."""

    lines: Mapping[str, frozenset[str]] = field(default_factory=dict)
    posts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @cached_property
    def publishers(self) -> dict[str, str | None]:
        """Each host's publisher (see ``publisher``)."""
        return {host: publisher(host, names) for host, names in self.posts.items()}


def learn_furniture(plan: Plan, options: ReadOptions, workers: int = 1) -> Furniture:
    """Names per host from the head of every file, then each source's repeated lines from up
    to SAMPLE_PER_SOURCE of its articles, spread over the corpus. ``workers`` > 1 reads in
    that many processes."""
    with _mapper(workers if plan.estimated_docs >= _PARALLEL_DOCS else 1) as map_:
        files = [file for unit in plan.units for file in unit.files]
        heads = [head for batch in map_(_survey, _batches(files)) for head in batch]
        known = Furniture(posts=_names_per_host(heads))
        tasks = [(task, options) for task in _sample_tasks(_strata(plan, files, heads))]
        bodies: defaultdict[str, list[str]] = defaultdict(list)
        for docs in map_(_read_sample, tasks):
            for doc in docs:
                doc = attributed(doc, known)
                if doc.source:
                    bodies[doc.source].append(doc.body)
    learned = {source: _repeated(texts) for source, texts in bodies.items()}
    return replace(known, lines={source: lines for source, lines in learned.items() if lines})


def _repeated(bodies: list[str]) -> frozenset[str]:
    """``repeated_lines`` of a source, not counting the documents made mostly of them or
    holding many of them: copies of one article and the issues of a periodic report repeat
    their own text, where furniture is a few lines around different articles."""
    lines = repeated_lines(bodies)
    if not lines:
        return lines
    kept = [body for body in bodies if not _mostly_repeated(body, lines)]
    return repeated_lines(kept) if len(kept) < len(bodies) else lines


def _mostly_repeated(body: str, lines: frozenset[str]) -> bool:
    before = sum(1 for line in body.split("\n") if line.strip())
    after = sum(1 for line in drop_lines(body, lines).split("\n") if line.strip())
    return before - after > min(_MAX_FURNITURE_SHARE * before, _MAX_FURNITURE_LINES)


def publisher(host: str, names: Mapping[str, int]) -> str | None:
    """The name more than half of ``host``'s posts carry (names of nobody aside), else the
    host itself; None when fewer than MIN_PUBLISHER_POSTS posts name someone: too few to tell."""
    named = [(count, name) for name, count in names.items() if not _is_nobody(name)]
    total = sum(count for count, _ in named)
    if total < MIN_PUBLISHER_POSTS:
        return None
    count, name = max(named)
    return name if 2 * count > total else host


def attributed(doc: Document, furniture: Furniture) -> Document:
    """``doc`` with its publisher as source and a person as author, when its reader gave its
    one name as the source with no author (a Jekyll post's ``author``): the publisher of its
    URL host (``publisher``) is the source, and the name, unless it is that publisher or
    names nobody, the author. A host not seen by the rebuild, or with too few posts to tell,
    leaves ``doc`` as it is, unless its name names nobody: then the host is the source."""
    if doc.author or not doc.source:
        return doc
    host = url_host(doc.url)
    if doc.source not in furniture.posts.get(host, ()):
        return doc
    source = furniture.publishers[host]
    if source is None:
        if not _is_nobody(doc.source):
            return doc
        source = host
    author = "" if doc.source == source or _is_nobody(doc.source) else doc.source
    return replace(doc, source=source, author=author)


def url_host(url: str) -> str:
    """The host of ``url``, lower-cased, without a leading ``www.`` or ``m.``; "" if none."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    for prefix in ("www.", "m."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def _is_nobody(name: str) -> bool:
    return name.strip().lower() in _NOBODY


@contextmanager
def _mapper(workers: int) -> Iterator[Callable]:
    """``map``, or an ordered map over ``workers`` spawned processes that leave Ctrl-C to
    their parent."""
    if workers <= 1:
        yield map
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, signal.signal, (signal.SIGINT, signal.SIG_IGN)) as pool:
        yield lambda function, tasks: pool.imap(function, tasks, chunksize=4)


def _batches(files: list[SourceFile]) -> Iterator[list[SourceFile]]:
    for start in range(0, len(files), _SAMPLE_BATCH):
        yield files[start : start + _SAMPLE_BATCH]


def _survey(files: list[SourceFile]) -> list[tuple[str, str, bool]]:
    return [_survey_file(file) for file in files]


def _survey_file(file: SourceFile) -> tuple[str, str, bool]:
    """(URL host, name, whether it is a Jekyll post) from the front matter heading ``file``;
    empty for a file without one."""
    try:
        meta, body = split_front_matter(_head(file))
    except SkipFile:
        return "", "", False
    url, name = jekyll.attribution(meta)
    if jekyll.has_html_body(body):
        return url_host(url), name, True
    named = meta.get("publisher") or meta.get("source")
    return url_host(url), named if isinstance(named, str) else name, False


def _head(file: SourceFile) -> str:
    try:
        with file.path.open("rb") as handle:
            data = handle.read(_HEAD_BYTES)
    except OSError:
        return ""
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data)
    except UnicodeDecodeError:
        pass
    try:
        return decode(data)[0]
    except SkipFile:
        return ""


def _names_per_host(heads: Iterable[tuple[str, str, bool]]) -> dict[str, dict[str, int]]:
    posts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for host, name, post in heads:
        if post and host and name:
            posts[host][name] += 1
    return {host: dict(names) for host, names in posts.items()}


def _strata(
    plan: Plan, files: list[SourceFile], heads: list[tuple[str, str, bool]]
) -> list[list[WorkUnit]]:
    """The corpus as one-file units (and JSON Lines ranges) grouped by likely source."""
    strata: defaultdict[tuple[str, ...], list[WorkUnit]] = defaultdict(list)
    for file, head in zip(files, heads, strict=True):
        strata[_stratum(file, head)].append(WorkUnit(files=(file,), estimated_docs=1))
    for unit in plan.units:
        if unit.jsonl is not None:
            strata[("jsonl", unit.jsonl.rel)].append(unit)
    return list(strata.values())


def _stratum(file: SourceFile, head: tuple[str, str, bool]) -> tuple[str, ...]:
    """Files likely to be of one source: the posts of a URL host (all get its publisher),
    files naming the same publisher, else the files of a folder."""
    host, name, post = head
    if post and host:
        return ("posts", host)
    if host or name:
        return ("named", host, name)
    return ("folder", file.rel.rpartition("/")[0])


def _sample_tasks(strata: Iterable[list[WorkUnit]]) -> Iterator[tuple[WorkUnit, int | None]]:
    """Work units holding about SAMPLE_PER_SOURCE documents of each stratum, taken evenly
    along it, each with how many of its documents to read (None: all)."""
    batch: list[SourceFile] = []
    for units in strata:
        docs = sum(unit.estimated_docs for unit in units)
        if docs <= SAMPLE_PER_SOURCE:
            chosen, limit = units, None
        else:
            places = min(len(units), max(_JSONL_PLACES, -(-SAMPLE_PER_SOURCE * len(units) // docs)))
            chosen = [units[index * len(units) // places] for index in range(places)]
            limit = -(-SAMPLE_PER_SOURCE // places)
        for unit in chosen:
            if unit.jsonl is not None:
                yield unit, limit
            else:
                batch.extend(unit.files)
                if len(batch) >= _SAMPLE_BATCH:
                    yield WorkUnit(files=tuple(batch), estimated_docs=len(batch)), None
                    batch = []
    if batch:
        yield WorkUnit(files=tuple(batch), estimated_docs=len(batch)), None


def _read_sample(task: tuple[tuple[WorkUnit, int | None], ReadOptions]) -> list[Document]:
    (unit, limit), options = task
    docs = (item for _, item in read_unit(unit, options) if isinstance(item, Document))
    return list(islice(docs, limit))


def without_furniture(doc: Document, furniture: Furniture) -> Document:
    """``doc`` attributed (``attributed``), without the lines its source repeats."""
    doc = attributed(doc, furniture)
    lines = furniture.lines.get(doc.source)
    if not lines:
        return doc
    body = drop_lines(doc.body, lines)
    return doc if body == doc.body else replace(doc, body=body, content_hash="")


def save_furniture(generation: Path, furniture: Furniture) -> None:
    """``furniture.json``: each source's lines; ``publishers.json``: each host's publisher
    and how many of its posts carry each name."""
    lines = {source: sorted(lines) for source, lines in sorted(furniture.lines.items())}
    hosts = {
        host: {
            "publisher": furniture.publishers[host],
            "posts": dict(sorted(names.items(), key=lambda item: (-item[1], item[0]))),
        }
        for host, names in sorted(furniture.posts.items())
    }
    for name, data in ((FURNITURE, lines), (PUBLISHERS, hosts)):
        (generation / name).write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")


def load_furniture(generation: Path) -> Furniture:
    """What ``save_furniture`` saved; nothing for what a generation lacks."""
    lines, hosts = (
        json.loads(path.read_text("utf-8")) if path.exists() else {}
        for path in (generation / FURNITURE, generation / PUBLISHERS)
    )
    return Furniture(
        lines={source: frozenset(texts) for source, texts in lines.items()},
        posts={host: host_data["posts"] for host, host_data in hosts.items()},
    )
