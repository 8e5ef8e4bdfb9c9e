"""Small things a user notices: settings that stick, times that move on, lists without repeats."""

from __future__ import annotations

import tomllib

import pytest

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW

SIZE = (120, 40)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


async def test_switching_back_to_the_start_up_theme_is_saved(tui_context, tmp_path):
    app = TermchatApp(tui_context(theme="termchat-dark"), now=lambda: TUI_NOW)
    config = tmp_path / "config" / "config.toml"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.set_theme("termchat-light")
        await pilot.pause()
        assert tomllib.loads(config.read_text())["theme"] == "termchat-light"
        app.set_theme("termchat-dark")
        await pilot.pause()
        assert tomllib.loads(config.read_text())["theme"] == "termchat-dark"
