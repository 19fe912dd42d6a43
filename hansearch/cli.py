"""The ``hansearch`` command: one entry point that dispatches to indexer, search and web."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from search.analysis import char_analyzer, load_user_dictionaries, word_analyzer
from search.analysis.dictionaries import DictionaryError
from search.config import ConfigError, Settings, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        return args.run(settings, args)
    except (ConfigError, DictionaryError) as exc:
        print(f"hansearch: {exc}", file=sys.stderr)
        return 2


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
    return parser


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
