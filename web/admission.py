"""Admission: a process works on no more searches at once than its CPU can serve; a few
more wait their turn for a bounded time; the rest are refused at once with a 503 and
``Retry-After``, so overload is answered in milliseconds instead of queued for seconds."""

from __future__ import annotations

import threading

RETRY_AFTER_SECONDS = 1


class Busy(Exception):
    """Refused: the process is working on all it can and its queue is full or slow."""


class Gate:
    def __init__(self, at_once: int, queue: int, max_wait_seconds: float) -> None:
        self.at_once = max(1, at_once)
        self.queue = queue
        self.max_wait = max_wait_seconds
        self._slots = threading.BoundedSemaphore(self.at_once)
        self._lock = threading.Lock()
        self._waiting = 0

    def enter(self) -> None:
        """Take a place or raise Busy; every successful ``enter`` needs one ``leave``."""
        if self._slots.acquire(blocking=False):
            return
        with self._lock:
            if self._waiting >= self.queue:
                raise Busy(f"{self.at_once} searches running and {self._waiting} waiting")
            self._waiting += 1
        try:
            admitted = self._slots.acquire(timeout=self.max_wait)
        finally:
            with self._lock:
                self._waiting -= 1
        if not admitted:
            raise Busy(f"no search finished within {self.max_wait:g} s")

    def leave(self) -> None:
        self._slots.release()
