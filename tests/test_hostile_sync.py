"""Resuming a chat merges the server's turns into this machine's transcript (issue 15).

Two data dirs play two machines sharing one server conversation. Whatever only this machine
has (a prompt that never reached the server, a failed reply and its error, cost, times) stays,
in order; what only the server has is added where it belongs.
"""

from __future__ import annotations

import json

from termchat.fake_api import Reply
from termchat.store import FAILED, INTERRUPTED, Store
from termchat.sync import merge_remote

from conftest import listing


def transcript(run, conv_id: str) -> list[dict]:
    result = run("export", conv_id, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)["messages"]


def test_a_failed_prompt_survives_turns_from_another_machine(run, server, env, monkeypatch):
    machine1, machine2 = env / "machine1", env / "machine2"
    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(machine1))
    server.script(Reply.text("one"))
    assert run("-p", "first").code == 0
    conv_id = listing(run)[0]["id"]
    for _ in range(3):
        server.script(Reply.error(500, "overloaded", type="server_error"))
    failed = run("-c", "-p", "lost in transit?")
    assert failed.code == 1
    cost_before = transcript(run, conv_id)[1].get("cost_usd")

    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(machine2))
    server.script(Reply.text("two"), Reply.text("three"))
    assert run("--conversation", conv_id, "-p", "second").code == 0
    assert run("-c", "-p", "third").code == 0

    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(machine1))
    server.script(Reply.text("four"))
    resumed = run("-c", "-p", "fourth")
    assert resumed.code == 0, resumed.err
    assert "synced 4 new messages" in resumed.err
    rows = transcript(run, conv_id)
    assert [(m["role"], m["content"]) for m in rows] == [
        ("user", "first"),
        ("assistant", "one"),
        ("user", "lost in transit?"),
        ("assistant", ""),
        ("user", "second"),
        ("assistant", "two"),
        ("user", "third"),
        ("assistant", "three"),
        ("user", "fourth"),
        ("assistant", "four"),
    ]
    assert rows[3]["status"] == "failed" and "overloaded" in rows[3]["error"]
    assert rows[1].get("cost_usd") == cost_before  # untouched rows keep what only they had


def test_turns_missed_in_the_middle_are_inserted_in_order(tmp_path):
    store = Store.in_dir(tmp_path)
    conv = store.create_conversation(mode="conversation", model="m", id="conv_1", remote_id="conv_1")
    store.add_message(conv, "user", "u1")
    store.add_message(conv, "assistant", "a1")
    store.add_message(conv, "user", "u3")
    a3 = store.add_message(conv, "assistant", "a3", cost_usd=0.25, usage={"input_tokens": 7})
    store.add_job("resp_3", conv, a3, "completed")
    store.add_message(conv, "user", "u4 only here")
    store.add_message(conv, "assistant", "a4 cut", status=INTERRUPTED)
    remote = [
        {"role": "user", "content": "u1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "u2"},
        {"role": "assistant", "content": "a2"},
        {"role": "user", "content": "u3"},
        {"role": "assistant", "content": "a3"},
    ]
    assert merge_remote(store, conv, remote) == 2
    rows = store.messages(store.reload(conv))
    assert [m.content for m in rows] == ["u1", "a1", "u2", "a2", "u3", "a3", "u4 only here", "a4 cut"]
    moved = rows[5]
    assert moved.cost_usd == 0.25 and moved.usage == {"input_tokens": 7}
    assert store.job("resp_3").message_id == moved.id  # the job follows its reply
    assert rows[7].status == INTERRUPTED
    assert store.reload(conv).message_count == 8
    assert merge_remote(store, conv, remote) == 0  # a second sync changes nothing


def test_a_reply_cut_short_here_is_not_added_twice(tmp_path):
    store = Store.in_dir(tmp_path)
    conv = store.create_conversation(mode="conversation", model="m", id="conv_1", remote_id="conv_1")
    store.add_message(conv, "user", "tell me")
    store.add_message(conv, "assistant", "once upon", status=FAILED)
    remote = [
        {"role": "user", "content": "tell me"},
        {"role": "assistant", "content": "once upon a time", "status": "incomplete"},
    ]
    assert merge_remote(store, conv, remote) == 0
    assert [m.content for m in store.messages(conv)] == ["tell me", "once upon"]


def test_a_sync_while_a_reply_streams_moves_no_row(tmp_path):
    # Opening a chat (switching back to it) while its reply streams: the streaming row must keep
    # its id, or the reply would go on into a row that was deleted. The merge waits for the next open.
    from termchat.store import STREAMING

    store = Store.in_dir(tmp_path)
    conv = store.create_conversation(mode="conversation", model="m", id="conv_1", remote_id="conv_1")
    store.add_message(conv, "user", "u1")
    store.add_message(conv, "user", "go")
    reply = store.add_message(conv, "assistant", "tok0 ", status=STREAMING)
    remote = [
        {"role": "user", "content": "u0 from elsewhere"},
        {"role": "user", "content": "u1"},
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": "tok0 tok1 tok2"},
    ]
    assert merge_remote(store, conv, remote) == 0
    rows = store.messages(conv)
    assert [m.content for m in rows] == ["u1", "go", "tok0 "] and rows[-1].id == reply
    store.update_message(reply, content="tok0 tok1 tok2", status="complete")  # the turn filed it
    assert merge_remote(store, conv, remote) == 1
    assert [m.content for m in store.messages(conv)] == ["u0 from elsewhere", "u1", "go", "tok0 tok1 tok2"]


def test_sync_that_cannot_read_the_server_says_so_and_uses_the_local_copy(run, server, monkeypatch):
    assert run("-p", "first").code == 0
    server.script(
        Reply.error(500, "down", type="server_error", endpoint="conversations.items"),
        Reply.error(500, "down", type="server_error", endpoint="conversations.items"),
        Reply.error(500, "down", type="server_error", endpoint="conversations.items"),
    )
    result = run("-c", "-p", "second")
    assert result.code == 0, result.err
    assert "could not read the server copy of this chat" in result.err


def _delete_on_server(server, conv_id: str) -> None:
    """Another machine (or the web UI) deletes the server conversation."""
    import openai

    client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
    client.conversations.delete(conv_id)
    client.close()


def test_a_deleted_server_conversation_is_named_and_the_next_send_forks_it(run, server):
    assert run("-p", "first").code == 0
    conv_id = listing(run)[0]["id"]
    _delete_on_server(server, conv_id)
    failed = run("-c", "-p", "second")
    assert failed.code == 1
    note, error = failed.err.splitlines()
    assert note.startswith("termchat: note: the server no longer has this chat's conversation"), note
    assert error.startswith(f"termchat: error: the server no longer has this chat's conversation {conv_id}"), error
    assert "Send again" in error and "--state local" in error
    assert "Send a message to go on" not in failed.err
    again = run("-c", "-p", "third")
    assert again.code == 0, again.err
    new_id = listing(run)[0]["id"]
    assert new_id != conv_id and new_id.startswith("conv_")
    assert run("show", conv_id).code == 0  # the old id still finds the chat
    request = [r for r in server.requests if r.path == "/v1/conversations" and r.method == "POST"][-1]
    seeded = [i["content"] for i in request.body["items"] if i.get("role") == "user"]
    assert seeded == ["first", "second"]  # the new server conversation starts from the history
    assert [m["content"] for m in transcript(run, new_id) if m["role"] == "user"] == ["first", "second", "third"]


def test_a_deleted_server_conversation_can_go_on_in_local_mode(run, server):
    assert run("-p", "first").code == 0
    conv_id = listing(run)[0]["id"]
    _delete_on_server(server, conv_id)
    assert run("-c", "-p", "second").code == 1
    local = run("-c", "--state", "local", "-p", "third")
    assert local.code == 0, local.err
    body = server.requests[-1].body
    assert "conversation" not in body and [i["content"] for i in body["input"] if i["role"] == "user"] == [
        "first",
        "second",
        "third",
    ]


def test_a_moved_row_keeps_every_column(tmp_path):
    import sqlite3

    store = Store.in_dir(tmp_path)
    conv = store.create_conversation(mode="conversation", model="m", id="conv_1", remote_id="conv_1")
    store.add_message(conv, "user", "u1")
    store.add_message(conv, "user", "u3")
    reply = store.add_message(conv, "assistant", "a3", cost_usd=0.5)
    db = sqlite3.connect(tmp_path / "termchat.db")
    columns = [r[1] for r in db.execute("PRAGMA table_info(messages)") if r[1] != "id"]
    before = db.execute(f"SELECT {', '.join(columns)} FROM messages WHERE id = ?", (reply,)).fetchone()
    remote = [
        {"role": "user", "content": "u1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "u3"},
        {"role": "assistant", "content": "a3"},
    ]
    assert merge_remote(store, conv, remote) == 1
    after = db.execute(f"SELECT {', '.join(columns)} FROM messages WHERE content = 'a3'").fetchall()
    assert after == [before]  # every column, whatever the schema has grown
