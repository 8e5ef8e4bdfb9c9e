"""`termchat --estimate -p TEXT`: the turn's request counted by /responses/input_tokens, nothing sent."""

from __future__ import annotations

import json

import pytest

from conftest import listing

COUNT_PATH = "/v1/responses/input_tokens"
COUNTED = {
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "conversation",
    "previous_response_id",
    "reasoning",
    "text",
    "parallel_tool_calls",
    "truncation",
}


def _posts(server, path):
    return [r.body for r in server.requests if r.method == "POST" and r.path == path]


def _user_text(item):
    content = item["content"]
    return content if isinstance(content, str) else content[0]["text"]


@pytest.mark.parametrize("mode", ["conversation", "chain", "local"])
def test_the_estimate_counts_the_request_as_each_mode_would_send_it(run, server, mode):
    first = run(
        "--state",
        mode,
        "--model",
        "gpt-4o",
        "--instructions",
        "Be brief.",
        "--tool",
        "web_search",
        "-p",
        "Hello, my name is Ada.",
    )
    assert first.code == 0, first.err
    chat = listing(run)[0]
    turns_sent = len(_posts(server, "/v1/responses"))

    result = run("--conversation", chat["id"], "--estimate", "--json", "-p", "What is my name?")
    assert result.code == 0, result.err
    estimate = json.loads(result.out)
    bodies = _posts(server, COUNT_PATH)
    assert len(bodies) == 1
    body = bodies[0]
    assert set(body) <= COUNTED  # no store, include, stream or background
    assert body["model"] == "gpt-4o" and body["instructions"] == "Be brief."
    assert body["tools"] == [{"type": "web_search"}]
    if mode == "conversation":
        assert body["conversation"] == chat["id"] and "previous_response_id" not in body
        assert [_user_text(i) for i in body["input"]] == ["What is my name?"]
    elif mode == "chain":
        assert body["previous_response_id"].startswith("resp_") and "conversation" not in body
        assert [_user_text(i) for i in body["input"]] == ["What is my name?"]
    else:
        assert "conversation" not in body and "previous_response_id" not in body
        assert [i["role"] for i in body["input"]] == ["user", "assistant", "user"]
        assert _user_text(body["input"][-1]) == "What is my name?"
    assert estimate["mode"] == mode and estimate["model"] == "gpt-4o"
    assert estimate["input_tokens"] > 0
    assert estimate["input_usd"] == pytest.approx(estimate["input_tokens"] * 2.50 / 1e6)

    # Nothing was sent or stored ...
    assert len(_posts(server, "/v1/responses")) == turns_sent
    assert listing(run) == [chat]
    # ... and the turn, sent for real, uses what was estimated.
    sent = run("--conversation", chat["id"], "--json", "-p", "What is my name?")
    assert sent.code == 0, sent.err
    usage = next(json.loads(line) for line in sent.out.splitlines() if json.loads(line)["type"] == "usage")
    assert usage["input_tokens"] == estimate["input_tokens"]


def test_a_new_chat_is_estimated_without_creating_it(run, server):
    result = run("--estimate", "--model", "gpt-4o", "-p", "hello")
    assert result.code == 0, result.err
    line = result.out.strip()
    assert "input tokens" in line and "gpt-4o, conversation mode" in line and "$" in line
    body = _posts(server, COUNT_PATH)[0]
    assert [_user_text(i) for i in body["input"]] == ["hello"] and "conversation" not in body
    assert listing(run) == []
    assert _posts(server, "/v1/conversations") == [] and _posts(server, "/v1/responses") == []


def test_overrides_apply_to_the_estimate_only(run, server):
    assert run("--state", "local", "--model", "gpt-4o", "-p", "Hi, I am Ada.").code == 0
    before = listing(run)
    result = run("-c", "--estimate", "--json", "--model", "my-own-model", "-p", "and now?")
    assert result.code == 0, result.err
    estimate = json.loads(result.out)
    assert estimate["model"] == "my-own-model" and estimate["input_usd"] is None
    assert _posts(server, COUNT_PATH)[0]["model"] == "my-own-model"
    assert listing(run) == before
    plain = run("-c", "--estimate", "--model", "my-own-model", "-p", "and now?")
    assert "input cost unknown (no price for my-own-model)" in plain.out


def test_estimate_needs_a_prompt_and_a_known_chat(run):
    unknown = run("--estimate", "--conversation", "conv_nothere", "-p", "hi")
    assert unknown.code == 2 and "unknown conversation" in unknown.one_error_line()


def test_a_server_without_the_count_endpoint_is_one_line(run, server):
    server.input_tokens_enabled = False
    result = run("--estimate", "-p", "hello")
    assert result.code == 1 and result.out == ""
    assert "token count" in result.one_error_line()
