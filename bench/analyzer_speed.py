"""Throughput of hansearch's analyzers against the bare segmenters they wrap.

Reads a fixed sample of real news from ../shared/corpus (the first ~3 MB of Chinese article
bodies of zh-waimei-posts.tar.xz, HTML stripped crudely; the first ~2 MB of Korean ``body``
of ko-chosun-national.jsonl.xz) and times, one document at a time over the same texts:
bare ``jieba.lcut`` and ``jieba.lcut_for_search``, bare ``Kiwi(num_workers=0).tokenize``, and
hansearch's word view and character view (tokens consumed as Whoosh would). Reports MB/s of
UTF-8 input (median of --reps timed passes after a warm-up pass; model load time reported
separately), the ratio hansearch/bare, the cost of each stage of the word view in isolation,
and writes a cProfile of the word view per language (top 15 by cumulative time).

Run from the repository root:

    python bench/analyzer_speed.py               # 3 MB Chinese, 2 MB Korean
    python bench/analyzer_speed.py --mb 0.5      # quick check: 0.5 MB of each
    python bench/analyzer_speed.py --mb 3,2 --reps 5

Prints a table; writes bench/results/analyzer_speed.json and
bench/results/profile_words_{zh,ko}.txt.
"""

from __future__ import annotations

import argparse
import cProfile
import html
import io
import json
import lzma
import os
import pstats
import re
import statistics
import sys
import tarfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO.parent / "shared"
RESULTS = REPO / "bench" / "results"
ZH_FILE = "zh-waimei-posts.tar.xz"
KO_FILE = "ko-chosun-national.jsonl.xz"

_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DROP_BLOCKS = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>|<!--.*?-->", re.S)
_BLANK = re.compile(r"[ \t\r\f\v]*\n\s*")


# --- Samples ---


def strip_post(raw: str) -> str:
    """Body of a Jekyll post: after the '------' line under the title link, HTML stripped."""
    _, sep, body = raw.partition("\n------\n")
    if not sep:
        body = raw.split("\n---\n", 1)[-1]
    body = _TAG.sub(" ", _DROP_BLOCKS.sub(" ", body))
    return _BLANK.sub("\n", html.unescape(body)).strip()


def chinese_sample(path: Path, max_bytes: int) -> list[str]:
    """Bodies of the first posts that are mostly Chinese, up to ``max_bytes`` of UTF-8."""
    docs, total = [], 0
    with tarfile.open(path, "r|xz") as tar:
        for member in tar:
            if total >= max_bytes:
                break
            if not member.isfile() or not member.name.endswith(".md"):
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            body = strip_post(handle.read().decode("utf-8", errors="replace"))
            letters = sum(1 for c in body if not c.isspace())
            if len(body) < 200 or len(_HAN.findall(body)) < 0.3 * letters:
                continue
            docs.append(body)
            total += len(body.encode())
    return docs


def korean_sample(path: Path, max_bytes: int) -> list[str]:
    docs, total = [], 0
    with lzma.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if total >= max_bytes:
                break
            body = (json.loads(line).get("body") or "").strip()
            if body:
                docs.append(body)
                total += len(body.encode())
    return docs


# --- Timing ---


def one_pass(fn: Callable[[str], object], docs: list[str]) -> float:
    t0 = time.perf_counter()
    for doc in docs:
        fn(doc)
    return time.perf_counter() - t0


def measure(
    contenders: list[tuple[str, Callable[[str], object], list[str]]], reps: int, mb: float
) -> dict[str, dict]:
    """Median seconds of ``reps`` passes of each (name, fn, inputs), and MB/s of ``mb``.

    One warm-up pass each, then the contenders take turns pass by pass, so a change in the
    machine's load (other processes) hits all of them alike and the ratios stay fair.
    """
    for _, fn, inputs in contenders:
        one_pass(fn, inputs)  # warm-up: caches, lazily built regexes and models
    times: dict[str, list[float]] = {name: [] for name, _, _ in contenders}
    for _ in range(reps):
        for name, fn, inputs in contenders:
            times[name].append(one_pass(fn, inputs))
    return {
        name: {
            "seconds": statistics.median(t),
            "mb_per_s": mb / statistics.median(t),
            "all_seconds": [round(x, 3) for x in t],
        }
        for name, t in times.items()
    }


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def consume(analyzer) -> Callable[[str], int]:
    """Pull every token the way Whoosh's indexer does (one reused Token object)."""

    def run(text: str) -> int:
        n = 0
        for token in analyzer(text, positions=True, chars=True):
            token.text  # noqa: B018 - read the token as an indexer would
            n += 1
        return n

    return run


def stages_of_word_view(
    lang: str, docs: list[str], dictionaries
) -> list[tuple[str, Callable[[str], object], list[str]]] | None:
    """The word view's stages one at a time, each on its own prepared input (the segmenters
    on the script runs the tokenizer would give them), from the internals in search.analysis
    (read only; None if they have moved)."""
    try:
        from search.analysis.normalizers.chinese import to_simplified
        from search.analysis.normalizers.unicode import nfkc
        from search.analysis.scripts import HAN_RE, Script, script_runs
        from search.analysis.segmenters.chinese import jieba_tokenizer, segment_chinese
        from search.analysis.segmenters.korean import kiwi_model, segment_korean
    except ImportError:
        return None

    normalised = [nfkc(d)[0] for d in docs]
    normalised = [to_simplified(d) if HAN_RE.search(d) else d for d in normalised]
    script = Script.HAN if lang == "zh" else Script.HANGUL
    runs = [d[s:e] for d in normalised for sc, s, e in script_runs(d) if sc is script]
    stages: list[tuple[str, Callable[[str], object], list[str]]] = [
        ("nfkc", nfkc, docs),
        ("to_simplified", to_simplified, normalised),
        ("script_runs", lambda t: list(script_runs(t)), normalised),
    ]
    if lang == "zh":
        jt = jieba_tokenizer(dictionaries.chinese)
        stages += [
            (f"jieba cut, {len(runs)} Han runs", lambda r: list(jt.cut(r, HMM=True)), runs),
            ("segment_chinese, same runs", lambda r: list(segment_chinese(r, jt)), runs),
        ]
    else:
        kiwi = kiwi_model(dictionaries.korean)
        stages += [
            (f"Kiwi.tokenize, {len(runs)} Hangul runs", kiwi.tokenize, runs),
            ("segment_korean, same runs", lambda r: list(segment_korean(r, kiwi)), runs),
        ]
    return stages


def profile(fn: Callable[[str], object], docs: list[str], path: Path, title: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for doc in docs:
        fn(doc)
    profiler.disable()
    out = io.StringIO()
    out.write(f"{title}\n\n== top 15 by cumulative time ==\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(15)
    out.write("\n== top 15 by own time ==\n")
    stats.sort_stats("tottime").print_stats(15)
    path.write_text(out.getvalue())


def parse_mb(value: str) -> tuple[float, float]:
    parts = [float(p) for p in value.split(",")]
    if len(parts) == 1:
        return parts[0], parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise argparse.ArgumentTypeError("--mb takes N or ZH,KO")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mb", type=parse_mb, default=(3.0, 2.0), help="sample sizes in MB: N or ZH,KO (3,2)"
    )
    parser.add_argument("--reps", type=int, default=3, help="timed passes (median reported)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile runs")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared data dir")
    parser.add_argument("--output", type=Path, default=RESULTS / "analyzer_speed.json")
    args = parser.parse_args()
    if args.reps < 3:
        parser.error("--reps must be at least 3")

    corpus = args.shared / "corpus"
    missing = [str(corpus / f) for f in (ZH_FILE, KO_FILE) if not (corpus / f).is_file()]
    if missing:
        sys.exit(
            f"analyzer_speed.py: shared corpus not found: {', '.join(missing)} "
            "(expected ../shared next to the repository, or pass --shared DIR)"
        )
    started = time.perf_counter()
    zh_mb, ko_mb = args.mb
    samples = {
        "zh": chinese_sample(corpus / ZH_FILE, int(zh_mb * 1e6)),
        "ko": korean_sample(corpus / KO_FILE, int(ko_mb * 1e6)),
    }
    sizes = {
        lang: {"docs": len(docs), "mb": sum(len(d.encode()) for d in docs) / 1e6}
        for lang, docs in samples.items()
    }

    import jieba
    from kiwipiepy import Kiwi

    from search.analysis import char_analyzer, word_analyzer

    from_user_dicts = user_dictionaries()
    jieba.setLogLevel(60)
    load: dict[str, float] = {}
    # Load times include the first call: Kiwi finishes loading its model lazily (~2 s).
    load["jieba (bare): initialize + first lcut"] = timed(lambda: jieba.lcut("中文分词。"))
    # num_workers=0 is one thread since kiwipiepy 0.21 (as wanted); silence its notice.
    warnings.filterwarnings("ignore", "behavior of `num_workers=0`", DeprecationWarning)
    kiwi_box: list[Kiwi] = []
    load["Kiwi(num_workers=0) (bare): constructor"] = timed(
        lambda: kiwi_box.append(Kiwi(num_workers=0))
    )
    kiwi = kiwi_box[0]
    load["Kiwi (bare): first tokenize"] = timed(lambda: kiwi.tokenize("한국어 분석"))
    words, chars = word_analyzer(from_user_dicts), char_analyzer()
    load["hansearch word view, first Chinese text"] = timed(lambda: list(words("中文分词。")))
    load["hansearch word view, first Korean text"] = timed(lambda: list(words("한국어 분석")))
    load["hansearch char view, first text"] = timed(lambda: list(chars("中文 한국어")))

    contenders: dict[str, list[tuple[str, Callable[[str], object]]]] = {
        "zh": [
            ("jieba.lcut", jieba.lcut),
            ("jieba.lcut_for_search", jieba.lcut_for_search),
            ("hansearch word view", consume(words)),
            ("hansearch char view", consume(chars)),
        ],
        "ko": [
            ("Kiwi.tokenize", kiwi.tokenize),
            ("hansearch word view", consume(words)),
            ("hansearch char view", consume(chars)),
        ],
    }
    bare = {"zh": "jieba.lcut", "ko": "Kiwi.tokenize"}
    results: dict[str, dict[str, dict]] = {}
    stages: dict[str, dict[str, dict]] = {}
    for lang, docs in samples.items():
        print(f"timing {lang} ...", file=sys.stderr, flush=True)
        mb = sizes[lang]["mb"]
        results[lang] = measure([(n, fn, docs) for n, fn in contenders[lang]], args.reps, mb)
        base = results[lang][bare[lang]]["seconds"]
        for row in results[lang].values():
            row["time_vs_bare"] = row["seconds"] / base
        print(f"timing {lang} word-view stages ...", file=sys.stderr, flush=True)
        stages[lang] = measure(
            stages_of_word_view(lang, docs, from_user_dicts) or [], args.reps, mb
        )

    profiles = {}
    if not args.no_profile:
        RESULTS.mkdir(parents=True, exist_ok=True)
        for lang, docs in samples.items():
            path = RESULTS / f"profile_words_{lang}.txt"
            print(f"profiling {lang} word view ...", file=sys.stderr, flush=True)
            profile(consume(words), docs, path, f"hansearch word view, {sizes[lang]}")
            profiles[lang] = str(path)
    wall = time.perf_counter() - started

    print("\nModel load (s):")
    for name, seconds in load.items():
        print(f"  {name:<44}{seconds:7.2f}")
    print("(stage rows: one step of the word view alone; MB/s counts the whole sample)")
    for lang, rows in results.items():
        size = sizes[lang]
        print(
            f"\n{lang}: {size['docs']} documents, {size['mb']:.2f} MB UTF-8, "
            f"median of {args.reps} passes after a warm-up"
        )
        print(f"  {'':<44}{'MB/s':>8}{'s/pass':>9}{'time / ' + bare[lang]:>24}")
        for name, row in rows.items():
            print(
                f"  {name:<44}{row['mb_per_s']:8.2f}{row['seconds']:9.2f}"
                f"{row['time_vs_bare']:23.2f}x"
            )
        for name, row in stages.get(lang, {}).items():
            label = f"  stage: {name}"
            print(f"  {label:<44}{row['mb_per_s']:8.2f}{row['seconds']:9.2f}")
    load_avg = [round(x, 2) for x in os.getloadavg()]
    print(
        f"\nwall time {wall:.1f}s; load average at end {load_avg}; "
        f"profiles: {', '.join(profiles.values()) or 'skipped'}"
    )

    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "samples": sizes,
        "reps": args.reps,
        "model_load_s": load,
        "results": results,
        "word_view_stages": stages,
        "profiles": profiles,
        "wall_time_s": round(wall, 1),
        "load_average_at_end": load_avg,
    }
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.output}")


def user_dictionaries():
    from search.analysis import UserDictionaries, load_user_dictionaries

    zh, ko = REPO / "dicts" / "zh_user.txt", REPO / "dicts" / "ko_user.txt"
    if not zh.exists() and not ko.exists():
        return UserDictionaries()
    return load_user_dictionaries(zh if zh.exists() else None, ko if ko.exists() else None)


if __name__ == "__main__":
    main()
