"""Shared pytest fixtures."""

# --- termchat.fake_api fixtures (owned by the fake_api tests; self-contained) ---------------
import pytest as _fake_api_pytest


@_fake_api_pytest.fixture
def fake_api():
    """A started ``termchat.fake_api.FakeAPI`` on a free port with a ``FakeClock``."""
    from termchat.fake_api import FakeAPI, FakeClock

    api = FakeAPI(clock=FakeClock())
    api.start()
    try:
        yield api
    finally:
        api.stop()


@_fake_api_pytest.fixture
def fake_client(fake_api):
    """A real ``openai.OpenAI`` client pointed at ``fake_api`` (``max_retries=0``)."""
    import openai

    client = openai.OpenAI(
        base_url=fake_api.base_url, api_key="test", max_retries=0, timeout=300
    )  # only stops a hang: a busy machine can be slow
    try:
        yield client
    finally:
        client.close()


# --- TUI fixtures (owned by tests/test_tui*.py; self-contained) ------------------------------
import pytest as _tui_pytest

TUI_NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC: relative times in the app are frozen to it


async def wait_for(pilot, predicate, timeout: float = 120.0) -> None:
    """Let the app run until `predicate()` holds. It polls the app's state (no fixed sleeps);
    `timeout` only keeps a broken test from hanging, however loaded the machine is."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except (IndexError, AttributeError):  # not mounted yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await pilot.pause(0.01)


@_tui_pytest.fixture
def tui_api():
    """A FakeAPI on loopback for app tests (real clock: background jobs progress on their own)."""
    from termchat.fake_api import FakeAPI

    api = FakeAPI()
    api.start()
    try:
        yield api
    finally:
        api.stop()


@_tui_pytest.fixture
def tui_context(tmp_path, tui_api):
    """`make(**config_fields)` -> an AppContext on a tmp data dir, talking to `tui_api`."""
    from termchat.app_context import AppContext
    from termchat.config import Config

    contexts = []

    def make(*, credentials=True, **fields):
        config = Config(config_path=tmp_path / "config" / "config.toml", data_dir=tmp_path / "data", **fields)
        ctx = AppContext(
            config,
            base_url=tui_api.base_url if credentials else None,
            api_key="test" if credentials else None,
            data_dir=tmp_path / "data",
        )
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()


@_tui_pytest.fixture
def tui_seed():
    """`seed(store, chats)` writes chats with fixed times: [(title, mode, [(role, text), ...])]."""

    def seed(store, chats, *, now=TUI_NOW):
        rows = []
        for index, (title, mode, messages) in enumerate(chats):
            stamp = now - 3600 * (index + 1) * 5
            store._now = lambda stamp=stamp: stamp
            conv = store.create_conversation(mode=mode, model="gpt-5.2", title=title, created_at=stamp)
            for role, text, *status in messages:
                store.add_message(conv, role, text, created_at=stamp, status=status[0] if status else "complete")
            rows.append(store.reload(conv))
        store._now = __import__("time").time
        return rows

    return seed


@_tui_pytest.fixture
def two_chats_app(tui_context, tui_seed):
    """The app over two local chats, "Tea" and "Rust", a prompt each (the focus and key tests)."""
    from termchat.tui.app import TermchatApp

    ctx = tui_context()
    tui_seed(ctx.store, [("Tea", "local", [("user", "green tea?")]), ("Rust", "local", [("user", "lifetimes?")])])
    return TermchatApp(ctx, now=lambda: TUI_NOW)


async def app_settled(app, pilot) -> None:
    """Until the app has handled what was sent to it and its workers are done."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def focus_chat_list(app, pilot):
    """Once the app has settled, move the focus to the chat list (Ctrl+F, Enter); the chat screen."""
    await app_settled(app, pilot)
    chat = app.chat_screen
    await pilot.press("ctrl+f", "enter")
    assert app.focused is chat.chat_list.options
    return chat


# --- CLI fixtures (shared by the CLI, tools, faults, bad-input and security tests) ------------
import json as _cli_json
import os as _cli_os

CLI_API_KEY = "sk-test-secret-key-123456"


@_fake_api_pytest.fixture
def server():
    """A started FakeAPI with the real clock (replies stream at once)."""
    from termchat.fake_api import FakeAPI

    api = FakeAPI()
    api.start()
    try:
        yield api
    finally:
        api.stop()


@_fake_api_pytest.fixture
def env(tmp_path, monkeypatch, server):
    """A user environment: fresh data dir, no config file, the fake server as OPENAI_BASE_URL."""
    monkeypatch.setenv("TERMCHAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TERMCHAT_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", CLI_API_KEY)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


class CliRun:
    """What one `termchat` command did: exit code, stdout, stderr."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __iter__(self):  # `code, out, err = run(...)`
        return iter((self.code, self.out, self.err))

    def one_error_line(self) -> str:
        """The error line; fails unless stderr is exactly one `termchat: error:` line."""
        assert "Traceback" not in self.err, self.err
        assert self.err.count("\n") == 1 and self.err.startswith("termchat: error: "), self.err
        return self.err


@_fake_api_pytest.fixture
def run(env, capsys, monkeypatch):
    """`run(*argv, stdin=None)` runs `termchat` in-process, as a user would from a shell."""
    from termchat import cli

    def _run(*argv: str, stdin: str | bytes | None = None) -> CliRun:
        if stdin is not None:
            path = env / "stdin.bin"
            path.write_bytes(stdin.encode() if isinstance(stdin, str) else stdin)
            monkeypatch.setattr("sys.stdin", open(path))
        else:
            monkeypatch.setattr("sys.stdin", open(_cli_os.devnull))
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return _run


def listing(run) -> list:
    """`termchat list --json`, parsed."""
    result = run("list", "--json")
    assert result.code == 0, result.err
    return _cli_json.loads(result.out)


def shown_text(app) -> str:
    """The screen's text as a screenshot has it (runs joined, spaces as spaces)."""
    import html
    import re

    runs = re.findall(r">([^<]*)</text>", app.export_screenshot())
    return html.unescape("".join(runs)).replace("\xa0", " ")
