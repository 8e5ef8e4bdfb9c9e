"""A broken or hostile server cannot crash, hang or flood termchat (issue 15).

Each case runs the real SDK against a small raw loopback server (`raw_server.RawServer`) that
sends what a broken or hostile server would: an HTML page with a 200, pages that never end,
streams of SSE comments, headers that never come, a line without end. Every case ends the same
way: one `termchat: error:` line, exit code 1, the prompt kept.
"""

from __future__ import annotations

import json
import threading

import pytest

from termchat.api import Api
from termchat.errors import ApiError

from conftest import listing
from raw_server import RawServer, http_response, keep_sending, sse_headers, stall

HTML = b"<!doctype html><html><body>Please log in to the hotel wifi</body></html>"


def html_200(request, send) -> None:
    send(http_response(200, HTML, content_type="text/html; charset=utf-8"))


def html_as_json_200(request, send) -> None:
    send(http_response(200, HTML, content_type="application/json"))


def api_for(server: RawServer, **kwargs) -> Api:
    return Api(base_url=server.base_url, api_key="sk-hostile-test-key", **kwargs)


def _drain(iterator) -> None:
    for _ in iterator:
        pass


# Every call the client makes to a server, with arguments that would work on a real one.
API_CALLS = {
    "create_response": lambda api: api.create_response({"model": "m", "input": "hi", "background": True}),
    "retrieve_response": lambda api: api.retrieve_response("resp_1"),
    "cancel_response": lambda api: api.cancel_response("resp_1"),
    "compact": lambda api: api.compact(model="m", input=[{"role": "user", "content": "hi"}], instructions=None),
    "vector_stores": lambda api: api.vector_stores(),
    "create_conversation": lambda api: api.create_conversation(metadata={"title": "t"}),
    "retrieve_conversation": lambda api: api.retrieve_conversation("conv_1"),
    "update_conversation": lambda api: api.update_conversation("conv_1", {"title": "t"}),
    "delete_conversation": lambda api: api.delete_conversation("conv_1"),
    "conversation_items": lambda api: api.conversation_items("conv_1"),
    "stream_response": lambda api: _drain(api.stream_response({"model": "m", "input": "hi"})),
    "resume_stream": lambda api: _drain(api.resume_stream("resp_1", None)),
}


# -- a 200 that is not JSON ----------------------------------------------------------------------


@pytest.mark.parametrize("answer", [html_200, html_as_json_200], ids=["text/html", "html-as-json"])
@pytest.mark.parametrize("call", sorted(API_CALLS))
def test_a_200_that_is_not_json_is_one_error_at_every_call_site(call, answer):
    with RawServer(answer) as server:
        api = api_for(server)
        with pytest.raises(ApiError) as caught:
            API_CALLS[call](api)
        api.close()
    line = caught.value.one_line()
    assert "\n" not in line and "/v1" in line, line
    assert "not an event stream" in line or "did not answer with the API's JSON" in line, line


CLI_CASES = {
    "new chat, conversation mode": ("-p", "hello"),
    "new chat, local mode": ("--state", "local", "-p", "hello"),
    "resume an unknown conv_ id": ("--conversation", "conv_abc", "-p", "hello"),
    "background job": ("--background", "--state", "local", "-p", "hello"),
    "file_search lists vector stores": ("--tool", "file_search", "-p", "hello"),
    "rm --remote a server-only chat": ("rm", "--remote", "conv_abc"),
}


@pytest.mark.parametrize("argv", CLI_CASES.values(), ids=list(CLI_CASES))
def test_cli_on_a_captive_portal_says_one_line_and_exits_1(run, monkeypatch, argv):
    with RawServer(html_200) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run(*argv)
    assert result.code == (2 if argv[0] == "--tool" else 1), result.err
    line = result.one_error_line()
    assert "not an event stream" in line or "JSON" in line or "could not list them" in line, line


def test_continuing_a_chat_on_a_captive_portal_keeps_the_prompt(run, monkeypatch):
    assert run("-p", "first").code == 0  # against the fake: a chat with a server conversation
    with RawServer(html_200) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("-c", "-p", "second")
        jobs = [run("compact", listing(run)[0]["id"])]
    assert result.code == 1 and "not an event stream" in result.err.splitlines()[-1], result.err
    assert "Traceback" not in result.err
    assert all(j.code == 1 and "JSON" in j.one_error_line() for j in jobs)
    exported = json.loads(run("export", listing(run)[0]["id"], "--format", "json").out)
    assert [m["content"] for m in exported["messages"] if m["role"] == "user"] == ["first", "second"]


def test_jobs_commands_on_a_captive_portal(run, monkeypatch):
    queued = {
        "id": "resp_portal1",
        "object": "response",
        "status": "queued",
        "created_at": 0,
        "model": "gpt-5.2",
        "output": [],
    }

    def accepts_then_portal(request, send):  # the job is accepted; then the wifi login page
        if request.method == "POST" and request.path == "/v1/responses":
            send(http_response(200, json.dumps(queued).encode()))
        else:
            html_200(request, send)

    with RawServer(accepts_then_portal) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        started = run("--background", "--state", "local", "-p", "job")
        assert started.code == 0 and started.out.strip() == "resp_portal1", started.err
        for argv in (("jobs", "wait", "resp_portal1"), ("jobs", "cancel", "resp_portal1")):
            result = run(*argv)
            assert result.code == 1, (argv, result.err)
            assert "JSON" in result.err.splitlines()[-1] and "Traceback" not in result.err, result.err
        listed = run("jobs")
    assert listed.code == 0 and "Traceback" not in listed.err
    assert "JSON" in listed.err  # the failed poll is said, the job kept


# -- pages without end ---------------------------------------------------------------------------


def test_a_repeated_page_cursor_stops_the_listing():
    page = {
        "object": "list",
        "data": [{"type": "message", "id": "msg_1", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        "has_more": True,
        "first_id": "msg_1",
        "last_id": "msg_1",
    }

    def same_page(request, send):
        send(http_response(200, json.dumps(page).encode()))

    with RawServer(same_page) as server:
        api = api_for(server)
        with pytest.raises(ApiError, match="same page twice"):
            api.conversation_items("conv_1")
        api.close()
        assert len(server.requests) == 2


def test_pages_are_capped(monkeypatch):
    import termchat.api

    monkeypatch.setattr(termchat.api, "MAX_PAGES", 5)
    count = iter(range(10_000))

    def new_cursor_each_time(request, send):
        n = next(count)
        body = {
            "object": "list",
            "data": [{"id": f"vs_{n}", "object": "vector_store", "name": "x"}],
            "has_more": True,
            "first_id": f"vs_{n}",
            "last_id": f"vs_{n}",
        }
        send(http_response(200, json.dumps(body).encode()))

    with RawServer(new_cursor_each_time) as server:
        api = api_for(server)
        with pytest.raises(ApiError, match="more than 5 pages"):
            api.vector_stores()
        api.close()
        assert len(server.requests) == 5


def test_continue_on_endless_pages_says_so_and_keeps_the_local_chat(run, monkeypatch):
    assert run("-p", "first").code == 0
    page = {"object": "list", "data": [], "has_more": True, "last_id": "msg_same"}
    page["data"] = [
        {"type": "message", "id": "msg_same", "role": "user", "content": [{"type": "input_text", "text": "first"}]}
    ]

    def same_page(request, send):
        if "/items" in request.path:
            send(http_response(200, json.dumps(page).encode()))
        else:
            html_200(request, send)

    with RawServer(same_page) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("-c", "-p", "second")
    assert "same page twice" in result.err, result.err
    assert result.code == 1 and result.err.splitlines()[-1].startswith("termchat: error:")


# -- silence -------------------------------------------------------------------------------------


def test_a_stall_before_the_headers_takes_one_timeout_not_three(run, monkeypatch):
    stop = threading.Event()
    with RawServer(lambda request, send: stall(stop)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("--timeout", "1", "--state", "local", "-p", "anyone there?")
        stop.set()
    assert result.code == 1
    assert "no answer" in result.one_error_line() and "1 s" in result.err
    assert server.connections == 1  # a silent server is not asked again


@pytest.mark.parametrize(
    "noise",
    [b": keep-alive\n\n", b'event: response.thinking\ndata: {"type":"response.thinking"}\n\n'],
    ids=["comments", "unknown-events"],
)
def test_a_stream_that_never_says_anything_ends_after_the_timeout(run, monkeypatch, noise):
    def noise_forever(request, send):
        if send(sse_headers()):
            keep_sending(send, noise, every=0.05)

    with RawServer(noise_forever) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        # The bound must outlast the server's first bytes on a busy machine (else the stall-
        # before-headers error comes instead of the one under test).
        result = run("--timeout", "4", "--state", "local", "-p", "talk to me")
    assert result.code == 1
    line = result.one_error_line()
    assert "timed out" in line and "nothing from" in line, line
    stored = json.loads(run("export", listing(run)[0]["id"], "--format", "json").out)["messages"]
    assert stored[0]["content"] == "talk to me" and stored[1]["status"] == "failed"


def test_a_huge_sse_line_is_cut_off_at_the_cap(run, monkeypatch):
    import termchat.api_guard

    monkeypatch.setattr(termchat.api_guard, "MAX_EVENT_BYTES", 1024 * 1024)
    sent = []

    def endless_line(request, send):
        if send(sse_headers()) and send(b'data: {"type":"response.output_text.delta","delta":"'):
            for _ in range(64):  # 4 MB, four times the cap, in 64 KB pieces
                if not send(b"x" * 65536):
                    return
                sent.append(1)

    with RawServer(endless_line) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("--state", "local", "-p", "flood me")
    assert result.code == 1
    assert "larger than 1 MB" in result.one_error_line()
    assert len(sent) < 64  # termchat hung up instead of reading it all


# -- retries -------------------------------------------------------------------------------------


def _rate_limited(retry_after: str, then_ok: bool):
    answers = iter(range(100))

    def answer(request, send):
        n = next(answers)
        if then_ok and n > 0:
            html_200(request, send)  # the retry happened: what it gets does not matter here
            return
        body = json.dumps(
            {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
        ).encode()
        send(http_response(429, body, headers={"retry-after": retry_after}))

    return answer


def test_a_retry_after_wait_is_announced(run, monkeypatch):
    with RawServer(_rate_limited("1.2", then_ok=True)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("--state", "local", "-p", "hi")
    assert result.err.splitlines()[0] == "termchat: rate limited, retrying in 1 s", result.err
    assert len(server.requests) == 2


@pytest.mark.parametrize("odd", ["nan", "inf", "-5", "soon"])
def test_odd_retry_after_values_are_ignored(run, monkeypatch, odd):
    with RawServer(_rate_limited(odd, then_ok=False)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("--state", "local", "-p", "hi")
    assert result.code == 1
    line = result.one_error_line()  # the short back-off waits are not announced
    assert "slow down and retry" in line and odd not in line.split("HTTP 429")[1], line
    assert len(server.requests) == 3  # retried on the usual back-off


def test_a_retry_after_longer_than_the_timeout_is_not_waited_for(run, monkeypatch):
    with RawServer(_rate_limited("30", then_ok=True)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("--timeout", "5", "--state", "local", "-p", "hi")
    assert result.code == 1
    assert "retry after 30 s" in result.one_error_line()
    assert len(server.requests) == 1


def test_timeout_help_says_it_bounds_the_whole_wait():
    from termchat.cli_help import root_help

    text = " ".join(root_help(200).split())
    assert "--timeout SECONDS the longest you wait on a silent server, retries included" in text


# -- a model that thinks at length -----------------------------------------------------------------


def _event(kind: str, **fields) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n".encode()


def _thinking_then_reply(seconds: float, stop: threading.Event):
    """OpenAI's `keepalive` events for `seconds` (a model thinking), then a short reply."""
    response = {
        "id": "resp_think",
        "object": "response",
        "created_at": 0,
        "status": "in_progress",
        "model": "gpt-5.2",
        "output": [],
    }
    message = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "done thinking", "annotations": []}],
    }

    def answer(request, send):
        import time

        if not send(sse_headers() + _event("response.created", sequence_number=0, response=response)):
            return
        started, n = time.monotonic(), 1
        while time.monotonic() - started < seconds and not stop.is_set():
            if not send(_event("keepalive", sequence_number=n)):
                return
            n += 1
            stop.wait(0.1)
        send(
            _event(
                "response.output_text.delta",
                sequence_number=n,
                item_id="msg_1",
                output_index=0,
                content_index=0,
                delta="done thinking",
            )
            + _event(
                "response.completed",
                sequence_number=n + 1,
                response={**response, "status": "completed", "output": [message]},
            )
        )

    return answer


def test_keep_alives_of_a_thinking_model_outlast_the_timeout(run, monkeypatch):
    stop = threading.Event()
    with RawServer(_thinking_then_reply(4.5, stop)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("--timeout", "3", "--state", "local", "-p", "think hard")
        stop.set()
    assert result.code == 0, result.err
    assert result.out.strip() == "done thinking"


def test_keep_alives_alone_end_after_the_keep_alive_limit(run, monkeypatch):
    import termchat.api_guard

    monkeypatch.setattr(termchat.api_guard, "KEEPALIVE_LIMIT", 1.0)
    stop = threading.Event()
    with RawServer(_thinking_then_reply(60, stop)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("--timeout", "4", "--state", "local", "-p", "think forever")  # limit < bound
        stop.set()
    assert result.code == 1
    assert "sent only keep-alives" in result.one_error_line()
