"""A map from offsets in normalised text back to offsets in the original text."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass
class OffsetMap:
    """Spans where normalisation changed the length; everything else shifts by a constant.

    Each entry is (norm_start, norm_end, orig_start, orig_end) for one changed chunk, in
    order. Most text has none, so the map costs nothing when it is not needed.
    """

    chunks: list[tuple[int, int, int, int]] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)

    def add(self, norm_start: int, norm_end: int, orig_start: int, orig_end: int) -> None:
        self.chunks.append((norm_start, norm_end, orig_start, orig_end))
        self._starts.append(norm_start)

    def start(self, i: int) -> int:
        """Original offset of the character at normalised offset ``i``."""
        k = bisect_right(self._starts, i) - 1
        if k < 0:
            return i
        ns, ne, os_, oe = self.chunks[k]
        return os_ if i < ne else oe + (i - ne)

    def end(self, i: int) -> int:
        """Original offset of the end boundary at normalised offset ``i`` (exclusive end)."""
        k = bisect_right(self._starts, i - 1) - 1
        if k < 0:
            return i
        ns, ne, os_, oe = self.chunks[k]
        return oe if i <= ne else oe + (i - ne)
