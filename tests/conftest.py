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

    client = openai.OpenAI(base_url=fake_api.base_url, api_key="test", max_retries=0,
                           timeout=10)
    try:
        yield client
    finally:
        client.close()


# --- TUI fixtures (owned by tests/test_tui*.py; self-contained) ------------------------------
import pytest as _tui_pytest

TUI_NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC: relative times in the app are frozen to it


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
        config = Config(config_path=tmp_path / "config" / "config.toml", data_dir=tmp_path / "data",
                        **fields)
        ctx = AppContext(config, base_url=tui_api.base_url if credentials else None,
                         api_key="test" if credentials else None, data_dir=tmp_path / "data")
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
                store.add_message(conv, role, text, created_at=stamp,
                                  status=status[0] if status else "complete")
            rows.append(store.reload(conv))
        store._now = __import__("time").time
        return rows

    return seed
