"""Copying and saving what the app shows: whether the terminal takes a copy, and where a file goes.

A terminal app copies by writing OSC 52; the terminal never answers, so nothing tells termchat
whether the text arrived. These are the terminals known to take it (or known not to) by the
environment they set; for the others termchat says it cannot tell and offers a file instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# TERM_PROGRAM values, TERM prefixes and variables of terminals that take OSC 52 by default.
_TAKES_PROGRAMS = {"iTerm.app", "WezTerm", "ghostty", "vscode", "Tabby", "rio"}
_TAKES_TERMS = ("xterm-kitty", "alacritty", "foot", "xterm-ghostty", "wezterm", "contour")
_TAKES_VARIABLES = ("KITTY_WINDOW_ID", "WEZTERM_PANE", "WT_SESSION", "GHOSTTY_RESOURCES_DIR")
# ... and of terminals that ignore it (GNOME Terminal and other VTE ones, Konsole, Apple's).
_IGNORES_PROGRAMS = {"Apple_Terminal"}
_IGNORES_VARIABLES = ("VTE_VERSION", "KONSOLE_VERSION")


def terminal_takes_copies(env: Mapping[str, str] | None = None) -> bool | None:
    """True: the terminal takes OSC 52 copies; False: it ignores them; None: cannot tell.

    Inside tmux or screen the outer terminal decides, so those count as "cannot tell" unless
    the outer terminal is known from the variables it passed in.
    """
    env = os.environ if env is None else env
    program = env.get("TERM_PROGRAM", "")
    term = env.get("TERM", "")
    if program in _IGNORES_PROGRAMS or any(env.get(v) for v in _IGNORES_VARIABLES):
        return False
    if program in _TAKES_PROGRAMS or term.startswith(_TAKES_TERMS) or any(env.get(v) for v in _TAKES_VARIABLES):
        return True
    return None


def export_name(title: str, fallback: str) -> str:
    """A file name for a chat's export: `./shell-one-liners.md` from "Shell one-liners"."""
    stem = re.sub(r"[^\w]+", "-", title.lower(), flags=re.UNICODE).strip("-_")[:60].rstrip("-_")
    return f"./{stem or fallback}.md"


def write_new_file(path: Path, text: str) -> None:
    """Write `text` to a new file only the user can read (0600); never over an existing one
    (FileExistsError)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def copy_or_offer_file(screen: Any, text: str, what: str, file_name: str) -> None:
    """Copy `text` from `screen`; say "copied" only where the terminal takes copies, else say
    why it may not have and offer to save `what` to `file_name` instead."""
    screen.app.copy_to_clipboard(text)
    takes = terminal_takes_copies()
    if takes:
        screen.notify(f"copied {what} ({len(text):,} characters)", markup=False)
        return
    why = (
        "This terminal does not take copies from apps (OSC 52)"
        if takes is False
        else "termchat cannot tell whether this terminal takes copies from apps (OSC 52)"
    )
    save_to_file(
        screen, f"Save {what} to a file", file_name, lambda: text, what, note=f"{why}: it may not be on the clipboard."
    )


def save_to_file(screen: Any, question: str, default: str, text: Callable[[], str], what: str, note: str = "") -> None:
    """Ask for a file name (prefilled with `default`), then write `text()` to that new file."""
    from termchat.tui.screens.dialogs import TextPrompt

    def chosen(name: str | None) -> None:
        if not name or not name.strip():
            return
        path = Path(name.strip()).expanduser()
        try:
            write_new_file(path, text())
        except FileExistsError:
            screen.notify(
                f"{path} exists: not overwritten (save again under another name)",
                severity="error",
                markup=False,
                timeout=8,
            )
        except OSError as exc:
            screen.notify(
                f"not saved: {path}: {exc.strerror or type(exc).__name__}", severity="error", markup=False, timeout=8
            )
        else:
            screen.notify(f"saved {what} to {path.resolve()}", markup=False, timeout=8)

    screen.app.push_screen(TextPrompt(question, default, note=note), chosen)
