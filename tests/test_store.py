"""The SQLite store: rows, aliases, ordering, corruption, migrations and concurrent writers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from termchat.errors import StoreError
from termchat.store import SCHEMA_VERSION, STREAMING, Store


def test_conversation_round_trip_and_listing_order(tmp_path):
    store = Store.in_dir(tmp_path)
    clock = iter(range(100, 200))
    store._now = lambda: float(next(clock))
    first = store.create_conversation(mode="local", model="gpt-5.2", title="first")
    store.create_conversation(mode="chain", model="gpt-5.2", title="second")
    store.add_message(first, "user", "hello")  # bumps `first` to most recent
    listed = store.list_conversations()
    assert [c.title for c in listed] == ["first", "second"]
    assert listed[0].message_count == 1
    assert store.most_recent().id == first.id
    assert [c.title for c in store.list_conversations(search="sec")] == ["second"]
    assert store.list_conversations(search="%") == []  # LIKE wildcards are literal


def test_changed_id_keeps_alias(tmp_path):
    store = Store.in_dir(tmp_path)
    conv = store.create_conversation(mode="conversation", model="m", title="t")
    old = conv.id
    conv = store.update_conversation(conv, id="conv_new", remote_id="conv_new")
    assert store.get_conversation(old).id == "conv_new"
    assert store.get_conversation("conv_new").pk == conv.pk


def test_messages_paging_and_corrupt_json_column(tmp_path):
    store = Store.in_dir(tmp_path)
    conv = store.create_conversation(mode="local", model="m", title="t")
    ids = [store.add_message(conv, "user", f"m{i}") for i in range(10)]
    assert [m.content for m in store.messages(conv, limit=3)] == ["m7", "m8", "m9"]
    assert [m.content for m in store.messages(conv, limit=3, before_id=ids[7])] == ["m4", "m5", "m6"]
    store._db.execute("UPDATE messages SET items = '{not json', usage = 'x' WHERE id = ?", (ids[0],))
    first = store.messages(conv)[0]
    assert first.items == [] and first.usage is None
    store._db.execute("UPDATE conversations SET settings = '[' WHERE pk = ?", (conv.pk,))
    assert store.reload(conv).settings == {}


def test_streaming_rows_read_as_interrupted(tmp_path):
    store = Store.in_dir(tmp_path)
    conv = store.create_conversation(mode="local", model="m", title="t")
    mid = store.add_message(conv, "assistant", "partial", status=STREAMING)
    message = store.message(mid)
    assert message.interrupted
    assert message.to_json()["status"] == "interrupted"


def test_not_a_database_is_a_clear_error_and_untouched(tmp_path):
    path = tmp_path / "termchat.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert str(path) in info.value.one_line()
    assert path.read_bytes() == b"this is not sqlite" * 100


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "termchat.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer termchat"):
        Store(path)


def test_migration_from_version_1_keeps_data(tmp_path):
    from termchat.store import _MIGRATIONS

    path = tmp_path / "termchat.db"
    db = sqlite3.connect(path)
    db.executescript(_MIGRATIONS[1])
    db.execute(
        "INSERT INTO conversations(id, title, mode, model, created_at, updated_at)"
        " VALUES ('tc_old', 'old chat', 'local', 'm', 1, 1)"
    )
    db.execute("INSERT INTO messages(conversation_pk, role, content, created_at) VALUES (1, 'user', 'hi', 1)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    store = Store(path)
    conv = store.get_conversation("tc_old")
    assert conv.message_count == 1
    assert store.messages(conv)[0].content == "hi"
    assert store.jobs() == []
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_migration_marks_chats_with_an_unpriced_turn_as_cost_unknown(tmp_path):
    from termchat.store import _MIGRATIONS

    path = tmp_path / "termchat.db"
    db = sqlite3.connect(path)
    db.executescript(_MIGRATIONS[1] + _MIGRATIONS[2])
    for pk, cost in ((1, 0.25), (2, None)):
        db.execute(
            "INSERT INTO conversations(id, mode, model, created_at, updated_at, cost_usd)"
            " VALUES (?, 'local', 'm', 1, 1, ?)",
            (f"tc_{pk}", cost or 0),
        )
        db.execute(
            "INSERT INTO messages(conversation_pk, role, usage, cost_usd, created_at)"
            " VALUES (?, 'assistant', '{\"input_tokens\": 5}', ?, 1)",
            (pk, cost),
        )
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    store = Store(path)
    assert store.get_conversation("tc_1").cost_usd == 0.25
    assert store.get_conversation("tc_2").cost_usd is None
    conv = store.get_conversation("tc_1")
    store.add_usage(conv, input_tokens=1, output_tokens=1, cost_usd=None)
    assert store.reload(conv).cost_usd is None and store.reload(conv).input_tokens == 1


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from termchat.store import Store
        store = Store.in_dir({str(tmp_path)!r})
        conv = store.create_conversation(mode="local", model="m", title=sys.argv[1])
        for i in range(200):
            store.add_message(conv, "user", f"{{sys.argv[1]}}-{{i}}")
            store.add_usage(conv, input_tokens=1, output_tokens=1, cost_usd=0.0)
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", script, name], stderr=subprocess.PIPE, text=True) for name in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = Store.in_dir(tmp_path)
    for conv in store.list_conversations():
        messages = store.messages(conv)
        assert [m.content for m in messages] == [f"{conv.title}-{i}" for i in range(200)]
        assert conv.message_count == 200 and conv.input_tokens == 200
    assert store.integrity_ok()


def test_the_listing_format_is_the_stores_schema(tmp_path):
    """The `list` fast path reads store_format's version and columns without the store."""
    from termchat.store import _MIGRATIONS
    from termchat.store_format import LISTED_COLUMNS
    from termchat.store_format import SCHEMA_VERSION as LISTED_VERSION

    assert LISTED_VERSION == SCHEMA_VERSION == max(_MIGRATIONS)
    with Store.in_dir(tmp_path) as store:
        columns = {row[1] for row in store._db.execute("PRAGMA table_info(conversations)")}
    assert set(LISTED_COLUMNS) <= columns


def test_migration_from_version_2_keeps_jobs(tmp_path):
    from termchat.store import _MIGRATIONS

    path = tmp_path / "termchat.db"
    db = sqlite3.connect(path)
    db.executescript(_MIGRATIONS[1] + ";" + _MIGRATIONS[2])
    db.execute("INSERT INTO jobs(response_id, status, created_at, updated_at) VALUES ('resp_old', 'queued', 1, 1)")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    job = Store(path).job("resp_old")
    assert (job.status, job.base_url, job.model, job.pending) == ("queued", None, None, True)


class _InterruptAfter:
    """A connection that raises KeyboardInterrupt (as Ctrl-C does) right after running `sql`."""

    def __init__(self, db, sql: str) -> None:
        self._db, self._sql = db, sql

    def execute(self, sql, *args):
        cursor = self._db.execute(sql, *args)
        if sql == self._sql:
            self._sql = None  # once
            raise KeyboardInterrupt
        return cursor

    def __getattr__(self, name):
        return getattr(self._db, name)


@pytest.mark.parametrize("after", ["BEGIN IMMEDIATE", "COMMIT"])
def test_ctrl_c_around_a_write_stays_an_interrupt_and_leaves_no_transaction_open(tmp_path, after):
    store = Store.in_dir(tmp_path)
    conv = store.create_conversation(mode="local", model="m", title="t")
    real = store._db
    store._db = _InterruptAfter(real, after)
    with pytest.raises(KeyboardInterrupt):  # not a StoreError ("cannot rollback") that exits 1
        store.add_message(conv, "user", "typed just before Ctrl-C")
    store._db = real
    assert not real.in_transaction
    store.add_message(conv, "user", "the next write works")
    kept = [m.content for m in store.messages(conv)]
    assert kept[-1] == "the next write works"
    assert ("typed just before Ctrl-C" in kept) == (after == "COMMIT")  # committed, or rolled back
    store.close()
