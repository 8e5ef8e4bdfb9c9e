"""Keys typed in one burst right after a keyboard choice go where that choice sends the focus.

A paste, a fast typist or `tmux send-keys` delivers several keys in one read of the terminal; the
driver posts them all to the app at once, and the app routes each to the widget focused at that
moment. `pilot.press` waits for the app to go idle after every key, so it never shows this: these
tests post the keys the way the driver does (`burst`), then wait once for the app to settle.
"""

from __future__ import annotations

import pytest
from textual import events

from conftest import app_settled, focus_chat_list

NARROW = (80, 24)  # the list starts hidden: Ctrl+L shows it
WIDE = (160, 48)  # the list is shown
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

_CHARACTERS = {"enter": "\r", "escape": "\x1b", "space": " ", "tab": "\t"}


def burst(app, *keys: str) -> None:
    """Post `keys` to the app in one go, as the driver does with the keys of one terminal read
    (each `events.Key` goes into the app's message queue before the app handles the first)."""
    for key in keys:
        if len(key) == 1:
            character: str | None = key
        elif key.startswith("ctrl+") and len(key) == 6:
            character = chr(ord(key[-1]) - ord("a") + 1)
        else:
            character = _CHARACTERS.get(key)
        app.post_message(events.Key(key, character))


@pytest.fixture
def app(two_chats_app):
    return two_chats_app


async def test_letters_after_ctrl_l_ctrl_f_go_to_the_filter(app):
    async with app.run_test(size=NARROW) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        assert not chat.chat_list.display
        burst(app, "ctrl+l", "ctrl+f", *"ru")
        await app_settled(app, pilot)
        assert chat.chat_list.display
        assert app.focused is chat.chat_list.query_one("#filter")
        assert chat.chat_list.query_one("#filter").value == "ru"
        assert chat.prompt.text == ""


async def test_letters_after_ctrl_o_go_to_the_prompt(app):
    async with app.run_test(size=WIDE) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        await pilot.press("ctrl+f")
        burst(app, "t", "ctrl+o", *"hi")
        await app_settled(app, pilot)
        assert chat.chat_list.query_one("#filter").value == "t"
        assert app.focused is chat.prompt and chat.prompt.text == "hi"


async def test_keys_after_enter_in_the_filter_go_to_the_list(app):
    async with app.run_test(size=WIDE) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        await pilot.press("ctrl+f")
        burst(app, *"tea", "enter", "f2")  # the filter, then Rename on its first match
        await app_settled(app, pilot)
        assert chat.chat_list.query_one("#filter").value == "tea"
        assert len(app.screen_stack) == 2  # the Rename dialog
        assert app.screen.query_one("Input").value == "Tea"


async def test_keys_after_down_in_the_filter_go_to_the_list(app):
    async with app.run_test(size=WIDE) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        await pilot.press("ctrl+f")
        assert [o.lines[0] for o in chat.chat_list.options.options] == ["Tea", "Rust"]
        burst(app, "down", "down", "enter", *"hi")  # into the list, its second chat, open it
        await app_settled(app, pilot)
        assert chat.conv is not None and chat.conv.title == "Rust"
        assert app.focused is chat.prompt and chat.prompt.text == "hi"


async def test_enter_after_letters_in_the_filter_filters_with_them_first(app):
    async with app.run_test(size=NARROW) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        burst(app, "ctrl+l", "ctrl+f", *"ru", "enter", "enter", *"hi")  # filter, open its match, type
        await app_settled(app, pilot)
        assert chat.chat_list.query_one("#filter").value == "ru"
        assert chat.conv is not None and chat.conv.title == "Rust"
        assert app.focused is chat.prompt and chat.prompt.text == "hi"


async def test_keys_after_letters_typed_in_the_list_follow_them(app):
    async with app.run_test(size=WIDE) as pilot:
        chat = await focus_chat_list(app, pilot)
        burst(app, *"te", "enter", "enter", "ctrl+o", *"hi")  # typed to the filter, then on as there
        await app_settled(app, pilot)
        assert chat.chat_list.query_one("#filter").value == "te"
        assert chat.conv is not None and chat.conv.title == "Tea"
        assert app.focused is chat.prompt and chat.prompt.text == "hi"


async def test_letters_after_opening_a_chat_from_the_list_go_to_the_prompt(app):
    async with app.run_test(size=WIDE) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        await pilot.press("ctrl+f", *"rust", "enter")
        assert app.focused is chat.chat_list.options
        burst(app, "enter", *"red ")  # in the list, they would go to its filter
        await app_settled(app, pilot)
        assert chat.conv is not None and chat.conv.title == "Rust"
        assert len(app.screen_stack) == 1
        assert app.focused is chat.prompt and chat.prompt.text == "red "


async def test_letters_typed_in_the_list_filter_it(app):
    async with app.run_test(size=WIDE) as pilot:
        chat = await focus_chat_list(app, pilot)
        await pilot.press("t")  # typed slowly: the filter takes it and the focus
        assert app.focused is chat.chat_list.query_one("#filter")
        await pilot.press("enter")
        assert app.focused is chat.chat_list.options
        burst(app, *"ea")  # in one burst: every letter reaches the filter
        await app_settled(app, pilot)
        filter_box = chat.chat_list.query_one("#filter")
        assert app.focused is filter_box and filter_box.value == "tea"
        assert [o.lines[0] for o in chat.chat_list.options.options] == ["Tea"]
        assert chat.prompt.text == ""


async def test_after_typing_in_the_list_ctrl_f_still_selects_the_filter_to_type_over(app):
    async with app.run_test(size=WIDE) as pilot:
        await app_settled(app, pilot)
        chat = app.chat_screen
        await pilot.press("ctrl+f", "enter", "t", "ctrl+o")  # typed on in the list, then left
        filter_box = chat.chat_list.query_one("#filter")
        assert filter_box.value == "t" and app.focused is chat.prompt
        burst(app, "ctrl+f", *"ru")
        await app_settled(app, pilot)
        assert app.focused is filter_box and filter_box.value == "ru"


async def test_letters_after_ctrl_l_hides_the_list_go_to_the_prompt(app):
    async with app.run_test(size=WIDE) as pilot:
        chat = await focus_chat_list(app, pilot)
        burst(app, "ctrl+l", *"hi")
        await app_settled(app, pilot)
        assert not chat.chat_list.display
        assert app.focused is chat.prompt and chat.prompt.text == "hi"


async def test_a_letter_typed_in_the_list_just_before_ctrl_o_still_filters(app):
    async with app.run_test(size=WIDE) as pilot:
        chat = await focus_chat_list(app, pilot)
        burst(app, "t", "ctrl+o", *"hi")
        await app_settled(app, pilot)
        assert chat.chat_list.query_one("#filter").value == "t"
        assert app.focused is chat.prompt and chat.prompt.text == "hi"


async def test_a_word_with_r_typed_in_the_list_filters_and_opens_no_dialog(app):
    async with app.run_test(size=WIDE) as pilot:
        chat = await focus_chat_list(app, pilot)
        burst(app, *"rust")  # `r` was the list's Rename key
        await app_settled(app, pilot)
        filter_box = chat.chat_list.query_one("#filter")
        assert len(app.screen_stack) == 1
        assert app.focused is filter_box and filter_box.value == "rust"
        assert [o.lines[0] for o in chat.chat_list.options.options] == ["Rust"]
