"""Full-text search: the FTS5 index the store keeps, its migration, and what a query finds."""

from __future__ import annotations

import sqlite3

import pytest

from termchat.search import MATCH_END, MATCH_START, match_expression
from termchat.store import SCHEMA_VERSION, Store, _MIGRATIONS, _statements


def _marked(word: str) -> str:
    return f"{MATCH_START}{word}{MATCH_END}"


@pytest.fixture
def store(tmp_path):
    store = Store.in_dir(tmp_path)
    clock = iter(range(1000, 2000))
    store._now = lambda: float(next(clock))
    yield store
    store.close()


def _fts_ok(store: Store) -> None:
    for table in ("messages_fts", "titles_fts"):
        store._db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


def test_a_store_from_before_search_is_migrated_and_its_messages_found(tmp_path):
    path = tmp_path / "termchat.db"
    fts_version = next(v for v, script in _MIGRATIONS.items() if "messages_fts" in script)
    db = sqlite3.connect(path, isolation_level=None)
    for version in range(1, fts_version):
        for statement in _statements(_MIGRATIONS[version]):
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {fts_version - 1}")
    db.execute("INSERT INTO conversations(id, title, mode, model, created_at, updated_at)"
               " VALUES ('tc_old', 'Kubernetes ingress', 'local', 'm', 1, 3)")
    db.executemany("INSERT INTO messages(conversation_pk, role, content, created_at) VALUES (1, ?, ?, ?)",
                   [("user", "why does my ingress return 502?", 1),
                    ("assistant", "A 502 means the backend pod refused the connection.", 2),
                    ("user", "and a 504?", 3)])
    db.close()

    store = Store(path)
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    hits = store.search("backend")
    assert [(h.conversation_id, h.role, h.turn) for h in hits] == [("tc_old", "assistant", 1)]
    assert _marked("backend") in hits[0].snippet
    assert [h.role for h in store.search("kubernetes")] == ["title"]
    _fts_ok(store)
    # the triggers run from now on: a new message is found, a changed title too
    conv = store.get_conversation("tc_old")
    store.add_message(conv, "user", "what about the gateway timeout?")
    assert [h.turn for h in store.search("gateway")] == [3]
    store.update_conversation(conv, title="Gateway errors")
    assert [h.role for h in store.search("gateway")] == ["title", "user"]
    assert store.search("kubernetes") == []


def test_index_follows_every_write(store):
    conv = store.create_conversation(mode="local", model="m", title="first chat")
    store.add_message(conv, "user", "tell me about otters")
    reply = store.add_message(conv, "assistant", "", status="streaming")
    assert [h.role for h in store.search("otters")] == ["user"]
    store.update_message(reply, content="Otters hold hands while they sleep.")
    assert [h.role for h in store.search("otters")] == ["assistant", "user"]
    store.update_message(reply, status="complete")  # other columns leave the index alone
    store.replace_messages(conv, [{"role": "user", "content": "beavers instead"}])
    assert store.search("otters") == []
    assert [h.role for h in store.search("beavers")] == ["user"]
    _fts_ok(store)
    store.delete_conversation(conv)  # the messages go by cascade: so do their index entries
    assert store.search("beavers") == [] and store.search("first") == []
    _fts_ok(store)


def test_newest_first_with_turns_and_snippets(store):
    old = store.create_conversation(mode="local", model="m", title="Rust lifetimes")
    store.add_message(old, "user", "what is a lifetime?")
    store.add_message(old, "assistant", "A lifetime names how long a borrow is valid.")
    new = store.create_conversation(mode="local", model="m", title="Go channels")
    store.add_message(new, "user", "first question")
    store.add_message(new, "assistant", "first answer")
    long_text = " ".join(["filler"] * 40) + " the borrow checker complains " + " ".join(["more"] * 40)
    store.add_message(new, "user", long_text)
    hits = store.search("borrow")
    assert [(h.conversation_id, h.role, h.turn) for h in hits] == [(new.id, "user", 2),
                                                                   (old.id, "assistant", 1)]
    snippet = hits[0].snippet
    assert _marked("borrow") in snippet and snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet.split()) <= 13  # a window around the match, not the whole message
    assert hits[0].title == "Go channels"
    assert [h.conversation_id for h in store.search("borrow", limit=1)] == [new.id]


def test_words_match_as_prefixes_and_all_must_occur(store):
    conv = store.create_conversation(mode="local", model="m", title="t")
    store.add_message(conv, "user", "Deployment to the café failed")
    store.add_message(conv, "user", "deploy again")
    assert len(store.search("deploy")) == 2
    assert len(store.search("deploy fail")) == 1
    assert len(store.search("CAFE")) == 1  # case and accents do not matter
    assert _marked("to the café") in store.search('"to the café"')[0].snippet
    assert store.search('"the to"') == []  # a quoted phrase keeps its order


@pytest.mark.parametrize("text", ['"unbalanced', 'a OR b', 'NOT x', 'NEAR(a b)', 'col:x', '*', '^start',
                                  'a AND', '(', "'", '"""', '-', 'x" y "z'])
def test_any_input_is_literal_never_a_syntax_error(store, text):
    conv = store.create_conversation(mode="local", model="m", title="t")
    store.add_message(conv, "user", "a OR b NOT x NEAR col start z")
    store.search(text)  # no sqlite3.OperationalError


def test_match_expression_quotes_every_term():
    assert match_expression("tcp slow") == '"tcp"* AND "slow"*'
    assert match_expression('say "hello world"') == '"say"* AND "hello world"'
    assert match_expression('"oops') == '"oops"*'
    assert match_expression("OR") == '"OR"*'
    assert match_expression("  -- ") is None and match_expression("") is None
