"""Background jobs as a user meets them from the shell: start, list, wait, cancel, every end.

The fake API runs jobs on its own clock (queued 5 s, then in progress 10 s, like
`python -m termchat.fake_api --job-seconds 5,10`); tests move that clock, never sleep on it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from termchat.fake_api import FakeAPI, FakeClock, Reply

REPLY = "The report is done: three findings, one risk."
SAFETY = 60.0  # seconds; a safety net for a hung process, never a timing assert


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def server(clock):
    """Overrides conftest's `server`: the CLI fixtures (`env`, `run`) talk to this one."""
    api = FakeAPI(clock=clock, job_seconds=(5, 10))
    api.start()
    yield api
    api.stop()


def start_job(run, server, text=REPLY, prompt="write the report"):
    if text is not None:
        server.script(Reply.text(text))
    result = run("--background", "-p", prompt)
    assert result.code == 0, result.err
    assert re.fullmatch(r"resp_[A-Za-z0-9_]+\n", result.out), result.out  # the id, nothing else
    return result.out.strip()


def messages(run, job_id=None):
    chats = json.loads(run("list", "--json").out)
    exported = json.loads(run("export", chats[0]["id"], "--format", "json").out)
    return exported["messages"]


def one_line(result, code):
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    assert result.err.count("\n") == 1 and result.err.startswith("termchat: error: "), result.err
    return result.err


# -- starting a job ------------------------------------------------------------------------------


def test_background_prints_only_the_job_id(run, server):
    job_id = start_job(run, server)
    assert server.requests_to("responses")[-1].body["background"] is True
    prompt, reply = messages(run)
    assert prompt["content"] == "write the report" and reply["status"] == "interrupted"  # pending
    jobs = json.loads(run("jobs", "--json").out)
    assert [(j["id"], j["status"], j["server"], j["model"], j["on_this_server"]) for j in jobs] == [
        (job_id, "queued", server.base_url, "gpt-5.2", True)
    ]


def test_background_wait_prints_only_the_reply(run, server, clock):
    server.script(Reply.text(REPLY))
    moved = advance_when_polled(server, clock, 20)
    result = run("--background", "--wait", "-p", "write the report")
    moved.join(SAFETY)
    assert result.code == 0, result.err
    assert result.out == REPLY + "\n"
    job_id = json.loads(run("jobs", "--json").out)[0]["id"]
    assert result.err.startswith(f"termchat: job {job_id} queued; waiting for it")


def advance_when_polled(server, clock, seconds):
    """Move the fake's clock once termchat follows the job (its first GET of the response)."""

    def advance():
        deadline = time.monotonic() + SAFETY
        while not server.requests_to("retrieve") and time.monotonic() < deadline:
            time.sleep(0.01)
        clock.advance(seconds)

    thread = threading.Thread(target=advance, daemon=True)
    thread.start()
    return thread


# -- the reply is never lost -----------------------------------------------------------------------


def test_refresh_then_wait_returns_the_reply(run, server, clock):
    job_id = start_job(run, server)
    clock.advance(20)
    listed = run("jobs")
    assert listed.code == 0 and re.match(rf"{job_id}\s+completed\b", listed.out), listed.out
    # The refresh that saw the end stored the reply in the same step.
    reply = messages(run)[1]
    assert reply["status"] == "complete" and reply["content"] == REPLY
    waited = run("jobs", "wait", job_id)
    assert (waited.code, waited.out, waited.err) == (0, REPLY + "\n", "")
    assert "interrupted" not in run("show", json.loads(run("list", "--json").out)[0]["id"]).out


def test_a_job_settled_without_its_reply_is_fetched(run, server, clock, env):
    """A store from the old termchat: a refresh marked the job completed and stored nothing."""
    job_id = start_job(run, server)
    clock.advance(20)
    db = sqlite3.connect(env / "data" / "termchat.db")
    db.execute("UPDATE jobs SET status = 'completed' WHERE response_id = ?", (job_id,))
    db.commit()
    db.close()
    waited = run("jobs", "wait", job_id)
    assert (waited.code, waited.out) == (0, REPLY + "\n"), waited.err
    assert messages(run)[1]["content"] == REPLY


def test_wait_all_follows_every_pending_job(run, server, clock):
    first = start_job(run, server, "first reply")
    second = start_job(run, server, "second reply", prompt="another report")
    clock.advance(20)
    result = run("jobs", "wait", "--all")
    assert result.code == 0, result.err
    assert result.out == "first reply\nsecond reply\n"
    assert first in result.err and second in result.err
    nothing = run("jobs", "wait", "--all")
    assert nothing.code == 0 and "no pending jobs" in nothing.err


# -- every end: one line, exit 1 ---------------------------------------------------------------------


def test_failed_job(run, server, clock):
    server.script(Reply.error_event("The model ran out of ideas", code="server_error"))
    job_id = start_job(run, server, text=None)
    clock.advance(20)
    err = one_line(run("jobs", "wait", job_id), 1)
    assert err == f"termchat: error: job {job_id} failed: The model ran out of ideas\n"
    reply = messages(run)[1]
    assert reply["status"] == "failed" and reply["error"] == "The model ran out of ideas"
    assert one_line(run("jobs", "wait", job_id), 1) == err  # known now: the same line


def test_cancelled_job(run, server):
    job_id = start_job(run, server)
    cancelled = run("jobs", "cancel", job_id)
    assert cancelled.code == 0 and "cancelled" in cancelled.err
    err = one_line(run("jobs", "wait", job_id), 1)
    assert err == f"termchat: error: job {job_id} was cancelled\n"
    assert messages(run)[1]["status"] == "interrupted"


def test_expired_job(run, server, clock):
    job_id = start_job(run, server)
    clock.advance(3600)  # the server keeps background results ~10 minutes
    err = one_line(run("jobs", "wait", job_id), 1)
    assert err.startswith(f"termchat: error: job {job_id} expired: the server no longer has it")
    assert one_line(run("jobs", "wait", job_id), 1) == err  # already known expired
    prompt, reply = messages(run)
    assert prompt["content"] == "write the report" and reply["status"] == "failed"


def test_job_the_server_does_not_know(run, server):
    job_id = start_job(run, server)
    server.store.delete_response(job_id)  # gone: the server answers 404
    err = one_line(run("jobs", "wait", job_id), 1)
    assert f"job {job_id} expired: the server no longer has it" in err


def test_incomplete_job_keeps_the_partial_reply(run, server, clock):
    server.script(Reply.incomplete(text="one two three four five six", after_deltas=3))
    job_id = start_job(run, server, text=None)
    clock.advance(20)
    result = run("jobs", "wait", job_id)
    err = one_line(result, 1)
    assert err == (f"termchat: error: job {job_id} is incomplete (max_output_tokens): the partial reply is kept\n")
    assert result.out == "one two three\n"
    assert messages(run)[1]["status"] == "incomplete"


# -- one server per job ---------------------------------------------------------------------------------


def test_a_job_is_polled_only_on_its_own_server(run, server, clock):
    job_id = start_job(run, server)
    other = FakeAPI(clock=clock)
    other.start()
    try:
        listed = run("--base-url", other.base_url, "jobs")
        assert listed.code == 0
        assert re.match(rf"{job_id}\s+queued\b.*on another server: {re.escape(server.base_url)}", listed.out), (
            listed.out
        )
        shown = json.loads(run("--base-url", other.base_url, "jobs", "--json").out)[0]
        assert (shown["status"], shown["on_this_server"]) == ("queued", False)
        err = one_line(run("--base-url", other.base_url, "jobs", "wait", job_id), 2)
        assert f"runs on {server.base_url}" in err and f"--base-url {server.base_url}" in err
        assert other.requests_to("retrieve") == []  # never asked about another server's job
    finally:
        other.stop()
    clock.advance(20)
    waited = run("jobs", "wait", job_id)
    assert (waited.code, waited.out) == (0, REPLY + "\n"), waited.err


# -- bad input: one line, nothing lost -------------------------------------------------------------------


def test_unknown_job_id(run, server):
    err = one_line(run("jobs", "wait", "resp_nope"), 2)
    assert "unknown job 'resp_nope'" in err


def test_a_job_id_of_another_store(run, server, clock, monkeypatch, tmp_path):
    job_id = start_job(run, server)
    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(tmp_path / "other"))
    err = one_line(run("jobs", "wait", job_id), 2)
    assert f"unknown job '{job_id}'" in err and str(tmp_path / "other") in err
    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(tmp_path / "data"))
    clock.advance(20)
    assert run("jobs", "wait", job_id).out == REPLY + "\n"


@pytest.mark.parametrize(
    "garbage",
    [
        Reply.raw(200, {"id": "resp_x", "object": "response", "status": "bogus"}, endpoint="retrieve"),
        Reply.raw(200, "<html>captive portal</html>", content_type="text/html", endpoint="retrieve"),
    ],
)
def test_a_poll_answered_with_garbage(run, server, clock, garbage):
    job_id = start_job(run, server)
    clock.advance(20)
    server.script(garbage, garbage)  # the stream replay and the poll
    err = one_line(run("jobs", "wait", job_id), 1)
    assert f"job {job_id}" in err
    assert json.loads(run("jobs", "--json").out)[0]["status"] == "completed"  # the next poll is fine
    assert messages(run)[1]["content"] == REPLY


def test_listing_with_a_poll_answered_with_garbage(run, server, clock):
    job_id = start_job(run, server)
    server.script(Reply.raw(200, {"status": "bogus"}, endpoint="retrieve"))
    listed = run("jobs")
    assert listed.code == 0 and re.match(rf"{job_id}\s+queued\b", listed.out)
    assert listed.err.count("\n") == 1 and "warning: could not refresh job" in listed.err


def test_wait_needs_an_id_or_all(run, server):
    assert "--all" in one_line(run("jobs", "wait"), 2)
    assert one_line(run("jobs", "wait", "resp_x", "--all"), 2)


# -- Ctrl+C ----------------------------------------------------------------------------------------------


def test_ctrl_c_while_waiting_ends_at_once_and_the_job_goes_on(env, server, clock, run):
    server.script(Reply.text(REPLY))
    proc = subprocess.Popen(
        [sys.executable, "-m", "termchat", "--background", "--wait", "-p", "long one"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        line = proc.stderr.readline()  # the job is accepted and followed
        assert "waiting for it" in line, line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=SAFETY)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert out == "" and "Traceback" not in err
    job_id = re.search(r"resp_\w+", line).group(0)
    assert err == f"termchat: interrupted; job {job_id} goes on on the server: `termchat jobs wait {job_id}`\n"
    clock.advance(20)
    assert run("jobs", "wait", job_id).out == REPLY + "\n"


# -- the engine: one owner of a job's end -------------------------------------------------------------


def _engine(server, data_dir):
    from termchat.api import Api
    from termchat.engine import Engine
    from termchat.store import Store

    return Engine(
        Store.in_dir(data_dir),
        Api(base_url=server.base_url, api_key="test", max_retries=0),
        model="gpt-5.2",
        mode="local",
    )


def _submit(engine, prompt="write the report"):
    from termchat import events as ev

    started = [e for e in engine.session().submit(prompt) if isinstance(e, ev.JobStarted)]
    return started[0].response_id


def test_a_job_is_settled_once(server, clock, tmp_path):
    """Two processes see the end at once (the app's follower and `jobs`): one files it."""
    from termchat import background

    server.script(Reply.text(REPLY))
    first, second = _engine(server, tmp_path), _engine(server, tmp_path)
    job_id = _submit(first)
    clock.advance(20)
    seen_pending_by_second = second.store.jobs()  # read before the first one files the end
    assert background.refresh(first) == []
    assert background.refresh(second, seen_pending_by_second) == []
    events = list(background.JobFollower(second, job_id).events())
    assert events[-1].text == REPLY
    conv = first.store.list_conversations()[0]
    reply = first.store.messages(conv)[-1]
    assert (reply.content, reply.status) == (REPLY, "complete")
    assert conv.output_tokens == reply.usage["output_tokens"]  # counted once


def test_stopping_a_follower_leaves_the_job_running(server, clock, tmp_path):
    from termchat import background
    from termchat import events as ev

    engine = _engine(server, tmp_path)
    job_id = _submit(engine)
    follower = background.JobFollower(engine, job_id)
    seen = []
    thread = threading.Thread(target=lambda: seen.extend(follower.events()), daemon=True)
    thread.start()
    deadline = time.monotonic() + SAFETY
    while not server.requests_to("retrieve") and time.monotonic() < deadline:
        time.sleep(0.01)  # until the follower has the stream replay open
    follower.stop()
    thread.join(SAFETY)
    assert not thread.is_alive()
    assert all(isinstance(e, (ev.JobStatus, ev.ResponseCreated)) for e in seen), seen
    job = engine.store.job(job_id)
    assert job.pending and engine.store.message(job.message_id).status == "streaming"
    clock.advance(20)
    assert list(background.JobFollower(engine, job_id).events())[-1].text


def test_continuing_a_chat_whose_job_runs_says_so(run, server):
    job_id = start_job(run, server)
    server.script(Reply.text("on it"))
    result = run("-c", "-p", "and a summary")
    assert result.code == 0 and "interrupted" not in result.err
    assert f"note: the last reply is background job {job_id}, still running on the server" in result.err


def test_a_job_whose_chat_was_deleted_still_counts_its_spending(run, server, clock, env):
    """Deleting a chat must not give budget back, even for a job still running in it: its cost
    is filed in the spending ledger when it ends."""
    from termchat.store import Store

    job_id = start_job(run, server)
    chat = json.loads(run("list", "--json").out)[0]["id"]
    assert run("rm", chat).code == 0
    clock.advance(20)
    waited = run("jobs", "wait", job_id)
    assert waited.code == 0 and waited.out == REPLY + "\n"
    with Store.in_dir(env / "data") as store:
        spent, unpriced = store.spent_since(0)
        [turn] = store.turn_usage()
    assert spent > 0 and unpriced == 0
    assert turn.model == "gpt-5.2" and turn.deleted and turn.usage["output_tokens"] > 0


def _completed_at_once(request, send) -> None:
    """A server without background mode that runs the turn anyway (gpt-oss's reference server
    does): the background request is answered with the finished response."""
    from raw_server import http_response

    if request.method != "POST" or not request.path.endswith("/responses"):
        send(http_response(404, b'{"error": {"message": "not here"}}'))
        return
    response = {
        "id": "resp_at_once",
        "object": "response",
        "created_at": 1,
        "status": "completed",
        "model": "gpt-5.2",
        "output": [
            {
                "type": "message",
                "id": "msg_at_once",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "2 + 2 = 4.", "annotations": []}],
            }
        ],
        "usage": {"input_tokens": 5, "output_tokens": 7, "total_tokens": 12},
    }
    send(http_response(200, json.dumps(response).encode()))


def test_a_job_the_server_finished_at_once_is_filed_with_its_reply(run, monkeypatch):
    from raw_server import RawServer

    with RawServer(_completed_at_once) as peer:
        monkeypatch.setenv("OPENAI_BASE_URL", peer.base_url)
        code, out, _ = run("--state", "local", "--background", "-p", "what is 2 + 2?")
        assert code == 0 and out == "resp_at_once\n"
        conv = json.loads(run("list", "--json").out)[0]["id"]
        messages = json.loads(run("export", conv, "--format", "json").out)["messages"]
        assert [(m["role"], m["status"]) for m in messages] == [("user", "complete"), ("assistant", "complete")]
        assert messages[1]["content"] == "2 + 2 = 4."
        assert json.loads(run("jobs", "--json").out)[0]["status"] == "completed"
