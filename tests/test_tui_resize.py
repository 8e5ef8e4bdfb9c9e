"""Resizing the terminal never crashes, whatever the panes hold."""

from __future__ import annotations

import pytest

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.mark.parametrize("sizes", [[(40, 12), (160, 48)], [(60, 20), (160, 48), (64, 20), (160, 48)]])
async def test_resizing_with_an_empty_prompt_does_not_crash(tui_context, sizes):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert app.prompt.text == ""
        for width, height in sizes:
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            await pilot.pause()
        assert app.is_running and app.return_code is None
        assert app.focused is app.prompt
