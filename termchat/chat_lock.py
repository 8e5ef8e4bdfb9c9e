"""One turn at a time in a chain-mode chat, across termchat processes.

In `chain` mode each turn continues from the chat's last response id. Two processes sending
to one chat at once would both continue from the same response, and each later turn would
follow only one of the two branches: the other prompt and its reply drop out of the context
the model sees. So a chain turn holds an exclusive lock on a small per-chat file from reading
the last response id until it has stored the new one; a second process waits its turn.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from termchat.errors import ApiError

POLL = 0.1  # seconds between tries while another process holds the lock


class ChatLock:
    """An advisory lock (flock) on `<data dir>/locks/chat-<pk>.lock`."""

    def __init__(self, data_dir: Path, chat_pk: int) -> None:
        self.path = Path(data_dir) / "locks" / f"chat-{chat_pk}.lock"
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False if another process (or session) holds it."""
        try:
            import fcntl
        except ImportError:  # no flock on this platform: turns are not serialized
            return True
        if self._fd is None:
            from termchat.paths import ensure_private_dir

            ensure_private_dir(self.path.parent)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def acquire(self, stop: threading.Event | None = None) -> None:
        """Wait for the lock; a set `stop` ends the wait with an ApiError."""
        stop = stop or threading.Event()
        while not self.try_acquire():
            if stop.wait(POLL):
                raise ApiError("stopped by the user while waiting for the other turn")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None
