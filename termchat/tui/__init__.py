"""The Textual app: a view over the headless engine (see docs/ARCHITECTURE.md, "TUI")."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: nothing is imported before the GC is paused
if TYPE_CHECKING:
    from termchat.tui.app import TermchatApp


def app_class() -> type[TermchatApp]:
    """`TermchatApp`, imported as `termchat` starts it: under the start-up GC policy
    (termchat.perf), which the app then carries on until it closes."""
    from termchat import perf

    perf.pause_for_startup()
    from termchat.tui.app import TermchatApp

    perf.imports_done()
    return TermchatApp
