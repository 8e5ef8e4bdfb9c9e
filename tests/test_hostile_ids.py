"""Server strings other than model text never reach the terminal raw (issue 15).

Conversation ids, job (response) ids, job status and job errors come from the server: ids must
be plain (`^[A-Za-z0-9_-]+$`) to be accepted at all, and whatever a store already holds is
shown without escape sequences in `list`, `show`, `export --format md` and `jobs`.
"""

from __future__ import annotations

import json
import re

from termchat.fake_api import Reply
from termchat.store import Store

from conftest import listing
from raw_server import RawServer, sse_headers

PWNED = "\x1b]0;PWNED\x07\x1b[2J\x9b31m"
_UNSAFE = re.compile("[\x1b\x07\x80-\x9f]")


def assert_safe(text: str, where: str) -> None:
    assert not _UNSAFE.search(text), f"{where}: {text[:300]!r}"


def test_a_conversation_id_with_escapes_is_refused(run, server):
    server.script(
        Reply.raw(
            200,
            {"id": "conv_" + PWNED, "object": "conversation", "created_at": 0, "metadata": {}},
            endpoint="conversations.create",
        )
    )
    result = run("-p", "keep this prompt")
    assert result.code == 1
    assert "invalid id" in result.one_error_line()
    assert_safe(result.out + result.err, "the failed turn")
    chat = listing(run)[0]
    assert chat["id"].startswith("tc_")  # the hostile id was never stored
    exported = json.loads(run("export", chat["id"], "--format", "json").out)
    assert exported["messages"][0]["content"] == "keep this prompt"


def test_a_job_id_with_escapes_never_reaches_stdout(run, server):
    server.script(
        Reply.raw(
            200,
            {
                "id": "resp_" + PWNED,
                "object": "response",
                "status": "queued",
                "created_at": 0,
                "model": "gpt-5.2",
                "output": [],
            },
        )
    )
    result = run("--background", "--state", "local", "-p", "in the background")
    assert result.code == 1 and result.out == ""
    assert "invalid id" in result.one_error_line()
    assert_safe(result.err, "--background")


def test_a_response_id_with_escapes_in_a_stream_ends_the_turn(run, monkeypatch):
    created = {
        "type": "response.created",
        "sequence_number": 0,
        "response": {
            "id": "resp_" + PWNED,
            "object": "response",
            "created_at": 0,
            "status": "in_progress",
            "model": "gpt-5.2",
            "output": [],
        },
    }

    def hostile_stream(request, send):
        send(sse_headers() + f"event: response.created\ndata: {json.dumps(created)}\n\n".encode())

    with RawServer(hostile_stream) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("--state", "local", "-p", "hi")
    assert result.code == 1
    assert "malformed 'response.created' event" in result.one_error_line()
    assert_safe(result.out + result.err, "stream")


def test_job_status_from_the_server_is_one_plain_word(run, server):
    server.script(Reply.text("later"))
    job_id = run("--background", "--state", "local", "-p", "job").out.strip()
    server.script(
        Reply.raw(
            200,
            {"id": job_id, "object": "response", "status": PWNED, "created_at": 0, "model": "gpt-5.2", "output": []},
            endpoint="retrieve",
        )
    )
    result = run("jobs")
    assert result.code == 0, result.err
    assert_safe(result.out + result.err, "jobs")
    assert f"{job_id}  queued" in result.out  # a status that is not one is not taken
    assert "no usable status" in result.err


def test_hostile_ids_already_in_a_store_are_shown_without_escapes(run, env, server):
    store = Store.in_dir(env / "data")
    conv = store.create_conversation(mode="local" + PWNED, model="m" + PWNED, title="t" + PWNED, id="tc_" + PWNED)
    reply = store.add_message(conv, "assistant", "text", status="failed")
    store.update_message(reply, error="boom" + PWNED)
    store.add_job("resp_" + PWNED, conv, reply, "queued" + PWNED)
    store.update_job("resp_" + PWNED, error="bad" + PWNED)
    store.close()
    server.script(*[Reply.error(500, "down", type="server_error", endpoint="retrieve")] * 3)
    for argv in (
        ("list",),
        ("list", "--json"),
        ("show", conv.id),
        ("show", conv.id, "--json"),
        ("export", conv.id),
        ("export", conv.id, "--format", "json"),
        ("jobs",),
        ("jobs", "--json"),
    ):
        result = run(*argv)
        assert result.code == 0, (argv, result.err)
        assert_safe(result.out + result.err, " ".join(argv))
