"""termchat.chats without the app: a delete waits for its undo window, then deletes the chat here
and, when asked, its server conversation; what happened is said in one line."""

from __future__ import annotations

import subprocess
import sys

from termchat import chats
from termchat.fake_api import Reply


def server_chat(ctx, title: str):
    """A conversation-mode chat whose conversation lives on the fake server."""
    session = ctx.engine().session(mode="conversation")
    list(session.send("remember the plan"))
    return ctx.store.update_conversation(ctx.store.reload(session.conv), title=title)


def test_chats_imports_no_textual():
    code = "import sys, termchat.chats; sys.exit(any(m.split('.')[0] in ('textual', 'openai') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_undo_brings_back_the_newest_delete_and_touches_nothing(tui_context, tui_api):
    ctx = tui_context()
    first, second = server_chat(ctx, "First"), server_chat(ctx, "Second")
    deletions = chats.Deletions(ctx)
    deletions.delete(first, remote=True)
    deletions.delete(second)
    assert set(deletions.pending) == {first.pk, second.pk}
    assert deletions.undo().conv.pk == second.pk  # the newest first
    assert deletions.undo().conv.pk == first.pk
    assert deletions.undo() is None
    deletions.commit_all()  # nothing left in its window: nothing is deleted
    assert ctx.store.get_conversation(first.id) and ctx.store.get_conversation(second.id)
    assert first.remote_id in tui_api.store.conversations


def test_commit_deletes_here_then_on_the_server_and_says_so(tui_context, tui_api):
    ctx = tui_context()
    plans, notes = server_chat(ctx, "Plans"), server_chat(ctx, "Notes")
    deletions = chats.Deletions(ctx)
    deletions.delete(plans, remote=True)
    deletions.delete(notes)  # a plain delete keeps the server conversation
    job = deletions.commit(plans.pk)
    assert deletions.commit(notes.pk) is None
    assert ctx.store.get_conversation(plans.id) is None and ctx.store.get_conversation(notes.id) is None
    assert job is not None and deletions.server_deletes == [job]
    assert plans.remote_id in tui_api.store.conversations  # the server side runs when asked
    deletions.delete_on_server(job)
    assert job.note == f"deleted “Plans” on the server too ({plans.remote_id})"
    assert deletions.told(job) and not deletions.told(job) and deletions.server_deletes == []
    assert plans.remote_id not in tui_api.store.conversations
    assert notes.remote_id in tui_api.store.conversations


def test_a_failed_server_delete_leaves_the_local_delete_and_says_how_to_retry(tui_context, tui_api):
    ctx = tui_context()
    conv = server_chat(ctx, "Kept")
    tui_api.script(
        Reply.error(
            500, "boom", type="server_error", endpoint="conversations.delete", headers={"x-should-retry": "false"}
        )
    )
    deletions = chats.Deletions(ctx)
    deletions.delete(conv, remote=True)
    deletions.commit_all()  # quitting: the server delete waits for `finish`
    lines: list[str] = []
    deletions.finish(lines.append)
    assert lines[0] == f"termchat: deleting the server conversation {conv.remote_id} (“Kept”)…\n"
    assert lines[1].startswith("termchat: error: “Kept” was deleted here, but its server conversation")
    assert lines[1].endswith(f"· to retry: termchat rm --remote {conv.remote_id}\n")
    assert ctx.store.get_conversation(conv.id) is None and deletions.server_deletes == []


def test_delete_server_conversation_tells_a_missing_one_apart(tui_context, tui_api):
    ctx = tui_context()
    conv = server_chat(ctx, "Twice")
    assert chats.delete_server_conversation(ctx.api, conv.remote_id) is True
    assert chats.delete_server_conversation(ctx.api, conv.remote_id) is False  # 404: already gone


def test_config_tools_parses_what_it_can(tui_context):
    ctx = tui_context(tools=("web_search", "no_such_tool"))
    tools, problems = chats.config_tools(ctx.config)
    assert tools == [{"type": "web_search"}]
    assert len(problems) == 1 and problems[0].startswith("config tools: ") and "\n" not in problems[0]
