"""User dictionaries: names and terms an archive teaches jieba and Kiwi."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

KIWI_DEFAULT_TAG = "NNP"
KIWI_DEFAULT_SCORE = 0.0


class DictionaryError(ValueError):
    """A user dictionary file that cannot be used, with its path and line."""


@dataclass(frozen=True)
class UserDictionaries:
    """The words themselves, not file paths: they are pickled with the index schema, so an
    index always analyses queries with the dictionaries it was built with."""

    chinese: tuple[tuple[str, int | None, str | None], ...] = ()
    korean: tuple[tuple[str, str, float], ...] = ()


def load_user_dictionaries(
    chinese_path: Path | None = None, korean_path: Path | None = None
) -> UserDictionaries:
    return UserDictionaries(
        chinese=tuple(_read_chinese(chinese_path)) if chinese_path else (),
        korean=tuple(_read_korean(korean_path)) if korean_path else (),
    )


def _lines(path: Path):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DictionaryError(f"{path}: cannot read user dictionary: {exc}") from exc
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            yield number, line


def _read_chinese(path: Path):
    """jieba's format: ``word [frequency] [tag]`` separated by spaces."""
    for number, line in _lines(path):
        fields = line.split()
        word, freq, tag = fields[0], None, None
        for value in fields[1:3]:
            if value.isdigit():
                freq = int(value)
            else:
                tag = value
        if len(fields) > 3:
            raise DictionaryError(f"{path}:{number}: expected 'word [frequency] [tag]'")
        yield word, freq, tag


def _read_korean(path: Path):
    """Kiwi's format: ``word<TAB>tag<TAB>score``; tag and score optional (NNP, 0). A word may
    hold spaces (가미카와 요코), so fields are separated by tabs."""
    for number, line in _lines(path):
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) > 3:
            raise DictionaryError(f"{path}:{number}: expected 'word<TAB>tag<TAB>score'")
        word = fields[0]
        tag = fields[1] if len(fields) > 1 and fields[1] else KIWI_DEFAULT_TAG
        try:
            score = float(fields[2]) if len(fields) > 2 and fields[2] else KIWI_DEFAULT_SCORE
        except ValueError as exc:
            raise DictionaryError(f"{path}:{number}: score must be a number") from exc
        yield word, tag, score
