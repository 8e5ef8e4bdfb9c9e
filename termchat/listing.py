"""`termchat list`: its plain-text lines, and a fast path that reads the store directly.

`list` is what people run most to find an id, so its start-up is budgeted like `--help`: the
fast path parses its own few flags and reads SQLite read-only, importing neither argparse nor
the config, dataclasses or pathlib. Anything unusual (other flags, a store from another schema
version, an error) falls back to the full command, which reports problems properly.
"""

from __future__ import annotations

import os
import sys
import time

from termchat.store_format import LISTED_SELECT, NEWEST_FIRST, SCHEMA_VERSION, conversation_json

LOCK_WAIT = 5.0  # seconds `list` waits for another process's lock (termchat.store.READ_WAIT)
EMPTY = "no chats yet; start one with `termchat` or `termchat -p TEXT`"


def relative_time(ts: float, now: float | None = None) -> str:
    """'just now', '5m ago', '3h ago', '2d ago', or a date for older things."""
    delta = max(0.0, (now or time.time()) - ts)
    if delta < 60:
        return "just now"
    if delta < 3600:
        return f"{int(delta // 60)}m ago"
    if delta < 86400:
        return f"{int(delta // 3600)}h ago"
    if delta < 86400 * 30:
        return f"{int(delta // 86400)}d ago"
    return time.strftime("%Y-%m-%d", time.localtime(ts))


def plain_lines(rows: list[tuple[str, float, str, str]], now: float) -> str:
    """`id  age  mode  title` lines from (id, updated_at, mode, title or None); titles made safe."""
    rows = [(_safe(cid), updated, _safe(mode), title) for cid, updated, mode, title in rows]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{cid:<{width}}  {relative_time(updated, now):>10}  {mode:<12}  {_safe(title or '')}"
                     for cid, updated, mode, title in rows) + "\n"


def _safe(title: str) -> str:
    # isprintable() is False for every control, format (bidi) and separator character but the
    # space, so the common case skips the sanitizer (and the cost of importing `re`).
    if title.isprintable():
        return title
    from termchat.sanitize import strip_control

    return strip_control(title, keep_newlines=False)


def fast_list(argv: list[str]) -> int | None:
    """Run `termchat list [--json] [--limit N]`; None means "use the full command instead"."""
    as_json, limit = False, -1
    args = list(argv)
    while args:
        flag = args.pop(0)
        if flag == "--json":
            as_json = True
        elif flag == "--limit" and args and args[0].isdigit() and int(args[0]) > 0:
            limit = int(args.pop(0))
        else:
            return None
    from termchat.paths import data_dir_name

    try:
        path = os.path.join(data_dir_name(), "termchat.db")
    except Exception:  # platformdirs trouble: let the full command explain
        return None
    if not os.path.exists(path):
        return None
    try:
        # The C module alone: `sqlite3` adds date/time adapters (and imports datetime) that a
        # read of strings and numbers never uses.
        import _sqlite3 as sqlite3
    except ImportError:
        import sqlite3  # type: ignore[no-redef]  # the same API, with adapters

    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=LOCK_WAIT)
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                return None
            columns = LISTED_SELECT if as_json else "id, updated_at, mode, title"
            rows = db.execute(f"SELECT {columns} FROM conversations {NEWEST_FIRST} LIMIT ?",
                              (limit,)).fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        if "locked" not in str(exc):
            return None
        # Waiting again in the full command would double the wait: say who holds it now.
        from pathlib import Path

        from termchat.output import say
        from termchat.store_file import store_error

        say(store_error(Path(path), exc, "read").one_line(), level="error")
        return 1
    if as_json:
        from termchat.sanitize import safe_json

        sys.stdout.write(safe_json([conversation_json(*row) for row in rows], indent=2) + "\n")
    elif rows:
        sys.stdout.write(plain_lines(rows, time.time()))
    else:
        from termchat.output import say

        say(EMPTY)
    return 0
