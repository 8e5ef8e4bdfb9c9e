"""Opening a long chat in the app that was synced here before: the server's news are read newest
first, in one request, and shown below the cached transcript (issue 18)."""

from __future__ import annotations

import pytest

from termchat.api import Api
from termchat.chat_open import sync_chat
from termchat.tui.app import TermchatApp

from conftest import TUI_NOW, wait_for

NEWS = ("asked on another machine", "Zqxnews answered there")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def synced_chat(ctx, api, messages: int) -> str:
    """A conversation-mode chat synced here once; then another machine added a turn."""
    rows = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}", "created_at": TUI_NOW - 9000 + i}
        for i in range(messages)
    ]
    remote = api.store.create_conversation([{"role": r["role"], "content": r["content"]} for r in rows], None)
    conv = ctx.store.create_conversation(
        mode="conversation", model="gpt-5.2", title="Long chat", created_at=TUI_NOW - 9000, remote_id=remote.id
    )
    ctx.store.replace_messages(conv, rows)
    client = Api(base_url=api.base_url, api_key="test", max_retries=0)
    try:
        sync_chat(ctx.store, client, ctx.store.reload(conv))
    finally:
        client.close()
    with api.store.lock:
        remote.items.extend(
            api.store.normalize_input(
                [{"role": r, "content": t} for r, t in zip(("user", "assistant"), NEWS, strict=True)]
            )
        )
    return conv.id


async def test_a_long_chat_synced_before_gets_its_news_with_one_request(tui_context, tui_api):
    ctx = tui_context()
    conv_id = synced_chat(ctx, tui_api, messages=2000)
    before = len(tui_api.requests_to("conversations.items.list"))
    app = TermchatApp(ctx, open_id=conv_id, now=lambda: TUI_NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.chat_screen.pane
        await wait_for(pilot, lambda: [view.text for view in pane.views][-2:] == list(NEWS))
        await app.workers.wait_for_complete()
    listed = tui_api.requests_to("conversations.items.list")[before:]
    assert [(r.query["order"], r.query["limit"]) for r in listed] == [("desc", "20")]
    assert ctx.store.reload(ctx.store.lookup(conv_id)).message_count == 2002
