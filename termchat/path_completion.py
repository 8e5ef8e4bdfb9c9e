"""Completing a file path as the user types it (the app's attach dialog and `@path` in the prompt).

No Textual here: `completions` lists what a typed fragment can become, `complete` extends the
fragment as far as every candidate agrees (as a shell's Tab does).
"""

from __future__ import annotations

import os

MAX_CANDIDATES = 200  # a huge directory is not listed whole on every key


def completions(fragment: str, cwd: str | None = None) -> list[str]:
    """What `fragment` can become, sorted; a directory ends in "/" (hidden files only when
    the typed name starts with "."). `~` is expanded in what is looked up, kept in the result."""
    head, name = os.path.split(fragment)
    lookup = os.path.expanduser(head) if head else "."
    if cwd is not None and not os.path.isabs(lookup):
        lookup = os.path.join(cwd, lookup)
    try:
        entries = os.scandir(lookup)
    except OSError:
        return []
    out: list[str] = []
    with entries:
        for entry in entries:
            if not entry.name.startswith(name) or (entry.name.startswith(".") and not name.startswith(".")):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            out.append(os.path.join(head, entry.name) + ("/" if is_dir else ""))
            if len(out) >= MAX_CANDIDATES:
                break
    return sorted(out)


def complete(fragment: str, cwd: str | None = None) -> str:
    """`fragment` extended as far as all its completions agree (itself when none do)."""
    found = completions(fragment, cwd)
    if not found:
        return fragment
    common = os.path.commonprefix(found)
    return common if len(common) > len(fragment) else fragment
