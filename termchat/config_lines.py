"""Change one top-level setting of a TOML file by editing its line, keeping the rest as written.

tomli-w writes a document from scratch: the user's comments, order and spacing would go. A
setting the app changes on its own (the theme) is a top-level `key = value` line, so only that
line is replaced (its trailing comment kept), added before the first table, or removed. The
caller checks the result parses to the document it meant to write.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

_TABLE_HEADER = re.compile(r"\s*\[")


def edit_top_level(text: str, updates: dict[str, Any]) -> str | None:
    """`text` with each top-level key of `updates` set (None: removed); None if it cannot be
    done line by line (a nested value, a multi-line value, a key written twice)."""
    import tomli_w

    lines = text.splitlines(keepends=True)
    for key, value in updates.items():
        if isinstance(value, dict) or not re.fullmatch(r"[A-Za-z0-9_-]+", key):
            return None
        end = next((i for i, line in enumerate(lines) if _TABLE_HEADER.match(line)), len(lines))
        found = [i for i in range(end) if _assigns(lines[i], key)]
        if len(found) > 1:
            return None
        new = None if value is None else tomli_w.dumps({key: value}).rstrip("\n")
        if found:
            index = found[0]
            comment = _trailing_comment(lines[index], key)
            if comment is None:
                return None  # the value goes on over more lines
            newline = "\n" if lines[index].endswith("\n") else ""
            if new is None:
                del lines[index]
            else:
                lines[index] = new + comment + newline
        elif new is not None:
            if end > 0 and not lines[end - 1].endswith("\n"):
                lines[end - 1] += "\n"
            lines.insert(end, new + "\n")
    return "".join(lines)


def _assigns(line: str, key: str) -> bool:
    return re.match(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=", line) is not None


def _trailing_comment(line: str, key: str) -> str | None:
    """The ` # comment` after the value on `line` ("" if none); None if the value is not whole."""
    body = line.rstrip("\r\n")
    for cut in [i for i, c in enumerate(body) if c == "#"] + [len(body)]:
        try:
            parsed = tomllib.loads(body[:cut])
        except tomllib.TOMLDecodeError:
            continue
        if key in parsed:
            rest = body[cut:]
            spaces = body[:cut][len(body[:cut].rstrip()) :]
            return spaces + rest if rest else ""
    return None
