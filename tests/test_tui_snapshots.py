"""Snapshots of the main screens in every built-in theme: fixed size, clock, ids and data."""

from __future__ import annotations

import pytest

from termchat.tui.app import TermchatApp
from termchat.tui.themes import BUILTIN_THEMES

from conftest import TUI_NOW

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

REPLY = """\
Use `find` with `xargs` and `wc`:

```sh
find . -name '*.py' -print0 | xargs -0 wc -l | tail -1
```

1. `-print0` / `-0` keep odd file names safe
2. `tail -1` keeps only the total
"""


def seed(store) -> str:
    """Three chats with fixed ids and times; returns the id of the one to open."""
    chats = [
        (
            "chat-shell",
            "Shell one-liners",
            "local",
            [
                ("user", "How do I count lines in all .py files?", "complete", []),
                (
                    "assistant",
                    REPLY,
                    "complete",
                    [
                        {
                            "type": "web_search_call",
                            "id": "ws_1",
                            "status": "completed",
                            "action": {"type": "search", "query": "count lines find wc"},
                        }
                    ],
                ),
                ("user", "And only in src/?", "complete", []),
                ("assistant", "Point `find` at it: `find src -name '*.py'", "interrupted", []),
            ],
        ),
        ("chat-tcp", "TCP slow start, explained [briefly]", "conversation", [("user", "explain", "complete", [])]),
        ("chat-tea", "Tea brewing temperatures", "chain", [("user", "green tea?", "complete", [])]),
    ]
    for index, (ident, title, mode, messages) in enumerate(chats):
        stamp = TUI_NOW - 600 - 7200 * index * index
        store._now = lambda stamp=stamp: stamp
        conv = store.create_conversation(id=ident, mode=mode, model="gpt-5.2", title=title, created_at=stamp)
        for role, text, status, items in messages:
            store.add_message(conv, role, text, status=status, items=items or None, created_at=stamp)
        store.add_usage(conv, input_tokens=1200, output_tokens=340, cost_usd=0.0049)
    return "chat-shell"


async def ready(pilot) -> None:
    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.chat_screen.prompt.cursor_blink = False
    if hasattr(app.focused, "cursor_blink"):  # a dialog's input (the set-up screen's key)
        app.focused.cursor_blink = False
    app.clear_notifications()
    await pilot.pause()


def build(tui_context, *, theme: str = "termchat-dark", open_chat: bool = True, **config) -> TermchatApp:
    ctx = tui_context(theme=theme, **config)
    ident = seed(ctx.store)
    return TermchatApp(ctx, open_id=ident if open_chat else None, now=lambda: TUI_NOW)


@pytest.mark.parametrize("theme", BUILTIN_THEMES)
def test_main_screen(snap_compare, tui_context, theme):
    assert snap_compare(build(tui_context, theme=theme), terminal_size=(100, 30), run_before=ready)


def test_main_screen_with_tool_panel(snap_compare, tui_context):
    assert snap_compare(build(tui_context), terminal_size=(140, 34), run_before=ready)


def test_narrow_terminal(snap_compare, tui_context):
    assert snap_compare(build(tui_context), terminal_size=(80, 24), run_before=ready)


def test_new_chat(snap_compare, tui_context):
    assert snap_compare(build(tui_context, open_chat=False), terminal_size=(100, 30), run_before=ready)


def test_help_screen(snap_compare, tui_context):
    async def open_help(pilot):
        await ready(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(build(tui_context), terminal_size=(110, 36), run_before=open_help)


def test_setup_screen(snap_compare, tui_context):
    app = TermchatApp(tui_context(credentials=False), now=lambda: TUI_NOW)
    assert snap_compare(app, terminal_size=(100, 30), run_before=ready)


def test_mcp_approval_dialog(snap_compare, tui_context):
    from termchat.events import ApprovalRequested
    from termchat.tui.screens.approval import ApprovalScreen

    request = ApprovalRequested(
        "mcpr_1",
        "deepwiki",
        "ask_question",
        '{"repoName": "textualize/textual", "question": "[b]How[/b] do workers post messages?"}',
    )

    async def ask(pilot):
        await ready(pilot)
        pilot.app.push_screen(ApprovalScreen(request, chat="Shell one-liners"))
        await pilot.pause()

    assert snap_compare(build(tui_context), terminal_size=(80, 24), run_before=ask)
