"""The prompt keeps every typed character when Enter follows them at once (fast typing, pastes)."""

from __future__ import annotations

import pytest
from textual import events

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


async def test_enter_right_after_typing_sends_everything(tui_context, tui_api):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # All keys reach the app in one burst, as a terminal delivers "What?\r" in one read.
        for char in "What?":
            app.post_message(events.Key(char, char))
        app.post_message(events.Key("enter", "\r"))
        for _ in range(1000):  # up to ~10 s on a loaded machine; ends as soon as it is sent
            await pilot.pause(0.01)
            sent = [r.body for r in tui_api.requests if r.endpoint == "responses"]
            if sent:
                break
        assert sent and sent[-1]["input"][-1]["content"] == "What?"
        await app.workers.wait_for_complete()
