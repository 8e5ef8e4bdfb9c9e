"""Bad input from the user: config files, ids, prompts, stdin, schema files, tools, URLs.

Each must end in one clear line on stderr and the documented exit code (2 for usage/config,
1 for what the server refuses), never a traceback. (A broken TOML line, an unknown
conversation id, a blank -p, NUL bytes on stdin and `--base-url "not a url"` are covered in
tests/test_cli.py.)
"""

from __future__ import annotations

import json

import pytest

from termchat import cli
from termchat.fake_api import Reply

from conftest import listing


def _one_line(result, code: int) -> str:
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.err
    assert result.err.count("\n") == 1 and result.err.startswith("termchat: error: "), result.err
    return result.err


# -- the config file ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,line",
    [
        ('model = "gpt-5.2"\n\n[compaction\nenabled = true\n', "line 3"),
        ('model = "a"\nmodel = "b"\n', "line 2"),
        ('tools = ["web_search",\n', "end of file"),
        ('theme = "unterminated\n', "line 1"),
    ],
)
def test_invalid_toml_names_file_and_line(run, env, text, line):
    (env / "config.toml").write_text(text)
    err = _one_line(run("-p", "hi"), 2)
    assert str(env / "config.toml") in err and line in err


def test_config_that_is_not_utf8(run, env):
    (env / "config.toml").write_bytes(b'model = "gpt-5.2"\ntheme = "\xff\xfe"\n')
    err = _one_line(run("list"), 2)
    assert "config.toml" in err and "line 2" in err and "UTF-8" in err


@pytest.mark.parametrize(
    "text,key",
    [
        ("model = 5\n", "model"),
        ('state = "sideways"\n', "state"),
        ('tools = "web_search"\n', "tools"),
        ("tools = [1, 2]\n", "tools[0]"),
        ("[compaction]\nthreshold = 2\n", "compaction.threshold"),
        ('[compaction]\nenabled = "yes"\n', "compaction.enabled"),
        ('keymap = "ctrl+j"\n', "keymap"),
        ("mcp_servers = 3\n", "mcp_servers"),
        ('[[mcp_servers]]\nlabel = "x"\nurl = "ftp://x"\n', "mcp_servers[0].url"),
        (
            '[[mcp_servers]]\nlabel = "x"\nurl = "https://x"\nheaders_env = "sk-live-secret"\n',
            "mcp_servers[0].headers_env",
        ),
        ("base_url = 1979-05-27\n", "base_url"),
        ("[pricing.models.x]\ninput = -1\noutput = 1\n", "pricing.models.x.input"),
    ],
)
def test_wrong_types_in_config(run, env, text, key):
    (env / "config.toml").write_text(text)
    err = _one_line(run("list"), 2)
    assert "config.toml" in err and key in err
    assert "sk-live-secret" not in err


def test_config_that_is_a_directory(run, env):
    (env / "config.toml").mkdir()
    err = _one_line(run("list"), 2)
    assert "config.toml" in err and "directory" in err


def test_deeply_nested_config_is_a_config_error(run, env):
    (env / "config.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    err = _one_line(run("list"), 2)
    assert "config.toml" in err


def test_bad_openai_base_url_env(run, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "localhost:8000")
    err = _one_line(run("-p", "hi"), 2)
    assert "OPENAI_BASE_URL" in err and "localhost:8000" in err


@pytest.mark.parametrize(
    "url", ["ftp://example.com/v1", "http://", "localhost:8000/v1", "http://example.com:99999", "http://exa mple.com"]
)
def test_base_url_flag_that_is_not_a_url(run, url):
    err = _one_line(run("--base-url", url, "-p", "hi"), 2)
    assert "--base-url" in err


PASSWORD = "hunter2-secret"


@pytest.mark.parametrize(
    "url,shown",
    [
        (f"http://ada:{PASSWORD}@127.0.0.1:9/v1", "http://ada:***@127.0.0.1:9/v1"),
        (f"https://{PASSWORD}@example.com/v1", "https://***@example.com/v1"),
        (f"ada:{PASSWORD}@example.com:99999", "ada:***@example.com:99999"),
    ],
)
@pytest.mark.parametrize("where", ["--base-url", "OPENAI_BASE_URL", "config base_url", "config mcp url"])
def test_url_with_credentials_never_shows_the_password(run, env, monkeypatch, url, shown, where):
    argv = ["-p", "hi"]
    if where == "--base-url":
        argv = ["--base-url", url, *argv]
    elif where == "OPENAI_BASE_URL":
        monkeypatch.setenv("OPENAI_BASE_URL", url)
    elif where == "config base_url":
        (env / "config.toml").write_text(f"base_url = {json.dumps(url)}\n")
    else:
        (env / "config.toml").write_text(f'[[mcp_servers]]\nlabel = "x"\nurl = {json.dumps(url)}\n')
    err = _one_line(run(*argv), 2)
    assert PASSWORD not in err and shown in err, err


def test_data_dir_under_a_regular_file(run, env, monkeypatch):
    (env / "a-file").write_text("not a directory")
    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(env / "a-file" / "data"))
    for argv in (("-p", "hi"), ("list",), ("show", "tc_x")):
        err = _one_line(run(*argv), 2)
        assert f"{env / 'a-file'} is not a directory" in err, err
    # (a data dir without search or write permission: tests/test_cli_process.py, as a plain user)


@pytest.mark.parametrize("mode", ["conversation", "local"])
def test_base_url_without_v1_suggests_it(run, server, mode):
    root = server.base_url.removesuffix("/v1")
    err = _one_line(run("--base-url", root, "--state", mode, "-p", "hi"), 2)
    assert f"(did you mean {server.base_url}? The API answers there)" in err
    assert "Conversations" not in err  # no fallback to local mode on a wrong URL
    chat = listing(run)[0]
    assert chat["mode"] == mode
    assert json.loads(run("export", chat["id"], "--format", "json").out)["messages"][0]["content"] == "hi"
    elsewhere = run("--base-url", root + "/api", "--state", "local", "-p", "hi")  # /api/v1 is no API
    assert elsewhere.code == 1 and "did you mean" not in elsewhere.err


# -- ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("show", "tc_nope"),
        ("export", "tc_nope"),
        ("rm", "tc_nope"),
        ("compact", "tc_nope"),
        ("show", "conv_nope", "--json"),
    ],
)
def test_unknown_id_in_subcommands(run, argv):
    err = _one_line(run(*argv), 2)
    assert "unknown conversation" in err and argv[1] in err


def test_export_to_an_unwritable_file_is_one_line(run, server, tmp_path):
    assert run("--state", "local", "-p", "hello").code == 0
    target = tmp_path / "no such dir" / "chat.md"
    err = _one_line(run("export", listing(run)[0]["id"], "-o", str(target)), 2)
    assert f"cannot write {target}" in err and not target.parent.exists()


def test_jobs_wait_without_an_id(run):
    err = _one_line(run("jobs", "wait"), 2)
    assert "job id" in err


# -- arguments that are not UTF-8 ---------------------------------------------------------------

NOT_UTF8 = b"\xe9\xff".decode("utf-8", "surrogateescape")  # what Python makes of such argv bytes


@pytest.mark.parametrize(
    "argv,flag",
    [
        (("-p", NOT_UTF8), "-p"),
        (("--model", NOT_UTF8, "-p", "hi"), "--model"),
        (("--instructions", NOT_UTF8, "-p", "hi"), "--instructions"),
        (("--conversation", NOT_UTF8, "-p", "hi"), "--conversation"),
        (("show", NOT_UTF8), "the id"),
        (("export", NOT_UTF8), "the id"),
        (("rm", NOT_UTF8), "the id"),
        (("search", "hello", NOT_UTF8), "the query"),
    ],
)
def test_argument_that_is_not_utf8(run, server, argv, flag):
    err = _one_line(run(*argv), 2)
    assert f"{flag} is not valid UTF-8 text" in err
    assert server.requests_to("responses") == []


def test_bad_instructions_on_continue_are_not_saved(run, server):
    assert run("--state", "local", "-p", "hello").code == 0
    _one_line(run("-c", "--instructions", NOT_UTF8, "-p", "again"), 2)
    later = run("-c", "-p", "and now?")
    assert later.code == 0, later.err
    assert "instructions" not in server.requests_to("responses")[-1].body
    chat = json.loads(run("export", listing(run)[0]["id"], "--format", "json").out)
    assert "instructions" not in chat["settings"]
    assert [m["content"] for m in chat["messages"] if m["role"] == "user"] == ["hello", "and now?"]


# -- prompts and stdin -------------------------------------------------------------------------


def test_whitespace_only_stdin_is_an_empty_prompt(run, server):
    err = _one_line(run(stdin="\n \t\n\n"), 2)
    assert "empty prompt" in err
    assert not [r for r in server.requests if r.method == "POST"]
    assert listing(run) == []


def test_invalid_utf8_stdin_is_replaced_with_a_note(run, server):
    result = run("-p", "decode this:", stdin=b"caf\xe9 cr\xe8me \xff\xfe ok\n")
    assert result.code == 0, result.err
    assert result.err == ("termchat: note: stdin was not valid UTF-8; undecodable bytes were replaced\n")
    sent = server.requests[-1].body["input"][-1]["content"]
    assert sent.startswith("decode this:\n\ncaf\ufffd cr\ufffdme") and sent.endswith(" ok\n")


def test_binary_stdin_without_nul_bytes(run, server):
    import random

    rng = random.Random(7)
    noise = bytes(rng.randrange(1, 256) for _ in range(4096))
    result = run(stdin=noise)
    assert result.code == 0, result.err
    assert "not valid UTF-8" in result.err and "Traceback" not in result.err


def test_stdin_over_the_limit_is_refused(run, server, env, monkeypatch):
    monkeypatch.setattr(cli, "STDIN_LIMIT", 1 << 20)  # same code path as 10 MB, 10x faster
    result = run("-p", "summarise", stdin=b"a" * ((1 << 20) + 1))
    err = _one_line(result, 2)
    assert "larger than the 1 MB limit" in err
    assert not [r for r in server.requests if r.method == "POST"]
    assert listing(run) == []


def test_stdin_at_the_real_limit_is_refused_quickly(run, server):
    result = run(stdin=b"b" * (cli.STDIN_LIMIT + 1))
    assert "10 MB limit" in _one_line(result, 2)


# -- --schema ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[1, 2, 3]", "not a JSON Schema"),
        (b'"object"', "not a JSON Schema"),
        (b'{"name": "reply", "strict": true}', "not a JSON Schema"),
    ],
)
def test_schema_file_that_is_not_a_schema(run, server, env, content, expected):
    path = env / "schema.json"
    path.write_bytes(content)
    err = _one_line(run("--schema", str(path), "-p", "hi"), 2)
    assert expected in err and "schema.json" in err
    assert not [r for r in server.requests if r.path == "/v1/responses"]


def test_schema_file_missing(run, env):
    err = _one_line(run("--schema", str(env / "nope.json"), "-p", "hi"), 2)
    assert "cannot read schema file" in err and "nope.json" in err


def test_deeply_nested_schema_file(run, env):
    path = env / "schema.json"
    path.write_text('{"type": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _one_line(run("--schema", str(path), "-p", "hi"), 2)


def test_valid_schema_is_sent(run, server, env):
    path = env / "schema.json"
    path.write_text(
        json.dumps(
            {
                "title": "Answer!",
                "type": "object",
                "properties": {"answer": {"type": "string"}},
                "required": ["answer"],
                "additionalProperties": False,
            }
        )
    )
    result = run("--state", "local", "--schema", str(path), "-p", "hi")
    assert result.code == 0, result.err
    fmt = server.requests[-1].body["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["name"] == "Answer_" and fmt["strict"] is True


# -- tools -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 404])
def test_missing_vector_store(run, server, status):
    # The fake accepts any vector store id; script what the real API answers for a missing one.
    server.script(Reply.error(status, "Vector store with id 'vs_missing' not found.", param="tools"))
    result = run("--state", "local", "--tool", "file_search:vs_missing", "-p", "search my files")
    err = _one_line(result, 1)
    assert f"HTTP {status}" in err and "Vector store with id 'vs_missing' not found." in err
    assert server.requests[-1].body["tools"] == [{"type": "file_search", "vector_store_ids": ["vs_missing"]}]


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("file_search", "needs vector store ids"),
        ("file_search:", "needs vector store ids"),
        ("code_interpreter:3g", "memory must be one of"),
        ("mcp:nobody", "unknown MCP server 'nobody'"),
        ("teleport", "unknown tool 'teleport'"),
    ],
)
def test_bad_tool_specs(run, server, spec, expected):
    err = _one_line(run("--tool", spec, "-p", "hi"), 2)
    assert expected in err
    assert not [r for r in server.requests if r.method == "POST"]


def test_tool_choice_for_a_tool_that_is_off(run):
    err = _one_line(run("--tool-choice", "web_search", "-p", "hi"), 2)
    assert "--tool-choice" in err


def test_tool_choice_required_without_a_tool(run, server):
    err = _one_line(run("--tool-choice", "required", "-p", "hi"), 2)
    assert err == "termchat: error: --tool-choice required needs a tool to require: add --tool NAME\n"
    assert not [r for r in server.requests if r.method == "POST"]
    assert run("--state", "local", "--tool", "web_search", "-p", "hi").code == 0
    kept = run("-c", "--tool-choice", "required", "-p", "again")  # the chat's stored tool counts
    assert kept.code == 0, kept.err
    assert server.requests_to("responses")[-1].body["tool_choice"] == "required"
    named = run("-c", "--tool-choice", "web_search", "-p", "and again")
    assert named.code == 0, named.err


@pytest.mark.parametrize(
    "config,expected",
    [
        ("", "--tool mcp needs a server label: --tool mcp:LABEL (add one under [[mcp_servers]] in the config)"),
        (
            '[[mcp_servers]]\nlabel = "deepwiki"\nurl = "https://mcp.example.test/mcp"\n',
            "--tool mcp needs a server label: --tool mcp:LABEL (configured: deepwiki)",
        ),
    ],
)
@pytest.mark.parametrize("spec", ["mcp", "mcp:"])
def test_tool_mcp_without_a_label(run, server, env, config, expected, spec):
    (env / "config.toml").write_text(config)
    assert _one_line(run("--tool", spec, "-p", "hi"), 2) == f"termchat: error: {expected}\n"


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_list_limit_below_one(run, limit):
    assert run("--state", "local", "-p", "hi").code == 0
    for argv in (("list", "--limit", limit), ("list", "--json", "--limit", limit)):
        err = _one_line(run(*argv), 2)
        assert err == f"termchat: error: --limit must be at least 1, got {limit}\n"
