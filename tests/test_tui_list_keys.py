"""In the chat list every printable key goes to the filter (type-to-filter); the list's own
commands are on keys that type nothing: F2 renames the highlighted chat, Delete deletes it."""

from __future__ import annotations

import string

import pytest

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW, app_settled, focus_chat_list

SIZE = (160, 48)  # wide: the chat list is shown
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def app(two_chats_app):
    return two_chats_app


async def _focus_the_list(app, pilot) -> None:
    chat = app.chat_screen
    chat.chat_list.query_one("#filter").value = ""
    await pilot.pause()
    app.set_focus(chat.chat_list.options)
    await pilot.pause()


@pytest.mark.parametrize("word", ["r", "rust", "R", "?", "what?"])
async def test_a_word_typed_in_the_list_filters_and_opens_no_dialog(app, word):
    async with app.run_test(size=SIZE) as pilot:
        chat = await focus_chat_list(app, pilot)
        await pilot.press(*word)
        await app_settled(app, pilot)
        filter_box = chat.chat_list.query_one("#filter")
        assert len(app.screen_stack) == 1  # no Rename dialog, no help screen
        assert app.focused is filter_box and filter_box.value == word


async def test_every_printable_key_typed_in_the_list_goes_to_the_filter(app):
    async with app.run_test(size=SIZE) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        filter_box = chat.chat_list.query_one("#filter")
        for character in string.ascii_letters + string.digits + string.punctuation + " ":
            await _focus_the_list(app, pilot)
            await pilot.press(character)
            assert len(app.screen_stack) == 1, character
            assert app.focused is filter_box and filter_box.value == character, character


async def test_f2_in_the_list_renames_the_highlighted_chat(app):
    async with app.run_test(size=SIZE) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        await pilot.press("ctrl+f", "enter", "down")  # the list, its second chat
        assert chat.chat_list.options.highlighted_option.lines[0] == "Rust"
        await pilot.press("f2")
        await pilot.pause()
        assert len(app.screen_stack) == 2
        assert app.screen.query_one("Input").value == "Rust"
        await pilot.press("ctrl+u", *"Rust notes", "enter")
        await app_settled(app, pilot)
        assert len(app.screen_stack) == 1
        assert sorted(c.title for c in app.ctx.store.list_conversations(limit=10)) == ["Rust notes", "Tea"]


async def test_a_keymap_letter_for_a_list_command_is_the_users_choice(tui_context, tui_seed):
    ctx = tui_context(keymap={"list_rename": "e"})
    tui_seed(ctx.store, [("Tea", "local", [("user", "green tea?")])])
    app = TermchatApp(ctx, now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        chat = await focus_chat_list(app, pilot)
        await pilot.press("e")  # bound on purpose: Rename, not the filter
        await pilot.pause()
        assert len(app.screen_stack) == 2
        assert app.screen.query_one("Input").value == "Tea"
        assert chat.chat_list.query_one("#filter").value == ""
