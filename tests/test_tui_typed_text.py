"""The user's messages are shown as typed (no Markdown); a long paste shows folded."""

from __future__ import annotations

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


def shown(view) -> str:
    return "\n".join(line.rstrip() for line in str(view.query_one(".typed-text").render()).split("\n"))


async def test_a_message_is_shown_as_it_was_typed(tui_context, tui_api):
    typed = "# compute things\ndef __init__(self, *args, **kwargs):\n\n    return [x]*2  # two  spaces"
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.chat_screen.prompt.insert(typed)
        app.chat_screen.prompt.action_submit()
        await wait_for(pilot, lambda: app.chat_screen.pane.views and app.chat_screen.current_turn() is None)
        await app.workers.wait_for_complete()
        user = app.chat_screen.pane.views[0]
        assert shown(user) == typed  # not a heading, no lost underscores or stars, lines kept
    # and the same once the chat is opened again from the store
    app = TermchatApp(tui_context(), open_id=app.chat_screen.conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert shown(app.chat_screen.pane.views[0]) == typed


async def test_a_long_paste_shows_folded_and_unfolds_on_enter_or_click(tui_context, tui_seed):
    ctx = tui_context()
    pasted = "\n".join(f"log line {n}" for n in range(1, 41))
    (conv,) = tui_seed(ctx.store, [("Logs", "local", [("user", pasted), ("assistant", "Seen.")])])
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        # The chat opens newest first (the reply), then the page before it fills the screen.
        await wait_for(pilot, lambda: len(app.chat_screen.pane.views) == 2)
        user = app.chat_screen.pane.views[0]
        assert shown(user) == "log line 1\nlog line 2\nlog line 3\n… 37 more lines · Enter or click shows them"
        assert user.text == pasted  # copying takes it all
        await pilot.press("alt+up", "alt+up")  # select the reply, then the paste
        assert app.focused is user
        await pilot.press("enter")
        assert shown(user) == pasted
        await pilot.press("enter")
        assert shown(user).endswith("37 more lines · Enter or click shows them")
        await pilot.click(user.query_one(".typed-text"))
        assert shown(user) == pasted
