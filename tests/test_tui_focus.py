"""After any choice or dialog the keyboard is back in the prompt: what the user types lands there."""

from __future__ import annotations

import pytest
from textual import events

from conftest import app_settled

SIZE = (160, 48)  # wide: the chat list and the tool panel are shown
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def app(two_chats_app):
    return two_chats_app


async def test_choosing_a_chat_with_enter_moves_to_the_prompt(app):
    async with app.run_test(size=SIZE) as pilot:
        await app_settled(app, pilot)
        await pilot.press("ctrl+f", *"rust", "enter")  # the filter, then its first match
        assert app.focused is app.chat_screen.chat_list.options
        await pilot.press("enter")
        await app_settled(app, pilot)
        assert app.chat_screen.conv is not None and app.chat_screen.conv.title == "Rust"
        await pilot.press(*"red ")  # in the list, they would go to its filter
        assert app.focused is app.chat_screen.prompt
        assert app.chat_screen.prompt.text == "red "
        assert len(app.screen_stack) == 1


async def test_renaming_from_the_list_returns_to_the_prompt(app):
    async with app.run_test(size=SIZE) as pilot:
        await app_settled(app, pilot)
        await pilot.press("ctrl+f", "enter", "f2")  # the list, then Rename on its first chat
        await pilot.pause()
        assert len(app.screen_stack) == 2
        await pilot.press("ctrl+u", *"Green tea", "enter")
        await pilot.pause()
        await pilot.press(*"hi")
        assert app.focused is app.chat_screen.prompt and app.chat_screen.prompt.text == "hi"


async def test_closing_the_vector_store_picker_from_the_tool_panel_returns_to_the_prompt(app):
    async with app.run_test(size=SIZE) as pilot:
        await app_settled(app, pilot)
        await pilot.press("ctrl+t", "tab", "tab", "tab")  # web_search, file_search, ids, Pick…
        assert app.focused.id == "pick_vector_stores"
        await pilot.press("enter")
        await app_settled(app, pilot)
        assert len(app.screen_stack) == 2
        await pilot.press("space", "enter")  # choose the first store
        await pilot.pause()
        await pilot.press(*"which docs?")
        assert app.focused is app.chat_screen.prompt and app.chat_screen.prompt.text == "which docs?"
        assert app.chat_screen.tool_panel.vector_store_ids()  # the choice was kept


async def test_the_palette_can_still_send_the_focus_elsewhere(app):
    async with app.run_test(size=SIZE) as pilot:
        await app_settled(app, pilot)
        await pilot.press("ctrl+p", *"Find chat")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.chat_screen.chat_list.query_one("#filter")


async def test_a_paste_while_the_list_has_the_focus_goes_to_the_prompt(app):
    async with app.run_test(size=SIZE) as pilot:
        await app_settled(app, pilot)
        await pilot.press("ctrl+f", "enter")
        assert app.focused is app.chat_screen.chat_list.options
        app.post_message(events.Paste("pasted\rtext"))
        await pilot.pause()
        assert app.focused is app.chat_screen.prompt and app.chat_screen.prompt.text == "pasted\ntext"


async def test_the_pane_with_the_keyboard_is_shown(app):
    async with app.run_test(size=SIZE) as pilot:
        await app_settled(app, pilot)

        def lit() -> set[str]:
            colour = app.theme_variables["border"]
            chat = app.chat_screen
            panes = {
                "list": chat.chat_list,
                "transcript": chat.pane,
                "prompt": chat.prompt,
                "tools": app.chat_screen.tool_panel,
            }
            return {name for name, pane in panes.items() if pane.styles.border_top[1].hex == colour.upper()}

        chat = app.chat_screen
        assert [str(p.border_title) for p in (chat.chat_list, chat.prompt, chat.tool_panel)] == [
            "Chats",
            "Message",
            "Tools · next message",
        ]
        assert lit() == {"prompt"}
        await pilot.press("ctrl+f")
        assert lit() == {"list"}
        await pilot.press("ctrl+t")
        assert lit() == {"tools"}
        await pilot.press("escape")
        assert lit() == {"prompt"}


async def test_down_in_the_filter_moves_into_the_list(app):
    async with app.run_test(size=SIZE) as pilot:
        await app_settled(app, pilot)
        await pilot.press("ctrl+f", "down")
        assert app.focused is app.chat_screen.chat_list.options
        assert app.chat_screen.chat_list.options.highlighted == 0
        await pilot.press("down", "enter")
        await app_settled(app, pilot)
        assert app.chat_screen.conv is not None and app.focused is app.chat_screen.prompt


async def test_on_a_narrow_screen_the_list_shown_to_pick_a_chat_goes_again(app):
    async with app.run_test(size=(40, 12)) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        assert not chat.chat_list.display
        await pilot.press("ctrl+f", "down", "enter")  # shows the list, picks its first chat
        await app_settled(app, pilot)
        assert chat.conv is not None
        assert not chat.chat_list.display and app.focused is chat.prompt
        await pilot.press("ctrl+l")  # shown on purpose: it stays after a pick
        await pilot.press("ctrl+f", "down", "enter")
        await app_settled(app, pilot)
        assert chat.chat_list.display


async def test_clicking_a_chat_in_the_list_opens_it_and_moves_to_the_prompt(app):
    async with app.run_test(size=SIZE) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        assert [o.lines[0] for o in chat.chat_list.options.options] == ["Tea", "Rust"]
        await pilot.click("#chats", offset=(3, 2))  # the second row (two lines a row)
        await app_settled(app, pilot)
        assert chat.conv is not None and chat.conv.title == "Rust"
        await pilot.press(*"hi")
        assert app.focused is chat.prompt and chat.prompt.text == "hi"
