"""Split text into runs of one script, so each run goes to the segmenter that knows it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

HAN_CHARS = "\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HANGUL_CHARS = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff"
KANA_CHARS = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
CJK_CHARS = HAN_CHARS + HANGUL_CHARS + KANA_CHARS


class Script(Enum):
    HAN = "han"
    HANGUL = "hangul"
    KANA = "kana"
    WORD = "word"  # Latin, digits and every other script written with spaces between words


# Characters that may sit inside a CJK run: spaces and punctuation of the basic plane.
# Letters and digits of other scripts end the run (they belong to a WORD run).
_GAP = r"[^\w\U00010000-\U0010ffff]"
_WORD = f"[^\\W_{CJK_CHARS}]"
# A word run keeps inner connectors: pac-3, 2+2, u.s, at&t, o'neil, 5,000.
_CONNECTOR = r"[-+.'’&,/]"

_RUNS = re.compile(
    "|".join(
        [
            f"(?P<han>[{HAN_CHARS}](?:(?:[{HAN_CHARS}]|{_GAP})*[{HAN_CHARS}])?)",
            f"(?P<hangul>[{HANGUL_CHARS}](?:(?:[{HANGUL_CHARS}]|{_GAP})*[{HANGUL_CHARS}])?)",
            f"(?P<kana>[{KANA_CHARS}](?:(?:[{KANA_CHARS}]|{_GAP})*[{KANA_CHARS}])?)",
            f"(?P<word>{_WORD}+(?:{_CONNECTOR}{_WORD}+)*)",
        ]
    )
)


_SCRIPT_OF_GROUP = {script.value: script for script in Script}

# Segmenters get at most this much at once, so no input can make one call huge.
MAX_RUN_CHARS = 2000
_BREAKS = (" ", "\n", "。", ".")


def script_runs(text: str) -> Iterator[tuple[Script, int, int]]:
    """Yield (script, start, end) for every run of one script in ``text``, in order.

    Spaces and punctuation between two characters of the same CJK script stay inside its
    run (segmenters use them as context); anything else between runs is skipped. A run longer
    than MAX_RUN_CHARS is cut at its last space or full stop before the limit.
    """
    for m in _RUNS.finditer(text):
        script, (start, end) = _SCRIPT_OF_GROUP[m.lastgroup], m.span()
        while end - start > MAX_RUN_CHARS:
            limit = start + MAX_RUN_CHARS
            cut = max(text.rfind(b, start + 1, limit) for b in _BREAKS)
            cut = cut + 1 if cut > start else limit
            yield script, start, cut
            start = cut
        yield script, start, end


HAN_RE = re.compile(f"[{HAN_CHARS}]")
HANGUL_RE = re.compile(f"[{HANGUL_CHARS}]")
CJK_RE = re.compile(f"[{CJK_CHARS}]")
