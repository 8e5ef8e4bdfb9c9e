"""An app that records, once its first frame has been painted (`Ready`), what that frame held:
for the tests of what the first frame shows (tests/test_tui_first_frame.py, test_tui_open_at_start.py)."""

from __future__ import annotations

from typing import Any

from termchat.tui.app import LATER_CSS, TermchatApp


class FirstFrameApp(TermchatApp):
    """`at_ready` is what `first_frame()` (each test module's own) read when `Ready` came."""

    CSS_PATH = str(LATER_CSS.parent / TermchatApp.CSS_PATH)  # relative paths resolve against this file
    at_ready: dict[str, Any] | None = None

    def first_frame(self) -> dict[str, Any]:
        raise NotImplementedError

    def on_ready(self) -> None:
        super().on_ready()
        if self.at_ready is None:
            self.at_ready = self.first_frame()
