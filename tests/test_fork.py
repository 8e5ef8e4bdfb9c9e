"""`termchat fork`: a new chat holding turns 1..N of another, in each state mode, on the fake API."""

from __future__ import annotations

import json

import pytest

from termchat.fake_api import Reply
from termchat.store import Store

from conftest import listing


def _posts(server, path):
    return [r.body for r in server.requests if r.method == "POST" and r.path == path]


def _chat(run, mode: str, *prompts: str) -> str:
    """A chat in `mode` with one turn per prompt; returns its id."""
    first = run("--state", mode, "-p", prompts[0])
    assert first.code == 0, first.err
    chat_id = listing(run)[0]["id"]
    for prompt in prompts[1:]:
        result = run("--conversation", chat_id, "-p", prompt)
        assert result.code == 0, result.err
    return chat_id


def _exported(run, chat_id: str) -> dict:
    result = run("export", chat_id, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def _fork_row(env, fork_id: str):
    with Store.in_dir(env / "data") as store:
        return store.get_conversation(fork_id)


@pytest.mark.parametrize("mode", ["conversation", "chain", "local"])
def test_fork_at_a_turn_continues_from_that_turn_in_each_mode(run, server, env, mode):
    parent = _chat(run, mode, "My name is Ada.", "My drink is tea.", "My drink is coffee.")
    before = _exported(run, parent)
    requests_before = len(server.requests)

    forked = run("fork", parent, "--at", "2")
    assert forked.code == 0, forked.err
    fork_id = forked.out.strip()
    assert forked.out == fork_id + "\n" and fork_id != parent
    assert forked.err == f"termchat: forked {parent} at turn 2 as {fork_id}\n"
    new_requests = server.requests[requests_before:]
    if mode == "conversation":
        assert fork_id.startswith("conv_")
        [body] = [r.body for r in new_requests if r.method == "POST" and r.path == "/v1/conversations"]
        assert [(item["role"], item["content"]) for item in body["items"]] == [
            ("user", "My name is Ada."),
            ("assistant", before["messages"][1]["content"]),
            ("user", "My drink is tea."),
            ("assistant", before["messages"][3]["content"]),
        ]
        assert body["metadata"]["termchat_parent"] == parent and body["metadata"]["termchat_turn"] == "2"
    else:
        assert not any(r.method == "POST" for r in new_requests)  # nothing sent for chain or local
    row = _fork_row(env, fork_id)
    assert (row.parent_id, row.fork_turn, row.mode) == (parent, 2, mode)
    assert _exported(run, fork_id)["forked_from"] == {"id": parent, "turn": 2}
    assert f"- forked from: `{parent}` at turn 2" in run("export", fork_id).out
    assert "forked_from" not in _exported(run, parent)
    shown = run("show", fork_id).out
    assert "My drink is tea." in shown and "coffee" not in shown

    turns_before = len(_posts(server, "/v1/responses"))
    asked = run("fork", fork_id, "-p", "What is my drink?")
    assert asked.code == 0, asked.err
    second_fork, reply = asked.out.split("\n", 1)
    assert "Your drink is tea." in reply
    [body] = _posts(server, "/v1/responses")[turns_before:]
    if mode == "conversation":
        assert body["conversation"] == second_fork and len(body["input"]) == 1
    elif mode == "chain":
        assert body["previous_response_id"] == before["messages"][3]["response_id"]
        assert len(body["input"]) == 1 and body["store"] is True
    else:
        assert [item["content"] for item in body["input"][::2]] == [
            "My name is Ada.",
            "My drink is tea.",
            "What is my drink?",
        ]
        assert len(body["input"]) == 5 and body["store"] is False
    assert _exported(run, parent)["messages"] == before["messages"]  # the parent is untouched
    assert "Your drink is coffee." in run("--conversation", parent, "-p", "What is my drink?").out


def test_a_fork_does_not_count_its_parents_spending_again(run, server):
    parent = _chat(run, "local", "My name is Ada.", "My drink is tea.")
    before = json.loads(run("usage", "--json").out)["total"]
    assert before["turns"] == 2 and before["input_tokens"] > 0
    assert run("fork", parent).code == 0
    assert json.loads(run("usage", "--json").out)["total"] == before


def test_fork_defaults_to_the_last_turn(run, server):
    parent = _chat(run, "local", "My name is Ada.", "My drink is tea.")
    fork_id = run("fork", parent).out.strip()
    assert [m["content"] for m in _exported(run, fork_id)["messages"]][::2] == ["My name is Ada.", "My drink is tea."]
    assert "(fork at 2)" in _exported(run, fork_id)["title"]


def test_fork_of_a_long_conversation_adds_items_beyond_20_in_further_requests(run, server, env):
    prompts = ["My name is Ada."] + [f"Note number {i}." for i in range(11)]
    parent = _chat(run, "conversation", *prompts)  # 12 turns: 24 items
    fork_id = run("fork", parent).out.strip()
    [created] = [b for b in _posts(server, "/v1/conversations") if b.get("metadata", {}).get("termchat_parent")]
    added = _posts(server, f"/v1/conversations/{fork_id}/items")
    assert len(created["items"]) == 20 and [len(b["items"]) for b in added] == [4]
    assert len(server.store.conversation(fork_id).items) == 24
    assert "Your name is Ada." in run("--conversation", fork_id, "-p", "What is my name?").out


def test_a_failure_while_adding_items_leaves_nothing_behind(run, server, env):
    parent = _chat(run, "conversation", "My name is Ada.", *[f"Note {i}." for i in range(10)])
    chats, conversations = len(listing(run)), len(server.store.conversations)
    server.script(Reply.error(400, "Invalid item.", endpoint="conversations.items.create"))
    failed = run("fork", parent)
    assert failed.code == 1 and failed.out == ""
    assert "Invalid item." in failed.one_error_line()
    assert len(listing(run)) == chats and len(server.store.conversations) == conversations


def test_bad_fork_requests_are_one_line_and_create_nothing(run, server, env):
    parent = _chat(run, "conversation", "My name is Ada.", "My drink is tea.")
    chats, conversations = len(listing(run)), len(server.store.conversations)
    for argv, says in (
        (["--at", "0"], "--at 0 is out of range"),
        (["--at", "3"], f"--at 3 is out of range: {parent} has 2 turns (1..2)"),
        (["--at", "-1"], "--at -1 is out of range"),
        (["--at", "two"], "invalid int value"),
    ):
        result = run("fork", parent, *argv)
        assert result.code == 2 and says in result.one_error_line(), argv
    unknown = run("fork", "tc_nope")
    assert unknown.code == 2 and "unknown conversation 'tc_nope'" in unknown.one_error_line()
    empty = run("fork", parent, "-p", "  ")
    assert empty.code == 2 and "empty prompt" in empty.one_error_line()
    server.store.delete_conversation(parent)  # deleted on the server, say from another machine
    gone = run("fork", parent)
    assert gone.code == 2 and f"the server no longer has {parent}" in gone.one_error_line()
    assert len(listing(run)) == chats and len(server.store.conversations) == conversations - 1


def test_another_machine_sees_a_forks_parent(run, server, env, monkeypatch):
    parent = _chat(run, "conversation", "My name is Ada.", "My drink is tea.")
    fork_id = run("fork", parent, "--at", "1").out.strip()
    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(env / "other-machine"))
    assert run("--conversation", fork_id, "-p", "What is my name?").code == 0
    with Store.in_dir(env / "other-machine") as store:
        imported = store.get_conversation(fork_id)
    assert (imported.parent_id, imported.fork_turn) == (parent, 1)


def test_a_local_chat_with_long_history_moves_to_a_server_conversation(run, server):
    """Switching a chat to conversation mode seeds the new conversation with its history, which
    may be more than the 20 items the API takes in one request."""
    chat = _chat(run, "local", "My name is Ada.", *[f"Note {i}." for i in range(10)])  # 22 items
    moved = run("--conversation", chat, "--state", "conversation", "-p", "What is my name?")
    assert moved.code == 0, moved.err
    assert "Your name is Ada." in moved.out
    conv_id = listing(run)[0]["id"]
    assert len(server.store.conversation(conv_id).items) == 22 + 2


def test_alternatives_gather_every_branch_made_at_a_turn(tmp_path):
    from termchat.fork import alternatives, with_forks

    store = Store.in_dir(tmp_path)
    clock = iter(range(1000, 2000))
    store._now = lambda: float(next(clock))
    parent = store.create_conversation(mode="local", model="m", title="p")
    first = store.create_conversation(mode="local", model="m", title="a", parent_id=parent.id, fork_turn=2)
    second = store.create_conversation(mode="local", model="m", title="b", parent_id=first.id, fork_turn=2)
    store.create_conversation(mode="local", model="m", title="c", parent_id=first.id, fork_turn=4)
    assert {turn: [c.title for c in chats] for turn, chats in alternatives(store, second).items()} == {
        3: ["p", "a", "b"]
    }
    assert {turn: [c.title for c in chats] for turn, chats in alternatives(store, first).items()} == {
        3: ["p", "a", "b"],
        5: ["a", "c"],
    }
    assert alternatives(store, store.create_conversation(mode="local", model="m", title="alone")) == {}
    # a parent whose id changes (compaction in conversation mode) keeps its forks
    parent = store.update_conversation(parent, id="conv_new", remote_id="conv_new")
    assert [c.title for c in store.forks(parent)] == ["a"]
    listed = with_forks(store, store.list_conversations(), set())
    assert [(c.title, depth) for c, depth in listed] == [  # (the renamed parent is the newest)
        ("p", 0),
        ("a", 1),
        ("b", 2),
        ("c", 2),
        ("alone", 0),
    ]
