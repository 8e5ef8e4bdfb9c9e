"""termchat as a real process: pipes, signals, a closed stdout, two writers on one store."""

from __future__ import annotations

import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from termchat.fake_api import FakeAPI, Reply

HANG = 300  # seconds: a deadline that only stops a hung process, never a slow one


@pytest.fixture
def server():
    api = FakeAPI()
    api.start()
    yield api
    api.stop()


@pytest.fixture
def env(tmp_path, server):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_"))}
    env.update(TERMCHAT_DATA_DIR=str(tmp_path / "data"), TERMCHAT_CONFIG=str(tmp_path / "config.toml"),
               OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test-process-key")
    return env


def termchat(*args: str) -> list[str]:
    return [sys.executable, "-m", "termchat", *args]


def _chats(env):
    out = subprocess.run(termchat("list", "--json"), env=env, capture_output=True, text=True, timeout=HANG)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _messages(env, conv_id):
    out = subprocess.run(termchat("export", conv_id, "--format", "json"), env=env, capture_output=True,
                         text=True, timeout=HANG)
    return json.loads(out.stdout)["messages"]


def test_pipe_in_and_out_without_a_tty(env, server):
    proc = subprocess.run(termchat("-p", "Summarise:"), input="alpha\nbeta\n", env=env,
                          capture_output=True, text=True, timeout=HANG)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() and "\x1b" not in proc.stdout
    assert proc.stderr == ""  # status lines only when stderr is a terminal
    assert server.requests[-1].body["input"][-1]["content"] == "Summarise:\n\nalpha\nbeta\n"


def test_p_does_not_wait_on_an_open_stdin(env):
    # stdin is a pipe nobody writes to or closes: -p must not hang on it.
    proc = subprocess.Popen(termchat("-p", "hi"), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True)
    try:
        out, err = _wait_output(proc)
    finally:
        proc.stdin.close()
    assert proc.returncode == 0, err
    assert out.strip()


def _wait_output(proc):
    deadline = time.time() + HANG
    while proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert proc.poll() is not None, "termchat -p waited on stdin"
    return proc.stdout.read(), proc.stderr.read()


def test_closed_stdout_ends_quietly(env, server):
    server.script(Reply.text("line one\nline two\nline three\n" * 200, delay=0.001))
    proc = subprocess.run(f"{' '.join(termchat('--state', 'local', '-p', 'lines'))} | head -1",
                          shell=True, env=env, capture_output=True, text=True, timeout=HANG)
    assert proc.stdout == "line one\n"
    assert proc.stderr == ""


def test_ctrl_c_exits_130_and_keeps_the_partial_reply(env, server):
    server.script(Reply.text("word " * 400, hold_after=20))  # still streaming when Ctrl-C comes
    proc = subprocess.Popen(termchat("--state", "local", "-p", "long please"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    _wait_for_output(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=HANG)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    conv_id = _chats(env)[0]["id"]
    messages = _messages(env, conv_id)
    assert messages[0]["content"] == "long please"
    assert messages[1]["status"] == "interrupted" and messages[1]["content"].startswith("word")


def _wait_for_output(proc):
    """Block until termchat writes its first byte to stdout (the deadline only stops a hang)."""
    ready, _, _ = select.select([proc.stdout], [], [], 300)
    assert ready and proc.stdout.read(1), "no output from termchat"


def _wait_for_saved_reply(db_path, deadline_s: float = 300):
    """Wait until the streaming reply has been saved with some text (the periodic save)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if db_path.exists():
            db = sqlite3.connect(db_path, timeout=30)
            try:
                row = db.execute("SELECT count(*) FROM messages WHERE role = 'assistant' AND status = 'streaming'"
                                 " AND content != ''").fetchone()
            except sqlite3.OperationalError:  # not created yet
                row = (0,)
            finally:
                db.close()
            if row[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the streaming reply was never saved")


def test_sigkill_mid_stream_leaves_a_clean_store(env, server, tmp_path):
    server.script(Reply.text("first answer"))
    assert subprocess.run(termchat("--state", "local", "-p", "one"), env=env, capture_output=True,
                          timeout=HANG).returncode == 0
    # Deltas keep coming (so periodic saves happen), and the reply never ends by itself.
    server.script(Reply.text("word " * 4000, delay=0.01, hold_after=3000))
    proc = subprocess.Popen(termchat("-c", "-p", "two"), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    _wait_for_output(proc)
    _wait_for_saved_reply(tmp_path / "data" / "termchat.db")
    proc.kill()
    proc.wait(timeout=HANG)
    db = sqlite3.connect(tmp_path / "data" / "termchat.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conv_id = _chats(env)[0]["id"]
    messages = _messages(env, conv_id)
    assert [m["content"] for m in messages[:3]] == ["one", "first answer", "two"]
    assert messages[3]["status"] == "interrupted" and messages[3]["content"].startswith("word")


def test_two_processes_on_one_store_lose_nothing(env, server):
    procs = []
    for name in ("a", "b"):  # (the deadline only stops a hang: 8 runs take ~1 min on a busy machine)
        script = (f"for i in $(seq 1 4); do {sys.executable} -m termchat --state local "
                  f"-p {name}-$i >/dev/null || exit 1; done")
        procs.append(subprocess.Popen(script, shell=True, env=env, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert "locked" not in err
    chats = _chats(env)
    assert len(chats) == 8
    assert sorted(c["title"] for c in chats) == sorted(f"{n}-{i}" for n in "ab" for i in range(1, 5))


def test_demo_needs_no_key_and_leaves_no_trace(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_"))}
    env.update(TERMCHAT_DATA_DIR=str(tmp_path / "real-data"), TERMCHAT_CONFIG=str(tmp_path / "c.toml"))
    first = subprocess.run(termchat("--demo", "-p", "Hello, my name is Ada."), env=env,
                           capture_output=True, text=True, timeout=HANG, stdin=subprocess.DEVNULL)
    assert first.returncode == 0, first.stderr
    assert "Ada" in first.stdout
    listed = subprocess.run(termchat("--demo", "list", "--json"), env=env, capture_output=True,
                            text=True, timeout=HANG)
    titles = [c["title"] for c in json.loads(listed.stdout)]
    assert "Welcome to termchat" in titles  # the demo's own sample chats
    assert not (tmp_path / "real-data").exists()  # the user's store is never touched
