"""Which articles a shard holds: ``hansearch rebuild --shard I/N`` builds the I-th of N
parts of an archive, so N machines each index their own part in parallel and
``xapian-tcpsrv`` serves it (``search.xapian_shards``)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

from search.config import ConfigError

# A generation built as a shard names it in this file, so ``update`` keeps to it.
SHARD_FILE = "shard"


@dataclass(frozen=True)
class Shard:
    number: int  # 1 to count
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``I/N`` (as in 2/4); ValueError naming what is wrong."""
        number, separator, count = text.partition("/")
        if not (separator and number.isdigit() and count.isdigit()):
            raise ValueError(f"--shard {text!r}: write I/N, as in 2/4")
        shard = cls(int(number), int(count))
        if not 1 <= shard.number <= shard.count:
            raise ValueError(f"--shard {text!r}: I must be from 1 to N")
        return shard

    def holds(self, doc_id: str) -> bool:
        """Whether the article ``doc_id`` is this shard's: a stable hash (CRC-32 of the
        id), the same on every machine and in every run."""
        return zlib.crc32(doc_id.encode("utf-8")) % self.count == self.number - 1

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"


def shard_of(generation: Path) -> Shard | None:
    """The shard ``generation`` was built as, None for a whole archive."""
    try:
        return Shard.parse((generation / SHARD_FILE).read_text("utf-8").strip())
    except FileNotFoundError:
        return None


def check_shard(engine: str, given: Shard | None, serving: Shard | None) -> Shard | None:
    """The shard a build writes: the one asked for, else the serving generation's."""
    if given is not None and engine != "xapian":
        raise ConfigError('--shard needs index.engine = "xapian" (shards are served by Xapian)')
    if given is not None and serving is not None and given != serving:
        raise ConfigError(
            f"--shard {given}: this index is shard {serving}; rebuild it to change its shard"
        )
    return given or serving
