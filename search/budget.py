"""A search's time budget: the expensive steps check it between pieces of work and stop
early once it is spent, so the answer comes with what was found, marked as cut short."""

from __future__ import annotations

import math
import time


class Budget:
    def __init__(self, seconds: float | None = None) -> None:
        self.deadline = time.monotonic() + seconds if seconds else math.inf
        self.spent = False

    def exhausted(self) -> bool:
        """Whether the time is up (and from then on, always)."""
        if not self.spent and time.monotonic() > self.deadline:
            self.spent = True
        return self.spent


UNLIMITED = Budget()
