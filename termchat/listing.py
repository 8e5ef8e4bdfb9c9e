"""`termchat list`: its plain-text lines, and a fast path that reads the store directly.

`list` is what people run most to find an id, so its start-up is budgeted like `--help`: the
fast path parses its own few flags and reads SQLite read-only, importing neither argparse nor
the config, dataclasses or pathlib. Anything unusual (other flags, a store from another schema
version, an error) falls back to the full command, which reports problems properly.
"""

from __future__ import annotations

import sys
import time

from termchat.store_format import LISTED_SELECT, NEWEST_FIRST, conversation_json
from termchat.store_format import SCHEMA_VERSION as SCHEMA_VERSION  # what `list` reads

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
    """`id  age  mode  title` lines from (id, updated_at, mode, title or None); text made safe."""
    # Every field checked at once: `list` formats a line per chat on each run, and only a field
    # that is not plain printable text needs the sanitizer.
    if not "".join([cid + mode + (title or "") for cid, _, mode, title in rows]).isprintable():
        rows = [(_safe(cid), updated, _safe(mode), _safe(title or "")) for cid, updated, mode, title in rows]
    width = max([len(row[0]) for row in rows])
    return "".join(
        [
            f"{cid.ljust(width)}  {relative_time(updated, now).rjust(10)}  {mode.ljust(12)}  {title or ''}\n"
            for cid, updated, mode, title in rows
        ]
    )


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
    from termchat import store_fast_read

    path = store_fast_read.database_path()
    if path is None:
        if not store_fast_read.nothing_stored_yet():
            return None
        # Listing nothing writes nothing: the store is created by the first chat, not by a look.
        return _print([], as_json)
    sqlite3 = store_fast_read.sqlite_module()
    columns = LISTED_SELECT if as_json else "id, updated_at, mode, title"
    try:
        rows = store_fast_read.read(
            path,
            lambda db: db.execute(f"SELECT {columns} FROM conversations {NEWEST_FIRST} LIMIT ?", (limit,)).fetchall(),
            timeout=LOCK_WAIT,
        )
        if rows is None:
            return None
    except sqlite3.Error as exc:
        if "locked" not in str(exc):
            return None
        # Waiting again in the full command would double the wait: say who holds it now.
        from pathlib import Path

        from termchat.output import say
        from termchat.store_file import store_error

        say(store_error(Path(path), exc, "read").one_line(), level="error")
        return 1
    return _print(rows, as_json)


def _print(rows: list[tuple], as_json: bool) -> int:
    """Write the rows (or that there are none) as `list` prints them."""
    if as_json:
        from termchat.sanitize import safe_json

        sys.stdout.write(safe_json([conversation_json(*row) for row in rows], indent=2) + "\n")
    elif rows:
        sys.stdout.write(plain_lines(rows, time.time()))
    else:
        from termchat.output import say

        say(EMPTY)
    return 0
