"""Saving a reply while it streams: what the user has seen is in the store, even in a stall.

Saving on every delta would cost a write per token, so the reply is saved at most every
`every` seconds, from the reader's thread as deltas arrive. But a stream can stall right after
a delta that fell inside that interval: the screen then shows text the store does not have for
as long as the stall lasts (a crash then loses it). So a timer also saves the text `every`
seconds after a change that no save has covered yet, from its own thread and over its own
store connection (the reader's connection may be inside a write at that moment).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class ReplySaver:
    def __init__(self, store: Any, reply_id: int, text: list[str], every: float, open_store: Callable[[], Any]) -> None:
        self._store = store
        self._reply_id = reply_id
        self._text = text
        self._every = every
        self._open_store = open_store  # a second connection, for the timer's thread
        self._own_store: Any = None
        self._lock = threading.Lock()
        self._last = time.monotonic()
        self._dirty = False
        self._closed = False
        self._timer: threading.Timer | None = None

    def changed(self) -> bool:
        """The text grew (and was shown); returns whether it was saved now."""
        with self._lock:
            self._dirty = True
            if time.monotonic() - self._last >= self._every:
                self._save(self._store)
                return True
            if self._timer is None and not self._closed:
                self._timer = threading.Timer(self._every - (time.monotonic() - self._last), self._on_timer)
                self._timer.daemon = True
                self._timer.start()
            return False

    def _on_timer(self) -> None:
        from termchat.errors import TermchatError

        with self._lock:
            self._timer = None
            if self._closed or not self._dirty:
                return
            try:
                if self._own_store is None:
                    self._own_store = self._open_store()
                self._save(self._own_store)
            except TermchatError:
                pass  # the reader's next save (or the end of the turn) reports a failing store

    def _save(self, store: Any) -> None:
        store.update_message(self._reply_id, content="".join(self._text))
        self._dirty = False
        self._last = time.monotonic()

    def close(self) -> None:
        """No more saves from here on (the turn's end writes the final state itself)."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            own, self._own_store = self._own_store, None
        if own is not None:
            own.close()
