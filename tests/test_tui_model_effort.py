"""The app's model picker (F4, fed from the server's cached model list) and effort picker
(Shift+F4), driven with Pilot against the fake API."""

from __future__ import annotations

from pathlib import Path

import pytest

from termchat.model_catalog import CACHE_FILE, cached_models, save_models
from termchat.tui.app import TermchatApp
from termchat.tui.screens.dialogs import CUSTOM_MODEL, Picker, TextPrompt

from conftest import TUI_NOW, wait_for

SIZE = (120, 40)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def make_app(ctx, **kwargs) -> TermchatApp:
    return TermchatApp(ctx, now=lambda: TUI_NOW, **kwargs)


async def ready(app, pilot) -> None:
    await wait_for(pilot, lambda: app.chat_screen._tools_loaded is not None and app.screen is app.chat_screen)


def status_text(app) -> str:
    return str(app.query_one("StatusLine").render())


def picker_rows(app) -> list[str]:
    options = app.screen.query_one("#picker")
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


async def choose(app, pilot, value: str) -> None:
    options = app.screen.query_one("#picker")
    options.highlighted = options.get_option_index(value)
    await pilot.press("enter")


def notes(app, severity: str) -> list[str]:
    return [str(n.message) for n in app._notifications if n.severity == severity]


async def test_f4_fetches_the_servers_models_caches_them_and_switches(tui_context, tui_api):
    ctx = tui_context(model="gpt-5.2")
    tui_api.models = {"gpt-5.2", "gpt-4o", "llama-3.3"}
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker))
        assert picker_rows(app) == ["gpt-4o", "gpt-5.2", "llama-3.3", CUSTOM_MODEL]
        assert app.screen.query_one("#picker").highlighted == 1  # the current one
        await choose(app, pilot, "llama-3.3")
        await wait_for(pilot, lambda: app.chat_screen.model == "llama-3.3")
        assert status_text(app).lstrip().startswith("llama-3.3")
    assert len(tui_api.requests_to("models.list")) == 1
    assert cached_models(Path(ctx.data_dir), ctx.api.server) == ["gpt-4o", "gpt-5.2", "llama-3.3"]


async def test_f4_reads_a_fresh_cache_without_asking_the_server(tui_context, tui_api):
    ctx = tui_context(model="gpt-5.2")
    save_models(Path(ctx.data_dir), ctx.api.server, ["alpha-1", "beta-2"])
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker))
        # the current model is not served: it stays on offer, first
        assert picker_rows(app) == ["gpt-5.2", "alpha-1", "beta-2", CUSTOM_MODEL]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.chat_screen)
        assert app.chat_screen.model == "gpt-5.2"
    assert not tui_api.requests_to("models.list")


async def test_a_custom_name_or_alias_is_accepted_and_a_bad_one_refused(tui_context, tui_api):
    ctx = tui_context(model="gpt-5.2", aliases={"fast": "gpt-5-nano"})
    save_models(Path(ctx.data_dir), ctx.api.server, ["gpt-5.2"])
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        for typed, expected in (("fast", "gpt-5-nano"), ("qwen3:8b", "qwen3:8b"), ("bad name!", "qwen3:8b")):
            await pilot.press("f4")
            await wait_for(pilot, lambda: isinstance(app.screen, Picker))
            await choose(app, pilot, CUSTOM_MODEL)
            await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
            field = app.screen.query_one("Input")
            field.value = typed
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is app.chat_screen)
            await pilot.pause()
            assert app.chat_screen.model == expected
        assert any("not a model name" in note for note in notes(app, "error"))


async def test_a_server_without_a_model_listing_offers_the_model_table(tui_context, tui_api):
    from termchat.config import MODELS

    ctx = tui_context()
    tui_api.models_enabled = False
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker))
        assert picker_rows(app) == [m.name for m in MODELS] + [CUSTOM_MODEL]
        assert any("could not list the server's models" in note for note in notes(app, "warning"))
    assert not (Path(ctx.data_dir) / CACHE_FILE).exists()


async def test_effort_picker_sets_the_status_the_request_and_the_chat(tui_context, tui_api):
    ctx = tui_context(model="gpt-5-mini")
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert "effort" not in status_text(app)
        await pilot.press("shift+f4")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker))
        assert picker_rows(app) == ["default", "minimal", "low", "medium", "high"]
        await choose(app, pilot, "high")
        await wait_for(pilot, lambda: "high effort" in status_text(app))
        app.chat_screen.prompt.insert("hello")
        app.chat_screen.prompt.action_submit()
        await wait_for(pilot, lambda: tui_api.requests_to("responses"))
        await app.workers.wait_for_complete()
        body = tui_api.requests_to("responses")[-1].body
        assert body["reasoning"]["effort"] == "high"
        conv = app.chat_screen.conv
        assert ctx.store.reload(conv).settings["effort"] == "high"
        # back to the model's default: none sent, and the chat forgets it
        await pilot.press("shift+f4")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker))
        assert app.screen.query_one("#picker").highlighted == 4  # the chat's effort now
        await choose(app, pilot, "default")
        await wait_for(pilot, lambda: "effort" not in status_text(app))
        assert ctx.store.reload(conv).settings.get("effort") is None


async def test_an_opened_chat_shows_its_effort_and_the_flags_apply_to_a_new_chat(tui_context, tui_api):
    ctx = tui_context(model="gpt-5-mini")
    conv = ctx.store.create_conversation(
        mode="local", model="gpt-5-mini", title="Kept", settings={"effort": "low", "temperature": 0.5}
    )
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.chat_screen.conv is not None)
        await wait_for(pilot, lambda: "low effort" in status_text(app))
    app = make_app(ctx, settings={"effort": "minimal", "verbosity": "low"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert "minimal effort" in status_text(app)
        app.chat_screen.prompt.insert("hi")
        app.chat_screen.prompt.action_submit()
        await wait_for(pilot, lambda: tui_api.requests_to("responses"))
        await app.workers.wait_for_complete()
        body = tui_api.requests_to("responses")[-1].body
        assert body["reasoning"]["effort"] == "minimal" and body["text"]["verbosity"] == "low"


def test_the_launcher_refuses_a_bad_option_with_one_line(tui_context):
    import argparse

    from termchat.errors import UsageError
    from termchat.tui.launch import build_app

    args = argparse.Namespace(
        options=["temperature=9"],
        effort=None,
        tool=[],
        no_tools=False,
        tool_choice=None,
        conversation=None,
        continue_=False,
        model=None,
        state=None,
    )
    with pytest.raises(UsageError, match="temperature must be a number from 0 to 2"):
        build_app(tui_context(), args)
