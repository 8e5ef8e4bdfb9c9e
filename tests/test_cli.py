"""The one-shot CLI as a user drives it, against the loopback fake API with the real SDK."""

from __future__ import annotations

import io
import json
import os
import sqlite3

import pytest

from termchat import cli
from termchat.fake_api import FakeAPI, Reply

from conftest import listing


def _bodies(server, path="/v1/responses"):
    return [r.body for r in server.requests if r.method == "POST" and r.path == path]


@pytest.mark.parametrize("mode", ["conversation", "chain", "local"])
def test_each_mode_remembers_across_turns(run, server, mode):
    first = run("--state", mode, "-p", "Hello, my name is Ada.")
    assert first.code == 0, first.err
    assert first.out.strip()
    chats = listing(run)
    assert len(chats) == 1 and chats[0]["mode"] == mode
    chat_id = chats[0]["id"]
    assert chat_id.startswith("conv_") == (mode == "conversation")
    second = run("--conversation", chat_id, "-p", "I like tea.")
    assert second.code == 0, second.err
    third = run("--conversation", chat_id, "-p", "What is my name?")
    assert third.code == 0, third.err
    assert "Ada" in third.out
    bodies = _bodies(server)
    assert len(bodies) == 3
    if mode == "conversation":
        assert all(b["conversation"] == chat_id for b in bodies)
        assert all(len(b["input"]) == 1 for b in bodies)
    elif mode == "chain":
        assert "previous_response_id" not in bodies[0]
        assert bodies[1]["previous_response_id"] and bodies[2]["previous_response_id"]
        assert bodies[2]["store"] is True
    else:
        assert [len(b["input"]) for b in bodies] == [1, 3, 5]
        assert all(b["store"] is False for b in bodies)
    assert len(listing(run)) == 1


def test_resume_by_id_from_an_empty_store(run, server, env, monkeypatch):
    first = run("-p", "Hello, my name is Grace.")
    assert first.code == 0
    conv_id = listing(run)[0]["id"]
    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(env / "other-machine"))
    assert listing(run) == []
    again = run("--conversation", conv_id, "-p", "What is my name?")
    assert again.code == 0, again.err
    assert "Grace" in again.out
    assert "imported" in again.err
    chats = listing(run)
    assert [c["id"] for c in chats] == [conv_id]
    shown = run("show", conv_id)
    assert "Hello, my name is Grace." in shown.out and "What is my name?" in shown.out


@pytest.mark.parametrize("command", [("show",), ("export", "--format", "json")])
def test_show_and_export_import_a_conversation_never_seen_here(run, server, env, monkeypatch, command):
    assert run("-p", "Hello, my name is Grace.").code == 0
    conv_id = listing(run)[0]["id"]
    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(env / "other-machine"))
    result = run(command[0], conv_id, *command[1:])
    assert result.code == 0, result.err
    assert "Hello, my name is Grace." in result.out and "Nice to meet you" in result.out
    assert result.err == f"termchat: note: imported conversation {conv_id} from the server (2 messages)\n"
    assert [c["id"] for c in listing(run)] == [conv_id]


def test_unknown_conversation_id_is_a_clear_error(run):
    result = run("--conversation", "conv_doesnotexist", "-p", "hi")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "unknown conversation" in result.err
    local = run("--conversation", "tc_nope", "-p", "hi")
    assert local.code == 2 and "unknown conversation 'tc_nope'" in local.err


def test_continue_uses_the_most_recent_chat(run, server):
    run("--state", "local", "-p", "My name is Linus.")
    run("--state", "local", "-p", "My name is Ken.")
    result = run("-c", "-p", "What is my name?")
    assert result.code == 0 and "Ken" in result.out
    assert len(listing(run)) == 2


def test_continuing_after_an_interrupted_reply_says_so_in_cli_words(run, server):
    server.script(Reply.drop(after_deltas=3))
    assert run("--state", "local", "-p", "tell me a story").code == 1
    result = run("-c", "-p", "go on")
    assert result.code == 0, result.err
    assert result.err == "termchat: note: the last reply was interrupted; its partial text is kept\n"


def test_continue_with_no_chats_is_a_usage_error(run):
    result = run("-c", "-p", "hi")
    assert result.code == 2 and "no chat to continue" in result.err


def test_piped_stdin_alone_and_after_text(run, server):
    alone = run(stdin="just the pipe\n")
    assert alone.code == 0, alone.err
    combined = run("-p", "Summarise:", stdin="line one\nline two\n")
    assert combined.code == 0, combined.err
    inputs = [b["input"][-1]["content"] for b in _bodies(server)]
    assert inputs[0] == "just the pipe\n"
    assert inputs[1] == "Summarise:\n\nline one\nline two\n"


def test_empty_prompt_is_refused(run):
    assert run("-p", "   ").code == 2
    assert run(stdin="").code == 2


def test_binary_stdin_is_refused(run):
    result = run("-p", "look", stdin="a\x00b")
    assert result.code == 2 and "binary" in result.err


def test_json_lines_output(run, server):
    server.script(Reply.text("Hello there", chunks=["Hel", "lo ", "there"]))
    result = run("--json", "-p", "hi")
    assert result.code == 0
    events = [json.loads(line) for line in result.out.splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "turn_started" and types[-1] == "finished"
    assert "".join(e["text"] for e in events if e["type"] == "text_delta") == "Hello there"
    assert events[-1]["text"] == "Hello there" and events[-1]["status"] == "completed"


@pytest.mark.parametrize("mode", ["conversation", "chain", "local"])
def test_json_events_name_the_chat_by_the_id_list_shows(run, server, mode):
    first = run("--json", "--state", mode, "-p", "hi")
    server.script(Reply.error(400, "the server refuses"))
    failed = run("--json", "-c", "-p", "again")
    assert first.code == 0 and failed.code == 1
    listed = listing(run)[0]["id"]
    for result, last in ((first, "finished"), (failed, "failed")):
        events = [json.loads(line) for line in result.out.splitlines()]
        assert events[0]["type"] == "turn_started" and events[-1]["type"] == last
        assert {e["conversation_id"] for e in events if "conversation_id" in e} == {listed}


def test_plain_output_has_no_escape_sequences(run, server):
    server.script(Reply.text("safe \x1b]52;c;ZXZpbA==\x07text \x1b[2J done"))
    result = run("-p", "hi")
    assert result.code == 0
    assert "\x1b" not in result.out and "safe text  done" in result.out


def test_subcommands_list_show_export_rm(run, server, env):
    server.script(Reply.text("Here:\n\n```python\nprint('hi')\n```\n"))
    assert run("-p", "show me code").code == 0
    chats = listing(run)
    conv_id = chats[0]["id"]
    assert set(chats[0]) >= {"id", "title", "mode", "model", "updated_at"}
    plain = run("list")
    assert conv_id in plain.out and "show me code" in plain.out
    md = run("export", conv_id, "--format", "md")
    assert md.code == 0
    assert "## You" in md.out and "## Assistant" in md.out and "```python\nprint('hi')\n```" in md.out
    data = json.loads(run("export", conv_id, "--format", "json").out)
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
    assert run("rm", conv_id, "--remote").code == 0
    assert listing(run) == []
    deletes = [r for r in server.requests if r.method == "DELETE"]
    assert deletes and deletes[0].path.endswith(conv_id)
    assert run("show", conv_id).code == 2


def test_rm_remote_of_a_chat_deleted_here_deletes_the_server_copy(run, server, env):
    # The app deletes a chat locally at once; if its server delete fails, it tells the user to
    # run `termchat rm --remote conv_…`, which must then work although the chat is gone here.
    assert run("-p", "keep me on the server").code == 0
    conv_id = listing(run)[0]["id"]
    assert run("rm", conv_id).code == 0
    assert server.store.conversations.get(conv_id) is not None
    result = run("rm", conv_id, "--remote")
    assert result.code == 0, result.err
    assert result.err == f"termchat: deleted {conv_id} on the server (it was no longer stored here)\n"
    assert server.store.conversations.get(conv_id) is None
    again = run("rm", conv_id, "--remote")  # gone everywhere now
    assert again.code == 2 and "neither this machine nor the server has it" in again.one_error_line()


def test_server_without_conversations_falls_back_to_local_once(env, run, monkeypatch):
    bare = FakeAPI(conversations=False)
    monkeypatch.setenv("OPENAI_BASE_URL", bare.start())
    try:
        first = run("-p", "My name is Barbara.")
        assert first.code == 0, first.err
        assert first.err.count("no Conversations API") == 1
        chats = listing(run)
        assert chats[0]["mode"] == "local"
        second = run("-c", "-p", "What is my name?")
        assert "Barbara" in second.out and "no Conversations API" not in second.err
        another_chat = run("-p", "A new chat on the same server.")  # once per server, not per chat
        assert another_chat.code == 0 and "no Conversations API" not in another_chat.err
        assert listing(run)[0]["mode"] == "local"
        other = FakeAPI(conversations=False)  # another server: said again, once
        try:
            monkeypatch.setenv("OPENAI_BASE_URL", other.start())
            assert [run("-p", f"chat {n}").err.count("no Conversations API") for n in (1, 2)] == [1, 0]
        finally:
            other.stop()
    finally:
        bare.stop()


@pytest.mark.parametrize("status,expected", [(401, "HTTP 401"), (403, "HTTP 403"), (404, "HTTP 404")])
def test_http_errors_are_one_line_and_keep_the_prompt(run, server, env, status, expected):
    server.script(Reply.error(status, "Incorrect API key provided: sk-test-secret-key-123456", code="invalid_api_key"))
    result = run("--state", "local", "-p", "keep me")
    assert result.code == 1
    assert expected in result.err and result.err.count("\n") == 1
    assert "sk-test-secret-key-123456" not in result.err
    data = json.loads(run("export", listing(run)[0]["id"], "--format", "json").out)
    assert data["messages"][0]["content"] == "keep me"
    assert data["messages"][1]["status"] == "failed"
    retry = run("-c", "-p", "again")
    assert retry.code == 0


def test_rate_limit_and_server_errors_are_retried(run, server):
    server.script(Reply.error(429, "Rate limit reached", code="rate_limit_exceeded", headers={"retry-after": "0"}))
    server.script(Reply.error(500, "boom", type="server_error"))
    result = run("--state", "local", "-p", "hi")
    assert result.code == 0, result.err
    assert len(_bodies(server)) == 3


def test_dropped_stream_keeps_partial_reply_marked(run, server):
    server.script(Reply.drop(after_deltas=2))
    result = run("--state", "local", "-p", "tell me a story")
    assert result.code == 1
    assert result.err.startswith("termchat: error:") and result.err.count("\n") == 1
    conv_id = listing(run)[0]["id"]
    data = json.loads(run("export", conv_id, "--format", "json").out)
    reply = data["messages"][1]
    assert reply["status"] == "interrupted" and reply["content"]
    assert result.out.startswith(reply["content"])
    resumed = run("--conversation", conv_id, "-p", "go on")
    assert "interrupted" in resumed.err and resumed.code == 0


def test_error_event_then_failed(run, server):
    server.script(Reply.error_event("The server had an error", code="server_error"))
    result = run("--state", "local", "-p", "hi")
    assert result.code == 1 and "The server had an error" in result.err


def test_broken_config_is_exit_2_with_file_and_line(run, env):
    (env / "config.toml").write_text('model = "gpt-5.2"\nstate = \n')
    result = run("-p", "hi")
    assert result.code == 2
    assert "config.toml" in result.err and "line 2" in result.err


def test_bad_base_url(run):
    result = run("--base-url", "not a url", "-p", "hi")
    assert result.code == 2 and "--base-url" in result.err


def test_no_key_and_no_server_says_how_to_fix(run, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_BASE_URL")
    result = run("-p", "hi")
    assert result.code == 2 and "OPENAI_API_KEY" in result.err and "--demo" in result.err


def test_api_key_never_reaches_the_store_or_exports(run, server, env):
    assert run("-p", "hello").code == 0
    conv_id = listing(run)[0]["id"]
    artefacts = [
        run("export", conv_id, "--format", "json").out,
        run("export", conv_id).out,
        run("list", "--json").out,
        run("--json", "-c", "-p", "x").out,
    ]
    db = env / "data" / "termchat.db"
    artefacts.append(db.read_bytes().decode("latin-1"))
    for text in artefacts:
        assert "sk-test-secret-key-123456" not in text
    assert (os.stat(env / "data").st_mode & 0o777) == 0o700
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_version_and_help(capsys):
    from termchat import __version__

    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0 and __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "--conversation" in capsys.readouterr().out


def test_readme_test_command_is_what_ci_runs():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    ci = (root / ".ci" / "run").read_text()
    blocks = readme.split("```sh\n")
    commands = [b.split("\n```")[0].strip() for b in blocks[1:3]]
    assert len(commands) == 2 and "pytest" in commands[1]
    assert commands[1] in ci.splitlines()


def test_stringio_stdin_is_ignored(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("x"))
    assert cli.read_stdin() is None


def test_subcommand_after_global_options(run, server):
    assert run("--state", "local", "-p", "hello").code == 0
    result = run("--base-url", server.base_url, "list", "--json")
    assert result.code == 0 and len(json.loads(result.out)) == 1
    bad = run("--model", "x", "list")
    assert bad.code == 2


def test_background_refused_by_the_server_keeps_the_prompt(run, env, monkeypatch):
    bare = FakeAPI(conversations=False, background=False)
    monkeypatch.setenv("OPENAI_BASE_URL", bare.start())
    try:
        result = run("--background", "-p", "My name is Ada.")
        assert result.code == 1 and result.err.count("\n") == 1
        assert "Background mode is not supported" in result.err
        conv_id = listing(run)[0]["id"]
        data = json.loads(run("export", conv_id, "--format", "json").out)
        assert data["messages"][0]["content"] == "My name is Ada."
        assert data["messages"][1]["status"] == "failed"
    finally:
        bare.stop()


def test_usage_errors_are_one_line(run):
    result = run("--state", "sideways", "-p", "hi")
    assert result.code == 2 and result.err.count("\n") == 1 and "invalid choice" in result.err


def test_switching_a_local_chat_to_conversation_mode_keeps_its_history(run, server):
    assert run("--state", "local", "-p", "My name is Dorothy.").code == 0
    local_id = listing(run)[0]["id"]
    result = run("--conversation", local_id, "--state", "conversation", "-p", "What is my name?")
    assert result.code == 0, result.err
    assert "Dorothy" in result.out
    chat = listing(run)[0]
    assert chat["mode"] == "conversation" and chat["id"].startswith("conv_")
    assert run("show", local_id).code == 0  # the old id still resolves
    seeded = server.requests_to("conversations.create")[-1].body["items"]
    assert [i["content"] for i in seeded if i["role"] == "user"] == ["My name is Dorothy."]


def test_a_unique_id_prefix_is_enough(run, server):
    assert run("--state", "local", "-p", "My name is Alan.").code == 0
    assert run("--state", "local", "-p", "second chat").code == 0
    chats = listing(run)
    target = chats[1]["id"]
    prefix = next(target[:n] for n in range(3, len(target)) if not chats[0]["id"].startswith(target[:n]))
    assert "My name is Alan." in run("show", prefix).out
    result = run("--conversation", prefix, "-p", "What is my name?")
    assert "Alan" in result.out
    ambiguous = run("show", "tc_")
    assert ambiguous.code == 2 and "several chats" in ambiguous.err


def test_list_fast_path_matches_the_full_command(run, server, env, capsys, monkeypatch):
    from termchat import listing, store
    from termchat.entry import main as entry_main

    assert listing.SCHEMA_VERSION == store.SCHEMA_VERSION
    server.script(Reply.text("ok"))
    assert run("--state", "local", "-p", "title with \x1b[2J escape").code == 0
    full_json, full_plain = run("list", "--json", "--debug").out, run("list", "--debug").out

    def fast(*argv):
        monkeypatch.setattr("sys.argv", ["termchat", *argv])
        assert entry_main() == 0
        return capsys.readouterr().out

    assert fast("list", "--json") == full_json
    assert fast("list") == full_plain and "\x1b" not in full_plain
    assert json.loads(fast("list", "--json", "--limit", "1")) == json.loads(full_json)[:1]
    monkeypatch.setattr("sys.argv", ["termchat", "list", "--limit", "0"])  # the full command's error
    assert entry_main() == 2 and "--limit must be at least 1" in capsys.readouterr().err
    # Anything the fast path does not know goes to the full command (and its errors).
    monkeypatch.setattr("sys.argv", ["termchat", "list", "--bogus"])
    assert entry_main() == 2


def test_list_fast_path_imports_nothing_heavy(env):
    import subprocess
    import sys

    code = (
        "import sys; from termchat.entry import main; sys.argv=['termchat','list']; main(); "
        "heavy = [m for m in ('argparse', 'dataclasses', 'pathlib', 'openai', 'textual', 're', 'datetime', "
        "'platformdirs') "
        "if m in sys.modules]; print(heavy, file=sys.stderr)"
    )
    (env / "data").mkdir(exist_ok=True)
    from termchat.store import Store

    Store.in_dir(env / "data").close()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env={**os.environ})
    assert out.stderr.strip().splitlines()[-1] == "[]", out.stderr


@pytest.mark.parametrize("width", [40, 80, 132])
def test_help_fast_path_is_the_parsers_help(width, capsys, monkeypatch):
    """`termchat --help` (no argparse) prints what `termchat --model x --help` (argparse) prints."""
    from termchat import cli_options
    from termchat.entry import main as entry_main

    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setattr("sys.argv", ["termchat", "--help"])
    assert entry_main() == 0
    fast = capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["--model", "x", "--help"])
    assert capsys.readouterr().out == fast
    parser = cli._root_parser()
    for action in parser._actions:
        for flag in action.option_strings:
            assert f" {flag}" in fast or f"[{flag}" in fast, flag
    options = fast.split("\noptions:\n")[1].split("\n\n")[0].splitlines()  # wrapped (the epilog is not)
    assert len(options) >= len(cli_options.ROOT_OPTIONS) and all(len(line) <= width for line in options)
    assert set(cli_options.VALUE_OPTIONS) == {
        flag for action in parser._actions if action.nargs != 0 for flag in action.option_strings
    }


def test_the_installed_command_starts_without_re_or_argparse():
    """The `termchat` script is termchat/__main__.py, not a console-script wrapper importing `re`."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "termchat"
    if not script.exists():
        pytest.skip("termchat is not installed next to this interpreter")
    assert os.access(script, os.X_OK)
    for argv in (["--version"], ["--help"]):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", str(script), *argv],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "COLUMNS": "80"},
        )
        assert proc.returncode == 0 and proc.stdout.startswith(("termchat ", "usage: termchat"))
        modules = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if "|" in line}
        assert not modules & {"re", "argparse", "textwrap", "openai", "textual"}, argv


def test_each_subcommand_is_declared_once_with_help_for_every_argument(capsys):
    """The table in cli_subcommands is the subcommand: its parser, its help, its handler, its root line."""
    from importlib import import_module

    from termchat import cli_help, cli_subcommands

    page = cli_help.root_help(120)
    for entry in cli_subcommands.SUBCOMMANDS:
        assert f"\n  {entry.synopsis}" in page and entry.summary in page
        module, _, function = entry.handler.partition(":")
        assert callable(getattr(import_module(module), function)), entry.handler
        for flags, kw in cli_subcommands.subcommand_arguments(entry):
            assert kw.get("help", "").strip(), (entry.name, flags)
        with pytest.raises(SystemExit) as info:
            cli.main([entry.name, "--help"])
        assert info.value.code == 0
        text = capsys.readouterr().out
        assert text.startswith(f"usage: termchat {entry.name}") and entry.summary in text
    with pytest.raises(SystemExit):
        cli.main(["jobs", "--help"])
    jobs_help = " ".join(capsys.readouterr().out.split())
    assert "wait: follow job ID to its end" in jobs_help and "cancel: ask the server to stop job ID" in jobs_help


@pytest.mark.parametrize("data_dir", ["missing", "empty"])
def test_list_before_any_chat_prints_none_and_creates_no_store(data_dir, env, capsys, monkeypatch):
    """`termchat list` before the first chat says there are none, like the full command, and
    leaves the data dir as it found it: the store is made by the first chat, not by a look."""
    from termchat.entry import main as entry_main

    data = env / "data"
    if data_dir == "empty":
        data.mkdir(mode=0o700)

    def listed(*argv):
        monkeypatch.setattr("sys.argv", ["termchat", "list", *argv])
        code = entry_main()
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert listed() == (0, "", "termchat: no chats yet; start one with `termchat` or `termchat -p TEXT`\n")
    assert listed("--json") == (0, "[]\n", "")
    assert listed("--json", "--limit", "3") == (0, "[]\n", "")
    assert (list(data.iterdir()) == []) if data_dir == "empty" else not data.exists()


def test_list_with_something_odd_where_the_data_dir_should_be_lets_the_full_command_explain(env, capsys, monkeypatch):
    from termchat.entry import main as entry_main

    (env / "data").write_text("not a directory")
    monkeypatch.setattr("sys.argv", ["termchat", "list"])
    assert entry_main() == 2
    err = capsys.readouterr().err
    assert err.startswith("termchat: ") and len(err.strip().splitlines()) == 1
