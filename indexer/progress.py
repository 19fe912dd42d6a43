"""Progress of a long build: a live bar on a terminal, a line every few seconds in a log."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

LOG_INTERVAL_SECONDS = 10.0


class Progress:
    def __init__(self, total: int, description: str, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self._last_line = self.started
        self._bar = None
        if self.stream.isatty():
            self._bar = tqdm(
                total=total, desc=description, unit=" docs", file=self.stream, smoothing=0.05
            )

    def advance(self, docs: int) -> None:
        self.done += docs
        if self._bar is not None:
            self._bar.update(docs)
            return
        now = time.monotonic()
        if now - self._last_line >= LOG_INTERVAL_SECONDS:
            self._last_line = now
            print(self._line(now), file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def _line(self, now: float) -> str:
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        remaining = max(self.total - self.done, 0)
        eta = f"{remaining / rate:.0f} s" if rate > 0 else "unknown"
        return f"{self.done:,}/{self.total:,} documents, {rate:,.0f} docs/s, ETA {eta}"
