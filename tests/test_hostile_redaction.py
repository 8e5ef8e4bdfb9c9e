"""No secret the process holds leaves it through an error (issue 15).

A server that echoes what it was sent puts secrets in its error messages. Every kind of secret
termchat holds (the API key, an MCP header value read through `headers_env`, a password in a
URL) is seeded into every error path: HTTP errors, stream error events, a failed background
job, the errors stored with a reply, JSON export, `--json` events, notes. None may appear on
stdout, stderr, in the database or in an export; the rest of each message still does.
"""

from __future__ import annotations

import json

import pytest

from termchat import redact
from termchat.fake_api import Reply

from conftest import listing

KEY = "canary-apikey-9f8e7d6c5b4a"  # not shaped like a key: only knowing it can hide it
MCP = "mcp-canary-token-Zq81LwX0"
PASSWORD = "urlpass-canary-7Hq2"
SECRETS = (KEY, MCP, PASSWORD)
# (A bare password is not echoed: termchat refuses URLs with credentials, so it never holds one.)
ECHO = (
    f"you sent Authorization: Bearer {MCP} and api key {KEY} through "
    f"http://me:{PASSWORD}@proxy.example/v1; again, bare: {MCP} / {KEY}"
)


@pytest.fixture
def secrets_env(env, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("DOCS_MCP_AUTH", MCP)
    (env / "config.toml").write_text(
        '[[mcp_servers]]\nlabel = "docs"\nurl = "https://mcp.example/mcp"\n'
        'require_approval = "never"\nheaders_env = "DOCS_MCP_AUTH"\n'
    )
    yield env
    redact.forget_all()


def assert_no_secret(text: str | bytes, where: str) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in text, f"{where}: {secret!r} in {text[:400]!r}"


def artefacts(env) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in env.rglob("*") if p.is_file()}


def check_everything(run, env, *results) -> str:
    shown = "".join(r.out + r.err for r in results)
    assert_no_secret(shown, "output")
    for chat in listing(run):
        for argv in (
            ("show", chat["id"]),
            ("export", chat["id"], "--format", "json"),
            ("export", chat["id"], "--format", "md"),
            ("show", chat["id"], "--json"),
        ):
            result = run(*argv)
            assert_no_secret(result.out + result.err, " ".join(argv))
            shown += result.out
    for path, data in artefacts(env).items():
        assert_no_secret(data, path)
    return shown


@pytest.mark.parametrize("json_events", [False, True], ids=["plain", "json"])
def test_http_errors_echoing_secrets(run, server, secrets_env, json_events):
    flags = ("--json",) if json_events else ()
    server.script(Reply.error(400, ECHO, code="bad_request"))
    result = run(*flags, "--state", "local", "--tool", "mcp:docs", "-p", "one")
    assert result.code == 1
    shown = check_everything(run, secrets_env, result)
    assert "you sent Authorization: Bearer ***" in shown  # the message itself is kept


@pytest.mark.parametrize("nested", [True, False], ids=["nested", "flat"])
@pytest.mark.parametrize("json_events", [False, True], ids=["plain", "json"])
def test_stream_errors_echoing_secrets(run, server, secrets_env, nested, json_events):
    flags = ("--json",) if json_events else ()
    server.script(Reply.error_event(ECHO, nested=nested, after_deltas=2))
    result = run(*flags, "--state", "local", "-p", "two")
    assert result.code == 1
    shown = check_everything(run, secrets_env, result)
    assert "api key ***" in shown


def test_a_failed_background_job_echoing_secrets(run, server, secrets_env):
    started = run("--background", "--state", "local", "-p", "three")
    assert started.code == 0, started.err
    job_id = started.out.strip()
    failed = {
        "id": job_id,
        "object": "response",
        "status": "failed",
        "created_at": 0,
        "model": "gpt-5.2",
        "output": [],
        "error": {"code": "server_error", "message": ECHO},
    }
    server.script(*[Reply.raw(200, failed, endpoint="retrieve")] * 8)
    results = [
        started,
        run("jobs", "wait", job_id),
        run("jobs", "wait", job_id, "--json"),
        run("jobs"),
        run("jobs", "--json"),
    ]
    assert results[1].code == 1
    check_everything(run, secrets_env, *results)


def test_notes_and_sync_errors_echoing_secrets(run, server, secrets_env):
    assert run("-p", "four").code == 0
    server.script(*[Reply.error(500, ECHO, type="server_error", endpoint="conversations.items")] * 3)
    result = run("-c", "--json", "-p", "five")
    assert "could not read the server copy" in result.out
    check_everything(run, secrets_env, result)


def test_passwords_in_urls_are_never_shown(run, secrets_env, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://me:{PASSWORD}@127.0.0.1:9/v1")
    results = [run("--state", "local", "-p", "six")]
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    results.append(run("--base-url", f"https://me:{PASSWORD}@proxy.example/v1", "-p", "seven"))
    (secrets_env / "config.toml").write_text(
        f'[[mcp_servers]]\nlabel = "docs"\nurl = "https://me:{PASSWORD}@mcp.example/mcp"\n'
    )
    results.append(run("--state", "local", "-p", "eight"))
    for result in results:
        assert result.code == 2
        assert_no_secret(result.err, "config error")
        assert "***" in result.err  # the URL is still named, without its password


def test_the_redaction_function_knows_each_kind_of_secret():
    try:
        redact.remember_config(
            None,
            api_key=KEY,
            base_url=f"http://me:{PASSWORD}@proxy.example/v1",
            env={"X": json.dumps({"Authorization": f"Bearer {MCP}"})},
        )
        redact.remember_header_values(json.dumps({"Authorization": f"Bearer {MCP}"}))
        line = redact.redact(f"{KEY} {MCP} {PASSWORD} http://u:{PASSWORD}@h/ \x1b]0;t\x07 sk-proj-abc123")
        for secret in SECRETS:
            assert secret not in line
        assert "\x1b" not in line and "sk-proj-abc123" not in line
    finally:
        redact.forget_all()
