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
    ctx = AppContext(
        Config(config_path=tmp_path / "c.toml", data_dir=tmp_path / "data"),
        base_url=bare.base_url,
        api_key="test",
        data_dir=tmp_path / "data",
    )
    try:
        app = TermchatApp(ctx, now=lambda: TUI_NOW)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            chat = app.chat_screen
            assert chat.mode == "conversation"
            chat.prompt.insert("hello")
            chat.prompt.action_submit()
            await wait_for(
                pilot, lambda: chat.conv is not None and chat.current_turn() is None and chat.conv.mode == "local"
            )
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.chat_screen.mode == "local"
    finally:
        ctx.close()
        bare.stop()


async def test_select_a_message_and_copy_it(tui_context, tui_api, monkeypatch):
    from termchat.fake_api import Reply

    for name in ("VTE_VERSION", "KONSOLE_VERSION", "TERM_PROGRAM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-kitty")  # a terminal that takes copies: F5 just copies
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    copied = []
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.chat_screen
        for text, reply in (("first question", "first answer"), ("second question", "second answer")):
            tui_api.script(Reply.text(reply))
            chat.prompt.insert(text)
            chat.prompt.action_submit()
            await wait_for(
                pilot,
                lambda reply=reply: (
                    chat.current_turn() is None
                    and chat.pane.last_reply() is not None
                    and chat.pane.last_reply().text == reply
                ),
            )
        await pilot.press("f5")
        assert copied[-1] == "second answer"
        await pilot.press("alt+up", "alt+up", "alt+up")  # newest reply, its question, the first answer
        assert app.focused.text == "first answer"
        await pilot.press("f5")
        assert copied[-1] == "first answer"
        await pilot.press("alt+down")
        assert app.focused.text == "second question"
        await pilot.press("escape")
        assert app.focused is app.chat_screen.prompt


async def test_up_in_an_empty_prompt_recalls_this_chats_messages_then_all(tui_context, tui_seed):
    ctx = tui_context()
    other, current = tui_seed(
        ctx.store,
        [
            ("Other", "local", [("user", "from another chat"), ("assistant", "ok")]),
            (
                "Current",
                "local",
                [("user", "first here"), ("assistant", "ok"), ("user", "second\nof two lines"), ("assistant", "ok")],
            ),
        ],
    )
    app = TermchatApp(ctx, open_id=current.id, now=lambda: TUI_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        prompt = app.chat_screen.prompt
        await pilot.press("up")
        assert prompt.text == "second\nof two lines"  # this chat's newest first
        await pilot.press("up")  # inside a recalled message of two lines: to its first line
        assert prompt.text == "second\nof two lines" and prompt.cursor_location[0] == 0
        await pilot.press("up")
        assert prompt.text == "first here"
        await pilot.press("up")
        assert prompt.text == "from another chat"  # then the other chats'
        await pilot.press("up")
        assert prompt.text == "from another chat"  # the oldest stays
        await pilot.press("down", "down")
        assert prompt.text == "second\nof two lines"
        await pilot.press("down", "down")
        assert prompt.text == ""  # past the newest: empty again
        await pilot.press("up", "end", "!", "up")  # edited: Up moves the cursor, recalls nothing
        assert prompt.text == "second\nof two lines!" and prompt.cursor_location == (0, 6)
