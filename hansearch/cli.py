"""The ``hansearch`` command: one entry point that dispatches to indexer, search and web."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from indexer.build import BuildError, BuildReport, rebuild, update
from search.analysis import char_analyzer, load_user_dictionaries, word_analyzer
from search.analysis.dictionaries import DictionaryError
from search.config import ConfigError, Settings, load_settings
from search.stats import index_stats
from search.store import IndexBusy, IndexNotFound, IndexStore

SHOWN_SKIPS = 20


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        return args.run(settings, args)
    except (ConfigError, DictionaryError) as exc:
        print(f"hansearch: {exc}", file=sys.stderr)
        return 2
    except (IndexBusy, IndexNotFound) as exc:
        print(f"hansearch: {exc}", file=sys.stderr)
        return 3
    except (BuildError, OSError) as exc:
        print(f"hansearch: {args.command} failed: {exc}", file=sys.stderr)
        print("hansearch: the serving index is unchanged", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"\nhansearch: {args.command} interrupted; the serving index is unchanged",
            file=sys.stderr,
        )
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hansearch", description=__doc__)
    help_text = "settings file (default ./config.toml)"
    parser.add_argument("--config", type=Path, help=help_text)
    # Accepted after the command too; SUPPRESS keeps it from overwriting the one given before.
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=help_text)
    commands = parser.add_subparsers(dest="command", required=True)

    analyze = commands.add_parser(
        "analyze", parents=[config], help="show the tokens a text is indexed and searched as"
    )
    analyze.add_argument("text", help="the text to analyse")
    analyze.add_argument("--view", choices=["words", "chars"], default="words")
    analyze.add_argument("--json", action="store_true", help="print JSON lines")
    analyze.set_defaults(run=_analyze)

    commands.add_parser(
        "rebuild", parents=[config], help="build a new index from the whole corpus, then switch"
    ).set_defaults(run=_rebuild)
    commands.add_parser(
        "update", parents=[config], help="index new and changed files, drop deleted ones"
    ).set_defaults(run=_update)
    commands.add_parser(
        "stats", parents=[config], help="documents by language, source and month"
    ).set_defaults(run=_stats)
    return parser


def _rebuild(settings: Settings, args: argparse.Namespace) -> int:
    _print_report("rebuild", rebuild(settings), settings)
    return 0


def _update(settings: Settings, args: argparse.Namespace) -> int:
    _print_report("update", update(settings), settings)
    return 0


def _print_report(command: str, report: BuildReport, settings: Settings) -> None:
    rate = report.indexed / report.seconds if report.seconds else 0.0
    megabytes = report.text_bytes / 1e6
    print(f"{command}: generation {report.generation} is now serving from {settings.index.path}")
    print(f"  documents indexed   {report.indexed:,}")
    if command == "update":
        print(f"  added               {report.added:,}")
        print(f"  replaced            {report.replaced:,}")
        print(f"  removed             {report.removed:,}")
    print(f"  duplicates dropped  {report.duplicates:,}")
    print(f"  skipped             {len(report.skipped):,}")
    print(
        f"  time                {report.seconds:.1f} s ({rate:,.0f} docs/s, "
        f"{megabytes / report.seconds if report.seconds else 0:.2f} MB/s of text read)"
    )
    for skip in report.skipped[:SHOWN_SKIPS]:
        print(f"  skipped {skip.path}: {skip.reason}")
    if len(report.skipped) > SHOWN_SKIPS:
        print(f"  … and {len(report.skipped) - SHOWN_SKIPS:,} more skipped files or lines")


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    store = IndexStore(settings.index.path)
    stats = index_stats(store.open_current())
    print(f"generation {store.current_name()}: {stats.documents:,} documents")
    for title, counter in (
        ("language", stats.by_lang),
        ("source", stats.by_source),
        ("month", stats.by_month),
    ):
        print(f"\nby {title}:")
        rows = sorted(counter.items()) if title == "month" else counter.most_common()
        for value, count in rows:
            print(f"  {value or '(none)':<30} {count:>9,}")
    return 0


def _analyze(settings: Settings, args: argparse.Namespace) -> int:
    if args.view == "words":
        analysis = settings.analysis
        analyzer = word_analyzer(
            load_user_dictionaries(analysis.chinese_dictionary, analysis.korean_dictionary)
        )
    else:
        analyzer = char_analyzer()
    text = args.text
    for token in analyzer(text, positions=True, chars=True):
        surface = text[token.startchar : token.endchar]
        if args.json:
            record = {
                "text": token.text,
                "pos": token.pos,
                "start": token.startchar,
                "end": token.endchar,
                "surface": surface,
            }
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(f"{token.pos:>4}  {token.text}\t{token.startchar}-{token.endchar}\t{surface}")
    return 0
