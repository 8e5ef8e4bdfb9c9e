"""The app against a broken or slow server: nothing typed goes astray or is lost (issue 15).

Each case drives the app with Pilot against the loopback fake API, holding a request on its way
(`Reply.waiting`, `Reply.paused`) so the test acts at exactly the moment that matters.
"""

from __future__ import annotations

import re
import threading

import pytest

from termchat.fake_api import Reply
from termchat.store import Store
from termchat.tui.app import TermchatApp

from conftest import TUI_NOW, wait_for

SIZE = (120, 40)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def make_app(ctx, **kwargs) -> TermchatApp:
    return TermchatApp(ctx, now=lambda: TUI_NOW, **kwargs)


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def send(app, pilot, text: str) -> None:
    app.chat_screen.prompt.insert(text)
    app.chat_screen.prompt.action_submit()
    await wait_for(pilot, lambda: app.chat_screen.prompt.text == "")


def chat_with_server_copy(ctx) -> object:
    """A chat in conversation mode, made against the fake (so the server has its conversation)."""
    session = ctx.engine().session()
    for _ in session.send("first"):
        pass
    return ctx.store.reload(session.conv)


def user_prompts(store: Store, conv) -> list[str]:
    return [m.content for m in store.messages(store.reload(conv)) if m.role == "user"]


async def test_enter_while_the_continued_chat_syncs_goes_to_that_chat(tui_context, tui_api):
    ctx = tui_context()
    conv = chat_with_server_copy(ctx)
    release, reached = threading.Event(), threading.Event()
    tui_api.script(Reply.waiting(release, "conversations.items", reached))
    app = make_app(ctx, continue_last=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, reached.is_set)  # `-c`: the open's sync is on its way
        await send(app, pilot, "second")  # Enter now (it used to start a new chat at once)
        assert ctx.store.count_conversations() == 1
        release.set()
        await wait_for(pilot, lambda: user_prompts(ctx.store, conv) == ["first", "second"])
        await wait_for(pilot, lambda: not app.chat_screen.turns)
        assert app.chat_screen.conv.pk == conv.pk and ctx.store.count_conversations() == 1
    sent = [r.body for r in tui_api.requests if r.endpoint == "responses"][-1]
    assert sent["conversation"] == conv.remote_id  # with the chat's context


async def test_a_message_typed_while_a_chat_picked_in_the_list_opens_goes_to_that_chat(tui_context, tui_api):
    ctx = tui_context()
    conv = chat_with_server_copy(ctx)
    release, reached = threading.Event(), threading.Event()
    tui_api.script(Reply.waiting(release, "conversations.items", reached))
    app = make_app(ctx)  # a new chat on screen
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+f", "down", "enter")  # the list, its one chat: opening (syncing)
        await wait_for(pilot, reached.is_set)
        assert app.focused is app.chat_screen.prompt  # what is typed next goes to the prompt
        await pilot.press(*"second", "enter")
        await wait_for(pilot, lambda: app.chat_screen.prompt.text == "")
        assert ctx.store.count_conversations() == 1  # held, not sent to a new chat
        release.set()
        await wait_for(pilot, lambda: user_prompts(ctx.store, conv) == ["first", "second"])
        await wait_for(pilot, lambda: not app.chat_screen.turns)
        assert app.chat_screen.conv.pk == conv.pk and ctx.store.count_conversations() == 1


async def test_a_captive_portal_while_opening_is_said_and_the_chat_opens_from_this_machine(tui_context, tui_api):
    ctx = tui_context()
    conv = chat_with_server_copy(ctx)
    tui_api.script(
        Reply.raw(
            200,
            "<html><body>log in to the wifi</body></html>",
            content_type="text/html",
            endpoint="conversations.items",
        )
    )
    app = make_app(ctx, continue_last=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.chat_screen.conv is not None)
        assert app.chat_screen.conv.pk == conv.pk  # the open did not die: the chat is on screen
        await wait_for(pilot, lambda: any("could not read the server copy" in n for n in notes(app)))
        await send(app, pilot, "still there?")
        await wait_for(pilot, lambda: user_prompts(ctx.store, conv) == ["first", "still there?"])
        await wait_for(pilot, lambda: not app.chat_screen.turns)
    assert ctx.store.count_conversations() == 1


async def test_a_deleted_server_conversation_is_said_and_the_next_message_goes_on(tui_context, tui_api):
    import openai

    ctx = tui_context()
    conv = chat_with_server_copy(ctx)
    client = openai.OpenAI(base_url=tui_api.base_url, api_key="x", max_retries=0)
    client.conversations.delete(conv.remote_id)  # gone on the server (another machine, the web UI)
    client.close()
    app = make_app(ctx, continue_last=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: any("no longer has this chat's conversation" in n for n in notes(app)))
        await send(app, pilot, "second")
        await wait_for(pilot, lambda: any("Send again" in n for n in notes(app)))
        await wait_for(pilot, lambda: not app.chat_screen.turns)
        assert app.chat_screen.prompt.text == "second"  # a failed send's text is back in the prompt
        app.chat_screen.prompt.clear()  # the user types something else instead
        await send(app, pilot, "third")
        chat = app.chat_screen
        await wait_for(pilot, lambda: not chat.turns and chat.conv.remote_id not in (None, conv.remote_id))
        assert last_status(ctx.store, conv) == "complete"
    assert user_prompts(ctx.store, conv) == ["first", "second", "third"]
    assert ctx.store.count_conversations() == 1


def last_status(store: Store, conv) -> str:
    return store.messages(store.reload(conv), limit=1)[0].status


async def test_a_new_chat_is_never_stored_without_its_prompt(tui_context, monkeypatch):
    import termchat.tui.turns

    ctx = tui_context()
    # As if the app were killed right after Enter: the turn's worker never runs.
    monkeypatch.setattr(termchat.tui.turns, "run_turn", lambda *args, **kwargs: None)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "do not lose me")
        await wait_for(pilot, lambda: app.chat_screen.conv is not None)
    (chat,) = ctx.store.list_conversations()
    assert user_prompts(ctx.store, chat) == ["do not lose me"]


async def test_what_the_app_shows_is_stored_while_the_stream_stalls(tui_context, tui_api):
    ctx = tui_context()
    release, reached = threading.Event(), threading.Event()
    tui_api.script(Reply.paused(release, reached, after_deltas=2, text="one two three four"))
    app = make_app(ctx)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await send(app, pilot, "go")
            await wait_for(pilot, reached.is_set)
            await wait_for(pilot, lambda: app.chat_screen.turns and app.chat_screen.pane.views[-1].text == "one two")
            reply_id = next(iter(app.chat_screen.turns.values())).reply_id
            # Before: the store held "" for as long as the stall lasted.
            await wait_for(pilot, lambda: ctx.store.message(reply_id).content == "one two")
            release.set()
            await wait_for(pilot, lambda: not app.chat_screen.turns)
    finally:
        release.set()
    assert ctx.store.message(reply_id).content == "one two three four"


async def test_the_jobs_screen_shows_server_strings_without_escapes(tui_context):
    from textual.widgets import DataTable

    from termchat.tui.screens.jobs import JobsScreen

    ctx = tui_context()
    conv = ctx.store.create_conversation(mode="local", model="m", title="t")
    reply = ctx.store.add_message(conv, "assistant", "", status="streaming")
    ctx.store.add_job("resp_\x1b]0;PWNED\x07x", conv, reply, "queued\x1b[2J")
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen))
        await app.workers.wait_for_complete()  # the refresh asked the server (it knows no such job)
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 1)
        row = app.screen.query_one(DataTable).get_row_at(0)
        shown = " ".join(str(cell) for cell in row)
    assert not re.search("[\x1b\x07\x80-\x9f]", shown), shown
    assert "resp_x" in shown  # the id without its escape sequence


async def test_an_open_that_breaks_is_said_and_a_message_held_for_it_goes_to_the_chat(tui_context, monkeypatch):
    from termchat.engine import Engine

    ctx = tui_context()
    conv = chat_with_server_copy(ctx)
    release, reached = threading.Event(), threading.Event()

    def broken_open(self, ident, **kwargs):  # a bug, not an API error: the worker used to die silently
        reached.set()
        release.wait(60)
        raise RuntimeError("unexpected shape")

    monkeypatch.setattr(Engine, "open", broken_open)
    app = make_app(ctx, continue_last=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            # The chat is shown from this machine's copy; the rest of the open (its notes and
            # the sync, where the engine breaks) comes after, with a message held meanwhile.
            await wait_for(pilot, reached.is_set)
            assert app.chat_screen.conv.pk == conv.pk
            await send(app, pilot, "held for the chat")
            release.set()
            await wait_for(
                pilot, lambda: any("unexpected error (RuntimeError: unexpected shape)" in n for n in notes(app))
            )
            await wait_for(pilot, lambda: user_prompts(ctx.store, conv) == ["first", "held for the chat"])
            await wait_for(pilot, lambda: not app.chat_screen.turns)
    finally:
        release.set()
    assert ctx.store.count_conversations() == 1  # no new chat without context


async def test_continue_shows_this_machines_copy_first_and_adds_the_servers_news_after(tui_context, tui_api):
    """`-c` on a chat in conversation mode: its local copy is on screen while the server's is
    still being read (it used to wait for the server), and what only the server has (a turn
    made elsewhere) is added once read."""
    import openai

    ctx = tui_context()
    conv = chat_with_server_copy(ctx)
    client = openai.OpenAI(base_url=tui_api.base_url, api_key="x", max_retries=0)
    client.conversations.items.create(
        conv.remote_id,
        items=[
            {"type": "message", "role": "user", "content": "asked elsewhere"},
            {"type": "message", "role": "assistant", "content": "answered elsewhere"},
        ],
    )
    client.close()
    release, reached = threading.Event(), threading.Event()
    tui_api.script(Reply.waiting(release, "conversations.items", reached))
    app = make_app(ctx, continue_last=True)
    async with app.run_test(size=SIZE) as pilot:
        chat = app.chat_screen
        await wait_for(pilot, lambda: chat.conv is not None and len(chat.pane.views) == 2)
        await wait_for(pilot, reached.is_set)  # the server is read once the chat is on screen
        assert [v.role for v in chat.pane.views] == ["user", "assistant"]
        assert chat.pane.views[0].text == "first"  # this machine's copy, the server's still on its way
        release.set()
        await wait_for(pilot, lambda: len(chat.pane.views) == 4)
        assert [v.text for v in chat.pane.views[2:]] == ["asked elsewhere", "answered elsewhere"]
        await wait_for(pilot, lambda: any("synced 2 new messages" in n for n in notes(app)))
        await send(app, pilot, "and here")  # the open is done: a message goes out at once
        await wait_for(pilot, lambda: user_prompts(ctx.store, conv) == ["first", "asked elsewhere", "and here"])
        await wait_for(pilot, lambda: not chat.turns)
