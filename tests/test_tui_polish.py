"""Defects found using the app by hand in tmux (resizes, streams, dialogs), each pinned here."""

from __future__ import annotations

import threading

import pytest

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


async def wait_for(pilot, predicate, tries: int = 500) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not reached")


def footer_actions(app) -> set[str]:
    return {key.action.rsplit(".", 1)[-1] for key in app.query("FooterKey")}


async def test_the_footer_offers_stop_only_while_a_reply_streams(tui_context, tui_api):
    from termchat.fake_api import Reply

    release = threading.Event()
    tui_api.script(Reply.text("one two three", chunks=["one ", "two ", "three"], hold_after=1, release=release))
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "stop" not in footer_actions(app)
        app.chat_screen.prompt.insert("hello")
        app.chat_screen.prompt.action_submit()
        chat = app.chat_screen
        try:
            await wait_for(pilot, lambda: chat.current_turn() is not None and chat.current_turn().text)
            await wait_for(pilot, lambda: "stop" in footer_actions(app))
        finally:
            release.set()
        await wait_for(pilot, lambda: chat.current_turn() is None)
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: "stop" not in footer_actions(app))
