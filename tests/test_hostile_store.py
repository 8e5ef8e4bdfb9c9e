"""The store under trouble says what is wrong, and never writes where it should not (issue 15).

A full disk, a read-only data directory, a store locked by another process, a store renamed or
overwritten while a reply streams: each ends in one line that names the real cause, and no
chat is ever created without the prompt that started it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from termchat.errors import StoreError
from termchat.fake_api import Reply
from termchat.store import Store

from conftest import CLI_API_KEY, listing

needs_permissions = pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")


def termchat(*args: str) -> list[str]:
    return [sys.executable, "-m", "termchat", *args]


@pytest.fixture
def proc_env(env, server):
    """The environment of a `termchat` child process (same data dir as `run`)."""
    child = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_"))}
    child.update(
        TERMCHAT_DATA_DIR=str(env / "data"),
        TERMCHAT_CONFIG=str(env / "config.toml"),
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY=CLI_API_KEY,
    )
    return child


CONNECT = Store._connect


def _fill_on_connect(monkeypatch) -> None:
    """Every store connection sees a disk with no room left: SQLite raises SQLITE_FULL."""
    connect = CONNECT

    def full(self):
        db = connect(self)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(Store, "_connect", full)


# -- a full disk ---------------------------------------------------------------------------------


def test_a_full_disk_is_reported_as_such(tmp_path):
    store = Store.in_dir(tmp_path)
    conv = store.create_conversation(mode="local", model="m")
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError) as caught:
        store.add_message(conv, "user", "x" * 100_000)
    line = caught.value.one_line()
    assert "disk is full" in line and "rollback" not in line, line
    assert store.messages(conv) == []
    store.close()


def test_a_full_disk_before_the_first_prompt_leaves_no_empty_chat(run, monkeypatch):
    assert run("--state", "local", "-p", "small first chat").code == 0
    _fill_on_connect(monkeypatch)
    result = run("--state", "local", "-p", "x" * 100_000)
    assert result.code == 1
    assert "disk is full" in result.one_error_line()
    monkeypatch.setattr(Store, "_connect", CONNECT)
    assert [c["title"] for c in listing(run)] == ["small first chat"]  # no chat without its prompt


# -- a read-only data dir, a locked store ----------------------------------------------------------


@needs_permissions
def test_a_read_only_data_dir_is_named_and_not_called_damaged(run, env):
    assert run("--state", "local", "-p", "hi").code == 0
    data = env / "data"
    data.chmod(0o500)
    try:
        for argv in (("--state", "local", "-p", "again"), ("list",)):
            result = run(*argv)
            assert result.code == 1, (argv, result.err)
            line = result.one_error_line()
            assert "read-only" in line and "move it aside" not in line and "unreadable" not in line, line
    finally:
        data.chmod(0o700)


def test_a_read_only_store_is_named_from_what_sqlite_says(tmp_path, monkeypatch):
    # (The test above cannot run as root, who may write anywhere.) Both ways SQLite reports
    # it, and the check made before SQLite is asked at all.
    from termchat.store_file import check_before_open, store_error

    for message in ("attempt to write a readonly database", "unable to open database: read-only"):
        line = store_error(tmp_path / "termchat.db", sqlite3.OperationalError(message), "write to").one_line()
        assert "read-only" in line and "move it aside" not in line, line
    monkeypatch.setattr(os, "access", lambda path, mode: not mode & os.W_OK)
    with pytest.raises(StoreError, match=r"data directory .* is read-only"):
        check_before_open(tmp_path / "termchat.db")


LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA locking_mode = EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE")
db.execute("UPDATE conversations SET title = title")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


def test_a_store_locked_by_another_process_names_it_and_list_gives_up_soon(run, env, proc_env):
    from termchat import listing, store

    assert listing.LOCK_WAIT == store.READ_WAIT <= 5
    assert run("--state", "local", "-p", "hi").code == 0
    db = env / "data" / "termchat.db"
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert locker.stdout.readline().strip() == "locked"
        for argv in (("list",), ("list", "--json"), ("show", "tc_x")):
            # timeout: `list` used to wait 60 s; now 5 s (the margin is for a busy machine)
            done = subprocess.run(termchat(*argv), env=proc_env, capture_output=True, text=True, timeout=40)
            assert done.returncode == 1, (argv, done.stderr)
            assert done.stderr.count("\n") == 1, done.stderr
            assert f"locked by process {locker.pid}" in done.stderr, done.stderr
            assert "move it aside" not in done.stderr and "unreadable" not in done.stderr
    finally:
        locker.stdin.close()
        locker.wait(30)


# -- the store moved or overwritten while a reply streams ------------------------------------------


def _stream_until_held(server, proc_env, reached, release):
    server.script(Reply.paused(release, reached, after_deltas=2, text="one two three four five six seven eight"))
    child = subprocess.Popen(
        termchat("--state", "local", "-p", "write this down"),
        env=proc_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reached.wait(30), "the reply never started"
    assert child.stdout.read(len("one two")) == "one two"  # on screen (and saved as it streamed)
    return child


def test_a_store_renamed_mid_stream_gets_no_more_writes(run, env, server, proc_env):
    reached, release = threading.Event(), threading.Event()
    child = _stream_until_held(server, proc_env, reached, release)
    db = env / "data" / "termchat.db"
    moved = env / "data" / "moved-away.db"
    os.rename(db, moved)
    release.set()
    _, err = child.communicate(timeout=60)
    assert child.returncode == 1
    assert err.count("\n") == 1 and "was moved or deleted while termchat was running" in err, err
    assert not db.exists()  # nothing recreated in its place
    rows = sqlite3.connect(moved).execute("SELECT role, content FROM messages ORDER BY id").fetchall()
    assert rows[0] == ("user", "write this down")  # the moved file is whole on its own
    assert "eight" not in rows[1][1]  # the rest of the reply did not go into it


def test_a_store_overwritten_mid_stream_is_left_as_it_was(run, env, server, proc_env):
    reached, release = threading.Event(), threading.Event()
    child = _stream_until_held(server, proc_env, reached, release)
    db = env / "data" / "termchat.db"
    junk = b"not a database any more\n" * 2000
    db.write_bytes(junk)  # same file, new content (as `cp other db` or a stray redirect would do)
    release.set()
    _, err = child.communicate(timeout=60)
    assert child.returncode == 1
    assert err.count("\n") == 1 and "was overwritten while termchat was running" in err, err
    assert db.read_bytes() == junk  # the closing checkpoint did not write into it or truncate it
    again = run("list")
    assert again.code == 1 and "damaged or not a termchat database" in again.one_error_line()
    assert db.read_bytes() == junk


# -- what was shown is stored, even while the stream stalls ---------------------------------------


def _stored_reply(db) -> str | None:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute(
                "SELECT content FROM messages WHERE role = 'assistant' ORDER BY id DESC LIMIT 1"
            ).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _wait_until(condition, timeout: float = 30.0) -> bool:
    """Wait for `condition()` (a file written by another process), checking every 50 ms."""
    done = threading.Event()
    deadline = threading.Timer(timeout, done.set)
    deadline.start()
    try:
        while not done.is_set():
            if condition():
                return True
            done.wait(0.05)
        return condition()
    finally:
        deadline.cancel()


def test_what_was_shown_is_stored_while_the_stream_stalls(env, server, proc_env):
    reached, release = threading.Event(), threading.Event()
    server.script(Reply.paused(release, reached, after_deltas=2, text="one two three four"))
    child = subprocess.Popen(
        termchat("--state", "local", "-p", "go on"),
        env=proc_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reached.wait(30), "the reply never started"
        assert child.stdout.read(len("one two")) == "one two"  # shown; then the server stalls
        db = env / "data" / "termchat.db"
        # before: the store held "" for as long as the stall lasted (saves came with the next delta)
        assert _wait_until(lambda: _stored_reply(db) == "one two"), _stored_reply(db)
    finally:
        release.set()
        _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert _stored_reply(env / "data" / "termchat.db") == "one two three four"
