"""Whole answers of recent searches, per index generation: real traffic repeats a few
queries a lot. Bounded by an estimate of the memory the answers take; least recently used
first out; emptied when the serving generation changes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from .models import SearchResponse

# What an answer costs beyond its text: objects, dicts, facet lists.
_OVERHEAD_BYTES = 2_000


class AnswerCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._answers: OrderedDict[Hashable, tuple[SearchResponse, int]] = OrderedDict()
        self._bytes = 0
        self._generation: str | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, generation: str, key: Hashable) -> SearchResponse | None:
        with self._lock:
            found = self._answers.get(key) if generation == self._generation else None
            if found is None:
                self.misses += 1
                return None
            self._answers.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, generation: str, key: Hashable, response: SearchResponse) -> None:
        if self.max_bytes <= 0 or response.timed_out:
            return
        size = _size(response)
        if size > self.max_bytes // 4:
            return
        with self._lock:
            if generation != self._generation:
                self._answers.clear()
                self._bytes = 0
                self._generation = generation
            if key in self._answers:
                return
            self._answers[key] = (response, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._answers.popitem(last=False)
                self._bytes -= dropped


def _size(response: SearchResponse) -> int:
    """About the bytes an answer holds in memory (its strings count twice or four times
    over as Python str; the estimate errs on the large side)."""
    text = sum(
        len(hit.id) + len(hit.title) + len(hit.title_html) + len(hit.snippet_html) + 200
        for hit in response.results
    )
    facets = sum(len(value) + 60 for counts in response.facets.values() for value, _ in counts)
    return 4 * (text + facets + len(response.query)) + _OVERHEAD_BYTES
