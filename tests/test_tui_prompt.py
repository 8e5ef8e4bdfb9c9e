"""The prompt keeps every typed character when Enter follows them at once (fast typing, pastes)."""

from __future__ import annotations

import pytest
from textual import events

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW, wait_for

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


async def test_enter_right_after_typing_sends_everything(tui_context, tui_api):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # All keys reach the app in one burst, as a terminal delivers "What?\r" in one read.
        for char in "What?":
            app.post_message(events.Key(char, char))
        app.post_message(events.Key("enter", "\r"))
        await wait_for(pilot, lambda: tui_api.requests_to("responses"))
        assert tui_api.requests_to("responses")[-1].body["input"][-1]["content"] == "What?"
        await app.workers.wait_for_complete()


async def test_status_line_follows_the_fallback_to_local_mode(tmp_path):
    from termchat.app_context import AppContext
    from termchat.config import Config
    from termchat.fake_api import FakeAPI

    bare = FakeAPI(conversations=False)
    bare.start()
    ctx = AppContext(Config(config_path=tmp_path / "c.toml", data_dir=tmp_path / "data"),
                     base_url=bare.base_url, api_key="test", data_dir=tmp_path / "data")
    try:
        app = TermchatApp(ctx, now=lambda: TUI_NOW)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            assert app.mode == "conversation"
            app.prompt.insert("hello")
            app.prompt.action_submit()
            await wait_for(pilot, lambda: app.conv is not None and app.current_turn() is None
                           and app.conv.mode == "local")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.mode == "local"
    finally:
        ctx.close()
        bare.stop()


async def test_select_a_message_and_copy_it(tui_context, tui_api):
    from termchat.fake_api import Reply

    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    copied = []
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=(100, 30)) as pilot:
        for text, reply in (("first question", "first answer"), ("second question", "second answer")):
            tui_api.script(Reply.text(reply))
            app.prompt.insert(text)
            app.prompt.action_submit()
            await wait_for(pilot, lambda reply=reply: app.current_turn() is None
                           and app.pane.last_reply() is not None and app.pane.last_reply().text == reply)
        await pilot.press("f5")
        assert copied[-1] == "second answer"
        await pilot.press("alt+up", "alt+up", "alt+up")  # newest reply, its question, the first answer
        assert app.focused.text == "first answer"
        await pilot.press("f5")
        assert copied[-1] == "first answer"
        await pilot.press("alt+down")
        assert app.focused.text == "second question"
        await pilot.press("escape")
        assert app.focused is app.prompt
