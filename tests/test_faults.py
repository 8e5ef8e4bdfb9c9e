"""Network and server faults, through the CLI with the real SDK against termchat.fake_api.

Every fault must end the same way: a meaningful exit code, ONE line on stderr (no traceback),
the prompt kept in the store, a partial reply kept and marked, and a retry that works.
(HTTP 401/403/404, a plain 429+500 retry, a dropped chunked stream and a nested error event
with no text are covered in tests/test_cli.py.) The fixtures here are reused by the other
reliability/security test files.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from termchat.fake_api import Reply

from conftest import CLI_API_KEY, listing

API_KEY = CLI_API_KEY


def messages(run, conv_id: str | None = None) -> list[dict]:
    conv_id = conv_id or listing(run)[0]["id"]
    result = run("export", conv_id, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)["messages"]


def bodies(server, path: str = "/v1/responses") -> list:
    return [r.body for r in server.requests if r.method == "POST" and r.path == path]


def assert_kept(run, prompt: str, *, status: str, partial: str | None = None) -> dict:
    """The prompt is stored, the reply row exists with `status` (and starts with `partial`)."""
    stored = messages(run)
    assert stored[-2]["role"] == "user" and stored[-2]["content"] == prompt
    reply = stored[-1]
    assert reply["role"] == "assistant" and reply["status"] == status, reply
    if partial is not None:
        assert reply["content"] and partial.startswith(reply["content"]), reply
    return reply


def assert_retry_works(run) -> None:
    again = run("-c", "-p", "try again")
    assert again.code == 0, again.err
    assert again.out.strip()
    assert messages(run)[-1]["status"] == "complete"


# -- HTTP status faults ------------------------------------------------------------------------


def test_429_retry_after_is_honoured_then_succeeds(run, server):
    server.script(Reply.rate_limit(retry_after=0.4))
    started = time.monotonic()
    result = run("--state", "local", "-p", "hi")
    assert result.code == 0, result.err
    assert time.monotonic() - started >= 0.35  # the SDK waited as the server asked
    assert len(bodies(server)) == 2
    assert result.err == ""


def test_429_that_persists_exits_1_with_the_hint(run, server):
    for _ in range(3):  # the first try and the SDK's two retries
        server.script(Reply.rate_limit(retry_after=0))
    result = run("--state", "local", "-p", "rate me")
    assert result.code == 1
    line = result.one_error_line()
    assert "HTTP 429" in line and "Rate limit reached" in line and "retry after" in line
    assert len(bodies(server)) == 3
    reply = assert_kept(run, "rate me", status="failed")
    assert "429" in reply["error"]
    assert_retry_works(run)


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_once_is_retried(run, server, status):
    server.script(Reply.error(status, "The server is overloaded", type="server_error"))
    result = run("--state", "local", "-p", "hi")
    assert result.code == 0, result.err
    assert result.out.strip() and len(bodies(server)) == 2


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_that_persists_is_one_line(run, server, status):
    for _ in range(3):
        server.script(Reply.error(status, "The server is overloaded", type="server_error"))
    result = run("--state", "local", "-p", "still there?")
    assert result.code == 1
    line = result.one_error_line()
    assert f"HTTP {status}" in line and "overloaded" in line and "try again" in line
    assert_kept(run, "still there?", status="failed")
    assert_retry_works(run)


@pytest.mark.parametrize("status,hint", [(401, "OPENAI_API_KEY"), (403, "lacks access"), (404, "HTTP 404")])
def test_auth_and_not_found_in_conversation_mode(run, server, status, hint):
    # tests/test_cli.py covers local mode; here the default mode, failing on the first call
    # (creating the conversation) with an OpenAI error body.
    server.script(Reply.error(status, "No access for you", code="some_code", endpoint="conversations.create"))
    result = run("-p", "keep me too")
    assert result.code == 1
    line = result.one_error_line()
    assert f"HTTP {status}" in line and hint in line and "No access for you" in line
    assert_kept(run, "keep me too", status="failed")
    assert_retry_works(run)


# -- network faults ----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused(run, server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{_closed_port()}/v1")
    result = run("--state", "local", "-p", "anyone home?")
    assert result.code == 1
    line = result.one_error_line()
    assert "connection refused" in line and "127.0.0.1" in line
    assert_kept(run, "anyone home?", status="failed")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    assert_retry_works(run)


def test_read_timeout_on_a_slow_stream(run, server, monkeypatch):
    # Api has a `timeout` argument (default 120 s) but neither the config nor a flag sets it;
    # the test lowers the default the CLI gets.
    from termchat.api import Api

    monkeypatch.setitem(Api.__init__.__kwdefaults__, "timeout", 0.5)
    server.script(Reply.text("slow words arrive here", chunks=["slow ", "words ", "arrive ", "here"]))
    server.script(Reply.slow(delay=3.0))
    assert run("--state", "local", "-p", "warm up").code == 0
    result = run("-c", "-p", "take your time")  # (with no timeout it would succeed after 3 s)
    assert result.code == 1
    assert "timed out" in result.one_error_line()
    assert_kept(run, "take your time", status="failed")
    monkeypatch.setitem(Api.__init__.__kwdefaults__, "timeout", 30.0)
    assert_retry_works(run)


# -- stream faults -----------------------------------------------------------------------------


def test_stream_that_stops_without_a_terminal_event(run, server):
    server.script(Reply.drop(after_deltas=2, clean=True))
    result = run("--state", "local", "-p", "tell me")
    assert result.code == 1
    assert "ended before the reply finished" in result.one_error_line()
    reply = assert_kept(run, "tell me", status="interrupted")
    assert reply["content"] and result.out.startswith(reply["content"])
    assert_retry_works(run)


def test_malformed_sse_keeps_the_partial_reply(run, server):
    server.script(Reply.malformed(after_deltas=2))
    result = run("--state", "local", "-p", "tell me")
    assert result.code == 1
    assert "malformed" in result.one_error_line()
    reply = assert_kept(run, "tell me", status="interrupted")
    assert result.out.startswith(reply["content"])
    assert_retry_works(run)


@pytest.mark.parametrize("nested", [True, False], ids=["nested", "flat"])
def test_error_event_after_text_then_failed(run, server, nested):
    server.script(Reply.error_event("The model melted", code="server_error", nested=nested, after_deltas=2))
    result = run("--state", "local", "-p", "go")
    assert result.code == 1
    line = result.one_error_line()
    assert "The model melted" in line and "server_error" in line
    reply = assert_kept(run, "go", status="interrupted")
    assert reply["content"] and result.out.startswith(reply["content"])
    assert "The model melted" in reply["error"]
    assert_retry_works(run)


def test_flat_error_event_without_response_failed(run, server):
    server.script(Reply.error_event("Lost my train of thought", nested=False, failed=False))
    result = run("--state", "local", "-p", "go")
    assert result.code == 1
    assert "Lost my train of thought" in result.one_error_line()
    assert_kept(run, "go", status="failed")


def test_incomplete_reply_is_kept_marked_with_a_note(run, server):
    server.script(Reply.incomplete(text="one two three four five six seven eight", after_deltas=3))
    result = run("--state", "local", "-p", "count")
    # A reply cut at max_output_tokens is an answer, not an error: exit 0 and a note.
    assert result.code == 0
    assert result.err == "termchat: note: the reply is incomplete (max_output_tokens)\n"
    reply = assert_kept(run, "count", status="incomplete")
    assert reply["content"] and reply["content"].strip() == result.out.strip()
    shown = run("show", listing(run)[0]["id"])
    assert "(incomplete)" in shown.out
    assert_retry_works(run)


def test_unknown_event_type_is_ignored(run, server):
    server.script(
        Reply.unknown_event(
            type="response.future_feature.delta", payload={"delta": "NOT TEXT", "item_id": "x"}, text="all of the text"
        )
    )
    result = run("--state", "local", "-p", "hi")
    assert result.code == 0, result.err
    assert result.out == "all of the text\n" and result.err == ""


def test_unknown_item_type_is_a_neutral_line(run, server):
    server.script(
        Reply.items(
            [
                {"type": "hologram_call", "status": "completed", "detail": "x"},
                {
                    "type": "message",
                    "content": [{"type": "output_text", "text": "after the hologram", "annotations": []}],
                },
            ]
        )
    )
    result = run("--state", "local", "-p", "hi")
    assert result.code == 0, result.err
    assert result.out == "after the hologram\n"
    assert "Traceback" not in result.err and result.err.count("\n") <= 1
    shown = run("show", listing(run)[0]["id"])
    assert shown.code == 0 and "after the hologram" in shown.out


def test_unknown_item_type_prints_no_warnings_in_a_real_process(env, server):
    server.script(
        Reply.items(
            [
                {"type": "hologram_call", "status": "completed"},
                {"type": "message", "content": [{"type": "output_text", "text": "ok", "annotations": []}]},
            ]
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "termchat", "--state", "local", "-p", "hi"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0 and proc.stdout == "ok\n"
    assert proc.stderr == "termchat: hologram_call item\n"


def test_one_megabyte_delta_arrives_whole(run, server):
    server.script(Reply.large_delta(size=1_000_000, char="y"))
    result = run("--state", "local", "-p", "big")
    assert result.code == 0, result.err
    assert result.out == "y" * 1_000_000 + "\n"
    reply = messages(run)[-1]
    assert reply["status"] == "complete" and reply["content"] == "y" * 1_000_000


# -- the local store ---------------------------------------------------------------------------


def _db(env):
    return env / "data" / "termchat.db"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_database_is_one_line_and_left_untouched(run, env, damage):
    assert run("--state", "local", "-p", "hello").code == 0
    db = _db(env)
    for suffix in ("-wal", "-shm"):
        (db.parent / (db.name + suffix)).unlink(missing_ok=True)
    if damage == "garbage":
        db.write_bytes(b"this is not a database at all\n" * 200)
    else:
        good = db.read_bytes()
        db.write_bytes(good[:100] + b"\xff" * (len(good) - 100))
    before = db.read_bytes()
    mtime = db.stat().st_mtime_ns
    for argv in (("list",), ("-p", "hi"), ("show", "whatever")):
        result = run(*argv)
        assert result.code == 1, (argv, result.err)
        line = result.one_error_line()
        assert str(db) in line and "move it aside" in line
    assert db.read_bytes() == before and db.stat().st_mtime_ns == mtime


def test_unreadable_database_is_one_line(run, env, monkeypatch):
    assert run("--state", "local", "-p", "hello").code == 0
    db = _db(env)
    if os.geteuid() == 0:
        # root ignores file modes: simulate what access(2) reports for a chmod 000 file
        import termchat.store_file

        real_access = os.access
        monkeypatch.setattr(
            termchat.store_file.os,
            "access",
            lambda path, mode, *a, **k: False if str(path) == str(db) else real_access(path, mode, *a, **k),
        )
    else:
        db.chmod(0)
    try:
        result = run("list")
    finally:
        db.chmod(0o600)
    assert result.code == 1
    line = result.one_error_line()
    assert str(db) in line and "permission" in line


_WRITER = r"""
import sys
from termchat.store import Store
store = Store.in_dir(sys.argv[1])
name = sys.argv[2]
conv = store.create_conversation(mode="local", model="m", title=name)
for i in range(200):
    store.add_message(conv, "user", f"{name}-{i}")
    reply = store.add_message(conv, "assistant", "", status="streaming")
    store.update_message(reply, content=f"answer {name}-{i}", status="complete")
store.close()
"""


def test_two_processes_200_turns_each_through_the_store(tmp_path):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(tmp_path / "data"), name], stderr=subprocess.PIPE, text=True
        )
        for name in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)  # only stops a hang: it runs, however slowly
        assert proc.returncode == 0, err
    from termchat.store import Store

    with Store.in_dir(tmp_path / "data") as store:
        assert store.integrity_ok()
        chats = store.list_conversations()
        assert sorted(c.title for c in chats) == ["a", "b"]
        for conv in chats:
            rows = store.messages(conv)
            assert conv.message_count == len(rows) == 400
            assert [m.content for m in rows[::2]] == [f"{conv.title}-{i}" for i in range(200)]
            assert all(m.status == "complete" and m.content for m in rows[1::2])


def test_timeout_flag_gives_up_on_a_silent_server(run, server):
    for _ in range(3):  # the first try and the SDK's two retries
        server.script(Reply.slow(delay=3.0))
    started = time.monotonic()
    result = run("--timeout", "0.5", "--state", "local", "-p", "hello?")
    assert result.code == 1 and "timed out" in result.one_error_line()
    assert time.monotonic() - started < 8
    assert run("--timeout", "0", "-p", "x").code == 2
