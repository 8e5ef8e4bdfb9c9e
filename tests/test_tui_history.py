"""The app's history features: the chat filter finds message text, and opening a hit shows it."""

from __future__ import annotations

import pytest

from termchat.tui.app import TermchatApp
from termchat.tui.widgets.chat_options import ChatOption

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
    options = app.chat_screen.chat_list.options
    return [options.get_option_at_index(i).lines for i in range(options.option_count)]


def visible(app, view) -> bool:
    pane = app.chat_screen.pane
    return pane.scroll_y <= view.virtual_region.y < pane.scroll_y + pane.size.height


async def test_the_filter_finds_message_text_and_opening_a_hit_shows_the_message(tui_context, tui_seed):
    ctx = tui_context()
    tui_seed(
        ctx.store,
        [
            ("Rust lifetimes", "local", [("user", "what is a lifetime?"), ("assistant", "A borrow's scope.")]),
            (
                "Go channels",
                "local",
                [
                    ("user", "buffered or not?"),
                    (
                        "assistant",
                        "Unbuffered channels hand over each value; the \x1b[2J borrow checker is a Rust thing.",
                    ),
                ],
            ),
            ("Borrowing books", "local", [("user", "library hours?")]),
        ],
    )
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.chat_screen.action_focus_filter()
        await pilot.press(*"borrow")
        assert [title for title, _ in rows(app)] == ["Borrowing books"]  # titles first, at once
        await wait_for(pilot, lambda: len(rows(app)) == 3)
        assert [title for title, _ in rows(app)] == ["Borrowing books", "Rust lifetimes", "Go channels"]
        found = app.chat_screen.chat_list.options.get_option_at_index(2)
        assert isinstance(found, ChatOption) and found.message_id is not None
        assert found.lines[1].startswith("…value; the borrow checker is")  # an excerpt, control-free
        start, end = found.match
        assert found.lines[1][start:end] == "borrow"
        await pilot.press("enter", "down", "down", "enter")
        await wait_for(
            pilot,
            lambda: (
                app.chat_screen.conv is not None
                and app.chat_screen.conv.title == "Go channels"
                and app.focused in app.chat_screen.pane.views
            ),
        )
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
        app.chat_screen.action_focus_filter()
        await pilot.press(*"needle")
        await wait_for(pilot, lambda: len(rows(app)) == 1)
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: getattr(app.focused, "message_id", None) == needle.id)
        view = app.focused
        assert view.has_class("-found")
        await wait_for(pilot, lambda: visible(app, view))
        assert app.chat_screen.pane.truncated  # the newest messages are not mounted: End brings them back
        await app.chat_screen.action_jump_latest()
        await wait_for(pilot, lambda: app.chat_screen.pane.views[-1].text.startswith("filler message 59"))


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def send(app, pilot, text: str) -> None:
    app.chat_screen.prompt.insert(text)
    app.chat_screen.prompt.action_submit()
    await wait_for(pilot, lambda: app.chat_screen.prompt.text == "")
    await settle(app, pilot)


def header(view) -> str:
    return str(view.query_one(".message-header").render())


def posts(api, path: str) -> list[dict]:
    return [r.body for r in api.requests if r.method == "POST" and r.path == path]


async def test_regenerate_a_reply_makes_a_branch_and_arrows_move_between_them(tui_context, tui_api):
    ctx = tui_context()
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "My name is Ada.")
        await send(app, pilot, "What is my name?")
        parent = app.chat_screen.conv
        await pilot.press("alt+up")  # the newest message: the reply to turn 2
        assert app.focused.role == "assistant"
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: (
                app.chat_screen.conv.pk != parent.pk
                and len(app.chat_screen.pane.views) == 4
                and not app.chat_screen.turns
            ),
        )
        await settle(app, pilot)
        fork = app.chat_screen.conv
        assert (fork.parent_id, fork.fork_turn, fork.mode) == (parent.id, 1, "conversation")
        [created] = [b for b in posts(tui_api, "/v1/conversations") if b.get("metadata", {}).get("termchat_turn")]
        assert [item["content"] for item in created["items"]][:1] == ["My name is Ada."]
        assert len(created["items"]) == 2 and created["metadata"]["termchat_parent"] == parent.id
        assert posts(tui_api, "/v1/responses")[-1]["conversation"] == fork.id
        views = app.chat_screen.pane.views
        assert [v.text for v in views if v.role == "user"] == ["My name is Ada.", "What is my name?"]
        assert "Your name is Ada." in views[-1].text
        assert "‹ 2/2 ›" in header(views[-1]) and "‹ 2/2 ›" in header(views[-2])
        assert "‹" not in header(views[0])  # turn 1 is shared: no alternatives
        # the original is kept, and ← / → step between the two
        await pilot.press("alt+up", "left")
        await wait_for(
            pilot, lambda: app.chat_screen.conv.pk == parent.pk and app.focused in app.chat_screen.pane.views
        )
        assert app.focused.role == "assistant" and "‹ 1/2 ›" in header(app.focused)
        assert not app.focused.has_class("-found")  # selected, not a search hit
        assert len(ctx.store.messages(parent)) == 4
        await pilot.press("right")
        await wait_for(pilot, lambda: app.chat_screen.conv.pk == fork.pk and app.focused in app.chat_screen.pane.views)
        await pilot.press("right")  # no third alternative: stays
        await settle(app, pilot)
        assert app.chat_screen.conv.pk == fork.pk


async def test_edit_a_prompt_sends_the_new_text_in_a_branch(tui_context, tui_api):
    ctx = tui_context()
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "My name is Ada.")
        await send(app, pilot, "My drink is tea.")
        parent = app.chat_screen.conv
        await pilot.press("alt+up", "alt+up")  # the prompt of turn 2
        assert app.focused.role == "user"
        await pilot.press("e")
        assert app.chat_screen.prompt.text == "My drink is tea." and app.focused is app.chat_screen.prompt
        app.chat_screen.prompt.text = ""
        await send(app, pilot, "My drink is coffee.")
        await wait_for(
            pilot,
            lambda: (
                app.chat_screen.conv.pk != parent.pk
                and len(app.chat_screen.pane.views) == 4
                and not app.chat_screen.turns
            ),
        )
        await settle(app, pilot)
        fork = app.chat_screen.conv
        assert (fork.parent_id, fork.fork_turn) == (parent.id, 1)
        assert [v.text for v in app.chat_screen.pane.views if v.role == "user"] == [
            "My name is Ada.",
            "My drink is coffee.",
        ]
        assert "coffee" in app.chat_screen.pane.views[-1].text
        assert [m.content for m in ctx.store.messages(parent) if m.role == "user"] == [
            "My name is Ada.",
            "My drink is tea.",
        ]
        # editing the first prompt branches from before it: a chat with one turn
        await pilot.press("alt+up", "alt+up", "alt+up", "alt+up", "e")
        app.chat_screen.prompt.text = ""
        await send(app, pilot, "My name is Grace.")
        await wait_for(
            pilot,
            lambda: (
                app.chat_screen.conv.fork_turn == 0
                and len(app.chat_screen.pane.views) == 2
                and not app.chat_screen.turns
            ),
        )
        assert app.chat_screen.conv.parent_id == fork.id and app.chat_screen.pane.views[0].text == "My name is Grace."


async def test_the_chat_list_shows_forks_under_their_parent(tui_context, tui_seed):
    ctx = tui_context()
    other, parent = tui_seed(
        ctx.store,
        [("Other chat", "local", [("user", "x")]), ("Parent chat", "local", [("user", "a"), ("assistant", "b")])],
    )
    store = ctx.store
    store._now = lambda: TUI_NOW  # the newest activity of all: the family comes first
    fork = store.create_conversation(
        mode="local", model="m", title="Parent chat (fork at 1)", parent_id=parent.id, fork_turn=1
    )
    store.create_conversation(mode="local", model="m", title="Fork of the fork", parent_id=fork.id, fork_turn=1)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert [title for title, _ in rows(app)] == [
            "Parent chat",
            "↳ Parent chat (fork at 1)",
            "  ↳ Fork of the fork",
            "Other chat",
        ]
        app.chat_screen.action_focus_filter()
        await pilot.press(*"fork")  # a filtered list is flat
        assert [title for title, _ in rows(app)] == ["Fork of the fork", "Parent chat (fork at 1)"]
