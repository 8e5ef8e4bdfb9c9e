"""The app's main flows, driven like a user with Pilot against a real FakeAPI on loopback."""

from __future__ import annotations

import re
import threading

import pytest

from termchat.chats import ServerDelete
from termchat.fake_api import Reply
from termchat.tui.app import TermchatApp
from termchat.tui.widgets.message_view import MessageView

from conftest import TUI_NOW, shown_text, wait_for

SIZE = (120, 40)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def make_app(ctx, **kwargs) -> TermchatApp:
    return TermchatApp(ctx, now=lambda: TUI_NOW, **kwargs)


async def settle(app, pilot) -> None:
    await pilot.pause()  # what was just sent or pressed may start a worker only now
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def started(app, pilot) -> None:
    """Wait until the app has shown its first chat and put that chat's tools in the mounted tool
    panel: a toggle clicked before that is overwritten by the chat's own tools. (The panel
    mounts after the first frame; on a busy machine a test gets there first.)"""

    def ready() -> bool:
        if app.chat_screen._tools_loaded is None:
            return False
        if not app.chat_screen._tools_display:  # a hidden panel mounts (and loads them) when first needed
            return True
        return app.chat_screen._tool_panel is not None and not app.chat_screen._tool_panel._loading

    await wait_for(pilot, ready)


async def send(app, pilot, text: str) -> None:
    """Type and send like Enter does, without Pilot's wait-for-idle (a stream is never idle)."""
    app.chat_screen.prompt.insert(text)
    app.chat_screen.prompt.action_submit()
    await wait_for(pilot, lambda: app.chat_screen.prompt.text == "")


async def type_while_streaming(app, pilot, text: str) -> None:
    """Post key presses to the focused prompt, waiting for each to show (how fast is measured by
    benchmarks/bench_streaming.py, "TUI key latency")."""
    from textual import events

    for char in text:
        before = app.chat_screen.prompt.text
        app.chat_screen.prompt.post_message(events.Key(char, char))
        await wait_for(pilot, lambda before=before, char=char: app.chat_screen.prompt.text == before + char)


def last_reply(app) -> MessageView:
    return [v for v in app.chat_screen.pane.views if v.role == "assistant"][-1]


def requests_to(api, endpoint: str) -> list:
    return [r for r in api.requests if r.endpoint == endpoint]


async def test_focus_starts_in_prompt(tui_context):
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is app.chat_screen.prompt


async def test_send_streams_reply_and_saves_it(tui_context, tui_api):
    ctx = tui_context()
    tui_api.script(Reply.text("Hello **there**, friend.", chunks=["Hello ", "**there**", ", friend."]))
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hi there", "enter")
        await settle(app, pilot)
        views = app.chat_screen.pane.views
        assert [v.role for v in views] == ["user", "assistant"]
        assert views[0].text == "hi there"
        assert last_reply(app).text == "Hello **there**, friend."
        assert last_reply(app).status == "complete"
        assert app.chat_screen.prompt.text == ""
        assert app.chat_screen.conv is not None and app.chat_screen.conv.id.startswith("conv_")
        assert app.chat_screen.chat_list.options.option_count == 1
    stored = ctx.store.messages(ctx.store.most_recent())
    assert [(m.role, m.content) for m in stored] == [("user", "hi there"), ("assistant", "Hello **there**, friend.")]


async def test_newline_keys_do_not_send(tui_context, tui_api):
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "ctrl+j", "b", "alt+enter", "c")
        await pilot.pause()
        assert app.chat_screen.prompt.text == "a\nb\nc"
        assert requests_to(tui_api, "responses") == []


async def test_model_text_is_sanitized(tui_context, tui_api):
    tui_api.script(
        Reply.text("safe\x1b]52;c;ZXZpbA==\x07 text\x1b[2J", chunks=["safe\x1b]52;c;", "ZXZpbA==\x07 te", "xt\x1b[2J"])
    )
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"x", "enter")
        await settle(app, pilot)
        assert last_reply(app).text == "safe text"


async def test_stop_keeps_partial_reply_marked(tui_context, tui_api):
    ctx = tui_context()
    words = [f"word{i} " for i in range(200)]
    tui_api.script(Reply.text("".join(words), chunks=words, hold_after=3))  # streaming until stopped
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "hi")
        await wait_for(pilot, lambda: "word2" in last_reply(app).text)
        await pilot.press("escape")
        await settle(app, pilot)
        reply = last_reply(app)
        assert reply.status == "interrupted"
        assert "interrupted" in str(reply.query_one(".message-header").render())
        assert 0 < len(reply.text) < len("".join(words))
        assert app.chat_screen.current_turn() is None
        assert app.is_running  # Escape stopped the reply; it did not quit
    stored = ctx.store.messages(ctx.store.most_recent())[-1]
    assert stored.interrupted and stored.content.startswith("word0 word1")


async def test_a_reply_that_pauses_shows_all_it_has_so_far(tui_context, tui_api):
    # The worker coalesces deltas; text it held back must not wait for a next delta that does
    # not come (a model thinking mid-reply, a stalled network).
    release = threading.Event()
    words = ["one ", "two ", "three ", "four"]
    tui_api.script(Reply.text("".join(words), chunks=words, hold_after=3, release=release))
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "count")
        await wait_for(pilot, lambda: last_reply(app).text == "one two three ")
        assert last_reply(app).streaming
        release.set()
        await settle(app, pilot)
        assert last_reply(app).text == "one two three four" and last_reply(app).status == "complete"


async def test_a_stream_is_caught_up_only_once_its_text_is_in_the_markdown(tui_context, tui_api):
    # What screenshots/make_screenshots.py waits for before it shoots a reply mid-stream.
    release = threading.Event()
    words = ["one ", "two ", "three ", "four"]
    tui_api.script(Reply.text("".join(words), chunks=words, hold_after=3, release=release))
    app = make_app(tui_context())
    try:
        async with app.run_test(size=SIZE) as pilot:
            await send(app, pilot, "count")
            await wait_for(pilot, lambda: last_reply(app).text == "one two three ")
            view = last_reply(app)
            await wait_for(pilot, lambda: view.stream.caught_up)
            await pilot.pause()
            assert "one two three" in shown_text(app)
            view.stream.write("more ")
            assert not view.stream.caught_up  # queued for the next update
            await wait_for(pilot, lambda: view.stream.caught_up)
            await pilot.pause()
            assert "one two three more" in shown_text(app)
    finally:
        release.set()


async def test_ctrl_c_stops_and_does_not_quit(tui_context, tui_api):
    words = [f"w{i} " for i in range(200)]
    tui_api.script(Reply.text("".join(words), chunks=words, hold_after=3))  # streaming until stopped
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "h")
        await wait_for(pilot, lambda: "w2" in last_reply(app).text)
        await pilot.press("ctrl+c")
        await settle(app, pilot)
        assert last_reply(app).status == "interrupted"
        assert app.is_running


async def test_switch_chat_while_streaming_then_back(tui_context, tui_api, tui_seed):
    ctx = tui_context()
    (other,) = tui_seed(ctx.store, [("Older chat", "local", [("user", "old question"), ("assistant", "old answer")])])
    words = [f"part{i} " for i in range(200)]
    release = threading.Event()
    tui_api.script(Reply.text("".join(words), chunks=words, hold_after=2, release=release))
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "stream please")
        await wait_for(pilot, lambda: "part1" in last_reply(app).text)
        streaming_pk = app.chat_screen.conv.pk
        app.chat_screen.open_conversation(other.id)
        await wait_for(pilot, lambda: app.chat_screen.conv is not None and app.chat_screen.conv.pk == other.pk)
        await pilot.pause()
        assert [v.text for v in app.chat_screen.pane.views] == ["old question", "old answer"]
        # the prompt still takes input while the other chat streams
        await type_while_streaming(app, pilot, "typing")
        assert app.chat_screen.prompt.text == "typing"
        assert streaming_pk in app.chat_screen.turns
        release.set()
        await wait_for(pilot, lambda: streaming_pk not in app.chat_screen.turns)
        await settle(app, pilot)
        assert streaming_pk not in app.chat_screen.turns
        app.chat_screen.open_conversation(app.chat_screen.chat_list.rows[streaming_pk].id)
        await settle(app, pilot)
        assert last_reply(app).text == "".join(words)
        assert last_reply(app).status == "complete"


async def test_switch_back_while_still_streaming_reattaches(tui_context, tui_api, tui_seed):
    ctx = tui_context()
    (other,) = tui_seed(ctx.store, [("Other", "local", [("user", "q"), ("assistant", "a")])])
    words = [f"tok{i} " for i in range(150)]
    release = threading.Event()
    tui_api.script(Reply.text("".join(words), chunks=words, hold_after=2, release=release))
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "go")
        await wait_for(pilot, lambda: "tok1" in last_reply(app).text)
        pk = app.chat_screen.conv.pk
        conv_id = app.chat_screen.conv.id
        app.chat_screen.open_conversation(other.id)
        await wait_for(pilot, lambda: app.chat_screen.conv.pk == other.pk)
        app.chat_screen.open_conversation(conv_id)
        await wait_for(pilot, lambda: app.chat_screen.conv.pk == pk)
        # The chat's views are mounted after the switch; the held reply must come back streaming.
        await wait_for(pilot, lambda: last_reply(app).streaming)
        release.set()
        await wait_for(pilot, lambda: pk not in app.chat_screen.turns)
        await settle(app, pilot)
        assert last_reply(app).text == "".join(words)


async def test_resume_with_conversation_flag_imports_from_server(tui_context, tui_api, tmp_path):
    from termchat.app_context import AppContext
    from termchat.config import Config

    # Another machine started the chat: only the server knows it.
    other_dir = tmp_path / "elsewhere"
    other = AppContext(
        Config(config_path=tmp_path / "c.toml", data_dir=other_dir),
        base_url=tui_api.base_url,
        api_key="test",
        data_dir=other_dir,
    )
    session = other.engine().session()
    list(session.send("my name is Ada"))
    conv_id = session.conv.id
    other.close()

    app = make_app(tui_context(), open_id=conv_id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.chat_screen.conv is not None and app.chat_screen.conv.id == conv_id
        assert [v.role for v in app.chat_screen.pane.views] == ["user", "assistant"]
        assert app.chat_screen.pane.views[0].text == "my name is Ada"
        tui_api.script()  # default model: it remembers state on the server
        await pilot.press(*"what is my name?", "enter")
        await settle(app, pilot)
        assert "Ada" in last_reply(app).text


async def test_continue_opens_most_recent(tui_context, tui_seed):
    ctx = tui_context()
    tui_seed(ctx.store, [("Newest", "local", [("user", "newest q")]), ("Older", "local", [("user", "older q")])])
    app = make_app(ctx, continue_last=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.chat_screen.conv.title == "Newest"
        assert app.chat_screen.pane.views[0].text == "newest q"


async def test_interrupted_reply_is_marked_on_open(tui_context, tui_seed):
    ctx = tui_context()
    (conv,) = tui_seed(ctx.store, [("Cut", "local", [("user", "q"), ("assistant", "half a rep", "interrupted")])])
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        reply = last_reply(app)
        assert reply.has_class("-unfinished")
        assert "interrupted" in str(reply.query_one(".message-header").render())
        assert "the last reply was interrupted; its partial text is kept. Send a message to go on." in [
            str(n.message) for n in app._notifications
        ]


def three_chats(tui_context, tui_seed):
    """A context with three chats, two of them about Rust (the newest is "Rust lifetimes")."""
    ctx = tui_context()
    tui_seed(ctx.store, [("Rust lifetimes", "local", []), ("Python typing", "local", []), ("Rust async", "local", [])])
    return ctx


async def test_filter_uses_store_search(tui_context, tui_seed):
    ctx = three_chats(tui_context, tui_seed)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.chat_screen.chat_list.options.option_count == 3
        app.chat_screen.action_focus_filter()
        await pilot.press(*"rust", "enter")
        await pilot.pause()
        assert app.chat_screen.chat_list.options.option_count == 2
        assert app.focused is app.chat_screen.chat_list.options
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.chat_screen.conv.title == "Rust lifetimes"  # newest activity first


async def test_filter_as_you_type_without_delay(tui_context, tui_seed, monkeypatch):
    from termchat.tui.widgets import conversation_list

    # A store counts as fast here however loaded the machine is (a slow one coalesces keys: below).
    monkeypatch.setattr(conversation_list, "SLOW_FILTER", float("inf"))
    ctx = three_chats(tui_context, tui_seed)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.chat_screen.action_focus_filter()
        await pilot.press(*"rust ")
        await pilot.pause()  # no debounce timer to wait for: the list is filtered on each key
        options = app.chat_screen.chat_list.options
        assert options.option_count == 2 and options.highlighted == 0
        assert app.focused is app.query_one("#filter")  # typing stays in the filter box
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.pause()
        assert options.option_count == 3


async def test_filter_on_a_slow_store_coalesces_keys(tui_context, tui_seed, monkeypatch):
    from termchat.tui.widgets import conversation_list

    ctx = three_chats(tui_context, tui_seed)
    searches = []
    list_conversations = ctx.store.list_conversations
    monkeypatch.setattr(
        ctx.store, "list_conversations", lambda **kw: searches.append(kw.get("search")) or list_conversations(**kw)
    )
    # No quiet time passes while "rus" is typed, however slowly the machine runs the keys ...
    monkeypatch.setattr(conversation_list, "SLOW_FILTER_DELAY", 3600.0)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.chat_screen.chat_list._filter_cost = conversation_list.SLOW_FILTER + 0.01  # as if the last one was slow
        searches.clear()
        app.chat_screen.action_focus_filter()
        await pilot.press(*"rus")
        assert searches == [] and app.chat_screen.chat_list.options.option_count == 3  # not yet: still typing
        # ... and after the last key it does: one query, for all of them.
        monkeypatch.setattr(conversation_list, "SLOW_FILTER_DELAY", 0.001)  # (a Timer needs > 0)
        await pilot.press("t")
        await wait_for(pilot, lambda: searches)
        await pilot.pause()
        assert searches == ["rust"] and app.chat_screen.chat_list.options.option_count == 2


async def test_delete_then_undo_then_delete_for_good(tui_context, tui_seed):
    ctx = tui_context()
    a, b = tui_seed(ctx.store, [("Keep me", "local", [("user", "k")]), ("Delete me", "local", [("user", "d")])])
    app = make_app(ctx, open_id=b.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f8")
        await settle(app, pilot)
        assert app.chat_screen.chat_list.options.option_count == 1
        assert app.chat_screen.conv is None  # a new chat replaces the deleted one on screen
        await pilot.press("shift+f8")
        await settle(app, pilot)
        assert app.chat_screen.chat_list.options.option_count == 2
        assert app.chat_screen.conv.pk == b.pk
        await pilot.press("f8")
        await pilot.pause()
        app.chat_screen.chat_list.commit_pending_deletes()  # what the undo timer (or quitting) does
        assert ctx.store.get_conversation(b.id) is None
        assert ctx.store.get_conversation(a.id) is not None


async def test_rename_from_modal(tui_context, tui_seed):
    ctx = tui_context()
    (conv,) = tui_seed(ctx.store, [("Old title", "local", [("user", "x")])])
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("ctrl+u", *"[b]New[/b] title", "enter")
        await pilot.pause()
        assert ctx.store.reload(conv).title == "[b]New[/b] title"
        option = app.chat_screen.chat_list.options.get_option_at_index(0)
        assert "[b]New[/b] title" in str(option.prompt)  # shown literally, not as markup


def palette_highlight(app) -> str | None:
    """The command palette's highlighted command, once its search has finished."""
    from textual.command import CommandList

    commands = app.screen.query_one(CommandList)
    if commands.has_class("--populating") or commands.highlighted is None:
        return None
    return str(commands.get_option_at_index(commands.highlighted).prompt).split("\n")[0].strip()


async def test_command_palette_switches_model(tui_context):
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Model: gpt-4o")
        await wait_for(pilot, lambda: palette_highlight(app) == "Model: gpt-4o")
        await pilot.press("enter")
        await pilot.pause()
        assert app.chat_screen.model == "gpt-4o"


async def test_command_palette_lists_every_action(tui_context):
    from termchat.tui.bindings import COMMANDS
    from termchat.tui.palette import ChatCommands

    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        provider = ChatCommands(app.screen)
        names = [name for name, _help, _cb in provider._entries()]
        for command in COMMANDS:  # (Stop reply only while one streams: test_tui_polish.py)
            assert command.description in names or command.id == "stop"
        assert "Theme: termchat-light" in names and "State mode: chain" in names


async def test_keymap_override_from_config(tui_context):
    app = make_app(tui_context(keymap={"toggle_tools": "f11", "new_chat": "f12"}))
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert not (await app.chat_screen.ensure_tool_panel()).display  # 120 columns: tools start hidden
        await pilot.press("f11")
        assert app.chat_screen.tool_panel.display
        await pilot.press("ctrl+t")  # the old key no longer does it
        assert app.chat_screen.tool_panel.display
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert ["F11", "Focus the tool panel (again: hide it)", "toggle_tools"] in rows


async def test_tool_panel_shows_container_fees_with_the_configs_overrides(tui_context):
    from textual.widgets import OptionList, Select

    ctx = tui_context(pricing={"tools": {"code_interpreter": {"4g": 0.2}}})
    app = make_app(ctx)
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.pause()
        options = app.chat_screen.tool_panel.query_one("#memory", Select).query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts == ["1g memory · $0.03", "4g memory · $0.20", "16g memory · $0.48", "64g memory · $1.92"]


async def test_keymap_entry_that_takes_another_actions_key_warns(tui_context):
    keymap = {
        "compact": "ctrl+n",
        "theme": "f11",
        "jobs": "f11",
        "rename": "f12",
        "bogus": "f7",
        "list_rename": "e",
    }  # the list's E and a selected message's E never meet
    app = make_app(tui_context(keymap=keymap))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        warnings = sorted(str(n.message) for n in app._notifications if n.severity == "warning")
    assert warnings == [
        "[keymap] bogus: no such binding (see F1)",
        '[keymap] compact = "ctrl+n" takes Ctrl+N from new_chat (see F1)',
        '[keymap] jobs = "f11" takes F11 from theme (see F1)',
        '[keymap] theme = "f11" takes F11 from jobs (see F1)',
    ]


async def test_tool_panel_settings_are_sent_and_saved(tui_context, tui_api):
    ctx = tui_context()
    app = make_app(ctx)
    async with app.run_test(size=(150, 40)) as pilot:
        await started(app, pilot)
        assert app.chat_screen.tool_panel.display
        await pilot.click("#web_search")
        await pilot.click("#code_interpreter")
        await pilot.pause()
        app.chat_screen.tool_panel.query_one("#memory").value = "4g"
        app.chat_screen.tool_panel.query_one("#tool_choice").value = "required"
        await pilot.pause()
        app.chat_screen.prompt.focus()
        await pilot.press(*"search something", "enter")
        await settle(app, pilot)
        body = requests_to(tui_api, "responses")[-1].body
        assert {"type": "web_search"} in body["tools"]
        assert {"type": "code_interpreter", "container": {"type": "auto", "memory_limit": "4g"}} in body["tools"]
        assert body["tool_choice"] == "required"
        saved = ctx.store.reload(app.chat_screen.conv).settings
        assert saved["tool_choice"] == "required" and len(saved["tools"]) == 2
        # toggling off saves immediately for the open chat
        await pilot.click("#web_search")
        await pilot.pause()
        assert [t["type"] for t in ctx.store.reload(app.chat_screen.conv).settings["tools"]] == ["code_interpreter"]


async def test_tool_items_and_citations_render(tui_context, tui_api):
    tui_api.script()  # the fake model plans a web_search call when the tool is on
    app = make_app(tui_context(tools=("web_search",)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"search the web for textual", "enter")
        await settle(app, pilot)
        reply = last_reply(app)
        items = reply.query("ToolItem")
        assert items and "web search" in str(items.first().title)


async def test_setup_screen_without_credentials(tui_context):
    from termchat.tui.screens.setup import SetupScreen

    app = make_app(tui_context(credentials=False))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        text = app.screen.query_one("#setup-text").source + app.screen.query_one("#setup-more").source
        assert "OPENAI_API_KEY" in text and "--demo" in text and "--base-url" in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("h", "i", "enter")
        await pilot.pause()
        assert app.chat_screen.pane.views == []  # nothing was sent: the user is told how to configure instead


async def test_long_chat_mounts_the_newest_messages_and_loads_older_on_scroll(tui_context, tui_seed):
    from termchat.tui.widgets.message_pane import PAGE

    ctx = tui_context()
    messages = [("user" if i % 2 == 0 else "assistant", f"message {i}") for i in range(130)]
    (conv,) = tui_seed(ctx.store, [("Long", "local", messages)])
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.chat_screen.pane
        await wait_for(pilot, lambda: pane.views and pane.max_scroll_y > 0)  # the screen is full
        await settle(app, pilot)
        views = pane.views
        mounted = len(views)
        assert views[-1].text == "message 129" and mounted < 40
        pane.scroll_home(animate=False, immediate=True)
        await wait_for(pilot, lambda: len(pane.views) == mounted + PAGE)
        assert pane.views[0].text == f"message {130 - mounted - PAGE}"


async def test_a_chat_of_long_messages_mounts_only_what_fills_the_screen(tui_context, tui_seed):
    """Opening a chat builds the newest messages only: a screenful, not a fixed page of them
    (building each message's Markdown is what kept the newest one off the screen)."""
    ctx = tui_context()
    long_text = "\n\n".join(f"paragraph {n} of a long answer" for n in range(20))
    messages = [("user" if i % 2 == 0 else "assistant", f"{long_text}\n\nmessage {i}") for i in range(40)]
    (conv,) = tui_seed(ctx.store, [("Long answers", "local", messages)])
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.chat_screen.pane
        await wait_for(pilot, lambda: pane.views and pane.max_scroll_y > 0)
        await settle(app, pilot)
        # one of these messages is taller than the screen: a few are mounted, not a page of 12
        assert len(pane.views) <= 3 and pane.views[-1].text.endswith("message 39")


@pytest.mark.parametrize("how", ["ctrl+end", "end on the pane"])
async def test_jump_to_latest_after_reading_far_back(tui_context, tui_seed, monkeypatch, how):
    from termchat.tui.widgets import message_pane

    monkeypatch.setattr(message_pane, "MAX_MOUNTED", 40)  # truncate after a few older pages
    ctx = tui_context()
    messages = [("user" if i % 2 == 0 else "assistant", f"message {i}") for i in range(130)]
    (conv,) = tui_seed(ctx.store, [("Long", "local", messages)])
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        pane = app.chat_screen.pane
        while not pane.truncated:  # read back, page by page, until the newest are dropped
            await wait_for(pilot, lambda: not pane.loading_older and pane.scroll_y > 0)
            pane.scroll_home(animate=False, immediate=True)
            await wait_for(pilot, lambda: pane.loading_older or pane.truncated)
        assert len(pane.views) <= 40 and pane.views[-1].text != "message 129"
        if how == "ctrl+end":
            await pilot.press("ctrl+end")  # the prompt has the focus: works while typing
        else:
            pane.focus()
            await pilot.press("end")
        await wait_for(pilot, lambda: not pane.truncated and pane.views[-1].text == "message 129")
        await pilot.pause()
        await wait_for(pilot, lambda: not pane.loading_older)  # (a short page fills the screen)
        await wait_for(pilot, lambda: pane.scroll_y == pane.max_scroll_y)  # anchored at the end
        assert not pane.truncated
        await send(app, pilot, "and now?")  # a send no longer reloads a chat that is not truncated
        await settle(app, pilot)
        assert [v.text for v in pane.views][-2] == "and now?"


async def test_copy_and_export(tui_context, tui_seed, tmp_path, monkeypatch):
    ctx = tui_context()
    (conv,) = tui_seed(ctx.store, [("Exported", "local", [("user", "q"), ("assistant", "the answer")])])
    monkeypatch.chdir(tmp_path)
    for name in ("VTE_VERSION", "KONSOLE_VERSION", "TERM_PROGRAM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-kitty")  # a terminal that takes copies (OSC 52)
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        assert app.clipboard == "the answer"
        await pilot.press("ctrl+s")  # asks where, ./exported.md by default
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
    exported = (tmp_path / "exported.md").read_text()
    assert "# Exported" in exported and "the answer" in exported
    assert (tmp_path / "exported.md").stat().st_mode & 0o777 == 0o600


async def test_narrow_terminal_hides_side_panes(tui_context):
    app = make_app(tui_context())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.chat_screen.chat_list.display and not (await app.chat_screen.ensure_tool_panel()).display
        await pilot.press("ctrl+l")
        assert app.chat_screen.chat_list.display


async def test_ten_thousand_chats_list_one_page(tui_context):
    # How fast the list paints is measured by benchmarks/bench_big_store.py.
    from termchat.tui.widgets.conversation_list import PAGE

    ctx = tui_context()
    store = ctx.store
    store._db.execute("BEGIN")
    store._db.executemany(
        "INSERT INTO conversations(id, title, mode, model, settings, created_at, updated_at)"
        " VALUES (?, ?, 'local', 'gpt-5.2', '{}', ?, ?)",
        [(f"c{i}", f"chat number {i}", TUI_NOW - i, TUI_NOW - i) for i in range(10_000)],
    )
    store._db.execute("COMMIT")
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        options = app.chat_screen.chat_list.options
        assert options.option_count == PAGE
        app.chat_screen.chat_list.reload()
        assert options.option_count == PAGE
        options.focus()
        await pilot.press("end")
        await pilot.pause()
        assert options.option_count >= 2 * PAGE  # the next page loads near the end


async def test_background_job_and_jobs_panel(tui_context, tui_api):
    from termchat.tui.screens.jobs import JobsScreen

    ctx = tui_context()
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"long task", "ctrl+g")
        await settle(app, pilot)
        jobs = ctx.store.jobs()
        assert len(jobs) == 1
        assert jobs[0].status in ("completed", "queued", "in_progress")
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert isinstance(app.screen, JobsScreen)
        await app.workers.wait_for_complete()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, JobsScreen)


@pytest.mark.parametrize("theme", ["termchat-dark", "termchat-light", "termchat-high-contrast"])
async def test_theme_from_config_and_saved_on_change(tui_context, theme, tmp_path):
    ctx = tui_context(theme=theme)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == theme
        app.set_theme("termchat-light" if theme != "termchat-light" else "termchat-dark")
        await pilot.pause()
    saved = (tmp_path / "config" / "config.toml").read_text()
    assert "theme =" in saved and theme not in saved


# -- MCP approvals ---------------------------------------------------------------------------

DEEPWIKI = dict(label="deepwiki", url="https://mcp.example.test/mcp", require_approval="always")


async def ask_mcp(app, pilot, tui_api) -> None:
    """Enable the MCP server in the tool panel, send a prompt the fake answers with an approval
    request, and wait for the approval dialog."""
    from termchat.tui.screens.approval import ApprovalScreen

    await pilot.click("#mcp-0")
    app.chat_screen.prompt.focus()
    await pilot.press(*"ask mcp about [b]textual[/b]", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
    body = requests_to(tui_api, "responses")[-1].body
    assert [t["server_label"] for t in body["tools"] if t["type"] == "mcp"] == ["deepwiki"]


async def test_mcp_approval_approved_runs_the_tool(tui_context, tui_api):
    from termchat.config import McpServer

    ctx = tui_context(mcp_servers=(McpServer(**DEEPWIKI),))
    app = make_app(ctx)
    async with app.run_test(size=(150, 40)) as pilot:
        await started(app, pilot)
        await ask_mcp(app, pilot, tui_api)
        dialog = app.screen
        what = str(dialog.query_one("#approval-what").render())
        assert "deepwiki" in what and "ask_question" in what
        args = str(dialog.query_one("#approval-args").render())
        assert '"question": "ask mcp about [b]textual[/b]"' in args  # literal, not markup
        await wait_for(pilot, lambda: app.focused is not None)  # the dialog focuses a button once shown
        assert app.focused.id == "deny"  # a stray Enter does not approve
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen is app.screen_stack[0]
        sent = requests_to(tui_api, "responses")[-1].body["input"]
        assert sent[-1]["type"] == "mcp_approval_response" and sent[-1]["approve"] is True
        reply = last_reply(app)
        assert "returned: [deepwiki] ask_question answered" in reply.text
        titles = [str(item.title) for item in reply.query("ToolItem")]
        assert "✔ MCP tool call approved" in titles
        assert any("mcp deepwiki.ask_question" in t for t in titles)
        assert [v.role for v in app.chat_screen.pane.views] == ["user", "assistant", "assistant"]
        assert app.chat_screen.current_turn() is None


async def test_mcp_approval_denied_with_escape(tui_context, tui_api):
    from termchat.config import McpServer

    ctx = tui_context(mcp_servers=(McpServer(**DEEPWIKI),), state="local")
    app = make_app(ctx)
    async with app.run_test(size=(150, 40)) as pilot:
        await started(app, pilot)
        await ask_mcp(app, pilot, tui_api)
        await pilot.press("escape")
        await settle(app, pilot)
        sent = requests_to(tui_api, "responses")[-1].body["input"]
        assert sent[-1]["type"] == "mcp_approval_response" and sent[-1]["approve"] is False
        reply = last_reply(app)
        assert "was not approved" in reply.text
        assert "✖ MCP tool call denied" in [str(item.title) for item in reply.query("ToolItem")]
        assert not any("mcp_call" == i.get("type") for i in ctx.store.messages(app.chat_screen.conv)[-1].items)


# -- context meter ---------------------------------------------------------------------------


def status_text(app) -> str:
    return str(app.query_one("StatusLine").render())


def context_meter(app) -> tuple[int, str]:

    match = re.search(r"context (\d+) of (\S+)", status_text(app))
    assert match, status_text(app)
    return int(match.group(1)), match.group(2)


async def test_status_line_says_cost_unknown_for_an_unpriced_model(tui_context, tui_seed):
    ctx = tui_context()
    (conv,) = tui_seed(ctx.store, [("Local model", "local", [("user", "q"), ("assistant", "a")])])
    ctx.store.add_usage(conv, input_tokens=10, output_tokens=5, cost_usd=None)
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "cost unknown" in status_text(app) and "$" not in status_text(app)
    from termchat.tui.screens.chat_info import info_rows

    cost = dict(info_rows(ctx.store.reload(conv), context=None, window=None))["cost"]
    assert cost.startswith("unknown")  # the chat's info says it too (format_usd alone shows "?")


async def test_context_meter_drops_after_compaction(tui_context, tui_api):
    ctx = tui_context(state="local")
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert context_meter(app) == (0, "400k")
        await pilot.press(*"my name is Ada", "enter")
        await settle(app, pilot)
        first, window = context_meter(app)
        await pilot.press(*"and I like tea", "enter")
        await settle(app, pilot)
        before, _ = context_meter(app)
        usage = ctx.store.messages(app.chat_screen.conv)[-1].usage
        assert before == usage["input_tokens"] + usage["output_tokens"] > first > 0
        await pilot.press(app.keymap.get("compact", "f9"))
        await settle(app, pilot)
        assert any(v.role == "compaction" for v in app.chat_screen.pane.views)
        marker = app.chat_screen.pane.views[-1]
        assert marker.role == "compaction" and "context compacted here" in str(
            marker.query_one(".compaction-note").render()
        )
        after, window_after = context_meter(app)
        compact_usage = ctx.store.messages(app.chat_screen.conv)[-1].usage
        assert after == compact_usage["output_tokens"] < before
        assert window_after == window


# -- keyboard access to the tool panel -------------------------------------------------------


async def test_tool_panel_by_keyboard(tui_context, tui_api):
    ctx = tui_context()
    app = make_app(ctx)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        assert not (await app.chat_screen.ensure_tool_panel()).display and app.focused is app.chat_screen.prompt
        await pilot.press("ctrl+t")  # shows the panel and moves into it
        assert app.chat_screen.tool_panel.display and app.focused.id == "web_search"
        await pilot.press("space")  # web_search on
        await pilot.press("tab")
        assert app.focused.id == "file_search"
        await pilot.press("shift+tab")
        assert app.focused.id == "web_search"
        await pilot.press("escape")  # back to the prompt; the panel stays
        assert app.focused is app.chat_screen.prompt and app.chat_screen.tool_panel.display
        await pilot.press("ctrl+t")  # shown but not focused: move into it
        assert app.focused.id == "web_search"
        await pilot.press("ctrl+t")  # from inside: hide it, back to the prompt
        assert not app.chat_screen.tool_panel.display and app.focused is app.chat_screen.prompt
        await pilot.press(*"search the latest news", "enter")
        await settle(app, pilot)
        assert {"type": "web_search"} in requests_to(tui_api, "responses")[-1].body["tools"]
        assert last_reply(app).query(".message-sources")


def test_approval_arguments_are_shown_sanitized():
    from termchat.tui.screens.approval import pretty_arguments

    shown = pretty_arguments('{"q": "a\\u001b]52;c;ZXZpbA==\\u0007b [b]x[/b]"}')
    assert "\x1b" not in shown and "\x07" not in shown and "[b]x[/b]" in shown
    assert pretty_arguments("not json\x1b[2J") == "not json"


async def test_automatic_compaction_shows_its_marker(tui_context, tui_api):
    from termchat.config import CompactionSettings

    ctx = tui_context(state="local", compaction=CompactionSettings(enabled=True, threshold=0.00001))
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"my name is Ada", "enter")
        await settle(app, pilot)
        assert [v.role for v in app.chat_screen.pane.views] == ["user", "assistant", "compaction"]
        assert context_meter(app)[0] == ctx.store.messages(app.chat_screen.conv)[-1].usage["output_tokens"]


# -- vector stores picked from the account's list ---------------------------------------------


def vector_store_input(app):
    return app.chat_screen.tool_panel.query_one("#vector_stores")


async def open_picker(app, pilot) -> None:
    """Ctrl+R opens the picker; wait until its worker has listed the stores (or given up)."""
    from termchat.tui.screens.vector_stores import VectorStorePicker

    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: not isinstance(app.screen, VectorStorePicker) or not app.screen.loading_stores)


async def test_pick_vector_stores_by_keyboard_and_send(tui_context, tui_api):
    from termchat.tui.screens.vector_stores import VectorStorePicker

    ctx = tui_context()
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_picker(app, pilot)
        assert isinstance(app.screen, VectorStorePicker)
        assert requests_to(tui_api, "vector_stores.list")
        rows = [str(app.screen.query_one("#vs-list").get_option_at_index(i).prompt) for i in range(2)]
        assert any("Product docs" in r and "vs_demo_docs" in r and "12 files" in r for r in rows)
        await pilot.press("space", "down", "space", "enter")  # both, then use them
        await pilot.pause()
        assert not isinstance(app.screen, VectorStorePicker)
        ids = {"vs_demo_docs", "vs_demo_notes"}
        assert set(vector_store_input(app).value.split(",")) == ids
        assert app.chat_screen.tool_panel.query_one("#file_search").value
        await pilot.press(*"what do the docs say", "enter")
        await settle(app, pilot)
        tools = requests_to(tui_api, "responses")[-1].body["tools"]
        fs = [t for t in tools if t["type"] == "file_search"]
        assert len(fs) == 1 and set(fs[0]["vector_store_ids"]) == ids
        assert ctx.store.reload(app.chat_screen.conv).settings["tools"] == tools
        # again, from the panel's button: the typed ids start selected; Escape changes nothing
        await pilot.press("ctrl+t")
        await pilot.click("#pick_vector_stores")
        await wait_for(pilot, lambda: isinstance(app.screen, VectorStorePicker) and not app.screen.loading_stores)
        assert set(app.screen.query_one("#vs-list").selected) == ids
        await pilot.press("space")  # unselect one ...
        await pilot.press("escape")  # ... but cancel
        await pilot.pause()
        assert not isinstance(app.screen, VectorStorePicker)
        assert set(vector_store_input(app).value.split(",")) == ids


async def test_pick_vector_stores_cancel_keeps_typed_ids(tui_context, tui_api):
    tui_api.vector_stores = [("vs_a", "Alpha \x1b]52;c;ZXZpbA==\x07[b]bold[/b]", 1)]
    app = make_app(tui_context(tools=("file_search:vs_typed",)))
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_picker(app, pilot)
        options = app.screen.query_one("#vs-list")
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "vs_typed" in prompts[0] and list(options.selected) == ["vs_typed"]  # typed, kept on offer
        assert "[b]bold[/b]" in prompts[1] and "\x1b" not in prompts[1] and "\x07" not in prompts[1]
        await pilot.press("down", "space", "escape")
        await pilot.pause()
        assert vector_store_input(app).value == "vs_typed"


async def test_pick_vector_stores_api_error_is_one_notification(tui_context, tui_api):
    # x-should-retry: the SDK would retry a 500 (and get the list); one failure is enough here
    tui_api.script(
        Reply.error(500, "boom", type="server_error", endpoint="vector_stores", headers={"x-should-retry": "false"})
    )
    app = make_app(tui_context(tools=("file_search:vs_typed",)))
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_picker(app, pilot)
        await wait_for(pilot, lambda: len(app.screen_stack) == 1 and notes(app, "error"))
        [note] = notes(app, "error")
        assert "boom" in note.message and "\n" not in note.message and not note.markup
        assert vector_store_input(app).value == "vs_typed"
        assert app.chat_screen.tool_panel.query_one("#file_search").value


async def test_short_first_page_loads_older_messages_to_fill_the_screen(tui_context, tui_seed):
    ctx = tui_context()
    messages = [("user" if i % 2 == 0 else "assistant", f"line {i}") for i in range(60)]
    (conv,) = tui_seed(ctx.store, [("Short lines", "local", messages)])
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=(120, 70)) as pilot:  # a first page of one-liners leaves room
        pane = app.chat_screen.pane
        await wait_for(pilot, lambda: pane.views and pane.max_scroll_y > 0)
        await settle(app, pilot)
        assert pane.max_scroll_y > 0 and pane.views[-1].text == "line 59"  # filled: taller than the screen


async def test_quit_while_a_chat_opens(tui_context, tui_seed):
    ctx = tui_context()
    messages = [("user" if i % 2 == 0 else "assistant", f"message {i}") for i in range(40)]
    (conv,) = tui_seed(ctx.store, [("Opening", "local", messages)])
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE):
        pass  # leave at once: the open finishes while the app shuts down
    assert app.return_code in (None, 0)


# -- deleting a chat together with its server conversation ---------------------------------------


def server_chat(ctx, title: str | None = None):
    """A conversation-mode chat whose conversation lives on the fake server (like a real one)."""
    session = ctx.engine().session(mode="conversation")
    list(session.send("remember the plan"))
    conv = ctx.store.reload(session.conv)
    if title is not None:
        conv = ctx.store.update_conversation(conv, title=title)
    assert conv.remote_id and conv.remote_id.startswith("conv_")
    return conv


def notes(app, severity: str | None = None) -> list:
    return [n for n in app._notifications if severity is None or n.severity == severity]


@pytest.fixture(autouse=True)
def long_undo_window(monkeypatch):
    """No undo timer ends on its own while a test runs, however slowly: a test commits with
    `app.chat_screen.chat_list.commit_pending_deletes()` (what the timer does), or sets its own window."""
    monkeypatch.setattr("termchat.chats.UNDO_SECONDS", 3600.0)


async def test_delete_with_server_conversation_after_the_undo_window(tui_context, tui_api):
    ctx = tui_context()
    conv = server_chat(ctx, title="[red]Plans[/red]")
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+f8")
        await pilot.pause()
        assert app.chat_screen.conv is None and app.chat_screen.chat_list.options.option_count == 0
        said = notes(app)[-1]
        assert said.message.startswith("deleted “[red]Plans[/red]”; its server conversation goes too")
        assert not said.markup and "Shift+F8" in said.message
        await settle(app, pilot)
        assert conv.remote_id in tui_api.store.conversations  # nothing happens before the window ends
        app.chat_screen.chat_list.commit_pending_deletes()  # what the undo timer does when the window ends
        await wait_for(pilot, lambda: conv.remote_id not in tui_api.store.conversations)
        await settle(app, pilot)
        assert ctx.store.get_conversation(conv.id) is None
        assert len(requests_to(tui_api, "conversations.delete")) == 1
        done = notes(app)[-1]
        assert done.message == f"deleted “[red]Plans[/red]” on the server too ({conv.remote_id})"
        assert done.severity == "information" and not done.markup
        assert app.deletions.server_deletes == []


async def test_the_undo_window_ends_by_itself(tui_context, tui_api, monkeypatch):
    monkeypatch.setattr("termchat.chats.UNDO_SECONDS", 0.01)
    ctx = tui_context()
    conv = server_chat(ctx)
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+f8")
        await wait_for(pilot, lambda: conv.remote_id not in tui_api.store.conversations)
        await settle(app, pilot)
        assert app.deletions.pending == {} and ctx.store.get_conversation(conv.id) is None


async def test_undo_before_commit_touches_nothing_on_the_server(tui_context, tui_api):
    ctx = tui_context()
    conv = server_chat(ctx)
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+f8")
        await pilot.pause()
        await pilot.press("shift+f8")
        await settle(app, pilot)
        assert app.chat_screen.conv.pk == conv.pk and app.deletions.pending == {}
        assert "its server conversation was not touched" in notes(app)[-1].message
        app.chat_screen.chat_list.commit_pending_deletes()  # what the undo timer (or quitting) would do: nothing left
        await settle(app, pilot)
    assert requests_to(tui_api, "conversations.delete") == []
    assert conv.remote_id in tui_api.store.conversations
    assert ctx.store.get_conversation(conv.id) is not None


async def test_delete_with_server_from_the_list_when_the_server_no_longer_has_it(tui_context, tui_api):
    ctx = tui_context()
    conv = server_chat(ctx)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ctx.api.delete_conversation(conv.remote_id)  # gone from the server meanwhile (another machine)
        app.chat_screen.chat_list.options.focus()
        app.chat_screen.chat_list.options.highlighted = 0
        await pilot.press("shift+delete")
        await pilot.pause()
        assert conv.pk in app.deletions.pending and app.deletions.pending[conv.pk].remote
        app.chat_screen.chat_list.commit_pending_deletes()
        await settle(app, pilot)
        assert ctx.store.get_conversation(conv.id) is None
        note = notes(app)[-1]
        assert note.severity == "information"
        assert note.message.startswith(f"note: the server no longer has {conv.remote_id}")


async def test_delete_with_server_error_is_one_line_and_the_local_delete_stands(tui_context, tui_api):
    tui_api.script(
        Reply.error(
            500,
            "boom (key sk-proj-abcdef123456)",
            type="server_error",
            endpoint="conversations.delete",
            headers={"x-should-retry": "false"},
        )
    )
    ctx = tui_context()
    conv = server_chat(ctx)
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+f8")
        await pilot.pause()
        app.chat_screen.chat_list.commit_pending_deletes()
        await settle(app, pilot)
        [error] = notes(app, "error")
        assert "\n" not in error.message and not error.markup and "boom" in error.message
        assert "abcdef123456" not in error.message  # key-shaped text is redacted
        assert error.message.endswith(f"to retry: termchat rm --remote {conv.remote_id}")
        assert "was deleted here, but its server conversation" in error.message
    assert ctx.store.get_conversation(conv.id) is None  # the local deletion stands
    assert conv.remote_id in tui_api.store.conversations


async def test_plain_delete_keeps_the_server_conversation_and_says_so(tui_context, tui_api):
    ctx = tui_context(keymap={"delete_remote": "f12"})
    conv = server_chat(ctx)
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f8")
        await pilot.pause()
        said = notes(app)[-1].message
        assert "its server conversation is kept" in said
        assert "undo, then F12" in said and f"termchat rm --remote {conv.remote_id}" in said
        app.chat_screen.chat_list.commit_pending_deletes()
        await settle(app, pilot)
    assert ctx.store.get_conversation(conv.id) is None
    assert requests_to(tui_api, "conversations.delete") == []
    assert conv.remote_id in tui_api.store.conversations


async def test_deleting_local_chats_never_mentions_or_calls_the_server(tui_context, tui_api, tui_seed):
    ctx = tui_context()
    a, b = tui_seed(ctx.store, [("Local one", "local", [("user", "a")]), ("Chain two", "chain", [("user", "b")])])
    app = make_app(ctx, open_id=a.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f8")
        await pilot.pause()
        assert "server" not in notes(app)[-1].message
        app.chat_screen.open_conversation(b.id)
        await settle(app, pilot)
        await pilot.press("ctrl+f8")
        await pilot.pause()
        assert notes(app)[-1].message.startswith("deleted “Chain two” (it has no server conversation) ·")
        app.chat_screen.chat_list.commit_pending_deletes()
        await settle(app, pilot)
        assert app.deletions.server_deletes == [] and notes(app, "error") == []
    assert ctx.store.get_conversation(a.id) is None and ctx.store.get_conversation(b.id) is None
    assert requests_to(tui_api, "conversations.delete") == []


async def test_quit_in_the_undo_window_deletes_on_the_server_after_the_app_closed(tui_context, tui_api):
    ctx = tui_context()
    conv = server_chat(ctx, title="Quit plans")
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+f8")
        await pilot.pause()
        await pilot.press("ctrl+q")
    assert ctx.store.get_conversation(conv.id) is None
    assert conv.remote_id in tui_api.store.conversations  # not from the closing app's UI thread
    lines: list[str] = []
    app.deletions.commit_all()  # what launch.run_app does once the app has closed
    app.deletions.finish(lines.append)
    assert lines == [
        f"termchat: deleting the server conversation {conv.remote_id} (“Quit plans”)…\n",
        f"termchat: deleted “Quit plans” on the server too ({conv.remote_id})\n",
    ]
    assert conv.remote_id not in tui_api.store.conversations


async def test_help_lists_delete_with_server_conversation(tui_context):
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [
            "Ctrl+F8",
            "Delete the current chat and its server conversation (undo from the notification)",
            "delete_remote",
        ] in rows
        assert ["Shift+Delete", "Delete the highlighted chat and its server conversation", "list_delete_remote"] in rows


async def test_server_delete_at_exit_that_fails_or_is_interrupted_says_how_to_retry(tui_context, tui_api, monkeypatch):
    ctx = tui_context()
    first, second = server_chat(ctx, title="First"), server_chat(ctx, title="Second")
    app = make_app(ctx, open_id=first.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+f8")
        await pilot.pause()
        app.chat_screen.open_conversation(second.id)
        await settle(app, pilot)
        await pilot.press("ctrl+f8")
        await pilot.pause()
        await pilot.press("ctrl+q")
    tui_api.script(Reply.error(503, "overloaded", type="server_error", endpoint="conversations.delete"))
    lines: list[str] = []
    app.deletions.finish(lines.append)  # one attempt at exit: no retry of the 503
    assert lines[1] == (
        f"termchat: error: “First” was deleted here, but its server conversation "
        f"{first.remote_id} was not: delete conversation failed: HTTP 503: overloaded "
        f"(server error; try again) · to retry: termchat rm --remote {first.remote_id}\n"
    )
    assert lines[2].startswith("termchat: deleting the server conversation")
    assert lines[3] == f"termchat: deleted “Second” on the server too ({second.remote_id})\n"
    assert first.remote_id in tui_api.store.conversations
    assert second.remote_id not in tui_api.store.conversations

    # Ctrl+C while termchat waits on the server at exit: the rest are skipped, each with its retry
    app.deletions.server_deletes[:] = [ServerDelete("First", first.remote_id), ServerDelete("Other", "conv_other")]

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ctx.api, "delete_conversation", interrupted)
    lines.clear()
    app.deletions.finish(lines.append)
    assert len(lines) == 3 and lines[2].endswith("was not: interrupted · to retry: termchat rm --remote conv_other\n")
    assert all(line.count("\n") == 1 for line in lines)


async def test_collector_is_paused_only_until_the_first_frame(tui_context):
    import gc

    from termchat.tui import app_class

    assert gc.isenabled()
    cls = app_class()  # how `termchat` imports the app: with the collector paused
    assert not gc.isenabled()
    app = cls(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert gc.isenabled() and gc.get_freeze_count() > 0  # resumed; start-up objects frozen
    assert gc.isenabled() and gc.get_freeze_count() == 0  # unfrozen when the app closed
    gc.disable()  # someone else's choice is left alone
    try:
        async with make_app(tui_context()).run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_launch_flags_for_tools(tui_context):
    from argparse import Namespace

    from termchat.errors import UsageError
    from termchat.tui.launch import build_app

    def flags(**given):
        return Namespace(
            **{
                "tool": [],
                "no_tools": False,
                "tool_choice": None,
                "conversation": None,
                "continue_": False,
                "model": None,
                "state": None,
                **given,
            }
        )

    ctx = tui_context()
    assert build_app(ctx, flags(no_tools=True))._start.tools == []
    assert build_app(ctx, flags(tool=["none"]))._start.tools == []
    assert build_app(ctx, flags(tool_choice="required"))._start.tool_choice == "required"  # tools: in the panel
    for bad in (flags(tool=["none", "web_search"]), flags(tool_choice="web_search")):
        with pytest.raises(UsageError):
            build_app(ctx, bad)


SAVED_TOOLS = [
    ([], "auto"),
    ([{"type": "web_search"}], "required"),
    ([{"type": "file_search", "vector_store_ids": ["vs_1", "vs_2"]}], "none"),
    ([{"type": "file_search", "vector_store_ids": []}], "auto"),  # no stores: left out
    ([{"type": "code_interpreter", "container": {"type": "auto", "memory_limit": "16g"}}], "auto"),
    ([{"type": "code_interpreter", "container": {"type": "auto", "memory_limit": "99g"}}], "auto"),
    ([{"type": "code_interpreter", "container": {"type": "auto"}}], {"type": "function", "name": "f"}),
    ([{"type": "mcp", "server_label": "deepwiki", "server_url": "https://old.example.test"}], "auto"),
    ([{"type": "mcp", "server_label": "gone", "server_url": "https://x.example.test"}], "auto"),
    ([{"type": "web_search"}, {"type": "image_generation"}, {"type": "mcp", "server_label": "deepwiki"}], "auto"),
]


@pytest.mark.parametrize("saved", SAVED_TOOLS)
async def test_a_send_before_the_tool_panel_is_mounted_uses_what_the_panel_would(tui_context, saved):
    """The first send no longer mounts a hidden tool panel (it held the screen for a frame's
    time or more): it uses `as_toggled`, which must read a chat's tools as the panel does."""
    from termchat.config import McpServer
    from termchat.tools import as_toggled

    ctx = tui_context(mcp_servers=(McpServer(**DEEPWIKI),))
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        panel = await app.chat_screen.ensure_tool_panel()
        await pilot.pause()
        tools, choice = saved
        panel.load(tools, choice)
        assert as_toggled(tools, choice, ctx.config.mcp_servers) == panel.current()


async def test_the_first_send_leaves_a_hidden_tool_panel_unmounted(tui_context, tui_api):
    tui_api.script(Reply.text("ok"))
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.chat_screen._tools_display  # hidden at this width
        await pilot.press(*"hi", "enter")
        await settle(app, pilot)
        assert last_reply(app).status == "complete"
        assert app.chat_screen._tool_panel is None
