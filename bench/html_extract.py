"""HTML main-text extraction: hansearch's own path against trafilatura, on the HTML-bodied corpora.

    python bench/html_extract.py --corpus /tmp/corpus              # ~2,000 zh posts, ~1,000 ko
    python bench/html_extract.py --corpus /tmp/corpus --zh 200 --ko 100   # quick check
    python bench/html_extract.py --configs default,recall-nc --examples 15

The corpus folder is what ``../shared/corpus/unpack.sh DEST`` makes (``zh-waimei``,
``zh-oped2``, ``ko-jsonl``). The sample is fixed: every Nth post (sorted paths) of zh-waimei
(3/4 of ``--zh``) and zh-oped2 (1/4), every Nth line of the three ko-jsonl files (1/2, 3/10,
1/5 of ``--ko``). A post whose body is not HTML (``jekyll.sniff`` false) is counted and left
out, as is a record without ``body_html``.

Contenders, on the same HTML (the post body after the generator lines, or ``body_html``):

- ``current``: ``strip_boilerplate(html_to_text(html), trim_head=False)``, as
  ``indexer/formats/jekyll.py`` and ``jsonl.py`` read them;
- ``html.py-body``: the body path of ``indexer/formats/html.py`` (<article>/<main>/<body>,
  ``trim_head=True``), for reference: the corpus has no whole pages;
- trafilatura ``extract(..., output_format="txt")`` in several settings (``CONFIGS``). The
  HTML is wrapped in ``<html><body><div>…</div></body></html>`` first (``--wrap body``
  leaves the ``<div>`` out, which makes ``favor_recall`` drop text standing directly in
  ``<body>``): trafilatura rejects (returns None for) a fragment that does not mention
  "html" in its first 50 characters and parses to fewer than two top-level elements; how
  many would be rejected is reported.

One core (the process is pinned to ``--cpu``, default the last allowed one); per document the
contenders take turns, so a change in machine load hits them alike. Times are CPU time of the
thread (``time.thread_time``, what another process on the machine does not inflate); wall
docs/s is printed beside. trafilatura's text gets one paragraph per line (blank-line
separated, as hansearch bodies are); every output then loses a first paragraph equal to the
title, as ``make_document`` does.

Measured per group (zh-waimei, zh-oped2, ko-jsonl) and contender: median / p95 ms per
document and docs/s; characters kept (non-space); empty outputs; character-bigram recall and
precision (multisets, whitespace, trafilatura's "- " list marks and "|" table bars removed)
against ``current`` and, for the Korean records, against the record's plain ``body`` (the
feed's text); residue lines (``RESIDUE``: furniture that should not be in an article's text),
also after the lines each source repeats are dropped (``repeated_lines`` learned per source
from this sample's outputs, ``drop_lines``: what a rebuild's ``without_furniture`` does).
Metadata: ``trafilatura.extract_metadata`` (``extensive`` date search on, and off as
``trafilatura-nx``) and the lookups of ``indexer/formats/html.py`` (its ``read``) on the same
HTML, against the front matter (or the record's fields), which are the truth here.

``--examples N`` writes, for the N documents where ``current`` and ``--examples-config``
disagree most (bigram F1, spread over the groups), the lines only one of them kept, to
``--examples-out`` (in /tmp: it holds corpus text, which never goes into the repository).
Numbers go to bench/results/html_extract.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path

import trafilatura
from trafilatura.utils import load_html

from indexer.boilerplate import drop_lines, repeated_lines, strip_boilerplate
from indexer.clean import html_to_text
from indexer.encoding import decode
from indexer.formats import html as html_format
from indexer.formats.base import FormatOptions
from indexer.formats.jekyll import body_html, sniff
from indexer.frontmatter import split_front_matter
from indexer.htmltree import parse_html
from indexer.skip import SkipFile

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"

# name -> keyword arguments of trafilatura.extract ("nc" = include_comments=False,
# "nt" = include_tables=False); "+strip" runs strip_boilerplate(trim_head=False) after it.
CONFIGS: dict[str, dict] = {
    "default": {},
    "default-nc": {"include_comments": False},
    "default-nt": {"include_tables": False},
    "default-nc-nt": {"include_comments": False, "include_tables": False},
    "recall": {"favor_recall": True},
    "recall-nc": {"favor_recall": True, "include_comments": False},
    "recall-nt": {"favor_recall": True, "include_tables": False},
    "recall-nc-nt": {"favor_recall": True, "include_comments": False, "include_tables": False},
    "precision-nc": {"favor_precision": True, "include_comments": False},
    "fast-nc": {"fast": True, "include_comments": False},
    "recall-nc+strip": {"favor_recall": True, "include_comments": False},
}
CURRENT = "current"
PAGE = "html.py-body"

# Lines that are site furniture, not article text (matched on stripped lines).
RESIDUE = {
    "more": re.compile(r"(?:\.{3,}|…+)\s*more\s*$", re.I),
    "getty": re.compile(r"Embed from Getty Images", re.I),
    "subscribe-zh": re.compile(r"欢迎点击此处订阅|歡迎點擊此處訂閱"),
    "drupal-date": re.compile(r"^\d{2}/\d{2}/\d{4} - \d{2}:\d{2}"),
    "drupal-submitted": re.compile(r"在 星期., \d{2}/\d{2}/\d{4} - \d{2}:\d{2} 提交"),
    "comment-block": re.compile(
        r"^(?:评论|評論|永久连接|永久連接|冒个泡吧！|添加新评论|发表评论|回复)$|\(未验证\)$"
    ),
    "image-file": re.compile(r"^\S+\.(?:jpe?g|png|gif|webp)$", re.I),
    "iso-timestamp": re.compile(
        r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
    ),
    "share-subscribe": re.compile(
        r"^(?:訂閱|订阅|分享|share|subscribe|关注我们|關注我們|구독|공유하기)\S{0,6}$"
        r"|^https?://feedx\.(?:net|xyz)/?$"
        r"|^(?=.{0,80}$).*(?:获取更多RSS|獲取更多RSS|感謝您的訂閱|感谢您的订阅|訂閱《|歡迎訂閱|欢迎订阅"
        r"|点赞订阅|快來訂閱|分享到|分享至|\bshare this\b|\bfollow us\b|脸书直播|臉書直播)",
        re.I,
    ),
    "copyright": re.compile(
        r"^(?:©|ⓒ|\(c\)|copyright\b)|all rights reserved|版权所有|版權所有|무단\s*전재"
        r"|재배포\s*금지",
        re.I,
    ),
}

GROUPS = ("zh-waimei", "zh-oped2", "ko-jsonl")
KO_FILES = {
    "ko-chosun-national.jsonl": 0.5,
    "ko-lawtimes-news.jsonl": 0.3,
    "ko-lawtimes-opinion.jsonl": 0.2,
}


@dataclass
class Sample:
    """One document: its HTML, the truth about it, and what each contender made of it."""

    group: str
    name: str
    html: str
    truth: dict[str, str]
    source: str = ""  # Document.source: the feed (front matter author or first tag), publisher
    reference: str | None = None  # the record's plain body (ko-jsonl)
    outputs: dict[str, str] = field(default_factory=dict)
    after_furniture: dict[str, str] = field(default_factory=dict)
    ms: dict[str, float] = field(default_factory=dict)  # CPU time of this thread
    wall_ms: dict[str, float] = field(default_factory=dict)
    rejected_unwrapped: bool = False


# -- sample ---------------------------------------------------------------------------


def every_nth(items: list, count: int) -> list:
    step = max(1, len(items) // max(1, count))
    return items[::step][:count]


def zh_samples(folder: Path, group: str, count: int, stats: Counter) -> list[Sample]:
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    samples = []
    for path in every_nth(paths, count):
        try:
            text = decode(path.read_bytes())[0]  # (text, encoding[, replaced bytes])
            if not sniff(text, str(path)):
                stats[f"{group}: not an HTML-bodied post"] += 1
                continue
            meta, body = split_front_matter(text)
        except SkipFile:
            stats[f"{group}: unreadable"] += 1
            continue
        truth = {
            "title": _str(meta.get("title")),
            "date": _str(meta.get("date")),
            "author": _str(meta.get("author")),
            "site": _str(meta.get("author")) or _str(meta.get("tags")),
            "feed": " ".join(filter(None, [_str(meta.get("tags")), _str(meta.get("author"))])),
        }
        tags = meta.get("tags") or meta.get("categories") or []
        source = _str(meta.get("author")) or _str(tags[0] if isinstance(tags, list) else tags)
        name = str(path.relative_to(folder.parent))
        samples.append(Sample(group, name, body_html(body), truth, source))
    return samples


def ko_samples(folder: Path, count: int, stats: Counter) -> list[Sample]:
    samples = []
    for filename, share in KO_FILES.items():
        path = folder / filename
        lines = path.read_text("utf-8").split("\n")
        numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
        for number, line in every_nth(numbered, round(count * share)):
            record = json.loads(line)
            html = str(record.get("body_html") or "").strip()
            if not html:
                stats["ko-jsonl: no body_html"] += 1
                continue
            truth = {
                "title": _str(record.get("title")),
                "date": _str(record.get("published")),
                "author": _str(record.get("author")),
                "site": _str(record.get("publisher")),
                "feed": _str(record.get("publisher")),
            }
            reference = str(record.get("body") or "")
            name = f"{filename}:{number}"
            samples.append(Sample("ko-jsonl", name, html, truth, truth["site"], reference))
    return samples


def _str(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value).strip()


# -- contenders -----------------------------------------------------------------------


WRAPPERS = {
    "div": "<html><body><div>{}</div></body></html>",
    "body": "<html><body>{}</body></html>",
}
WRAPPER = WRAPPERS["div"]


def wrap(html: str) -> str:
    """A fragment as a document trafilatura accepts (a full page is left as it is)."""
    return html if "<html" in html[:200].lower() else WRAPPER.format(html)


def run_current(html: str) -> str:
    return strip_boilerplate(html_to_text(html), trim_head=False)


def run_page(html: str) -> str:
    """The body as ``indexer/formats/html.py`` reads a page: <article>/<main>/<body>, then the
    densest block of prose (``trim_head=True``)."""
    root = parse_html(html)
    content = root.find("article") or root.find("main") or root.find("body") or root
    return strip_boilerplate(html_to_text(content), trim_head=True)


def run_trafilatura(name: str, html: str) -> str:
    """Its text with one paragraph per line, as hansearch writes bodies (blank-line separated)."""
    text = trafilatura.extract(wrap(html), output_format="txt", **CONFIGS[name]) or ""
    text = "\n\n".join(lines_of(text))
    if name.endswith("+strip"):
        text = strip_boilerplate(text, trim_head=False)
    return text


def without_title(body: str, title: str) -> str:
    """As make_document does (base._without_title): a first paragraph that is the title goes."""
    first, _, rest = body.partition("\n\n")
    return rest if title and " ".join(first.split()) == " ".join(title.split()) else body


def run_all(samples: list[Sample], configs: list[str], progress: bool) -> None:
    """Every contender over every sample, taking turns per document."""
    runs = [(CURRENT, run_current), (PAGE, run_page)] + [
        (name, lambda html, name=name: run_trafilatura(name, html)) for name in configs
    ]
    for done, sample in enumerate(samples, 1):
        for name, run in runs:
            wall, cpu = time.perf_counter(), time.thread_time()
            text = run(sample.html)
            sample.ms[name] = (time.thread_time() - cpu) * 1000
            sample.wall_ms[name] = (time.perf_counter() - wall) * 1000
            sample.outputs[name] = without_title(text, sample.truth["title"])
        sample.rejected_unwrapped = load_html(sample.html) is None
        if progress and done % 500 == 0:
            print(f"  {done}/{len(samples)} documents", file=sys.stderr, flush=True)


def learn_and_drop_furniture(samples: list[Sample], names: list[str]) -> None:
    """Per contender, the lines each source repeats (``repeated_lines``, learned from this
    sample as a rebuild learns them from ~3,000 documents) dropped (``drop_lines``)."""
    for name in names:
        by_source: dict[str, list[Sample]] = defaultdict(list)
        for sample in samples:
            by_source[sample.source].append(sample)
        for members in by_source.values():
            lines = repeated_lines(s.outputs[name] for s in members)
            for sample in members:
                text = sample.outputs[name]
                sample.after_furniture[name] = drop_lines(text, lines) if lines else text


# -- measures -------------------------------------------------------------------------


_LIST_MARK = re.compile(r"^- ")
_TABLE_ROW = re.compile(r"^\|.*\|$")


def plain(text: str) -> list[str]:
    """Lines for comparison: trafilatura's list marks ("- ") and table bars ("| a | b |") out."""
    out = []
    for line in lines_of(text):
        line = _LIST_MARK.sub("", line)
        if _TABLE_ROW.match(line):
            line = " ".join(cell.strip() for cell in line.strip("|").split("|"))
        out.append(line)
    return out


def compact(text: str) -> str:
    return "".join("".join(plain(text)).split())


def bigrams(text: str) -> Counter:
    chars = compact(text)
    return Counter(chars[i : i + 2] for i in range(len(chars) - 1))


def overlap(a: Counter, b: Counter) -> int:
    return sum((a & b).values())


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def residue(text: str) -> Counter:
    found: Counter = Counter()
    for line in lines_of(text):
        for name, pattern in RESIDUE.items():
            if pattern.search(line):
                found[name] += 1
    return found


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def agreement(pairs: list[tuple[Counter, Counter]]) -> dict[str, float]:
    """Bigram recall of the reference and precision of the output: pooled, median per document,
    and the share of documents below 0.9 (text lost / text added)."""
    recalls, precisions = [], []
    total_overlap = total_ref = total_out = 0
    for out, ref in pairs:
        common = overlap(out, ref)
        n_out, n_ref = sum(out.values()), sum(ref.values())
        total_overlap += common
        total_ref += n_ref
        total_out += n_out
        if n_ref:
            recalls.append(common / n_ref)
        if n_out:
            precisions.append(common / n_out)
    return {
        "recall": total_overlap / total_ref if total_ref else float("nan"),
        "precision": total_overlap / total_out if total_out else float("nan"),
        "recall_median": statistics.median(recalls) if recalls else float("nan"),
        "precision_median": statistics.median(precisions) if precisions else float("nan"),
        "recall_below_0.9": sum(r < 0.9 for r in recalls) / len(recalls) if recalls else 0.0,
        "precision_below_0.9": (
            sum(p < 0.9 for p in precisions) / len(precisions) if precisions else 0.0
        ),
    }


def measure(samples: list[Sample], names: list[str]) -> dict[str, dict]:
    table: dict[str, dict] = {}
    current_grams = [bigrams(s.outputs[CURRENT]) for s in samples]
    reference_grams = [bigrams(s.reference) if s.reference is not None else None for s in samples]
    for name in names:
        ms = [s.ms[name] for s in samples]
        wall = [s.wall_ms[name] for s in samples]
        grams = [bigrams(s.outputs[name]) for s in samples]
        kept = [len(compact(s.outputs[name])) for s in samples]
        found: Counter = Counter()
        found_after: Counter = Counter()
        docs_with_residue = 0
        for sample in samples:
            hits = residue(sample.outputs[name])
            found.update(hits)
            docs_with_residue += bool(hits)
            found_after.update(residue(sample.after_furniture[name]))
        row = {
            "docs": len(samples),
            "ms_median": statistics.median(ms),
            "ms_p95": percentile(ms, 0.95),
            "docs_per_s": len(ms) / (sum(ms) / 1000),
            "wall_ms_median": statistics.median(wall),
            "wall_docs_per_s": len(wall) / (sum(wall) / 1000),
            "chars_kept": sum(kept),
            "chars_median": statistics.median(kept),
            "empty": sum(k == 0 for k in kept),
            "residue_lines": sum(found.values()),
            "docs_with_residue": docs_with_residue,
            "residue": dict(sorted(found.items())),
            "residue_lines_after_furniture": sum(found_after.values()),
            "residue_after_furniture": dict(sorted(found_after.items())),
            "vs_current": agreement(list(zip(grams, current_grams, strict=True))),
        }
        with_reference = [(g, r) for g, r in zip(grams, reference_grams, strict=True) if r]
        if with_reference:
            row["vs_body"] = agreement(with_reference)
        table[name] = row
    return table


# -- metadata -------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[\W_]+")


def _norm(text: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def _day(value: object) -> date | None:
    match = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", str(value or ""))
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


def _judge(kind: str, found: str, truth: dict[str, str]) -> str:
    """'missing', 'match' or 'other' for one metadata field."""
    if not (found or "").strip():
        return "missing"
    if kind == "date":
        a, b = _day(found), _day(truth["date"])
        return "match" if a and b and abs((a - b).days) <= 1 else "other"
    want = _norm(truth["feed"] if kind == "site" else truth[kind])
    got = _norm(found)
    if kind == "title":  # the front matter's title may carry " - Site": containment will do
        short, long = sorted((got, want), key=len)
        return "match" if short and short in long and len(short) >= 0.6 * len(long) else "other"
    return "match" if want and got and (want in got or got in want) else "other"


def metadata(samples: list[Sample]) -> dict[str, dict]:
    """How often each extractor finds title/date/author/site, and how often it is right."""
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    results: dict[str, dict] = {}
    for group in GROUPS:
        chosen = [s for s in samples if s.group == group]
        if not chosen:
            continue
        counts: dict[str, Counter] = defaultdict(Counter)
        ms: dict[str, list[float]] = defaultdict(list)
        for sample in chosen:
            found = {}
            for who, extensive in (("trafilatura", True), ("trafilatura-nx", False)):
                start = time.thread_time()
                meta = trafilatura.extract_metadata(wrap(sample.html), extensive=extensive)
                ms[who].append((time.thread_time() - start) * 1000)
                found[who] = {
                    "title": meta.title or "",
                    "date": meta.date or "",
                    "author": meta.author or "",
                    "site": meta.sitename or "",
                }
            start = time.thread_time()
            doc = next(html_format.read(sample.html, sample.name, FormatOptions()))
            ms["html.py"].append((time.thread_time() - start) * 1000)
            found["html.py"] = {
                "title": doc.title,
                "date": doc.published.isoformat() if doc.published else "",
                "author": doc.author,
                "site": doc.source,
            }
            for who, fields in found.items():
                for kind in ("title", "date", "author", "site"):
                    counts[who][f"{kind}:{_judge(kind, fields[kind], sample.truth)}"] += 1
        results[group] = {
            who: {
                "docs": len(chosen),
                "ms_median": statistics.median(ms[who]),
                **{key: counts[who][key] for key in sorted(counts[who])},
            }
            for who in ("trafilatura", "trafilatura-nx", "html.py")
        }
    return results


# -- examples -------------------------------------------------------------------------


def f1(a: str, b: str) -> float:
    ga, gb = bigrams(a), bigrams(b)
    na, nb = sum(ga.values()), sum(gb.values())
    if not na and not nb:
        return 1.0
    return 2 * overlap(ga, gb) / (na + nb)


def _missing(line: str, other: str) -> str | None:
    """None when ``line`` (spaces removed) is inside ``other``; else the line with the part
    from the first character not found marked ⟦…⟧ (longest prefix found, by bisection)."""
    chars = "".join(line.split())
    if chars in other:
        return None
    low, high = 0, len(chars)  # chars[:low] is in other, chars[:high + 1] is not
    while low < high:
        middle = (low + high + 1) // 2
        if chars[:middle] in other:
            low = middle
        else:
            high = middle - 1
    head = chars[:low]
    return (f"…{head[-30:]}" if len(head) > 30 else head) + f"⟦{chars[low:][:120]}⟧"


def examples(samples: list[Sample], config: str, count: int) -> str:
    """Where ``current`` and ``config`` disagree most: the lines one kept and the other lost."""
    quota = {"zh-waimei": 0.45, "zh-oped2": 0.3, "ko-jsonl": 0.25}
    chosen: list[tuple[float, Sample]] = []
    for group in GROUPS:
        ranked = sorted(
            ((f1(s.outputs[CURRENT], s.outputs[config]), s) for s in samples if s.group == group),
            key=lambda pair: (pair[0], pair[1].name),
        )
        chosen += ranked[: max(1, round(count * quota[group]))]
    out = [
        f"# current vs {config} (wrap: {WRAPPER}). Per document the lines one kept that are"
        f" not in the other's text (spaces ignored); ⟦…⟧ marks from where a line is missing."
        f" '-' only in current, '+' only in {config}."
    ]
    for score, sample in chosen:
        texts = {name: sample.outputs[name] for name in (CURRENT, config)}
        chars = {name: compact(text) for name, text in texts.items()}
        out.append(
            f"\n== {sample.name}  F1={score:.2f}  current {len(chars[CURRENT])} chars,"
            f" {config} {len(chars[config])} chars"
        )
        if sample.reference is not None:
            out.append(
                f"   vs body: current F1={f1(texts[CURRENT], sample.reference):.2f},"
                f" {config} F1={f1(texts[config], sample.reference):.2f}"
            )
        for sign, mine, other in (("-", CURRENT, config), ("+", config, CURRENT)):
            lost = [m for line in plain(texts[mine]) if (m := _missing(line, chars[other]))]
            out += [f"{sign} {line}" for line in lost[:25]]
            if len(lost) > 25:
                out.append(f"{sign} … {len(lost) - 25} more lines")
    out.append(
        f"\n# residue lines: the most frequent per pattern (count, line), {CURRENT} | {config}"
    )
    for name, pattern in RESIDUE.items():
        for who in (CURRENT, config):
            seen = Counter(
                line[:100]
                for sample in samples
                for line in lines_of(sample.outputs[who])
                if pattern.search(line)
            )
            if seen:
                top = "; ".join(f"{n}× {line}" for line, n in seen.most_common(6))
                out.append(f"{name} [{who}] {sum(seen.values())}: {top}")
    return "\n".join(out) + "\n"


# -- report ---------------------------------------------------------------------------


def print_table(group: str, table: dict[str, dict]) -> None:
    has_body = any("vs_body" in row for row in table.values())
    head = (
        f"{'':16} {'ms med':>6} {'p95':>5} {'docs/s':>6} {'wall/s':>6} {'chars':>10} {'empty':>5}"
        f" {'resid':>5} {'docs':>4} {'+furn':>5}  {'R cur':>5} {'P cur':>5} {'R<.9':>5}"
    )
    if has_body:
        head += f"  {'R body':>6} {'P body':>6} {'R<.9':>5}"
    print(f"\n{group} ({next(iter(table.values()))['docs']} documents)")
    print(head)
    for name, row in table.items():
        agree = row["vs_current"]
        line = (
            f"{name:16} {row['ms_median']:6.2f} {row['ms_p95']:5.1f} {row['docs_per_s']:6.0f}"
            f" {row['wall_docs_per_s']:6.0f} {row['chars_kept']:10,} {row['empty']:5}"
            f" {row['residue_lines']:5} {row['docs_with_residue']:4}"
            f" {row['residue_lines_after_furniture']:5}"
            f"  {agree['recall']:5.3f} {agree['precision']:5.3f} {agree['recall_below_0.9']:5.1%}"
        )
        if has_body:
            body = row["vs_body"]
            line += (
                f"  {body['recall']:6.3f} {body['precision']:6.3f} {body['recall_below_0.9']:5.1%}"
            )
        print(line)


def pin(cpu: int | None) -> int:
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/hs-corpus"))
    parser.add_argument("--zh", type=int, default=2000, help="Jekyll posts (3/4 waimei, 1/4 oped2)")
    parser.add_argument("--ko", type=int, default=1000, help="ko-jsonl records with body_html")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="trafilatura settings")
    parser.add_argument("--cpu", type=int, default=None, help="core to pin to (default: last)")
    parser.add_argument("--examples", type=int, default=15)
    parser.add_argument("--examples-config", default="recall-nc")
    parser.add_argument("--examples-out", type=Path, default=Path("/tmp/hs-html-extract.txt"))
    parser.add_argument("--wrap", choices=WRAPPERS, default="div", help="how fragments are wrapped")
    parser.add_argument("--no-metadata", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS / "html_extract.json")
    args = parser.parse_args()
    configs = [c for c in args.configs.split(",") if c]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configs {unknown}; known: {', '.join(CONFIGS)}")
    missing = [g for g in GROUPS if not (args.corpus / g).is_dir()]
    if missing:
        sys.exit(f"{args.corpus} lacks {missing}: unpack with ../shared/corpus/unpack.sh DEST")
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    global WRAPPER
    WRAPPER = WRAPPERS[args.wrap]
    cpu = pin(args.cpu)

    skipped: Counter = Counter()
    samples = (
        zh_samples(args.corpus / "zh-waimei", "zh-waimei", round(args.zh * 0.75), skipped)
        + zh_samples(args.corpus / "zh-oped2", "zh-oped2", round(args.zh * 0.25), skipped)
        + ko_samples(args.corpus / "ko-jsonl", args.ko, skipped)
    )
    print(f"{len(samples)} documents on cpu {cpu}; left out: {dict(skipped)}", file=sys.stderr)
    # warm-up: imports, lxml, trafilatura's lazily built structures
    for sample in samples[:20]:
        run_current(sample.html)
        for name in configs:
            run_trafilatura(name, sample.html)
    started = time.time()
    run_all(samples, configs, progress=True)
    names = [CURRENT, PAGE, *configs]
    learn_and_drop_furniture(samples, names)
    results: dict = {
        "trafilatura": version("trafilatura"),
        "lxml": version("lxml"),
        "htmldate": version("htmldate"),
        "cpu": cpu,
        "wrap": args.wrap,
        "loadavg": os.getloadavg(),
        "seconds": round(time.time() - started, 1),
        "left_out": dict(skipped),
        "configs": {name: CONFIGS[name] for name in configs},
        "groups": {},
    }
    for group in GROUPS:
        chosen = [s for s in samples if s.group == group]
        if not chosen:
            continue
        table = measure(chosen, names)
        table[CURRENT]["rejected_unwrapped"] = sum(s.rejected_unwrapped for s in chosen)
        results["groups"][group] = table
        print_table(group, table)
        print(
            f"  trafilatura would reject {table[CURRENT]['rejected_unwrapped']} of {len(chosen)}"
            " unwrapped fragments"
        )
    for key in ("residue", "residue_after_furniture"):
        print(f"\n{key.replace('_', ' ')} lines by pattern (all groups):")
        for name in names:
            total: Counter = Counter()
            for table in results["groups"].values():
                total.update(table[name][key])
            print(f"  {name:16} " + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
    if not args.no_metadata:
        results["metadata"] = metadata(samples)
        print("\nmetadata (match / other / missing, truth = front matter or record fields):")
        for group, table in results["metadata"].items():
            for who, row in table.items():
                cells = [
                    f"{kind} {row.get(f'{kind}:match', 0)}/{row.get(f'{kind}:other', 0)}"
                    f"/{row.get(f'{kind}:missing', 0)}"
                    for kind in ("title", "date", "author", "site")
                ]
                print(
                    f"  {group:10} {who:14} n={row['docs']:<5} {row['ms_median']:6.2f} ms  "
                    + "  ".join(cells)
                )
    if args.examples and args.examples_config in configs:
        args.examples_out.write_text(examples(samples, args.examples_config, args.examples))
        print(f"\nexamples: {args.examples_out}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(f"results: {args.output}")


if __name__ == "__main__":
    main()
