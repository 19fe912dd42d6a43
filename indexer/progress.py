"""What a long build is doing, never silent for more than ``LOG_INTERVAL_SECONDS``: a live
bar on a terminal or a line every few seconds in a log while documents are indexed, and
for every other step its name, a line while it runs and its time when it ends."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

LOG_INTERVAL_SECONDS = 10.0
# Under this, a step's end is not worth a line of its own.
_QUIET_SECONDS = 1.0


class _Ticker:
    """Calls ``tick`` every ``interval`` seconds on a daemon thread until stopped."""

    def __init__(self, tick: Callable[[], None], interval: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(tick, interval), daemon=True)
        self._thread.start()

    def _run(self, tick: Callable[[], None], interval: float) -> None:
        while not self._stop.wait(interval):
            tick()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def phase(name: str, stream: TextIO | None = None) -> Iterator[None]:
    """Say that step ``name`` starts, that it is still running every interval, and how long
    it took (when that is worth saying)."""
    stream = stream or sys.stderr
    started = time.monotonic()
    print(f"{name} …", file=stream, flush=True)

    def still() -> None:
        print(f"{name}: still working, {time.monotonic() - started:.0f} s", file=stream, flush=True)

    ticker = _Ticker(still, LOG_INTERVAL_SECONDS)
    try:
        yield
    finally:
        ticker.stop()
    elapsed = time.monotonic() - started
    if elapsed >= _QUIET_SECONDS:
        print(f"{name}: done in {elapsed:.0f} s", file=stream, flush=True)


class Progress:
    """Documents done out of an estimate: a bar on a terminal, else a line every interval
    (whether or not a document was done since: loading models can take a while)."""

    def __init__(self, total: int, description: str, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._bar = None
        if self.stream.isatty():
            self._bar = tqdm(
                total=total, desc=description, unit=" docs", file=self.stream, smoothing=0.05
            )
        self._ticker = _Ticker(self._tick, LOG_INTERVAL_SECONDS)

    def advance(self, docs: int) -> None:
        with self._lock:
            self.done += docs
            if self._bar is not None:
                self._bar.update(docs)

    def close(self) -> None:
        self._ticker.stop()
        if self._bar is not None:
            self._bar.close()

    def _tick(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.refresh()  # the elapsed time moves even while nothing is done
            else:
                print(self._line(time.monotonic()), file=self.stream, flush=True)

    def _line(self, now: float) -> str:
        elapsed = now - self.started
        if not self.done:
            return f"0/{self.total:,} documents, {elapsed:.0f} s (starting the workers)"
        rate = self.done / elapsed
        remaining = max(self.total - self.done, 0)
        return (
            f"{self.done:,}/{self.total:,} documents, {rate:,.0f} docs/s,"
            f" ETA {remaining / rate:.0f} s"
        )
