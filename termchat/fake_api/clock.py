"""Clocks for the fake API.

Background responses progress through ``queued -> in_progress -> completed`` by
comparing their timeline with ``clock.now()``. Tests use :class:`FakeClock`
and move time explicitly with :meth:`FakeClock.advance`; manual and demo runs
use :class:`RealClock` (wall time).

Both clocks offer ``wait_until(deadline, stop)`` used by streaming handlers:
it blocks until the clock reaches ``deadline`` (returns True) or ``stop`` is
set / a short poll interval passes (returns False), so callers loop on it.
"""

from __future__ import annotations

import threading
import time


class FakeClock:
    """A manual clock. ``now()`` only changes when a test calls ``advance()``.

    The default start (1_760_000_000 = 2025-10-09) gives plausible
    ``created_at`` values. ``advance`` wakes every stream waiting on the clock.
    """

    def __init__(self, start: float = 1_760_000_000.0) -> None:
        self._now = float(start)
        self._cond = threading.Condition()

    def now(self) -> float:
        with self._cond:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError("a FakeClock cannot go backwards")
        with self._cond:
            self._now += seconds
            self._cond.notify_all()
            return self._now

    def set(self, when: float) -> None:
        """Jump to an absolute time (must not be in the past)."""
        with self._cond:
            if when < self._now:
                raise ValueError("a FakeClock cannot go backwards")
            self._now = float(when)
            self._cond.notify_all()

    def wait_until(self, deadline: float, poll: float = 0.05) -> bool:
        """Block up to ``poll`` real seconds for the clock to reach ``deadline``."""
        with self._cond:
            if self._now >= deadline:
                return True
            self._cond.wait(poll)
            return self._now >= deadline

    def sleep(self, seconds: float) -> None:
        """Per-delta delays are real time even with a fake clock (they pace the wire)."""
        if seconds > 0:
            time.sleep(seconds)

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now!r})"


class RealClock:
    """Wall-clock time (``time.time()``)."""

    def now(self) -> float:
        return time.time()

    def advance(self, seconds: float) -> float:  # pragma: no cover - misuse guard
        raise TypeError("RealClock cannot be advanced; use FakeClock in tests")

    def wait_until(self, deadline: float, poll: float = 0.05) -> bool:
        remaining = deadline - time.time()
        if remaining <= 0:
            return True
        time.sleep(min(poll, remaining))
        return time.time() >= deadline

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def __repr__(self) -> str:
        return "RealClock()"
