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


async def wait_for(pilot, predicate, tries: int = 500) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not reached")


async def test_relative_times_move_on_in_the_list_and_the_headers(tui_context, monkeypatch):
    from termchat.tui.widgets import conversation_list, message_pane

    # The refresh comes every 30 s; here as soon as the clock moves.
    monkeypatch.setattr(conversation_list, "TIME_REFRESH", 0.02)
    monkeypatch.setattr(message_pane, "TIME_REFRESH", 0.02)
    clock = [TUI_NOW]
    ctx = tui_context()
    ctx.store._now = lambda: TUI_NOW - 5
    conv = ctx.store.create_conversation(mode="local", model="gpt-5.2", title="Fresh", created_at=TUI_NOW - 5)
    ctx.store.add_message(conv, "user", "hello", created_at=TUI_NOW - 5)
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: clock[0])
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        row = app.chat_screen.chat_list.options.get_option_at_index(0)
        header = app.chat_screen.pane.views[0].query_one(".message-header")
        assert row.lines[1] == "just now · local"
        assert "just now" in str(header.render())
        app.chat_screen.prompt.insert("typed")  # moving times leave what the user does alone
        clock[0] += 5 * 60
        await wait_for(pilot, lambda: row.lines[1] == "5m ago · local" and "5m ago" in str(header.render()))
        assert app.chat_screen.prompt.text == "typed"


async def test_the_setup_screen_takes_a_key_for_this_session_only(tui_context, tui_api, tmp_path):
    from termchat.tui.screens.setup import SetupScreen

    key = "sk-typed-on-the-setup-screen-123"
    ctx = tui_context(credentials=False)
    app = TermchatApp(ctx, now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        await pilot.press(*"not a key", "enter")
        assert isinstance(app.screen, SetupScreen)  # refused, with a line saying why
        await pilot.press("ctrl+u", *key, "enter")
        await pilot.pause()
        assert not isinstance(app.screen, SetupScreen)
        assert app.focused is app.chat_screen.prompt
        assert ctx.has_credentials
        ctx.base_url = tui_api.base_url  # offline: the fake stands in for api.openai.com
        ctx.use_session_key(key)
        await pilot.press(*"hi", "enter")
        await wait_for(pilot, lambda: app.chat_screen.current_turn() is None and tui_api.requests_to("responses"))
        await app.workers.wait_for_complete()
    assert tui_api.requests_to("responses")[0].headers["authorization"] == f"Bearer {key}"
    for path in tmp_path.rglob("*"):  # neither the config nor the store holds it
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path


async def test_the_palette_lists_each_command_once(tui_context):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        results = app.screen.query_one("OptionList")
        await wait_for(pilot, lambda: results.option_count > 20)
        names = [str(results.get_option_at_index(i).prompt).split("\n")[0] for i in range(results.option_count)]
        assert names.count("Quit") == 1 and names.count("Theme") == 1
        assert len(names) == len(set(names))


async def test_picker_descriptions_wrap_in_their_own_column(tui_context):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f3")  # the state mode picker: "conversation  server keeps the …"
        await pilot.pause()
        options = app.screen.query_one("#picker")
        lines = [options.render_line(y).text for y in range(options.size.height)]
        first = next(i for i, line in enumerate(lines) if "conversation" in line)
        column = lines[first].index("server keeps")
        assert lines[first + 1].strip(), "the description wraps at this width"
        assert lines[first + 1][:column].strip() == ""  # the wrapped part stays in its column


async def test_an_open_dropdown_covers_the_labels_below_it(tui_context):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        panel = await app.chat_screen.ensure_tool_panel()
        await pilot.pause()
        memory = panel.query_one("#memory")
        memory.focus()
        await pilot.press("enter")
        await pilot.pause()
        overlay = memory.query_one("SelectOverlay")
        label = [w for w in panel.query(".tool-heading") if str(w.render()) == "tool_choice"][0]
        assert overlay.region.overlaps(label.region)
        assert overlay.region.x <= label.region.x and overlay.region.right >= label.region.right


@pytest.mark.parametrize("width", [40, 60, 80])
async def test_the_footer_shows_whole_keys_only(tui_context, width):
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=(width, 20)) as pilot:
        await pilot.pause()
        await pilot.pause()
        keys = list(app.query("FooterKey"))
        palette = [k for k in keys if k.has_class("-command-palette")]
        shown = [k for k in keys if not k.has_class("-command-palette")]
        assert palette and {"quit", "help"} <= {k.action.rsplit(".", 1)[-1] for k in shown}
        for key in shown:
            assert key.region.right <= palette[0].region.x, key.description


async def test_tool_summaries_end_in_an_ellipsis_when_cut(tui_context):
    ctx = tui_context()
    conv = ctx.store.create_conversation(mode="local", model="gpt-5.2", title="Tools")
    ctx.store.add_message(conv, "user", "find it")
    query = "a very long query about textual markdown streams and widgets and more"
    ctx.store.add_message(
        conv,
        "assistant",
        "found",
        items=[
            {
                "type": "web_search_call",
                "id": "ws_1",
                "status": "completed",
                "action": {"type": "search", "query": query},
            },
            {"type": "mcp_list_tools", "id": "ml_1", "server_label": "deepwiki", "tools": [{"name": "ask"}]},
        ],
    )
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=(60, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        search, tools = [title.render_line(0).text.rstrip() for title in app.query("CollapsibleTitle")]
        assert search.endswith("…") and search.startswith("▶ ⚙ web search: a very long")
        assert "1 tool (ask)" in tools


def test_item_summaries_count_in_words():
    from termchat.render_items import describe_item

    assert "1 tool (" in describe_item({"type": "mcp_list_tools", "server_label": "x", "tools": [{"name": "a"}]})
    assert "2 tools (" in describe_item(
        {"type": "mcp_list_tools", "server_label": "x", "tools": [{"name": "a"}, {"name": "b"}]}
    )
    assert "(1 result;" in describe_item(
        {"type": "file_search_call", "queries": ["q"], "results": [{"filename": "a.md"}]}
    )


async def test_text_streamed_after_the_reply_was_unmounted_is_dropped_quietly(tui_context):
    # Quitting while a reply streams unmounts its view while deltas still arrive; the stream
    # then tried to open a new segment there: MountError ("Task exception was never retrieved").
    from termchat.tui.widgets.message_view import MessageView
    from termchat.tui.widgets.reply_stream import SEGMENT_CHARS

    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = await app.chat_screen.pane.append(MessageView("assistant", streaming=True))
        view.start_stream()
        stream = view.stream
        await view.write("first words ")
        await view.remove()
        paragraphs = ("word " * 100 + "\n\n") * (SEGMENT_CHARS // 500 + 2)  # opens a segment
        stream.write(paragraphs)
        await stream.stop()  # what the turn's end does
        assert app.is_running


async def test_a_failed_send_puts_the_message_back_in_the_prompt(tui_context, tui_api):
    from termchat.fake_api import Reply

    tui_api.script(Reply.error(400, "Invalid value for 'model'", code="model_not_found"))
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.chat_screen.prompt.insert("a long question\nworth keeping")
        app.chat_screen.prompt.action_submit()
        await wait_for(pilot, lambda: app.chat_screen.pane.views and app.chat_screen.current_turn() is None)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.chat_screen.prompt.text == "a long question\nworth keeping"
        assert any("back in the prompt" in str(n.message) for n in app._notifications)
        await pilot.press("enter")  # the retry goes through
        await wait_for(
            pilot, lambda: len(tui_api.requests_to("responses")) >= 2 and app.chat_screen.current_turn() is None
        )
        await app.workers.wait_for_complete()
        assert app.chat_screen.prompt.text == ""


async def test_page_keys_in_the_prompt_scroll_the_transcript(tui_context, tui_seed):
    ctx = tui_context()
    messages = [("user" if i % 2 == 0 else "assistant", f"message {i}\n\n" + "text " * 60) for i in range(12)]
    (conv,) = tui_seed(ctx.store, [("Long", "local", messages)])
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane = app.chat_screen.pane
        await wait_for(pilot, lambda: pane.max_scroll_y > 0 and pane.scroll_y == pane.max_scroll_y)
        app.chat_screen.prompt.insert("draft")
        await pilot.press("pageup")
        assert pane.scroll_y < pane.max_scroll_y
        assert app.focused is app.chat_screen.prompt and app.chat_screen.prompt.text == "draft"
        await pilot.press("pagedown", "pagedown", "pagedown")
        await wait_for(pilot, lambda: pane.scroll_y == pane.max_scroll_y)


async def test_a_reply_growing_below_the_reader_is_announced(tui_context, tui_api, tui_seed):
    from termchat.fake_api import Reply

    ctx = tui_context()
    messages = [("user" if i % 2 == 0 else "assistant", "text " * 80) for i in range(8)]
    (conv,) = tui_seed(ctx.store, [("Long", "local", messages)])
    words = [f"word{i} " for i in range(400)]
    tui_api.script(Reply.text("".join(words), chunks=words, delay=0.01))
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane = app.chat_screen.pane
        app.chat_screen.prompt.insert("go on")
        app.chat_screen.prompt.action_submit()
        chat = app.chat_screen
        await wait_for(pilot, lambda: chat.current_turn() is not None and chat.current_turn().text)
        assert not pane.border_subtitle  # following the reply: nothing to announce
        await pilot.press("pageup", "pageup")
        await wait_for(pilot, lambda: "new text below" in str(pane.border_subtitle))
        await pilot.press("ctrl+end")
        await wait_for(pilot, lambda: not pane.border_subtitle)
        app.chat_screen.action_stop()
        await app.workers.wait_for_complete()


@pytest.fixture
def terminal_env(monkeypatch):
    """`use(**variables)`: the environment a terminal sets, and nothing of the one running the tests."""
    for name in (
        "TERM_PROGRAM",
        "VTE_VERSION",
        "KONSOLE_VERSION",
        "KITTY_WINDOW_ID",
        "WEZTERM_PANE",
        "WT_SESSION",
        "GHOSTTY_RESOURCES_DIR",
        "TMUX",
    ):
        monkeypatch.delenv(name, raising=False)

    def use(**variables):
        monkeypatch.setenv("TERM", "xterm-256color")
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return use


def test_which_terminals_take_copies():
    from termchat.tui.clipboard import terminal_takes_copies

    assert terminal_takes_copies({"TERM": "xterm-kitty"}) is True
    assert terminal_takes_copies({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}) is True
    assert terminal_takes_copies({"TERM": "xterm-256color", "WT_SESSION": "x"}) is True
    assert terminal_takes_copies({"TERM": "xterm-256color", "VTE_VERSION": "7600"}) is False
    assert terminal_takes_copies({"TERM": "xterm-256color", "TERM_PROGRAM": "Apple_Terminal"}) is False
    assert terminal_takes_copies({"TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default"}) is None


async def test_copy_where_the_terminal_may_not_take_it_offers_a_file(
    tui_context, tui_seed, tmp_path, monkeypatch, terminal_env
):
    from termchat.tui.screens.dialogs import TextPrompt

    terminal_env(VTE_VERSION="7600")  # GNOME Terminal: ignores OSC 52
    monkeypatch.chdir(tmp_path)
    ctx = tui_context()
    (conv,) = tui_seed(ctx.store, [("Shell one-liners", "local", [("user", "q"), ("assistant", "the answer")])])
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        assert not any("copied" in str(n.message) for n in app._notifications)
        assert app.screen.query_one("Input").value == "./shell-one-liners-reply.md"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f5", "enter")  # again: the file exists, it is not overwritten
        await pilot.pause()
        assert any("exists: not overwritten" in str(n.message) for n in app._notifications)
    saved = tmp_path / "shell-one-liners-reply.md"
    assert saved.read_text() == "the answer"
    assert saved.stat().st_mode & 0o777 == 0o600


async def test_export_asks_where_with_the_title_as_the_name(tui_context, tui_seed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx = tui_context()
    (conv,) = tui_seed(ctx.store, [("Tea: brewing / temps?", "local", [("user", "q"), ("assistant", "a")])])
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        field = app.screen.query_one("Input")
        assert field.value == "./tea-brewing-temps.md"
        field.value = "notes/tea.md"
        (tmp_path / "notes").mkdir()
        await pilot.press("enter")
        await pilot.pause()
    assert "Tea: brewing / temps?" in (tmp_path / "notes" / "tea.md").read_text()
    assert not list(tmp_path.glob("termchat-*.md"))


async def test_code_blocks_say_their_language_and_copy(tui_context, tui_seed, terminal_env):
    terminal_env(TERM_PROGRAM="WezTerm")  # takes copies
    reply = "Two blocks:\n\n```python\nprint('one')\n```\n\nand\n\n```sh\necho two\n```\n"
    ctx = tui_context()
    (conv,) = tui_seed(ctx.store, [("Code", "local", [("user", "code please"), ("assistant", reply)])])
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        labels = [str(label.render()) for label in app.query(".code-label")]
        assert labels == ["python  ·  copy", "sh  ·  copy"]
        await pilot.press("alt+up", "c")  # the selected reply's first block, then the next
        await pilot.pause()
        assert app.clipboard == "print('one')"
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == "echo two"
        assert any("copied the sh code" in str(n.message) for n in app._notifications)
        await pilot.click(app.query(".code-label").first())
        await pilot.pause()
        assert app.clipboard == "print('one')"


@pytest.mark.parametrize("how", ["ctrl+q", "stop, ctrl+q", "stop, close"])
async def test_quitting_while_a_reply_streams_ends_quietly(tui_context, tui_api, how):
    from termchat.fake_api import Reply

    words = [f"word{i} " for i in range(300)]
    tui_api.script(Reply.text("".join(words), chunks=words, delay=0.01))
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.chat_screen.prompt.insert("go")
        app.chat_screen.prompt.action_submit()
        chat = app.chat_screen
        await wait_for(pilot, lambda: chat.current_turn() is not None and len(chat.current_turn().text) > 40)
        if how.startswith("stop"):  # the stop's outcome arrives while the app shuts down
            app.chat_screen.current_turn().stop()
        if how.endswith("ctrl+q"):
            await pilot.press("ctrl+q")
        # else: the app closes as the block ends (as when the terminal goes away)
    assert app.return_code in (0, None)


async def test_a_reply_can_finish_while_its_view_is_torn_down(tui_context):
    # Shutting down removes a view's children before the view; a reply that ends then (a
    # stop's outcome) marked its header: NoMatches '.message-header'.
    from termchat.tui.widgets.message_view import MessageView

    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = await app.chat_screen.pane.append(MessageView("assistant", "partial", streaming=True))
        view.start_stream()
        await view.remove_children()
        await view.finish(status="interrupted", final_text="partial text")
        assert view.status == "interrupted"
