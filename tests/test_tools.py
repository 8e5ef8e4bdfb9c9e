"""Built-in tools, MCP approvals, Structured Outputs, Prompts and the cost meter, via the CLI."""

from __future__ import annotations

import json

import pytest

from termchat.fake_api import Reply

SECRET_HEADER = "Bearer mcp-canary-7f3a9"


@pytest.fixture
def env(env, monkeypatch):
    """The shared user environment plus an MCP server in the config, its token in the env."""
    (env / "config.toml").write_text(
        '[[mcp_servers]]\nlabel = "deepwiki"\nurl = "https://mcp.example.test/mcp"\n'
        'require_approval = "always"\nheaders_env = "DEEPWIKI_AUTH"\n'
    )
    monkeypatch.setenv("DEEPWIKI_AUTH", SECRET_HEADER)
    return env


def last_body(server):
    return server.requests_to("responses")[-1].body


def export(run, conv_id=None):
    if conv_id is None:
        conv_id = json.loads(run("list", "--json").out)[0]["id"]
    return json.loads(run("export", conv_id, "--format", "json").out)


def test_web_search_request_sources_and_fee(run, server):
    code, out, err = run("--state", "local", "--tool", "web_search", "-p", "search the latest Python release")
    assert code == 0, err
    assert last_body(server)["tools"] == [{"type": "web_search"}]
    assert "web search:" in err
    assert "\n[1] " in out and "<http" in out  # numbered url_citation sources
    data = export(run)
    reply = data["messages"][1]
    assert any(i["type"] == "web_search_call" for i in reply["items"])
    usage = reply["usage"]
    # gpt-5.2: $1.75 / 1M input, $14.00 / 1M output; web search $10 / 1k calls = $0.01 a call.
    expected = usage["input_tokens"] * 1.75e-6 + usage["output_tokens"] * 14e-6 + 0.01
    assert reply["cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert data["cost_usd"] == pytest.approx(expected, abs=1e-6)


def test_a_model_without_a_price_costs_unknown_not_zero(run, server):
    result = run("--json", "--state", "local", "--model", "my-local-model", "-p", "hi")
    assert result.code == 0, result.err
    finished = json.loads(result.out.splitlines()[-1])
    assert finished["usage"]["input_tokens"] > 0 and finished["usage"]["cost_usd"] is None
    assert run("-c", "--model", "gpt-5.2", "-p", "and with a known price?").code == 0
    chat = json.loads(run("list", "--json").out)[0]
    assert chat["input_tokens"] > 0 and chat["cost_usd"] is None  # unknown, not the known part
    assert "- cost: unknown" in run("export", chat["id"]).out
    data = export(run, chat["id"])
    assert data["cost_usd"] is None
    assert "cost_usd" not in data["messages"][1] and data["messages"][3]["cost_usd"] > 0


def test_a_cancelled_jobs_usage_is_counted(run, server):
    job_id = run("--background", "--state", "local", "-p", "write a long report").out.strip()
    usage = {
        "input_tokens": 1000,
        "output_tokens": 500,
        "total_tokens": 1500,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    server.script(
        Reply.raw(
            200,
            {
                "id": job_id,
                "object": "response",
                "created_at": 1,
                "status": "cancelled",
                "model": "gpt-5.2",
                "output": [],
                "usage": usage,
                "background": True,
            },
            endpoint="cancel",
        )
    )
    assert run("jobs", "cancel", job_id).code == 0
    chat = json.loads(run("list", "--json").out)[0]
    expected = 1000 * 1.75e-6 + 500 * 14e-6  # gpt-5.2 list prices
    assert (chat["input_tokens"], chat["output_tokens"]) == (1000, 500)
    assert chat["cost_usd"] == pytest.approx(expected, abs=1e-6)
    reply = export(run, chat["id"])["messages"][1]
    assert reply["status"] == "interrupted" and reply["cost_usd"] == pytest.approx(expected, abs=1e-6)


def test_file_search_with_vector_stores(run, server):
    code, _, err = run(
        "--state", "local", "--tool", "file_search:vs_docs,vs_more", "-p", "what do the docs say about setup?"
    )
    assert code == 0, err
    body = last_body(server)
    assert body["tools"] == [{"type": "file_search", "vector_store_ids": ["vs_docs", "vs_more"]}]
    assert "file_search_call.results" in body["include"]
    assert "file search:" in err and "(1 result;" in err


def test_code_interpreter_memory_tier_and_container_fee(run, server):
    code, _, err = run("--state", "local", "--tool", "code_interpreter:4g", "-p", "run python: print(6 * 7)")
    assert code == 0, err
    body = last_body(server)
    assert body["tools"] == [{"type": "code_interpreter", "container": {"type": "auto", "memory_limit": "4g"}}]
    assert "code_interpreter_call.outputs" in body["include"]
    assert "code interpreter:" in err
    reply = export(run)["messages"][1]
    usage = reply["usage"]
    expected = usage["input_tokens"] * 1.75e-6 + usage["output_tokens"] * 14e-6 + 0.12  # 4g container
    assert reply["cost_usd"] == pytest.approx(expected, abs=1e-6)


def test_bad_tool_specs_are_usage_errors(run):
    assert run("--tool", "code_interpreter:3g", "-p", "x").code == 2
    assert run("--tool", "file_search", "-p", "x").code == 2
    code, _, err = run("--tool", "mcp:nope", "-p", "x")
    assert code == 2 and "deepwiki" in err
    assert run("--tool", "teleport", "-p", "x").code == 2
    assert run("--tool", "web_search", "--tool-choice", "file_search", "-p", "x").code == 2


def capsys_err(run):
    return run("show", json.loads(run("list", "--json").out)[0]["id"]).out


def test_tool_choice_named_and_required(run, server):
    assert run("--state", "local", "--tool", "web_search", "--tool-choice", "web_search", "-p", "hi").code == 0
    assert last_body(server)["tool_choice"] == {
        "type": "allowed_tools",
        "mode": "required",
        "tools": [{"type": "web_search"}],
    }
    assert "web search:" in capsys_err(run)
    assert run("--state", "local", "--tool", "web_search", "--tool-choice", "required", "-p", "hi").code == 0
    assert last_body(server)["tool_choice"] == "required"


def test_tools_are_saved_per_conversation(run, server):
    assert run("--state", "chain", "--tool", "web_search", "-p", "hello").code == 0
    assert run("-c", "-p", "and again").code == 0
    assert last_body(server)["tools"] == [{"type": "web_search"}]


@pytest.mark.parametrize("flag", [("--no-tools",), ("--tool", "none")])
def test_no_tools_clears_a_chats_stored_tools(run, server, flag):
    assert (
        run(
            "--state",
            "chain",
            "--tool",
            "web_search",
            "--tool",
            "mcp:deepwiki",
            "--approve-mcp",
            "never",
            "-p",
            "hello",
        ).code
        == 0
    )
    kept = run("-c", "--approve-mcp", "never", "-p", "again")
    assert kept.code == 0, kept.err
    assert "termchat: note: tools: web_search, mcp:deepwiki (from this chat; --no-tools turns them off)\n" in kept.err
    assert [t["type"] for t in last_body(server)["tools"]] == ["web_search", "mcp"]
    background = run("-c", "--background", "-p", "a job keeps them too")
    assert background.code == 0 and "tools: web_search, mcp:deepwiki (from this chat" in background.err
    off = run("-c", *flag, "-p", "no tools now")
    assert off.code == 0, off.err
    assert "tools" not in last_body(server) and "tools:" not in off.err
    later = run("-c", "-p", "still none?")
    assert "tools" not in last_body(server) and "tools:" not in later.err
    mixed = run("-c", *flag, "--tool", "web_search", "-p", "x")
    assert mixed.code == 2 and "cannot go with other --tool flags" in mixed.err


@pytest.mark.parametrize("policy,approved", [("always", True), ("never", False)])
def test_mcp_approval(run, server, env, policy, approved):
    code, out, err = run(
        "--state",
        "chain",
        "--tool",
        "mcp:deepwiki",
        "--approve-mcp",
        policy,
        "-p",
        "use the mcp tool to read the repo docs",
    )
    assert code == 0, err
    first, second = [r.body for r in server.requests_to("responses")]
    assert first["tools"][0]["server_label"] == "deepwiki"
    assert first["tools"][0]["headers"] == {"Authorization": SECRET_HEADER}
    answer = second["input"][0]
    assert answer["type"] == "mcp_approval_response" and answer["approve"] is approved
    assert "approved" in err if approved else "denied" in err
    messages = export(run)["messages"]
    types = [i["type"] for m in messages for i in m.get("items", [])]
    assert "mcp_approval_request" in types
    assert ("mcp_call" in types) is approved
    for path in (env / "data").iterdir():  # the database and its WAL / SHM files
        assert b"mcp-canary-7f3a9" not in path.read_bytes()


def test_mcp_approval_denied_when_not_interactive(run, server):
    code, _, err = run("--state", "local", "--tool", "mcp:deepwiki", "-p", "use the mcp tool")
    assert code == 0, err
    assert "not interactive" in err
    approval = server.requests_to("responses")[-1].body["input"]
    assert approval[-1]["type"] == "mcp_approval_response" and approval[-1]["approve"] is False
    assert any(i.get("type") == "mcp_approval_request" for i in approval)  # local mode keeps context


def _schema(env):
    path = env / "person.json"
    path.write_text(
        json.dumps(
            {
                "title": "person",
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "age"],
                "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            }
        )
    )
    return str(path)


def test_structured_output_success(run, server, env):
    code, out, err = run("--state", "local", "--schema", _schema(env), "-p", "invent a person")
    assert code == 0, err
    fmt = last_body(server)["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["strict"] is True and fmt["name"] == "person"
    parsed = json.loads(out)
    assert set(parsed) == {"name", "age"}
    assert out.startswith("{\n  ")  # pretty-printed
    code, out, _ = run("--json", "--state", "local", "--schema", _schema(env), "-p", "another")
    finished = [json.loads(line) for line in out.splitlines()][-1]
    assert finished["type"] == "finished" and isinstance(finished["parsed"]["age"], int)


def test_structured_output_refusal(run, server, env):
    server.script(Reply.refusal("I can't help with that."))
    code, out, err = run("--state", "local", "--schema", _schema(env), "-p", "something bad")
    assert code == 1
    assert "refused" in err and "I can't help with that." in err
    assert out.strip() == ""


def test_structured_output_that_breaks_the_schema(run, server, env):
    server.script(Reply.text('{"name": "Ada"}'))
    code, _, err = run("--state", "local", "--schema", _schema(env), "-p", "x")
    assert code == 1 and "missing required property 'age'" in err


def test_invalid_schema_file(run, env):
    bad = env / "bad.json"
    bad.write_text("{not json")
    assert run("--schema", str(bad), "-p", "x").code == 2
    bad.write_text("[1, 2]")
    code, _, err = run("--schema", str(bad), "-p", "x")
    assert code == 2 and "not a JSON Schema" in err


def test_prompt_id_is_sent_and_remembered(run, server):
    code, _, err = run(
        "--state", "chain", "--prompt-id", "pmpt_123", "--prompt-version", "2", "--var", "city=Oslo", "-p", "hi"
    )
    assert code == 0, err
    assert last_body(server)["prompt"] == {"id": "pmpt_123", "version": "2", "variables": {"city": "Oslo"}}
    assert run("-c", "-p", "again").code == 0
    assert last_body(server)["prompt"]["id"] == "pmpt_123"
    assert run("--var", "x=1", "-p", "hi").code == 2
    assert run("--prompt-id", "p", "--var", "novalue", "-p", "hi").code == 2


def test_prompt_id_brings_its_own_model_and_instructions(run, server, env):
    config = env / "config.toml"
    config.write_text('model = "gpt-5-mini"\ninstructions = "Be brief."\n' + config.read_text())
    assert run("--state", "chain", "--prompt-id", "pmpt_123", "-p", "hi").code == 0
    assert run("-c", "-p", "again").code == 0
    for body in [r.body for r in server.requests_to("responses")]:
        assert body["prompt"] == {"id": "pmpt_123"}
        assert "model" not in body and "instructions" not in body
    assert json.loads(run("list", "--json").out)[0]["model"] == "gpt-4o"  # the one the prompt ran on
    assert run("-c", "--model", "gpt-5.2", "--instructions", "Be formal.", "-p", "now mine").code == 0
    assert run("-c", "-p", "and still mine").code == 0
    for body in [r.body for r in server.requests_to("responses")][-2:]:
        assert (body["model"], body["instructions"]) == ("gpt-5.2", "Be formal.")
    assert run("--state", "local", "-p", "no prompt").code == 0  # without a prompt: the config's
    assert (last_body(server)["model"], last_body(server)["instructions"]) == ("gpt-5-mini", "Be brief.")


def test_unknown_and_computer_items_are_shown_plainly(run, server):
    server.script(
        Reply.items(
            [
                {
                    "type": "computer_call",
                    "id": "cu_1",
                    "call_id": "call_1",
                    "status": "completed",
                    "action": {"type": "screenshot"},
                    "pending_safety_checks": [],
                },
                {
                    "type": "message",
                    "id": "msg_1",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": "done", "annotations": []}],
                },
            ]
        )
    )
    code, out, err = run("--state", "local", "-p", "use the computer")
    assert code == 0, err
    assert "computer use" in err and "not run" in err
    assert out.strip() == "done"


def test_file_search_without_ids_lists_the_account_stores(run, server):
    code, _, err = run("--tool", "file_search", "-p", "x")
    assert code == 2 and err.count("\n") == 1
    assert "vs_demo_docs (Product docs)" in err and "vs_demo_notes (Meeting notes)" in err


def test_reasoning_summaries_are_requested_for_reasoning_models_only(run, server):
    assert run("--state", "local", "--model", "o4-mini", "-p", "think").code == 0
    assert last_body(server)["reasoning"] == {"summary": "auto"}
    assert run("--state", "local", "--model", "gpt-4o", "-p", "quick").code == 0
    assert "reasoning" not in last_body(server)
    assert run("--state", "local", "--model", "my-local-model", "-p", "local").code == 0
    assert "reasoning" not in last_body(server)
