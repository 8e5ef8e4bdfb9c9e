"""Hostile text never reaches the terminal; markup is never interpreted; secrets never leak.

Model text, titles, tool outputs and server error messages are untrusted: a corpus of terminal
attacks (OSC 52 clipboard write, screen clear, OSC 8 links, window title, bidi overrides, 8-bit
C1 controls) goes through every output path. API keys and MCP header values are canaries that
must not appear in any artefact termchat writes.
"""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from termchat.fake_api import Reply

from conftest import CLI_API_KEY as API_KEY
from conftest import listing

HOSTILE = {
    "osc52": "\x1b]52;c;cm0gLXJmIH4K\x07",
    "clear": "\x1b[2J\x1b[3J\x1b[H",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\innocent link\x1b]8;;\x1b\\",
    "title": "\x1b]0;pwned\x07\x1b]2;pwned too\x1b\\",
    "bidi": "\u202eevil\u202c \u2066isolate\u2069 \u202aembed\u202c",
    "c1": "\x9b31mred\x9b0m \x9d0;c1 title\x9c \x90dcs\x9c \x85nel \x9f apc",
    "dcs": "\x1bP1$r\x1b\\ \x1b_apc\x1b\\ \x1b^pm\x1b\\",
    "cr": "visible\roverwritten",
}
CORPUS = "Start " + " | ".join(HOSTILE.values()) + " End"
MARKUP = "[bold red]loud[/] [link=https://evil.example]click[/link] [reverse]x[/reverse]"
_UNSAFE = re.compile("[\x1b\x80-\x9f\u202a-\u202e\u2066-\u2069\r]")


def assert_safe(text: str, where: str) -> None:
    found = _UNSAFE.findall(text)
    assert not found, f"{where}: {sorted(set(found))!r} in {text[:300]!r}"


def _outputs(result) -> str:
    return result.out + result.err


# -- hostile model text, titles, tool output -----------------------------------------------------


def test_model_text_in_plain_output_show_and_export(run, server):
    server.script(Reply.text(CORPUS, chunks=[CORPUS[i : i + 7] for i in range(0, len(CORPUS), 7)]))
    result = run("--state", "local", "-p", "hello")
    assert result.code == 0, result.err
    assert_safe(_outputs(result), "one-shot")
    assert result.out.startswith("Start ") and result.out.rstrip().endswith(" End")
    conv_id = listing(run)[0]["id"]
    for argv in (("show", conv_id), ("export", conv_id), ("export", conv_id, "--format", "md"), ("list",)):
        shown = run(*argv)
        assert shown.code == 0, shown.err
        assert_safe(_outputs(shown), " ".join(argv))
    assert "innocent link" in run("show", conv_id).out


def test_hostile_prompt_becomes_a_safe_title(run, server):
    result = run("--state", "local", "-p", CORPUS)
    assert result.code == 0, result.err
    chats = listing(run)
    assert_safe(chats[0]["title"], "stored title")
    for argv in (("list",), ("show", chats[0]["id"]), ("export", chats[0]["id"])):
        shown = run(*argv)
        assert shown.code == 0 and shown.out
        assert_safe(_outputs(shown), " ".join(argv))


def _tool_items() -> list[dict]:
    return [
        {"type": "web_search_call", "status": "completed", "action": {"type": "search", "query": CORPUS}},
        {
            "type": "mcp_call",
            "server_label": "docs" + HOSTILE["title"],
            "name": HOSTILE["osc52"],
            "arguments": json.dumps({"q": CORPUS}),
            "output": CORPUS,
            "error": None,
            "status": "completed",
        },
        {"type": "mcp_list_tools", "server_label": "docs", "tools": [{"name": HOSTILE["clear"], "input_schema": {}}]},
        {
            "type": "message",
            "content": [
                {
                    "type": "output_text",
                    "text": "done",
                    "annotations": [
                        {
                            "type": "url_citation",
                            "url": "https://x.example/" + HOSTILE["c1"],
                            "title": CORPUS,
                            "start_index": 0,
                            "end_index": 4,
                        }
                    ],
                }
            ],
        },
    ]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_tool_output_is_sanitized_everywhere(run, server):
    server.script(Reply.items(_tool_items()))
    result = run("--state", "local", "-p", "use tools")
    assert result.code == 0, result.err
    assert_safe(_outputs(result), "one-shot")
    assert "web search" in result.err.lower() or "web_search" in result.err
    conv_id = listing(run)[0]["id"]
    for argv in (("show", conv_id), ("export", conv_id)):
        shown = run(*argv)
        assert shown.code == 0, shown.err
        assert_safe(_outputs(shown), " ".join(argv))


def test_hostile_http_error_message(run, server):
    server.script(Reply.error(400, "Bad request " + CORPUS, code="bad\x1b[2J"))
    result = run("--state", "local", "-p", "hi")
    assert result.code == 1
    assert_safe(_outputs(result), "error line")
    conv_id = listing(run)[0]["id"]
    for argv in (("show", conv_id), ("export", conv_id)):
        shown = run(*argv)
        assert shown.code == 0, shown.err
        assert "failed" in shown.out
        assert_safe(_outputs(shown), " ".join(argv))


def test_hostile_stream_error_event_in_show(run, server):
    server.script(Reply.error_event("melted " + CORPUS, nested=False))
    result = run("--state", "local", "-p", "hi")
    assert result.code == 1
    assert_safe(_outputs(result), "error line")
    conv_id = listing(run)[0]["id"]
    assert_safe(_outputs(run("show", conv_id)), "show")
    assert_safe(_outputs(run("export", conv_id)), "export")


def _hostile_remote_conversation(server, *, model: str) -> str:
    import openai

    client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
    try:
        conv = client.conversations.create(
            metadata={"title": "Imported " + CORPUS[:400], "model": model},
            items=[{"type": "message", "role": "user", "content": "earlier " + CORPUS}],
        )
    finally:
        client.close()
    return conv.id


@pytest.mark.parametrize("model", ["gpt-5.2", "gpt-5.2" + HOSTILE["clear"]], ids=["title", "model"])
def test_imported_conversation_is_sanitized(run, server, model):
    """A hostile server's title, items and model name never reach the terminal raw."""
    conv_id = _hostile_remote_conversation(server, model=model)
    result = run("--conversation", conv_id, "-p", "go on")
    assert result.code == 0, result.err
    assert_safe(_outputs(result), "one-shot on an imported chat")
    for argv in (("list",), ("show", conv_id), ("export", conv_id)):
        shown = run(*argv)
        assert shown.code == 0, shown.err
        assert_safe(_outputs(shown), " ".join(argv))


def test_json_outputs_escape_c1_and_bidi(run, server):
    server.script(Reply.text(CORPUS))
    result = run("--json", "--state", "local", "-p", CORPUS)
    assert result.code == 0, result.err
    outputs = [result.out]
    conv_id = listing(run)[0]["id"]
    for argv in (("list", "--json"), ("show", conv_id, "--json"), ("export", conv_id, "--format", "json")):
        shown = run(*argv)
        assert shown.code == 0 and shown.out, (argv, shown.err)
        outputs.append(shown.out)
    for text in outputs:
        assert_safe(text, "json")
        for line in text.splitlines() if text.startswith('{"type"') else [text]:  # JSON Lines: each
            json.loads(line)


# -- markup is never interpreted -----------------------------------------------------------------


def test_markup_is_printed_literally_in_plain_output(run, server):
    server.script(Reply.text("model says " + MARKUP))
    result = run("--state", "local", "-p", "user says " + MARKUP)
    assert result.code == 0, result.err
    assert result.out == "model says " + MARKUP + "\n"
    conv_id = listing(run)[0]["id"]
    shown = run("show", conv_id).out
    assert "user says " + MARKUP in shown and "model says " + MARKUP in shown
    assert listing(run)[0]["title"].startswith("user says [bold red]loud[/]")


async def test_markup_renders_literally_in_the_app(tui_context, tui_api):
    from test_tui_app import SIZE, make_app, settle

    from conftest import wait_for

    tui_api.script(Reply.text("model [red]RED[/red] [link=https://evil.example]L[/link]"))
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        app.chat_screen.prompt.insert("user [bold]B[/bold]")
        app.chat_screen.prompt.action_submit()
        # the reply is done (a busy machine can start the turn after a first settle round)
        pane = app.chat_screen.pane
        await wait_for(pilot, lambda: len(pane.views) == 2 and pane.views[-1].status == "complete")
        await settle(app, pilot)
        views = app.chat_screen.pane.views
        assert [v.text for v in views] == [
            "user [bold]B[/bold]",
            "model [red]RED[/red] [link=https://evil.example]L[/link]",
        ]
        import html

        screen = html.unescape("".join(re.findall(r">([^<]*)</text>", app.export_screenshot())))
        screen = screen.replace("\xa0", " ")
        for literal in ("[bold]B[/bold]", "[red]RED[/red]", "[link=https://evil.example]L[/link]"):
            assert literal in screen, literal
        paragraph = views[-1].body.children[0]
        content = paragraph._content  # the rendered Content: literal text, no markup styles
        assert content.plain == "model [red]RED[/red] [link=https://evil.example]L[/link]"
        for span in content.spans:  # only the bare URL is auto-linked, to itself
            assert content.plain[span.start : span.end] == "https://evil.example"
        title = str(app.chat_screen.chat_list.query_one("OptionList").get_option_at_index(0).prompt)
        assert "[bold]B[/bold]" in title


# -- secrets -------------------------------------------------------------------------------------

KEY_CANARY = "sk-canary-7f3a9c1e5b2d4f6a8c0e"
MCP_CANARY = "mcp-canary-Zq81LwX0pP3vT"


def _mcp_config(env) -> None:
    (env / "config.toml").write_text(
        '[[mcp_servers]]\nlabel = "docs"\nurl = "https://mcp.example/sse"\n'
        'require_approval = "never"\nheaders_env = "TERMCHAT_TEST_MCP_TOKEN"\n'
    )


def _artefacts(env) -> dict[str, bytes]:
    found = {}
    for path in env.rglob("*"):
        if path.is_file():
            found[str(path)] = path.read_bytes()
    return found


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_canaries_never_reach_any_artefact(run, server, env, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY_CANARY)
    monkeypatch.setenv("TERMCHAT_TEST_MCP_TOKEN", MCP_CANARY)
    _mcp_config(env)
    outputs: list[str] = []

    def go(*argv, **kw):
        result = run(*argv, **kw)
        outputs.append(result.out + result.err)
        return result

    assert go("--tool", "mcp:docs", "-p", "ask the docs mcp tool").code == 0
    conv_id = listing(run)[0]["id"]
    assert go("--json", "-c", "-p", "again via mcp").code == 0
    # servers echo keys in auth errors; the message is shown, the key is not
    server.script(
        Reply.error(401, f"Incorrect API key provided: {KEY_CANARY}. Find yours at ...", code="invalid_api_key")
    )
    assert go("-c", "-p", "401 please").code == 1
    server.script(Reply.error(401, f"Incorrect API key provided: {KEY_CANARY}", code="invalid_api_key"))
    assert go("--debug", "-c", "-p", "401 with debug").code == 1
    for argv in (
        ("list",),
        ("list", "--json"),
        ("show", conv_id),
        ("show", conv_id, "--json"),
        ("export", conv_id),
        ("export", conv_id, "--format", "json"),
        ("export", conv_id, "--format", "json", "-o", str(env / "export.json")),
        ("jobs", "--json"),
    ):
        assert go(*argv).code == 0, argv
    assert "Incorrect API key provided" in "".join(outputs)
    assert (env / "export.json").exists() and any((env / "data").iterdir())
    for text in outputs:
        assert KEY_CANARY not in text and MCP_CANARY not in text
    for path, data in _artefacts(env).items():
        assert KEY_CANARY.encode() not in data, path
        assert MCP_CANARY.encode() not in data, path
    # the canary did go out, to the server only
    mcp_tools = [
        t
        for b in (r.body for r in server.requests if r.path == "/v1/responses")
        for t in b.get("tools", [])
        if t.get("type") == "mcp"
    ]
    assert mcp_tools and all(t["headers"] == {"Authorization": f"Bearer {MCP_CANARY}"} for t in mcp_tools)


def test_mcp_auth_header_is_sent_but_not_stored(run, server, env, monkeypatch):
    monkeypatch.setenv("TERMCHAT_TEST_MCP_TOKEN", MCP_CANARY)
    _mcp_config(env)
    assert run("--tool", "mcp:docs", "-p", "ask the docs mcp tool").code == 0
    tool = next(t for t in server.requests[-1].body["tools"] if t["type"] == "mcp")
    assert tool.get("headers") == {"Authorization": f"Bearer {MCP_CANARY}"}
    for path, data in _artefacts(env).items():
        assert MCP_CANARY.encode() not in data, path


def test_key_is_redacted_from_every_error_path():
    import openai
    from openai import _exceptions

    httpx = getattr(_exceptions, "httpx2", None) or _exceptions.httpx

    from termchat.api import Api

    api = Api(base_url="http://127.0.0.1:9/v1", api_key="plainkey-canary-123")
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/responses")
    response = httpx.Response(
        401,
        request=request,
        json={"error": {"message": "bad key plainkey-canary-123 and sk-proj-abcdef12345", "code": "invalid_api_key"}},
    )
    errors = [
        openai.AuthenticationError("x", response=response, body=response.json()["error"]),
        openai.APIConnectionError(message="boom plainkey-canary-123", request=request),
        openai.APIError("nested plainkey-canary-123", request, body={"message": "m plainkey-canary-123"}),
        RuntimeError("odd plainkey-canary-123"),
    ]
    for exc in errors:
        line = api.error(exc).one_line()
        assert "plainkey-canary-123" not in line and "abcdef12345" not in line, line
    assert "plainkey" not in repr(api)


# -- file permissions ----------------------------------------------------------------------------


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_dir_is_private(run, env):
    assert run("--state", "local", "-p", "hi").code == 0
    assert _mode(env / "data") == 0o700
    db = env / "data" / "termchat.db"
    assert not _mode(db) & 0o077 or _mode(env / "data") == 0o700  # the dir guards the file


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_history_files_are_0600_in_an_existing_0755_dir(run, env, umask_022):
    from termchat.store import Store

    data = env / "data"
    data.mkdir(mode=0o755)
    assert run("--state", "local", "-p", "hi").code == 0
    assert _mode(data) == 0o755  # the user's own dir keeps its mode
    assert _mode(data / "termchat.db") == 0o600
    with Store.in_dir(data) as store:  # while a connection is open, the WAL files exist
        store.create_conversation(mode="local", model="gpt-5.2", title="x")
        for name in ("termchat.db", "termchat.db-wal", "termchat.db-shm"):
            assert _mode(data / name) == 0o600, name


def test_a_readable_database_from_before_is_narrowed_to_0600(run, env, umask_022):
    assert run("--state", "local", "-p", "hi").code == 0
    db = env / "data" / "termchat.db"
    db.chmod(0o644)
    assert run("list", "--json").code == 0  # the fast path reads it read-only
    assert run("show", listing(run)[0]["id"]).code == 0
    assert _mode(db) == 0o600


def test_export_to_a_file_is_0600(run, env, umask_022):
    assert run("--state", "local", "-p", "hi").code == 0
    conv_id = listing(run)[0]["id"]
    new, old = env / "chat.md", env / "old.json"
    old.write_text("from before")
    old.chmod(0o644)
    assert run("export", conv_id, "-o", str(new)).code == 0
    assert run("export", conv_id, "--format", "json", "-o", str(old)).code == 0
    assert _mode(new) == 0o600 and "hi" in new.read_text()
    assert _mode(old) == 0o600 and json.loads(old.read_text())["id"] == conv_id
    result = run("export", conv_id, "-o", str(env))  # a directory: one line, exit 2
    assert result.code == 2 and result.err.count("\n") == 1 and "cannot write" in result.err


def test_save_config_writes_0600_in_a_0700_dir(tmp_path, monkeypatch):
    from termchat.config import load_config, save_config

    monkeypatch.setattr(os, "umask", os.umask)  # restored after the test
    old = os.umask(0o022)
    try:
        path = tmp_path / "new" / "termchat" / "config.toml"
        save_config(path, {"theme": "termchat-light", "api_key": KEY_CANARY})
        assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
        assert KEY_CANARY not in path.read_text()
        existing = tmp_path / "existing.toml"
        existing.write_text('model = "gpt-5.2"\n')
        existing.chmod(0o644)
        save_config(existing, {"keymap": {"send": "ctrl+j"}})
        assert _mode(existing) == 0o600
        assert load_config(existing, env={}).keymap["send"] == "ctrl+j"
    finally:
        os.umask(old)


def test_stream_error_event_echoing_the_key_is_redacted(run, server):
    server.script(Reply.error_event(f"bad key {API_KEY} rejected", nested=False))
    result = run("--state", "local", "-p", "hi")
    assert result.code == 1
    conv_id = listing(run)[0]["id"]
    for text in (result.err, run("show", conv_id).out, run("export", conv_id, "--format", "json").out):
        assert API_KEY not in text
