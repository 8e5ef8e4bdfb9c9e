"""One turn at a time in a chain-mode chat, across termchat processes.

In `chain` mode each turn continues from the chat's last response id. Two processes sending
to one chat at once would both continue from the same response, and each later turn would
follow only one of the two branches: the other prompt and its reply drop out of the context
the model sees. So a chain turn holds an exclusive lock from reading the last response id until
it has stored the new one; a second process waits its turn.

The lock is one byte (at the chat's row number) of `termchat.db.turns` next to the database,
taken as an open-file-description lock where the system has them (Linux): each lock has its
own descriptor, so two sessions of one process exclude each other too, and closing it releases
only that lock. Elsewhere the whole file is locked with flock (every chain turn then waits for
any other).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from termchat.errors import ApiError

LOCK_FILE = "termchat.db.turns"
POLL = 0.1  # seconds between tries while another process holds the lock


class ChatLock:
    def __init__(self, data_dir: Path, chat_pk: int) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self.chat_pk = chat_pk
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False if another turn of this chat holds it."""
        try:
            import fcntl
        except ImportError:  # no locks on this platform: turns are not serialized
            return True
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            from termchat.store_file import flock_bytes

            ofd = getattr(fcntl, "F_OFD_SETLK", None)
            lock = flock_bytes(fcntl.F_WRLCK, self.chat_pk, 1) if ofd is not None else None
            if ofd is not None and lock is not None:
                fcntl.fcntl(fd, ofd, lock)
            else:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held elsewhere (EAGAIN, EACCES, EWOULDBLOCK)
            os.close(fd)
            return False
        self._fd = fd
        return True

    def acquire(self, stop: threading.Event | None = None) -> None:
        """Wait for the lock; a set `stop` ends the wait with an ApiError."""
        stop = stop or threading.Event()
        while not self.try_acquire():
            if stop.wait(POLL):
                raise ApiError("stopped by the user while waiting for the other turn")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases its lock
            self._fd = None
