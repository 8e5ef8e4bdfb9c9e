"""The database file itself: is it ours, is it still there, who holds its lock, what went wrong.

SQLite reports trouble in its own words ("database is locked", "attempt to write a readonly
database", "unable to open database file") and, on a full disk, a failed rollback can even hide
the real error. Here each is turned into one line that says what is wrong and what to do, and
suggests moving the file aside only when the file itself is damaged.

A store also notices when its file is renamed, replaced or overwritten while termchat runs: it
then stops writing (a reply would otherwise go into the orphaned file) and, if the file was
overwritten in place, keeps SQLite's closing checkpoint from writing into (and truncating) it.
"""

from __future__ import annotations

import os
import sqlite3
import struct
import sys
from pathlib import Path

from termchat.errors import StoreError

SQLITE_MAGIC = b"SQLite format 3\x00"
PENDING_BYTE = 0x40000000  # SQLite's lock bytes on the database file (os_unix.c)
SHARED_FIRST = PENDING_BYTE + 2
SHARED_SIZE = 510
WAL_WRITE_LOCK = 120  # the WAL writer's lock byte in the -shm file
DAMAGED_HINT = "it was left untouched; restore a backup, or move it aside to start a fresh store"


_descriptors: dict[tuple[int, int], int] = {}


def _descriptor(path: Path) -> int | None:
    """A read-only descriptor on the file at `path`, kept open for the life of the process.

    Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
    included (its connections in other threads would then write unlocked); so a descriptor
    opened here is never closed, and the file is never opened twice.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    fd = _descriptors.get((st.st_dev, st.st_ino))
    if fd is None:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        opened = os.fstat(fd)
        _descriptors[(opened.st_dev, opened.st_ino)] = fd
    return fd


def header_ok(path: Path) -> bool | None:
    """Whether the file starts like an SQLite database; None if it is missing or empty."""
    fd = _descriptor(path)
    if fd is None:
        return None if not path.exists() else True  # unreadable: the permission check says why
    try:
        head = os.pread(fd, len(SQLITE_MAGIC), 0)
    except OSError:
        return True
    return None if not head else head == SQLITE_MAGIC


def check_before_open(path: Path) -> None:
    """Refuse, with one line, a store termchat must not hand to SQLite."""
    directory = path.parent
    if path.exists() and not path.is_file():
        raise StoreError(f"the database {path} is not a regular file", hint="point TERMCHAT_DATA_DIR elsewhere")
    if header_ok(path) is False:
        raise StoreError(
            f"the database {path} is damaged or not a termchat database (its header is wrong)", hint=DAMAGED_HINT
        )
    if directory.is_dir() and not os.access(directory, os.W_OK | os.X_OK):
        raise StoreError(
            f"the data directory {directory} is read-only: termchat cannot write its database there",
            hint="make it writable, or set TERMCHAT_DATA_DIR",
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(f"the database {path} is not readable and writable by you", hint="check its permissions")


def identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def still_ours(path: Path, known: tuple[int, int] | None) -> str | None:
    """None if `path` is still the file we opened; else what happened to it, in a few words."""
    now = identity(path)
    if now is None:
        return "was moved or deleted"
    if known is not None and now != known:
        return "was replaced by another file"
    if header_ok(path) is False:
        return "was overwritten"
    return None


def hold_off_checkpoint(path: Path) -> int | None:
    """Keep SQLite's closing checkpoint off `path` (overwritten in place: it would write our
    pages into it and truncate it). An OFD read lock on SQLite's shared range conflicts even
    with this process's own locks, so `close()` cannot get the exclusive lock it needs.
    Returns the descriptor to pass to `release_checkpoint` after closing, or None where OFD
    locks do not exist."""
    import fcntl

    command = getattr(fcntl, "F_OFD_SETLK", None)
    layout = _FLOCK_LAYOUT.get(sys.platform)
    fd = _descriptor(path)
    if command is None or layout is None or fd is None:
        return None
    try:
        fcntl.fcntl(fd, command, _flock(layout, fcntl.F_RDLCK, SHARED_FIRST, SHARED_SIZE))
    except OSError:
        return None
    return fd


def release_checkpoint(fd: int) -> None:
    import fcntl

    try:
        fcntl.fcntl(
            fd, fcntl.F_OFD_SETLK, _flock(_FLOCK_LAYOUT[sys.platform], fcntl.F_UNLCK, SHARED_FIRST, SHARED_SIZE)
        )
    except (OSError, AttributeError, KeyError):
        pass


_FLOCK_LAYOUT = {"linux": "hhqqi4x"}  # struct flock: type, whence, start, len, pid


def _flock(layout: str, kind: int, start: int, length: int) -> bytes:
    return struct.pack(layout, kind, os.SEEK_SET, start, length, 0)


def flock_bytes(kind: int, start: int, length: int) -> bytes | None:
    """A `struct flock` for fcntl on this platform (None where its layout is not known here)."""
    layout = _FLOCK_LAYOUT.get(sys.platform)
    return _flock(layout, kind, start, length) if layout else None


def lock_holder(path: Path) -> int | None:
    """The pid of a process that holds a write lock on the store (another termchat, a sqlite3
    shell...), or None if it cannot be told. Locks held by this process are not reported."""
    import fcntl

    layout = _FLOCK_LAYOUT.get(sys.platform)
    if layout is None:
        return None
    for file, start, length in ((path, PENDING_BYTE, 2 + SHARED_SIZE), (Path(f"{path}-shm"), WAL_WRITE_LOCK, 1)):
        fd = _descriptor(file)
        if fd is None:
            continue
        try:
            # "Could I take a read lock?": answered with the holder of a conflicting write lock.
            answer = fcntl.fcntl(fd, fcntl.F_GETLK, _flock(layout, fcntl.F_RDLCK, start, length))
            kind, _, _, _, pid = struct.unpack(layout, answer)
        except OSError:
            continue
        if kind != fcntl.F_UNLCK and pid > 0:
            return pid
    return None


def store_error(path: Path, exc: sqlite3.Error, action: str) -> StoreError:
    """One line for an SQLite error while `action`-ing ("read", "write to", "open") the store."""
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        holder = lock_holder(path)
        who = f"process {holder}" if holder else "another process"
        return StoreError(
            f"the database {path} is locked by {who}", hint="try again once it has finished; the store itself is fine"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(
            f"cannot {action} {path}: the database or its directory is read-only",
            hint="check the permissions of the file and its directory",
        )
    if "disk is full" in lowered or "disk full" in lowered:
        return StoreError(
            f"cannot {action} {path}: the disk is full (database or disk is full)",
            hint="free some space and try again; what was saved before is kept",
        )
    if "disk i/o" in lowered:
        return StoreError(f"cannot {action} {path}: disk I/O error", hint="check the disk")
    if "not a database" in lowered or "malformed" in lowered:
        return StoreError(f"the database {path} is unreadable ({text})", hint=DAMAGED_HINT)
    return StoreError(f"cannot {action} {path}: {text}")
