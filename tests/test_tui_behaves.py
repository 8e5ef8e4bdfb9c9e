"""Small things a user notices: settings that stick, times that move on, lists without repeats."""

from __future__ import annotations

import tomllib

import pytest

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW

SIZE = (120, 40)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


async def test_switching_back_to_the_start_up_theme_is_saved(tui_context, tmp_path):
    app = TermchatApp(tui_context(theme="termchat-dark"), now=lambda: TUI_NOW)
    config = tmp_path / "config" / "config.toml"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.set_theme("termchat-light")
        await pilot.pause()
        assert tomllib.loads(config.read_text())["theme"] == "termchat-light"
        app.set_theme("termchat-dark")
        await pilot.pause()
        assert tomllib.loads(config.read_text())["theme"] == "termchat-dark"


async def wait_for(pilot, predicate, tries: int = 500) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not reached")


async def test_relative_times_move_on_in_the_list_and_the_headers(tui_context, monkeypatch):
    from termchat.tui.widgets import conversation_list, message_pane

    # The refresh comes every 30 s; here as soon as the clock moves.
    monkeypatch.setattr(conversation_list, "TIME_REFRESH", 0.02)
    monkeypatch.setattr(message_pane, "TIME_REFRESH", 0.02)
    clock = [TUI_NOW]
    ctx = tui_context()
    ctx.store._now = lambda: TUI_NOW - 5
    conv = ctx.store.create_conversation(mode="local", model="gpt-5.2", title="Fresh", created_at=TUI_NOW - 5)
    ctx.store.add_message(conv, "user", "hello", created_at=TUI_NOW - 5)
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: clock[0])
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        row = app.chat_screen.chat_list.options.get_option_at_index(0)
        header = app.chat_screen.pane.views[0].query_one(".message-header")
        assert row.lines[1] == "just now · local"
        assert "just now" in str(header.render())
        app.chat_screen.prompt.insert("typed")  # moving times leave what the user does alone
        clock[0] += 5 * 60
        await wait_for(pilot, lambda: row.lines[1] == "5m ago · local" and "5m ago" in str(header.render()))
        assert app.chat_screen.prompt.text == "typed"
