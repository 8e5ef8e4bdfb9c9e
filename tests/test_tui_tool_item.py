"""A tool item finished before its collapsible composed its detail still shows the final item."""

from __future__ import annotations

from textual.widgets import Static

from termchat.tui.app import TermchatApp
from termchat.tui.widgets.message_view import ToolItem

from conftest import TUI_NOW


async def test_a_tool_item_finished_before_it_is_mounted_shows_the_finished_item(tui_context):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        running = {"type": "function_call", "name": "lookup", "arguments": "{}", "status": "in_progress"}
        done = {**running, "status": "completed", "output": "found it"}
        item = ToolItem("fc_1", running, running=True)
        item.finish(done)  # before it is mounted: its detail is not composed yet
        await app.chat_screen.pane.mount(item)
        await pilot.pause()
        detail = item.query_one(".item-detail", Static)
        assert "found it" in str(detail.render())
        assert not str(item.title).startswith("…")
