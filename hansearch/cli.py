"""The ``hansearch`` command: one entry point that dispatches to indexer, search and web."""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from indexer.build import BuildError, BuildReport, rebuild, update
from indexer.shards import Shard
from search.analysis import char_analyzer, load_user_dictionaries, word_analyzer
from search.analysis.dictionaries import DictionaryError
from search.config import ConfigError, Settings, load_settings
from search.integrity import GenerationDamaged, damage, has_checksums
from search.models import MAX_PAGE_SIZE, SearchError, SearchRequest, response_to_dict
from search.searcher import SearchService
from search.stats import index_stats
from search.store import INDEX_FAULTS, IndexBusy, IndexNotFound, IndexStore, IndexUnavailable
from search.xapian_shards import XAPIAN_FAULTS

SHOWN_SKIPS = 20
_MARK = re.compile(r"(</?mark>)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        return args.run(settings, args)
    except (ConfigError, DictionaryError, SearchError) as exc:
        print(f"hansearch: {exc}", file=sys.stderr)
        return 2
    except (IndexBusy, IndexNotFound, IndexUnavailable) as exc:
        print(f"hansearch: {exc}", file=sys.stderr)
        return 3
    except BrokenPipeError:
        # The reader went away (`hansearch search ... | head`): stop quietly, as `cat` does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (BuildError, GenerationDamaged, OSError) as exc:
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

    shrink = argparse.ArgumentParser(add_help=False)
    shrink.add_argument(
        "--allow-shrink",
        action="store_true",
        help="switch in the new index even if it holds far fewer documents than the serving one",
    )
    shrink.add_argument(
        "--shard",
        type=_shard,
        help="build only the I-th of N parts of the archive, as in 2/4 (Xapian shards)",
    )
    commands.add_parser(
        "rebuild",
        parents=[config, shrink],
        help="build a new index from the whole corpus, then switch",
    ).set_defaults(run=_rebuild)
    commands.add_parser(
        "update", parents=[config, shrink], help="index new and changed files, drop deleted ones"
    ).set_defaults(run=_update)
    commands.add_parser(
        "verify", parents=[config], help="check that the serving index's files are intact"
    ).set_defaults(run=_verify)
    commands.add_parser(
        "stats", parents=[config], help="documents by language, source and month"
    ).set_defaults(run=_stats)

    search = commands.add_parser(
        "search", parents=[config], help="ranked articles for a query, passages highlighted"
    )
    search.add_argument("query", help='words, "exact phrase", -excluded, a OR b, lang:ko, ...')
    search.add_argument(
        "--lang", action="append", default=[], help="keep this language (ko, zh, en, ...)"
    )
    search.add_argument("--source", action="append", default=[], help="keep this source")
    search.add_argument(
        "--limit", type=_limit, default=10, help=f"results to show, 1 to {MAX_PAGE_SIZE}"
    )
    search.add_argument("--json", action="store_true", help="print the API's JSON")
    search.set_defaults(run=_search)

    serve = commands.add_parser(
        "serve", parents=[config], help="serve the JSON API through gunicorn"
    )
    serve.add_argument("--host", help="address to listen on (default: server.host)")
    serve.add_argument("--port", type=int, help="port to listen on (default: server.port)")
    serve.set_defaults(run=_serve)
    return parser


def _shard(value: str) -> Shard:
    try:
        return Shard.parse(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _limit(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(value)


def _search(settings: Settings, args: argparse.Namespace) -> int:
    request = SearchRequest(
        q=args.query,
        lang=tuple(v.strip() for raw in args.lang for v in raw.split(",") if v.strip()),
        source=tuple(args.source),
        size=args.limit,
    )
    response = SearchService(settings).search(request)
    if args.json:
        print(json.dumps(response_to_dict(response), ensure_ascii=False, indent=2))
        return 0
    tty = sys.stdout.isatty()
    for rank, hit in enumerate(response.results, start=1):
        published = hit.published.text() if hit.published else "undated"
        print(f"{rank:>3}. {_terminal(hit.title_html, tty)}")
        source = _plain(hit.source) or "(no source)"
        print(f"     {source} · {published} · {_plain(hit.url or hit.id)}")
        if hit.snippet_html:
            print(f"     {_terminal(hit.snippet_html, tty)}")
        if hit.missing:
            print(f"     missing: {_plain(' '.join(hit.missing))}")
        if hit.similar:
            print(f"     {len(hit.similar)} similar article{'' if len(hit.similar) == 1 else 's'}")
        print()
    shown = f"{len(response.results)} shown" if response.total > len(response.results) else ""
    print(
        f"{response.total:,} result{'' if response.total == 1 else 's'}"
        f"{f' ({shown})' if shown else ''}; {response.total_all_words:,} with every word"
    )
    for phrase in response.phrases_as_words:
        print(f"no article has {_plain(phrase)} as written: its words were searched instead")
    if response.suggestion:
        print(f"did you mean: {_plain(response.suggestion)}")
    return 0


def _terminal(fragment_html: str, tty: bool) -> str:
    """Highlighted HTML as terminal text: marks in bold on a terminal, else in [brackets]."""
    start, end = ("\x1b[1m", "\x1b[0m") if tty else ("[", "]")
    parts = []
    for part in _MARK.split(fragment_html):
        if part == "<mark>":
            parts.append(start)
        elif part == "</mark>":
            parts.append(end)
        else:
            parts.append(_plain(html.unescape(part)))
    return "".join(parts)


def _plain(text: str) -> str:
    """Text from an article, on one line and with no control characters for the terminal."""
    return _CONTROL.sub(" ", text)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from web.serve import CannotListen, serve  # gunicorn and Flask only for this command

    try:
        serve(settings, host=args.host, port=args.port)
    except CannotListen as exc:
        print(f"hansearch: {exc}", file=sys.stderr)
        return 2
    return 0


def _rebuild(settings: Settings, args: argparse.Namespace) -> int:
    report = rebuild(settings, allow_shrink=args.allow_shrink, shard=args.shard)
    _print_report("rebuild", report, settings)
    return 0


def _update(settings: Settings, args: argparse.Namespace) -> int:
    report = update(settings, allow_shrink=args.allow_shrink, shard=args.shard)
    _print_report("update", report, settings)
    return 0


def _verify(settings: Settings, args: argparse.Namespace) -> int:
    generation = IndexStore(settings.index.path).current_path()
    if not has_checksums(generation):
        print(
            f"generation {generation.name} was written before checksums were kept:"
            " it cannot be verified (a rebuild records them)"
        )
        return 0
    problems = damage(generation)
    if not problems:
        print(f"generation {generation.name}: every file is intact")
        return 0
    print(f"generation {generation.name} is damaged:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    print("build a new index from the corpus with 'hansearch rebuild'", file=sys.stderr)
    return 1


def _print_report(command: str, report: BuildReport, settings: Settings) -> None:
    if not report.changed:
        print(
            f"{command}: nothing changed in the corpus; generation {report.generation}"
            f" keeps serving {report.indexed:,} documents from {settings.index.path}"
        )
        _print_skips(report)
        return
    print(f"{command}: generation {report.generation} is now serving from {settings.index.path}")
    print(f"  documents indexed   {report.indexed:,}")
    if command == "update":
        print(f"  added               {report.added:,}")
        print(f"  replaced            {report.replaced:,}")
        print(f"  removed             {report.removed:,}")
    print(f"  duplicates dropped  {report.duplicates:,}")
    print(f"  skipped             {len(report.skipped):,}")
    print(f"  notices             {len(report.notices):,}")  # indexed, something replaced
    # A rate only where documents were read and analysed, over a time worth dividing by.
    analysed = report.indexed if command == "rebuild" else report.added + report.replaced
    rate = ""
    if analysed and report.seconds >= 1:
        rate = (
            f" ({analysed / report.seconds:,.0f} docs/s,"
            f" {report.text_bytes / 1e6 / report.seconds:.2f} MB/s of text)"
            if report.text_bytes
            else f" ({analysed / report.seconds:,.0f} docs/s)"
        )
    print(f"  time                {report.seconds:.1f} s{rate}")
    _print_skips(report)


def _print_skips(report: BuildReport) -> None:
    for skip in report.skipped[:SHOWN_SKIPS]:
        print(f"  skipped {skip.path}: {skip.reason}")
    if len(report.skipped) > SHOWN_SKIPS:
        print(f"  … and {len(report.skipped) - SHOWN_SKIPS:,} more skipped files or lines")
    for notice in report.notices[:SHOWN_SKIPS]:
        print(f"  notice {_plain(notice.path)}: {_plain(notice.message)}")
    if len(report.notices) > SHOWN_SKIPS:
        print(f"  … and {len(report.notices) - SHOWN_SKIPS:,} more notices")


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    store = IndexStore(settings.index.path)
    try:
        stats = index_stats(store.current_path())
    except (*INDEX_FAULTS, *XAPIAN_FAULTS) as error:
        raise IndexUnavailable(f"the index cannot be read: {error!r}") from None
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
