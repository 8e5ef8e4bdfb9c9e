"""`--demo` binds its fake API's socket at once and serves it only once needed (after the app's
first frame, or at a client's first connection): nothing sent meanwhile is lost."""

from __future__ import annotations

import argparse

import openai
import pytest

from termchat.app_context import AppContext
from termchat.config import Config
from termchat.demo import start_demo
from termchat.tui.app import TermchatApp

from conftest import wait_for

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def demo(monkeypatch, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    server, base_url, data_dir = start_demo(argparse.Namespace())
    try:
        yield server, base_url, data_dir
    finally:
        server.stop()


def test_a_request_sent_before_the_fake_serves_is_answered(demo):
    server, base_url, _ = demo
    assert not server.serving  # bound and listening only
    client = openai.OpenAI(base_url=base_url, api_key="demo", max_retries=0)
    reply = client.responses.create(model="gpt-5.2", input="Hello, my name is Ada.")
    assert reply.status == "completed" and reply.output_text
    assert server.serving  # the connection started it


def test_a_demo_that_never_served_stops_cleanly(monkeypatch, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    server, base_url, _ = start_demo(argparse.Namespace(), seed=False)
    server.stop()
    assert not server.serving
    with pytest.raises(openai.APIConnectionError):
        openai.OpenAI(base_url=base_url, api_key="demo", max_retries=0, timeout=5).models.list()


def demo_context(tmp_path, demo) -> AppContext:
    server, base_url, data_dir = demo
    config = Config(config_path=tmp_path / "config.toml", data_dir=data_dir)
    return AppContext(config, base_url=base_url, api_key="demo", data_dir=data_dir, demo=True, fake=server)


async def test_the_app_starts_the_demos_fake_after_its_first_frame(tmp_path, demo):
    ctx = demo_context(tmp_path, demo)
    app = TermchatApp(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: demo[0].serving)  # with no request made
        assert any("Welcome to termchat" in o.prompt.plain for o in app.chat_screen.chat_list.options._options)
    ctx.close()


async def test_a_prompt_sent_before_the_demos_fake_serves_is_answered(tmp_path, demo, monkeypatch):
    server = demo[0]
    monkeypatch.setattr(AppContext, "serve_demo", lambda self: None)  # as if sent before the app asked
    ctx = demo_context(tmp_path, demo)
    app = TermchatApp(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.chat_screen.conv is not None and app.chat_screen.conv.title)
        await pilot.pause()
        assert not server.serving
        await app.chat_screen.action_new_chat()
        app.chat_screen.prompt.insert("Hello, my name is Ada.")
        app.chat_screen.prompt.action_submit()
        await wait_for(pilot, lambda: app.chat_screen.conv is not None and not app.chat_screen.turns)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert server.serving
        reply = app.chat_screen.pane.views[-1]
        assert [v.role for v in app.chat_screen.pane.views] == ["user", "assistant"]
        assert reply.status == "complete" and "Ada" in reply.text
    ctx.close()


def test_the_demo_context_keeps_the_seeded_store_open_as_its_store(monkeypatch, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setenv("TERMCHAT_CONFIG", str(tmp_path / "config.toml"))
    ctx = AppContext.from_args(argparse.Namespace(demo=True))
    try:
        assert "store" in ctx.__dict__  # the seeded one, not opened again
        titles = [c.title for c in ctx.store.list_conversations()]
        assert titles == ["Welcome to termchat", "Shell one-liners"]
        assert ctx.data_dir.parent == tmp_path and ctx.store.path.parent == ctx.data_dir
    finally:
        ctx.close()
