"""Opening a chat that has a server copy: the local copy is painted first, then synced; what only
the server had is added below what is shown, and the reader stays where they are (issue 18).

The sync's request is held (`Reply.waiting`) so the test acts while it is on its way.
"""

from __future__ import annotations

import threading

import pytest

from termchat.fake_api import Reply
from termchat.tui.app import TermchatApp

from conftest import TUI_NOW, wait_for

SIZE = (120, 40)
NEWS = ("asked on another machine", "Zqxnews answered there")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def long_text(index: int) -> str:
    return f"message {index}\n\n" + "\n".join(f"- line {n} of message {index}" for n in range(6))


def chat_with_news(ctx, api, messages: int = 16) -> str:
    """A conversation-mode chat of `messages` messages; the server holds them and two more."""
    rows = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": long_text(i), "created_at": TUI_NOW - 100 + i}
        for i in range(messages)
    ]
    items = [{"role": r["role"], "content": r["content"]} for r in rows]
    items += [{"role": role, "content": text} for role, text in zip(("user", "assistant"), NEWS, strict=True)]
    remote_id = api.store.create_conversation(items, None).id
    conv = ctx.store.create_conversation(
        mode="conversation", model="gpt-5.2", title="Long chat", created_at=TUI_NOW - 100, remote_id=remote_id
    )
    ctx.store.replace_messages(conv, rows)
    return conv.id


def app_with_held_sync(ctx, api) -> tuple[TermchatApp, threading.Event, threading.Event]:
    """The app opening a chat with news, its sync's request held: (app, release, reached)."""
    conv_id = chat_with_news(ctx, api)
    release, reached = threading.Event(), threading.Event()
    api.script(Reply.waiting(release, "conversations.items", reached))
    return TermchatApp(ctx, open_id=conv_id, now=lambda: TUI_NOW), release, reached


async def opened_while_syncing(app, pilot, reached: threading.Event):
    """The chat painted (its sync is on its way), and the reader has read a page back."""
    await wait_for(pilot, reached.is_set)
    pane = app.chat_screen.pane
    await settled(pilot, pane)
    mounted = len(pane.views)
    pane.scroll_home(animate=False, immediate=True)  # an older page: more than a screen to move in
    await wait_for(pilot, lambda: len(pane.views) > mounted)
    await settled(pilot, pane)
    assert NEWS[1] not in texts(pane)  # (the sync is still held)
    return pane


async def settled(pilot, pane) -> None:
    await wait_for(pilot, lambda: pane.max_scroll_y > 0 and not pane.loading_older)
    await wait_for(pilot, lambda: not any(pane._building(view) for view in pane.views))
    await pilot.pause()


def texts(pane) -> list[str]:
    return [view.text for view in pane.views]


async def test_news_synced_after_the_paint_are_added_below_and_the_reader_stays(tui_context, tui_api):
    app, release, reached = app_with_held_sync(tui_context(), tui_api)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened_while_syncing(app, pilot, reached)
        assert 0 < pane.scroll_y < pane.max_scroll_y  # up in the chat, reading
        place, shown = pane.scroll_y, texts(pane)
        release.set()
        await wait_for(pilot, lambda: texts(pane)[-1] == NEWS[1])
        await pilot.pause()
        assert texts(pane) == [*shown, *NEWS]  # appended: nothing shown before was rebuilt
        assert pane.scroll_y == place  # not moved to the end
        assert pane.max_scroll_y > place


async def test_news_synced_while_the_reader_is_at_the_end_are_followed(tui_context, tui_api):
    app, release, reached = app_with_held_sync(tui_context(), tui_api)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened_while_syncing(app, pilot, reached)
        pane.scroll_end(animate=False, immediate=True)  # back at the end
        await wait_for(pilot, lambda: pane.scroll_y == pane.max_scroll_y)
        before = pane.max_scroll_y
        release.set()
        await wait_for(pilot, lambda: texts(pane)[-1] == NEWS[1])
        await wait_for(pilot, lambda: pane.max_scroll_y > before and pane.scroll_y == pane.max_scroll_y)
        region = pane.views[-1].region
        assert pane.region.contains(region.x, region.bottom - 1)  # the news on screen
