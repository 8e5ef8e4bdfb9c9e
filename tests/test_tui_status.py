"""What the next turn will use and where the chat stands, in words: the status line, the tool
chips by the prompt, and the chat's info dialog."""

from __future__ import annotations

import pytest

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def status(app) -> str:
    return str(app.query_one("StatusLine").render())


async def wait_for(pilot, predicate, tries: int = 500) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not reached")


@pytest.fixture
def chat(tui_context):
    ctx = tui_context()
    conv = ctx.store.create_conversation(
        id="conv_0123456789abcdef0123456789abcdef",
        mode="conversation",
        model="gpt-5.2",
        title="Quarterly numbers",
        created_at=TUI_NOW,
    )
    ctx.store.add_message(conv, "user", "sum it up")
    ctx.store.add_message(conv, "assistant", "Done.", usage={"input_tokens": 96_000, "output_tokens": 4_000})
    ctx.store.add_usage(conv, input_tokens=96_000, output_tokens=4_000, cost_usd=0.224)
    return ctx, conv


async def test_the_status_line_says_model_mode_context_and_cost_in_words(chat):
    ctx, conv = chat
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        line = status(app)
        assert "gpt-5.2" in line and "conversation mode" in line and "$0.224" in line
        assert "context 100k of 400k ███░░░░░░░" in line  # a quarter of the window
        assert "conv_" not in line  # the id is in the chat's info
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert status(app).strip() == "gpt-5.2 · ctx 100k/400k · $0.224"


async def test_the_status_line_changes_without_laying_out_the_screen(chat):
    from textual.widgets import Static

    from termchat.tui.widgets.status_line import StatusLine

    ctx, conv = chat
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        line = app.query_one(StatusLine)
        updates: list[bool] = []  # layout= of each update of the line

        def update(content, *, layout=True):
            updates.append(layout)
            Static.update(line, content, layout=layout)

        line.update = update
        await pilot.resize_terminal(121, 30)  # the line still fits: nothing to redraw
        await pilot.pause()
        assert updates == [] and "conversation mode" in status(app)
        await pilot.resize_terminal(40, 12)  # the short forms: redrawn, one line high as before
        await pilot.pause()
        assert status(app).strip() == "gpt-5.2 · ctx 100k/400k · $0.224"
        assert updates and not any(updates) and line.size.height == 1


async def test_the_chat_info_has_its_ids_and_totals(chat):
    from termchat.tui.screens.chat_info import ChatInfo

    ctx, conv = chat
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("shift+f2")
        await pilot.pause()
        assert isinstance(app.screen, ChatInfo)
        text = "\n".join(str(w.render()) for w in app.screen.query(".info-row, .dialog-hint"))
        assert "conv_0123456789abcdef0123456789abcdef" in text
        assert "96,000 in · 4,000 out" in text and "100,000 of 400,000" in text
        assert "termchat --conversation conv_0123456789abcdef0123456789abcdef" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is app.chat_screen.prompt


async def test_the_tools_of_the_next_message_show_by_the_prompt(tui_context):
    app = TermchatApp(tui_context(tools=("web_search", "code_interpreter:4g")), now=lambda: TUI_NOW)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await wait_for(pilot, lambda: str(app.chat_screen.prompt.border_subtitle) == "web · code 4g")
        panel = await app.chat_screen.ensure_tool_panel()
        await pilot.pause()
        panel.query_one("#web_search").value = False
        await wait_for(pilot, lambda: str(app.chat_screen.prompt.border_subtitle) == "code 4g")
        panel.query_one("#code_interpreter").value = False
        await wait_for(pilot, lambda: str(app.chat_screen.prompt.border_subtitle) == "no tools · Ctrl+T")


async def test_picking_a_memory_tier_turns_the_code_interpreter_on(tui_context, tui_api):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        panel = await app.chat_screen.ensure_tool_panel()
        await pilot.pause()
        assert not panel.query_one("#code_interpreter").value
        assert panel.query_one("#vector_stores").placeholder == "none chosen"  # not example ids
        panel.query_one("#memory").value = "16g"
        await wait_for(pilot, lambda: panel.query_one("#code_interpreter").value)
        assert panel.current()[0] == [
            {"type": "code_interpreter", "container": {"type": "auto", "memory_limit": "16g"}}
        ]
        await wait_for(pilot, lambda: str(app.chat_screen.prompt.border_subtitle) == "code 16g")


async def test_opening_a_chat_keeps_its_saved_tools(tui_context):
    # The tool panel mounts after the first frame; its selects reported their first values as
    # they mounted, and the chat's saved tools were replaced with none.
    ctx = tui_context()
    tools = [{"type": "web_search"}]
    conv = ctx.store.create_conversation(
        mode="local", model="gpt-5.2", title="With tools", settings={"tools": tools, "tool_choice": "auto"}
    )
    ctx.store.add_message(conv, "user", "q")
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.workers.wait_for_complete()
        panel = await app.chat_screen.ensure_tool_panel()
        await wait_for(pilot, lambda: panel.query_one("#web_search").value)
        for _ in range(5):
            await pilot.pause()
        assert str(app.chat_screen.prompt.border_subtitle) == "web"
    assert ctx.store.reload(conv).settings["tools"] == tools
