"""Defects found using the app by hand in tmux (resizes, streams, dialogs), each pinned here."""

from __future__ import annotations

import threading

import pytest

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


async def wait_for(pilot, predicate, tries: int = 500) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not reached")


def footer_actions(app) -> set[str]:
    return {key.action.rsplit(".", 1)[-1] for key in app.query("FooterKey")}


async def test_the_footer_offers_stop_only_while_a_reply_streams(tui_context, tui_api):
    from termchat.fake_api import Reply

    release = threading.Event()
    tui_api.script(Reply.text("one two three", chunks=["one ", "two ", "three"], hold_after=1, release=release))
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "stop" not in footer_actions(app)
        app.chat_screen.prompt.insert("hello")
        app.chat_screen.prompt.action_submit()
        chat = app.chat_screen
        try:
            await wait_for(pilot, lambda: chat.current_turn() is not None and chat.current_turn().text)
            await wait_for(pilot, lambda: "stop" in footer_actions(app))
        finally:
            release.set()
        await wait_for(pilot, lambda: chat.current_turn() is None)
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: "stop" not in footer_actions(app))


async def test_panes_shown_on_purpose_give_way_to_the_transcript_when_narrowed(tui_context):
    from termchat.tui.screens.chat_view import LIST_WIDTH, TOOLS_WIDTH, TRANSCRIPT_MIN_WIDTH

    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        chat = app.chat_screen
        await pilot.press("ctrl+t")  # the tool panel, shown on purpose at 80 columns
        await wait_for(pilot, lambda: chat._tool_panel is not None and chat._tool_panel.display)
        assert chat._tool_panel.outer_size.width == TOOLS_WIDTH  # the constants say what app.tcss does
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert chat.chat_list.outer_size.width == LIST_WIDTH
        await pilot.press("ctrl+l")
        assert chat._tool_panel in app.focused.ancestors_with_self
        await pilot.resize_terminal(40, 12)  # (the keyboard still in the panel)
        await wait_for(pilot, lambda: not chat._tool_panel.display)
        await pilot.pause()
        assert chat.pane.size.width >= TRANSCRIPT_MIN_WIDTH - 2  # its border aside
        await pilot.press(*"still typing")
        assert chat.prompt.text == "still typing"
        await pilot.resize_terminal(80, 24)  # the choice is kept: it comes back when it fits
        await wait_for(pilot, lambda: chat._tool_panel.display)


async def test_a_pane_shown_on_a_narrow_screen_stays_over_a_dialog(tui_context):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        chat = app.chat_screen
        await pilot.press("ctrl+t")  # asked for at 40 columns: shown, however narrow
        await wait_for(pilot, lambda: chat._tool_panel is not None and chat._tool_panel.display)
        await pilot.press("f1")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert chat._tool_panel.display


async def test_help_lists_undo_delete(tui_context):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert ["Shift+F8", "Bring back the chat deleted last", "undo_delete"] in rows


@pytest.mark.parametrize("width", [80, 160])
async def test_the_setup_screen_shows_its_commands_whole(tui_context, width):
    app = TermchatApp(tui_context(credentials=False), now=lambda: TUI_NOW)
    async with app.run_test(size=(width, 48)) as pilot:
        await pilot.pause()
        await pilot.pause()
        fences = list(app.screen.query("MarkdownFence"))
        assert any("export OPENAI_BASE_URL=" in fence.code for fence in fences)
        for fence in fences:
            longest = max(len(line) for line in fence.code.splitlines())
            assert fence.content_region.width >= longest, fence.code


async def test_the_palette_offers_stop_only_while_a_reply_streams(tui_context, tui_api):
    from termchat.fake_api import Reply

    async def palette_names(pilot) -> list[str]:
        await pilot.press("ctrl+p")
        results = app.screen.query_one("OptionList")
        await wait_for(pilot, lambda: results.option_count > 20)
        names = [str(results.get_option_at_index(i).prompt).split("\n")[0] for i in range(results.option_count)]
        await pilot.press("escape")
        await pilot.pause()
        return names

    release = threading.Event()
    tui_api.script(Reply.text("one two", chunks=["one ", "two"], hold_after=1, release=release))
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        names = await palette_names(pilot)
        assert "Stop reply" not in names and "New" in names
        chat = app.chat_screen
        chat.prompt.insert("hello")
        chat.prompt.action_submit()
        try:
            await wait_for(pilot, lambda: chat.current_turn() is not None and chat.current_turn().text)
            assert "Stop reply" in await palette_names(pilot)
        finally:
            release.set()
        await wait_for(pilot, lambda: chat.current_turn() is None)
        await app.workers.wait_for_complete()


@pytest.mark.parametrize("size", [(40, 12), (80, 24)])
async def test_a_long_prompt_leaves_the_transcript_rows_on_a_short_screen(tui_context, size):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        chat = app.chat_screen
        chat.prompt.insert("\n".join(f"pasted line {i}" for i in range(60)))
        await pilot.pause()
        await pilot.pause()
        status = chat.query_one("StatusLine")
        assert chat.prompt.region.bottom <= status.region.y  # its whole border in sight
        assert chat.pane.size.height >= 2  # the transcript keeps some lines
        assert chat.prompt.size.height >= 1


async def test_the_filter_counts_one_chat_in_the_singular(tui_context, tui_seed):
    ctx = tui_context()
    tui_seed(ctx.store, [("Only chat", "local", [("user", "q"), ("assistant", "a")])])
    app = TermchatApp(ctx, now=lambda: TUI_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        box = app.chat_screen.query_one("#filter")
        await wait_for(pilot, lambda: "1 chat" in box.placeholder)
        assert box.placeholder == "Filter 1 chat…  (Ctrl+F)"
