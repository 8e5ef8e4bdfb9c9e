"""The Textual app: a view over the headless engine (see ARCHITECTURE.md, "TUI").

Start-up (importing Textual and the app, building the first frame) creates long-lived objects
only, so the cyclic collector is paused meanwhile: its ~100 young-generation collections would
cost ~5-8 ms of a ~150 ms start. `app_class()` pauses it before the imports; the app resumes it
once its first frame is painted (or when it closes before that).
"""

from __future__ import annotations

import gc

_paused = False


def pause_gc() -> None:
    """Pause the cyclic GC until `resume_gc()` (a no-op if it is off already)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_gc() -> None:
    """Undo `pause_gc()`; never turns on a collector that someone else turned off."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()


def app_class() -> type:
    """`TermchatApp`, imported with the collector paused (see above)."""
    pause_gc()
    from termchat.tui.app import TermchatApp

    return TermchatApp
