"""Opening a chat reads its server conversation newest first, back to where the last sync left off.

Each story sets up a server conversation on the loopback fake and this machine's copy of it,
syncs once (which marks where they line up), changes either side as a user would (turns on
another machine, a prompt that failed here, a reply cut short, items deleted on the server),
syncs again and checks what this machine has: the same transcript a full listing would have
given (`full_sync`, the merge as it was before marks), read with as few requests as promised.
"""

from __future__ import annotations

import sqlite3

import pytest

from termchat import history
from termchat.api import Api
from termchat.chat_open import sync_chat, sync_with_server
from termchat.engine import Engine
from termchat.fake_api import FakeAPI
from termchat.store import DB_NAME, FAILED, INTERRUPTED, STREAMING, Store, SyncMark
from termchat.sync import merge_remote

LISTING = "conversations.items.list"


@pytest.fixture
def api(server):
    client = Api(base_url=server.base_url, api_key="test", max_retries=0)
    yield client
    client.close()


@pytest.fixture
def engine(tmp_path, server):
    opened = Engine(Store.in_dir(tmp_path / "engine"), Api(base_url=server.base_url, api_key="test"), model="gpt-4o")
    yield opened
    opened.store.close()


@pytest.fixture
def store(tmp_path):
    opened = Store.in_dir(tmp_path / "here")
    yield opened
    opened.close()


def turn_items(user: str, reply: str, *, reasoning: bool = False) -> list[dict]:
    items: list[dict] = [{"role": "user", "content": user}]
    if reasoning:
        items.append({"type": "reasoning", "summary": []})
    items.append({"role": "assistant", "content": reply})
    return items


def server_chat(server, store, turns: list[tuple[str, str]], *, reasoning: bool = False):
    """A conversation the server holds, and this machine's copy of it (not synced yet)."""
    items = [item for user, reply in turns for item in turn_items(user, reply, reasoning=reasoning)]
    remote = server.store.create_conversation(items, None)
    conv = store.create_conversation(mode="conversation", model="gpt-5.2", id=remote.id, remote_id=remote.id)
    store.replace_messages(conv, history.rows_from_items(server.store.normalize_input(items)))
    return store.reload(conv)


def elsewhere(server, conv_id: str, *items: dict) -> None:
    """Another machine (or the web UI) adds items to the server conversation."""
    with server.store.lock:
        server.store.conversations[conv_id].items.extend(server.store.normalize_input(list(items)))


def delete_on_server(server, conv_id: str, item_id: str) -> None:
    import openai

    client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
    try:
        client.conversations.items.delete(item_id, conversation_id=conv_id)
    finally:
        client.close()


def server_item_ids(server, conv_id: str) -> list[str]:
    return [item["id"] for item in server.store.conversations[conv_id].items]


def listings(server) -> int:
    return len(server.requests_to(LISTING))


def transcript(store, conv) -> list[tuple]:
    """Everything a row holds that a sync could change, in order."""
    return [
        (m.role, m.content, m.status, m.items, m.response_id, m.usage, m.cost_usd, m.error, m.attachments)
        for m in store.messages(store.reload(conv))
    ]


def twin(store, path):
    """A copy of this machine's store, to sync the other way and compare."""
    path.mkdir(parents=True)
    copy = sqlite3.connect(path / DB_NAME)
    store._db.backup(copy)
    copy.close()
    return Store.in_dir(path)


def full_sync(store, api, conv) -> int:
    """The sync as it was before marks: the whole listing, merged with the whole transcript."""
    return merge_remote(store, conv, history.rows_from_items(api.conversation_items(conv.remote_id)))


def sync_both_ways(store, api, conv, tmp_path) -> int:
    """Sync newest first here and the full way on a copy; they must end the same."""
    other = twin(store, tmp_path / "full")
    try:
        expected = full_sync(other, api, other.lookup(conv.id))
        added = sync_chat(store, api, store.reload(conv))
        assert transcript(store, conv) == transcript(other, other.lookup(conv.id))
        assert added == expected
    finally:
        other.close()
    return added


# -- the common cases: one small request ------------------------------------------------------


def test_an_unchanged_long_chat_is_synced_with_one_small_request(server, api, store):
    turns = [(f"question {i}", f"answer {i}") for i in range(1000)]
    conv = server_chat(server, store, turns)
    before = transcript(store, conv)
    assert sync_chat(store, api, conv) == 0  # never synced here: the whole listing, once
    assert listings(server) == 20
    assert sync_chat(store, api, store.reload(conv)) == 0
    assert listings(server) == 21
    request = server.requests_to(LISTING)[-1]
    assert request.query["order"] == "desc" and int(request.query["limit"]) <= 20 and "after" not in request.query
    assert transcript(store, conv) == before


def test_a_new_turn_from_another_machine_costs_one_page(server, api, store, tmp_path):
    conv = server_chat(server, store, [(f"question {i}", f"answer {i}") for i in range(1000)])
    sync_chat(store, api, conv)
    elsewhere(server, conv.id, *turn_items("asked on the laptop", "answered there", reasoning=True))
    before = listings(server)
    assert sync_both_ways(store, api, conv, tmp_path) == 2
    assert listings(server) == before + 21 + 1  # the copy's full listing (2,003 items), then one page here
    rows = store.messages(store.reload(conv))
    assert [(m.role, m.content) for m in rows[-3:]] == [
        ("assistant", "answer 999"),
        ("user", "asked on the laptop"),
        ("assistant", "answered there"),
    ]
    assert rows[-1].items[0]["type"] == "reasoning"
    assert store.reload(conv).message_count == 2002
    again = listings(server)
    assert sync_chat(store, api, store.reload(conv)) == 0  # the mark moved to the news
    assert listings(server) == again + 1


def test_news_longer_than_a_page_are_read_back_to_the_mark(server, api, store, tmp_path):
    conv = server_chat(server, store, [(f"q{i}", f"a{i}") for i in range(50)])
    sync_chat(store, api, conv)
    for i in range(50):  # 100 items: the small first page, then a page of 100 reaches the mark
        elsewhere(server, conv.id, *turn_items(f"there {i}", f"reply {i}"))
    before = listings(server)
    assert sync_chat(store, api, store.reload(conv)) == 100
    assert listings(server) == before + 2
    queries = [r.query for r in server.requests_to(LISTING)[-2:]]
    assert [q.get("limit") for q in queries] == ["20", "100"] and queries[1]["after"]
    rows = store.messages(store.reload(conv))
    assert [m.content for m in rows[98:102]] == ["q49", "a49", "there 0", "reply 0"]
    assert [m.content for m in rows[-2:]] == ["there 49", "reply 49"]


# -- what only this machine has ---------------------------------------------------------------


def test_turns_sent_here_and_elsewhere_since_the_last_sync_are_merged_in_order(server, api, store, tmp_path):
    # Both machines had the chat open: the other one's turn reached the server before this
    # one's, which this machine never saw. It goes before this machine's turn, as a full sync puts it.
    conv = server_chat(server, store, [("u1", "a1"), ("u2", "a2")])
    sync_chat(store, api, conv)
    elsewhere(server, conv.id, *turn_items("from the laptop", "laptop reply"))
    elsewhere(server, conv.id, *turn_items("from here", "reply here"))
    store.add_message(conv, "user", "from here")
    store.add_message(conv, "assistant", "reply here", cost_usd=0.25)
    store.add_message(conv, "user", "failed here, never sent")
    store.add_message(conv, "assistant", "", status=FAILED, error="overloaded")
    assert sync_both_ways(store, api, conv, tmp_path) == 2
    rows = store.messages(store.reload(conv))
    assert [m.content for m in rows] == [
        "u1",
        "a1",
        "u2",
        "a2",
        "from the laptop",
        "laptop reply",
        "from here",
        "reply here",
        "failed here, never sent",
        "",
    ]
    assert rows[7].cost_usd == 0.25 and rows[9].error == "overloaded"  # moved rows keep what they had
    assert sync_both_ways(store, api, conv, tmp_path / "again") == 0


def test_a_reply_cut_short_here_is_kept_once(server, api, store, tmp_path):
    conv = server_chat(server, store, [("u1", "a1")])
    sync_chat(store, api, conv)
    store.add_message(conv, "user", "tell me a story")
    store.add_message(conv, "assistant", "once upon", status=INTERRUPTED)
    elsewhere(server, conv.id, *turn_items("tell me a story", "once upon a time"))
    assert sync_both_ways(store, api, conv, tmp_path) == 0
    assert [(m.content, m.status) for m in store.messages(conv)][-1] == ("once upon", INTERRUPTED)
    elsewhere(server, conv.id, *turn_items("and then?", "the end"))
    assert sync_both_ways(store, api, conv, tmp_path / "again") == 2
    assert [m.content for m in store.messages(conv)][-3:] == ["once upon", "and then?", "the end"]


def test_a_sync_while_a_reply_streams_waits_and_the_next_one_adds_the_news(server, api, store, tmp_path):
    conv = server_chat(server, store, [("u1", "a1")])
    sync_chat(store, api, conv)
    mark = store.sync_mark(conv)
    elsewhere(server, conv.id, *turn_items("from the laptop", "laptop reply"))
    store.add_message(conv, "user", "go")
    reply = store.add_message(conv, "assistant", "tok0 ", status=STREAMING)
    assert sync_chat(store, api, conv) == 0
    assert store.sync_mark(conv) == mark  # nothing merged: the mark stays where it was
    assert [m.id for m in store.messages(conv)][-1] == reply
    store.update_message(reply, content="tok0 tok1", status="complete")  # the turn filed it
    elsewhere(server, conv.id, *turn_items("go", "tok0 tok1"))
    assert sync_both_ways(store, api, conv, tmp_path) == 2
    assert [m.content for m in store.messages(conv)] == [
        "u1",
        "a1",
        "from the laptop",
        "laptop reply",
        "go",
        "tok0 tok1",
    ]


def test_a_reply_cut_short_here_stands_for_one_server_reply_not_every_one_that_starts_alike(store):
    conv = store.create_conversation(mode="conversation", model="m", id="conv_1", remote_id="conv_1")
    store.add_message(conv, "user", "tell me")
    store.add_message(conv, "assistant", "The", status=FAILED)
    remote = [
        {"role": "user", "content": "tell me"},
        {"role": "assistant", "content": "The end."},
        {"role": "user", "content": "more"},
        {"role": "assistant", "content": "Then more."},
    ]
    assert merge_remote(store, conv, remote) == 2
    assert [m.content for m in store.messages(conv)] == ["tell me", "The", "more", "Then more."]


def test_the_mark_is_on_the_last_row_that_stands_for_a_server_row(store):
    # The server's newest reply is the one cut short here, but a server row older than it was
    # added after that reply: the mark goes after both, so the next sync does not take the
    # older row for one of this machine's.
    conv = store.create_conversation(mode="conversation", model="m", id="conv_1", remote_id="conv_1")
    store.add_message(conv, "user", "X")
    store.add_message(conv, "assistant", "The", status=INTERRUPTED)
    remote = [
        {"role": "user", "content": "X"},
        {"role": "user", "content": "Y"},
        {"role": "assistant", "content": "The end."},
    ]
    assert merge_remote(store, conv, remote, mark=("msg_new", "msg_before")) == 1
    rows = store.messages(conv)
    assert [m.content for m in rows] == ["X", "The", "Y"]
    assert store.sync_mark(conv) == SyncMark("conv_1", "msg_new", "msg_before", rows[-1].id)


# -- when the newest-first listing does not line up: the full listing -------------------------


def test_a_chat_never_synced_here_is_read_in_full_once(engine, server):
    session = engine.session(mode="conversation")
    for prompt in ("one", "two"):
        list(session.send(prompt))
    before = listings(server)
    conv, _ = engine.open(session.conv.id)
    assert server.requests_to(LISTING)[-1].query["order"] == "asc"  # no mark yet: the full listing
    assert engine.store.sync_mark(conv) is not None
    engine.open(conv.id)
    assert listings(server) == before + 2
    assert server.requests_to(LISTING)[-1].query["order"] == "desc"


def test_a_chat_imported_from_the_server_is_marked_at_once(engine, server):
    remote = server.store.create_conversation([item for i in range(60) for item in turn_items(f"q{i}", f"a{i}")], None)
    conv, _ = engine.open(remote.id)  # imported: the whole listing
    assert conv.message_count == 120
    elsewhere(server, remote.id, *turn_items("later", "news"))
    before = listings(server)
    conv, notices = engine.open(remote.id)
    assert [r.query["order"] for r in server.requests_to(LISTING)[before:]] == ["desc"]
    assert [n.message for n in notices] == ["synced 2 new messages from the server"]
    engine.store.delete_conversation(conv)
    assert engine.store._db.execute("SELECT COUNT(*) FROM sync_marks").fetchone()[0] == 0  # gone with its chat


def test_a_store_from_before_marks_syncs_in_full_then_newest_first(server, api, tmp_path):
    old = Store.in_dir(tmp_path / "old")
    conv = server_chat(server, old, [("u1", "a1"), ("u2", "a2")])
    old.close()
    db = sqlite3.connect(tmp_path / "old" / DB_NAME)
    db.execute("DROP TABLE sync_marks")
    db.execute("PRAGMA user_version = 10")
    db.commit()
    db.close()
    store = Store.in_dir(tmp_path / "old")  # migrated: no mark for any chat
    try:
        conv = store.lookup(conv.id)
        assert store.sync_mark(conv) is None
        elsewhere(server, conv.id, *turn_items("u3", "a3"))
        assert sync_both_ways(store, api, conv, tmp_path) == 2
        assert server.requests_to(LISTING)[-1].query["order"] == "asc"
        elsewhere(server, conv.id, *turn_items("u4", "a4"))
        assert sync_both_ways(store, api, conv, tmp_path / "again") == 2
        assert [r.query["order"] for r in server.requests_to(LISTING)[-2:]] == ["asc", "desc"]  # the copy's, then here
    finally:
        store.close()


def test_the_mark_item_deleted_on_the_server_falls_back_to_the_full_listing(server, api, store, tmp_path):
    conv = server_chat(server, store, [("u1", "a1"), ("u2", "a2")])
    sync_chat(store, api, conv)
    newest = server_item_ids(server, conv.id)[-1]
    delete_on_server(server, conv.id, newest)
    elsewhere(server, conv.id, *turn_items("u3", "a3"))
    before = listings(server)
    assert sync_both_ways(store, api, conv, tmp_path) == 2
    assert [r.query["order"] for r in server.requests_to(LISTING)[before:]] == ["asc", "desc", "asc"]
    assert store.sync_mark(conv).item_id == server_item_ids(server, conv.id)[-1]


def test_the_item_before_the_mark_deleted_on_the_server_falls_back_to_the_full_listing(server, api, store, tmp_path):
    conv = server_chat(server, store, [("u1", "a1"), ("u2", "a2")])
    sync_chat(store, api, conv)
    delete_on_server(server, conv.id, server_item_ids(server, conv.id)[-2])  # "u2"
    before = listings(server)
    sync_both_ways(store, api, conv, tmp_path)
    assert [r.query["order"] for r in server.requests_to(LISTING)[before:]] == ["asc", "desc", "asc"]


def test_an_old_reply_deleted_on_the_server_changes_nothing_either_way(server, api, store, tmp_path):
    conv = server_chat(server, store, [("u1", "a1"), ("u2", "a2"), ("u3", "a3")])
    sync_chat(store, api, conv)
    before = transcript(store, conv)
    delete_on_server(server, conv.id, server_item_ids(server, conv.id)[1])  # "a1"
    assert sync_both_ways(store, api, conv, tmp_path) == 0
    assert transcript(store, conv) == before


def test_an_old_prompt_deleted_on_the_server_leaves_this_transcript_as_it_is(server, api, store, tmp_path):
    # Reading newest first does not see a change before the mark. A merge never removes a row
    # here, so the full listing would keep every row too, but it adds one: the two replies
    # around the deleted prompt read back as one reply, which it takes for news.
    conv = server_chat(server, store, [("u1", "a1"), ("u2", "a2"), ("u3", "a3")])
    sync_chat(store, api, conv)
    before = transcript(store, conv)
    delete_on_server(server, conv.id, server_item_ids(server, conv.id)[2])  # "u2"
    other = twin(store, tmp_path / "full")
    try:
        assert full_sync(other, api, other.lookup(conv.id)) == 1
        assert [m.content for m in other.messages(other.lookup(conv.id))][4] == "a1a2"
    finally:
        other.close()
    assert sync_chat(store, api, store.reload(conv)) == 0
    assert transcript(store, conv) == before


def test_news_that_go_on_with_the_marked_reply_are_merged_from_the_full_listing(server, api, store, tmp_path):
    # The last sync saw a reply waiting for a function's result; it was sent from elsewhere:
    # the news are the rest of that reply, not a turn of their own.
    call = {"type": "function_call", "call_id": "call_1", "name": "weather", "arguments": "{}"}
    remote = server.store.create_conversation([{"role": "user", "content": "weather?"}, call], None)
    conv = store.create_conversation(mode="conversation", model="gpt-5.2", id=remote.id, remote_id=remote.id)
    store.replace_messages(conv, history.rows_from_items(list(remote.items)))
    sync_chat(store, api, conv)
    elsewhere(
        server,
        conv.id,
        {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        {"role": "assistant", "content": "It is sunny."},
    )
    before = listings(server)
    assert sync_both_ways(store, api, conv, tmp_path) == 1
    assert [r.query["order"] for r in server.requests_to(LISTING)[before:]] == ["asc", "desc", "asc"]


def test_a_server_that_ignores_the_order_is_read_in_full(api, store, tmp_path):
    with FakeAPI(item_order=False) as server:
        client = Api(base_url=server.base_url, api_key="test", max_retries=0)
        try:
            conv = server_chat(server, store, [(f"q{i}", f"a{i}") for i in range(30)])
            store.add_message(conv, "user", "failed here")
            store.add_message(conv, "assistant", "", status=FAILED)
            sync_chat(store, client, conv)
            elsewhere(server, conv.id, *turn_items("u-new", "a-new"))
            before = listings(server)
            assert sync_both_ways(store, client, conv, tmp_path) == 2
            assert [r.query["order"] for r in server.requests_to(LISTING)[before:]] == ["asc", "desc", "desc", "asc"]
            assert [m.content for m in store.messages(conv)][-4:] == ["failed here", "", "u-new", "a-new"]
            assert sync_both_ways(store, client, conv, tmp_path / "again") == 0
        finally:
            client.close()


def test_a_chat_moved_to_another_server_conversation_is_read_in_full(server, api, store):
    conv = server_chat(server, store, [("u1", "a1")])
    sync_chat(store, api, conv)
    moved = server.store.create_conversation(turn_items("u1", "a1") + turn_items("u2", "a2"), None)
    conv = store.update_conversation(conv, id=moved.id, remote_id=moved.id)  # as a compaction does
    assert store.sync_mark(conv) is None
    assert sync_chat(store, api, conv) == 2
    assert server.requests_to(LISTING)[-1].query["order"] == "asc"


def test_a_server_without_conversations_says_what_it_said_before(store, tmp_path):
    with FakeAPI(conversations=False) as server:
        client = Api(base_url=server.base_url, api_key="test", max_retries=0)
        try:
            conv = store.create_conversation(mode="conversation", model="m", id="conv_gone", remote_id="conv_gone")
            reply = store.add_message(conv, "user", "hi")
            unmarked = [n.message for n in sync_with_server(store, client, conv)[1]]
            store.set_sync_mark(conv, SyncMark("conv_gone", "msg_1", None, reply))
            marked = [n.message for n in sync_with_server(store, client, conv)[1]]
            assert marked == unmarked and "no longer has" in marked[0]
        finally:
            client.close()


# -- every mix of the above: the same transcript as the full listing --------------------------


def what_happens(rng, server, store, conv, index: int) -> None:
    """One thing a user does: a turn from another machine, a turn from here, a prompt that
    failed here, or a reply cut short here that the server finished."""
    user, reply = f"prompt {index}", f"reply {index}"  # replies start alike: "reply 1" is cut from "reply 103" too
    kind = rng.choice(("elsewhere", "elsewhere", "here", "here", "failed", "cut"))
    if kind != "failed":
        elsewhere(server, conv.remote_id, *turn_items(user, reply, reasoning=rng.random() < 0.3))
    if kind == "elsewhere":
        return
    store.add_message(conv, "user", user)
    if kind == "here":
        store.add_message(conv, "assistant", reply, cost_usd=0.5)
    elif kind == "failed":
        store.add_message(conv, "assistant", "", status=FAILED, error="overloaded")
    else:
        store.add_message(conv, "assistant", reply[: rng.randint(1, len(reply))], status=INTERRUPTED)


@pytest.mark.parametrize("seed", range(40))
def test_any_mix_of_changes_ends_as_the_full_listing_would(seed, server, api, store, tmp_path):
    # (Prompts are told apart by their text here. Where texts repeat, the merge may align a
    # repeated turn either way; the full listing re-aligns every turn on every sync, the
    # newest-first one only what came since the mark.)
    import random

    rng = random.Random(seed)
    turns = [(f"first {i}", rng.choice(("sure", "ok", f"first reply {i}"))) for i in range(rng.randint(0, 5))]
    conv = server_chat(server, store, turns)
    for i in range(rng.randint(0, 2)):  # a prompt that never reached the server, before the first sync
        store.add_message(conv, "user", f"lost {i}")
        store.add_message(conv, "assistant", "", status=FAILED)
    for round_ in range(3):
        for index in range(rng.randint(0, 6)):
            what_happens(rng, server, store, conv, 100 * round_ + index)
        sync_both_ways(store, api, conv, tmp_path / f"round{round_}")
        assert store.sync_mark(store.reload(conv)) is not None or not server_item_ids(server, conv.remote_id)
