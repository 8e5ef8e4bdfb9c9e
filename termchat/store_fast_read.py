"""The store read directly and read-only by the fast paths of `list` and `search` (no store, config or argparse)."""

from __future__ import annotations

import os

from termchat.store_format import SCHEMA_VERSION

TYPE_CHECKING = False  # `typing` is a start-up cost; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")


def database_path() -> str | None:
    """The store's file if there is one; None when there is none or platformdirs fails (the
    full command then explains)."""
    from termchat.paths import data_dir_name

    try:
        path = os.path.join(data_dir_name(), "termchat.db")
    except Exception:  # platformdirs trouble: let the full command explain
        return None
    return path if os.path.exists(path) else None


def nothing_stored_yet() -> bool:
    """Whether no store exists yet, where the first chat could make one: no data dir (under a
    directory this user can write), or a usable directory without the store or its journals.
    Anything else (a file where the dir should be, a dangling link, a directory this user cannot
    write, platformdirs trouble) is False: the full command explains it."""
    from termchat.paths import data_dir_name

    try:
        data_dir = os.path.abspath(data_dir_name())
    except Exception:
        return False
    path = os.path.join(data_dir, "termchat.db")
    if any(os.path.lexists(path + suffix) for suffix in ("", "-wal", "-journal")):
        return False
    existing = data_dir
    while not os.path.lexists(existing):  # the directory the data dir would be made in
        parent = os.path.dirname(existing)
        if parent == existing:
            return False
        existing = parent
    return os.path.isdir(existing) and os.access(existing, os.R_OK | os.W_OK | os.X_OK)


def sqlite_module() -> Any:
    """The C module alone: `sqlite3` adds date/time adapters (and imports datetime) that a read
    of strings and numbers never uses; `sqlite3` itself where the C module is not there."""
    try:
        import _sqlite3 as sqlite3
    except ImportError:
        import sqlite3  # type: ignore[no-redef]  # the same API, with adapters
    return sqlite3


def read(path: str, query: Callable[[Any], T], *, timeout: float) -> T | None:
    """`query(db)` on the store at `path`, opened read-only; None if another termchat's schema
    is there. A locked file is waited on up to `timeout` seconds; SQLite errors are raised."""
    db = sqlite_module().connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            return None
        return query(db)
    finally:
        db.close()
