"""The first frame of the chat screen: what it shows is set before it is painted, and the CSS it
does not use (app_later.tcss) is parsed when something that needs it is first mounted."""

from __future__ import annotations

import pytest

from termchat.tui.app import LATER_CSS, TermchatApp

from conftest import TUI_NOW
from first_frame import FirstFrameApp

SIZE = (120, 40)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class FirstFrame(FirstFrameApp):
    """What the first frame showed: the status line, the tools, the title, the focus."""

    def first_frame(self) -> dict:
        screen = self.chat_screen
        return {
            "status": screen.query_one("#status").render().plain,
            "tools": str(screen.prompt.border_subtitle),
            "title": str(screen.pane.border_title),
            "focused": self.focused,
            "later_css": later_css_parsed(self),
        }


def later_css_parsed(app: TermchatApp) -> bool:
    return any(str(LATER_CSS) in str(key) for key in app.stylesheet.source)


async def until(pilot, predicate) -> None:
    from conftest import wait_for

    await wait_for(pilot, predicate)


async def test_a_new_chats_first_frame_has_its_status_line_tools_and_focus(tui_context):
    app = FirstFrame(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.at_ready is not None)
        shown = app.at_ready
        assert "gpt-5.2" in shown["status"] and "$0.00" in shown["status"] and "context" in shown["status"]
        assert shown["tools"] == "no tools · Ctrl+T"
        assert shown["title"] == "New chat"
        assert shown["focused"] is app.chat_screen.prompt
        assert not shown["later_css"]  # nothing in the first frame needs it


async def test_messages_opened_at_start_are_styled_by_the_later_css(tui_context, tui_seed):
    ctx = tui_context()
    tui_seed(ctx.store, [("Chat", "local", [("user", "question"), ("assistant", "answer")])])
    app = FirstFrame(ctx, continue_last=True, now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.chat_screen.pane.views) == 2)
        await pilot.pause()
        assert later_css_parsed(app)
        for view in app.chat_screen.pane.views:
            assert view.styles.margin.bottom == 1  # MessageView's rule in app_later.tcss
            assert view.region.height > 1


async def test_the_tool_panel_and_dialogs_are_styled_by_the_later_css(tui_context):
    app = FirstFrame(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(160, 40)) as pilot:  # wide: the tool panel is shown
        await until(pilot, lambda: app.chat_screen._tool_panel is not None)
        await pilot.pause()
        panel = app.chat_screen.tool_panel
        assert later_css_parsed(app)
        assert panel.styles.width is not None and panel.styles.width.value == 30  # ToolPanel's rule
        assert panel.region.x == 160 - 30
        app.chat_screen.action_switch_mode()
        await until(pilot, lambda: "dialog-screen" in app.screen.classes and app.screen.query("#picker"))
        await pilot.pause()
        assert app.screen.styles.align_horizontal == "center"  # .dialog-screen's rule


def test_the_first_frames_modules_leave_the_attachment_code_out():
    """The chat screen and its chat list (with forks) need no attachment code: it is imported
    when a file is attached or a chat's history is sent."""
    import subprocess
    import sys

    code = "import sys, termchat.tui.app, termchat.fork; print('termchat.attachments' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
