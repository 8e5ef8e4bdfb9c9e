"""The app's history features: the chat filter finds message text, and opening a hit shows it."""

from __future__ import annotations

import pytest

from termchat.tui.app import TermchatApp
from termchat.tui.widgets.conversation_list import ChatOption

from conftest import TUI_NOW

SIZE = (120, 40)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def make_app(ctx, **kwargs) -> TermchatApp:
    return TermchatApp(ctx, now=lambda: TUI_NOW, **kwargs)


async def wait_for(pilot, predicate, tries: int = 500) -> None:
    """Let the app run until `predicate()` holds (bounded; no fixed sleeps)."""
    for _ in range(tries):
        try:
            if predicate():
                return
        except (IndexError, AttributeError):  # not mounted yet
            pass
        await pilot.pause(0.01)
    raise AssertionError("condition not reached")


def rows(app) -> list[tuple[str, str]]:
    options = app.chat_list.options
    return [options.get_option_at_index(i).lines for i in range(options.option_count)]


def visible(app, view) -> bool:
    pane = app.pane
    return pane.scroll_y <= view.virtual_region.y < pane.scroll_y + pane.size.height


async def test_the_filter_finds_message_text_and_opening_a_hit_shows_the_message(tui_context, tui_seed):
    ctx = tui_context()
    tui_seed(ctx.store, [
        ("Rust lifetimes", "local", [("user", "what is a lifetime?"), ("assistant", "A borrow's scope.")]),
        ("Go channels", "local", [("user", "buffered or not?"),
                                  ("assistant", "Unbuffered channels hand over each value; the \x1b[2J"
                                                " borrow checker is a Rust thing.")]),
        ("Borrowing books", "local", [("user", "library hours?")]),
    ])
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.action_focus_filter()
        await pilot.press(*"borrow")
        assert [title for title, _ in rows(app)] == ["Borrowing books"]  # titles first, at once
        await wait_for(pilot, lambda: len(rows(app)) == 3)
        assert [title for title, _ in rows(app)] == ["Borrowing books", "Rust lifetimes", "Go channels"]
        found = app.chat_list.options.get_option_at_index(2)
        assert isinstance(found, ChatOption) and found.message_id is not None
        assert found.lines[1].startswith("…value; the borrow checker is")  # an excerpt, control-free
        start, end = found.match
        assert found.lines[1][start:end] == "borrow"
        await pilot.press("enter", "down", "down", "enter")
        await wait_for(pilot, lambda: app.conv is not None and app.conv.title == "Go channels"
                       and app.focused in app.pane.views)
        view = app.focused
        assert view.message_id == found.message_id and view.has_class("-found")


async def test_a_hit_far_back_in_a_long_chat_is_loaded_scrolled_to_and_selected(tui_context, tui_seed):
    ctx = tui_context()
    messages = []
    for index in range(60):
        text = "the needle is here" if index == 6 else f"filler message {index} " + "words " * 30
        messages.append(("user" if index % 2 == 0 else "assistant", text))
    [long_chat] = tui_seed(ctx.store, [("Long chat", "local", messages)])
    needle = next(m for m in ctx.store.messages(long_chat) if "needle" in m.content)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.action_focus_filter()
        await pilot.press(*"needle")
        await wait_for(pilot, lambda: len(rows(app)) == 1)
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: getattr(app.focused, "message_id", None) == needle.id)
        view = app.focused
        assert view.has_class("-found")
        await wait_for(pilot, lambda: visible(app, view))
        assert app.pane.truncated  # the newest messages are not mounted: End brings them back
        await app.action_jump_latest()
        await wait_for(pilot, lambda: app.pane.views[-1].text.startswith("filler message 59"))
