"""The store read directly and read-only by the fast paths of `list` and `search` (no store, config or argparse)."""

from __future__ import annotations

import os
import sys

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
        sqlite3 = _sqlite_c_module()
    except ImportError:
        import sqlite3  # the same API, with adapters
    return sqlite3


def _sqlite_c_module() -> Any:
    """`_sqlite3`, imported without importing functools if nothing has imported it yet.

    The C module takes `functools.lru_cache` as it is imported (each connection's statement
    cache is one), and functools with what it imports (collections, operator, reprlib, keyword)
    is most of the cost of that import on `list` and `search`. During the import `functools` is
    a stand-in whose `lru_cache` is `_statement_cache`, then the real module is importable again."""
    if "_sqlite3" in sys.modules or "functools" in sys.modules:
        import _sqlite3

        return _sqlite3
    stand_in = type(sys)("functools")
    stand_in.lru_cache = _statement_cache  # type: ignore[attr-defined]  # a module made here
    sys.modules["functools"] = stand_in
    try:
        import _sqlite3
    except ImportError:
        raise
    except Exception:  # a Python whose module wants more of functools: the usual import
        del sys.modules["functools"]
        import _sqlite3
    finally:
        if sys.modules.get("functools") is stand_in:
            del sys.modules["functools"]
    return _sqlite3


def _statement_cache(maxsize: int | None = 128, typed: bool = False) -> Callable[[Any], Any]:
    """`functools.lru_cache` as `_sqlite3` calls it for a connection's statement cache: none
    for `cached_statements=0` (what `read` opens: a fast path runs a statement or two), the real
    one for any other size."""
    if maxsize == 0:
        return _uncached
    import functools

    return functools.lru_cache(maxsize, typed)


def _uncached(connection: Any) -> Any:
    return connection  # `cache(sql)` is then `connection(sql)`: a new statement each time


def read(path: str, query: Callable[[Any], T], *, timeout: float) -> T | None:
    """`query(db)` on the store at `path`, opened read-only; None if another termchat's schema
    is there. A locked file is waited on up to `timeout` seconds; SQLite errors are raised."""
    db = sqlite_module().connect(f"file:{path}?mode=ro", uri=True, timeout=timeout, cached_statements=0)
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            return None
        return query(db)
    finally:
        db.close()
