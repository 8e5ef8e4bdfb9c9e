"""Ctrl+E: compose the prompt in `$VISUAL` / `$EDITOR`, the way `git commit` does.

The app is suspended while the editor runs on a private temporary file (0600, removed after),
which starts with the prompt's text; what the file holds when the editor exits with status 0
becomes the prompt. Any other ending leaves the prompt as it was and says why.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from contextlib import ExitStack
from typing import Any, NamedTuple

FALLBACK_EDITOR = "vi"


class Composed(NamedTuple):
    text: str | None  # the new prompt text, or None: keep the prompt as it was
    problem: str = ""  # why not, in one line


def editor_command() -> list[str]:
    """The editor to run, from $VISUAL, then $EDITOR, then vi (a value may carry arguments)."""
    value = os.environ.get("VISUAL") or os.environ.get("EDITOR") or FALLBACK_EDITOR
    try:
        return shlex.split(value) or [FALLBACK_EDITOR]
    except ValueError:  # an unbalanced quote: take the value as one program name
        return [value]


def compose(app: Any, text: str) -> Composed:
    """Run the editor on `text` with `app` suspended (not possible headless: then just run it)."""
    from textual.app import SuspendNotSupported

    fd, path = tempfile.mkstemp(prefix="termchat-prompt-", suffix=".md")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        command = [*editor_command(), path]
        with ExitStack() as stack:
            try:
                stack.enter_context(app.suspend())
            except SuspendNotSupported:
                pass  # no terminal to hand over (tests, a web terminal): run it as it is
            try:
                status = subprocess.call(command)
            except OSError as exc:
                return Composed(None, f"cannot run the editor {command[0]!r}: {exc.strerror or exc} (set $EDITOR)")
        if status != 0:
            return Composed(None, f"the editor exited with status {status}; the prompt is unchanged")
        with open(path, encoding="utf-8", errors="replace") as handle:
            edited = handle.read()
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    # Editors end a file with a newline; the prompt does not want it.
    return Composed(edited[:-1] if edited.endswith("\n") else edited)
