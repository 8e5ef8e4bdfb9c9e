"""The termchat app: three panes, a prompt and a status line over the headless engine.

Workers run every engine call (network and store writes of a turn) in threads with their own
store connection and post messages back; only this UI thread touches widgets.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer

from termchat.store import ConversationRow
from termchat.tui import pause_gc, resume_gc
from termchat.tui.actions import ChatActions, PendingDelete, ServerDelete
from termchat.tui.bindings import COMMANDS, to_bindings
from termchat.tui.branches import BranchActions
from termchat.tui.job_watch import BackgroundJobs, JobUpdate
from termchat.tui.messages import Opened
from termchat.tui.palette import TermchatCommands
from termchat.tui.replies import ReplyActions
from termchat.tui.widgets.conversation_list import ConversationList
from termchat.tui.widgets.message_pane import FIRST_PAGE, PAGE, MessagePane
from termchat.tui.widgets.prompt import PromptInput
from termchat.tui.widgets.status_line import CONTEXT_ROWS, StatusLine, context_used

if TYPE_CHECKING:  # mounted after the first frame: see ensure_tool_panel
    from termchat.tui.turns import Turn  # imported with the first send
    from termchat.tui.widgets.tool_panel import ToolPanel

LIST_MIN_WIDTH = 100   # below this the chat list starts hidden
TOOLS_MIN_WIDTH = 130  # below this the tool panel starts hidden


class TermchatApp(BranchActions, ReplyActions, ChatActions, App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "termchat"
    BINDINGS = to_bindings(COMMANDS) + [
        Binding("shift+f8", "undo_delete", "Undo delete", show=False, id="undo_delete"),
    ]
    COMMANDS = App.COMMANDS | {TermchatCommands}

    def __init__(self, ctx: Any, *, open_id: str | None = None, continue_last: bool = False,
                 model: str | None = None, mode: str | None = None,
                 tools: list[dict[str, Any]] | None = None, tool_choice: str | None = None,
                 now: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.ctx = ctx
        self.config = ctx.config
        self.now = now
        self.open_id = open_id
        self.continue_last = continue_last
        self.flag_model = model
        self.flag_mode = mode
        self.flag_tools = tools
        self.flag_tool_choice = tool_choice
        self.model = model or self.config.model
        self.mode = mode or self.config.state
        self.conv: ConversationRow | None = None
        self.turns: dict[int, Turn] = {}
        self.pending_deletes: dict[int, PendingDelete] = {}
        self.server_deletes: list[ServerDelete] = []  # committed, their server side not yet reported
        self.background_jobs = BackgroundJobs(self)
        self.pane_choice: dict[str, bool] = {}
        self.keymap: dict[str, str] = {}
        self.termchat_theme_names: list[str] = []
        self._open_token = 0
        self._opening: int | None = None  # the token of the open still on its way, if any
        self._held_prompt: str | None = None  # sent while that open was on its way
        self._reveal: tuple[int, bool] | None = None  # (message, found) the chat being opened shows
        self._theme_ready = False
        self._capabilities: Any = None
        self._tool_panel: ToolPanel | None = None  # set once mounted
        self._tool_panel_mount: asyncio.Future | None = None
        self._tools_loaded: tuple[list[dict[str, Any]], Any] | None = None  # for the panel to come
        self._tools_display = False
        self._first_frame_done = False
        self._sdk_frozen = False  # see ReplyActions.on_turn_update
        # Everything imported so far lives as long as the app: out of the collector's way, a
        # full collection no longer walks it (one took ~13 ms in the middle of the first frame).
        # Until the first frame is painted the collector is paused (see termchat.tui).
        gc.freeze()
        pause_gc()
        self._register_themes()

    # -- set-up -----------------------------------------------------------------------------

    @property
    def store(self) -> Any:
        return self.ctx.store

    def _register_themes(self) -> None:
        from termchat.tui.themes import DEFAULT_THEME, load_themes, theme_dirs

        themes, warnings = load_themes(theme_dirs(getattr(self.config, "config_path", None)))
        for theme in themes:
            self.register_theme(theme)
        self.termchat_theme_names = [t.name for t in themes]
        self._startup_warnings = list(warnings)
        wanted = self.config.theme
        if wanted not in self.available_themes:
            if wanted != DEFAULT_THEME:
                self._startup_warnings.append(f"unknown theme '{wanted}'; using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        # What `self.theme = wanted` does, minus the full CSS re-parse it schedules (~8 ms of the
        # first frame): the stylesheet has not been parsed yet, so its variables can just be set.
        self.set_reactive(App.theme, wanted)
        theme = self.current_theme
        self.update_classes({**{name: False for name in self.classes if name.startswith("-theme-")},
                             f"-theme-{theme.name}": True, "-dark-mode": theme.dark,
                             "-light-mode": not theme.dark}, update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    def compose(self) -> ComposeResult:
        # No containers: the footer, the status line above it, the chat list and the tool panel
        # are `split` off the screen's edges (app.tcss) in this order, the transcript and the
        # prompt stack in what is left. Two fewer widgets to style and lay out (~5 ms at start).
        yield Footer(compact=True)
        yield StatusLine(id="status")
        yield ConversationList(self.store, now=self.now, id="sidebar")
        # A new chat's hint is part of the first frame, not a remount after it.
        yield MessagePane(now=self.now, id="messages",
                          empty_hint=self._empty_hint() if self._starts_new_chat else "")
        yield PromptInput(id="prompt")
        # the tool panel (#tools, split right) is mounted after the first frame: see ensure_tool_panel

    def on_unmount(self) -> None:
        self.background_jobs.stop()
        resume_gc()  # (closed before the first frame)
        gc.unfreeze()  # undo the gc.freeze() calls of __init__ and the first frame

    def on_mount(self) -> None:
        self._apply_keymap()
        self._theme_ready = True
        self._apply_layout(self.size.width)
        self.call_after_refresh(self._mount_shown_tool_panel)
        self.call_after_refresh(self.background_jobs.start)  # the jobs a quit left running
        for warning in self._startup_warnings:
            self.notify(warning, severity="warning", markup=False)
        self.prompt.focus()
        if self.ctx.has_credentials:
            _ = self.ctx.api  # build the client once, on this thread
        else:
            from termchat.tui.screens.setup import SetupScreen

            self.push_screen(SetupScreen())
        if self._starts_new_chat:
            self.call_later(self.new_chat)
        elif self.open_id:
            self.open_conversation(self.open_id, first=True)
        else:  # -c, or the demo: the most recent chat
            recent = self.store.most_recent()
            if recent is None:
                self.notify("no chats yet: starting a new one", markup=False)
                self.call_later(self.new_chat)
            else:
                self.open_conversation(recent.id, first=True)

    @property
    def _starts_new_chat(self) -> bool:
        """Whether the app opens on a new chat (no id, not -c, not the demo's recent chat)."""
        return not (self.open_id or self.continue_last or self.ctx.demo)

    def _apply_keymap(self) -> None:
        from termchat.tui.bindings import ALL_COMMANDS, keymap_conflicts

        known = {c.id for c in ALL_COMMANDS} | {"undo_delete", "command_palette"}
        keymap = dict(getattr(self.config, "keymap", {}) or {})
        for binding_id in sorted(set(keymap) - known):
            self.notify(f"[keymap] {binding_id}: no such binding (see F1)", severity="warning", markup=False)
        self.keymap = {k: v for k, v in keymap.items() if k in known}
        for warning in keymap_conflicts(self.keymap, self.COMMAND_PALETTE_BINDING):
            self.notify(warning, severity="warning", markup=False)
        if "command_palette" in self.keymap:
            self.COMMAND_PALETTE_BINDING = self.keymap["command_palette"]
        self.set_keymap(self.keymap)

    # -- widgets ----------------------------------------------------------------------------

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def pane(self) -> MessagePane:
        return self.query_one(MessagePane)

    @property
    def chat_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    @property
    def tool_panel(self) -> ToolPanel:
        """The tool panel; raises NoMatches before it is mounted (after the first frame)."""
        if self._tool_panel is None:
            from textual.css.query import NoMatches

            raise NoMatches("the tool panel is not mounted yet")
        return self._tool_panel

    async def _mount_shown_tool_panel(self) -> None:
        """After the first frame: mount the tool panel if it is shown. A hidden panel is mounted
        when something needs it (Ctrl+T, a send, the vector store picker, a wider terminal)."""
        self._first_frame_done = True
        # The same for what the first frame built (widgets, styles, caches): full collections
        # then skip ~200k long-lived objects (~100 ms each, several per long streamed reply).
        gc.freeze()
        resume_gc()
        if self._tools_display:
            await self.ensure_tool_panel()

    async def ensure_tool_panel(self) -> ToolPanel:
        """Mount the tool panel if it is not yet (its many inputs cost the first frame ~35 ms)."""
        if self._tool_panel_mount is None:
            self._tool_panel_mount = asyncio.ensure_future(self._mount_tool_panel())
        return await asyncio.shield(self._tool_panel_mount)

    async def _mount_tool_panel(self) -> ToolPanel:
        from termchat.tui.widgets.tool_panel import ToolPanel

        panel = ToolPanel(self.config.mcp_servers, pricing=self.config.pricing, id="tools")
        panel.display = self._tools_display
        if self.quitting:  # shutting down before the first frame settled: nothing to show
            return panel
        await self.pane.parent.mount(panel)  # the main screen, even under a dialog
        if self._tools_loaded is not None and not self.quitting:
            panel.load(*self._tools_loaded)
        self._tool_panel = panel
        return panel

    def load_tools(self, tools: list[dict[str, Any]], tool_choice: Any) -> None:
        """Show a chat's tools in the panel (now, or when it is mounted)."""
        self._tools_loaded = (tools, tool_choice)
        if self._tool_panel is not None:
            self._tool_panel.load(tools, tool_choice)

    @property
    def quitting(self) -> bool:
        """The app is shutting down: its widgets may already be gone."""
        return bool(self._exit or self._closing or self._closed or not self.screen_stack)

    def update_status(self, note: str = "") -> None:
        from termchat.config import model_info

        status_lines = self.query(StatusLine)
        if self.quitting or not status_lines:  # shutting down: the widgets may already be gone
            return
        conv = self.conv
        note = note or self.background_jobs.status_note(conv.pk if conv else None)
        info = model_info(self.model)
        used = context_used(self.store.messages(conv, limit=CONTEXT_ROWS)) if conv else 0
        status_lines.first().show(
            model=self.model, mode=self.mode, conversation_id=conv.id if conv else None,
            tokens=(conv.input_tokens + conv.output_tokens) if conv else 0,
            cost=conv.cost_usd if conv else 0.0, streaming=self.current_turn() is not None, note=note,
            context=used, window=info.context_window if info else None)

    def current_turn(self) -> Turn | None:
        return self.turns.get(self.conv.pk) if self.conv else None

    # -- layout -----------------------------------------------------------------------------

    def on_resize(self, event: Any) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        self.chat_list.display = self.pane_choice.get("list", width >= LIST_MIN_WIDTH)
        self._tools_display = self.pane_choice.get("tools", width >= TOOLS_MIN_WIDTH)
        if self._tool_panel is not None:
            self._tool_panel.display = self._tools_display
        elif self._tools_display and self._first_frame_done:
            self.call_later(self.ensure_tool_panel)
        self.set_class(width < LIST_MIN_WIDTH, "-narrow")

    def action_toggle_list(self) -> None:
        self.pane_choice["list"] = not self.chat_list.display
        self.chat_list.display = self.pane_choice["list"]

    async def action_toggle_tools(self) -> None:
        """Show the tool panel and move into it; from inside it, hide it and go back to the prompt."""
        panel = await self.ensure_tool_panel()
        inside = self.focused is not None and panel in self.focused.ancestors_with_self
        self.pane_choice["tools"] = not (panel.display and inside)
        panel.display = self._tools_display = self.pane_choice["tools"]
        if panel.display:
            panel.focus_first()
        else:
            self.prompt.focus()

    def on_tool_panel_leave(self, message: ToolPanel.Leave) -> None:
        self.prompt.focus()

    def action_focus_filter(self) -> None:
        if not self.chat_list.display:
            self.action_toggle_list()
        self.chat_list.query_one("#filter").focus()

    def action_focus_prompt(self) -> None:
        self.prompt.focus()

    # -- opening chats ----------------------------------------------------------------------

    def thread_engine(self) -> Any:
        """An engine with its own store connection, for one worker thread."""
        from termchat.store import Store

        engine = self.ctx.engine(store=Store.in_dir(self.ctx.data_dir))
        if self._capabilities is None:
            self._capabilities = engine.capabilities
        engine.capabilities = self._capabilities  # learned once per process, shared
        return engine

    def open_conversation(self, ident: str, *, first: bool = False, reveal: int | None = None,
                          found: bool = True) -> None:
        """Resume a chat exactly like `--conversation ID` (imports conv_ ids from the server);
        `reveal`: a message to scroll to and select, marked as `found` (a search hit) or not."""
        self._open_token += 1
        self._opening = self._open_token
        self._reveal = (reveal, found) if reveal is not None else None
        self._open_worker(ident, self._open_token, first)

    @work(thread=True, group="open", exit_on_error=False)
    def _open_worker(self, ident: str, token: int, first: bool) -> None:
        from termchat.errors import TermchatError

        engine = self.thread_engine()
        try:
            conv, notices = engine.open(ident, sync=self.ctx.has_credentials)
        except TermchatError as exc:
            self.call_from_thread(self._open_failed, exc.one_line(), token, first)
            return
        except Exception as exc:  # never die silently: the chat would seem open, and is not
            from termchat.redact import redact

            self.call_from_thread(self._open_failed, f"could not open the chat: unexpected error "
                                  f"({type(exc).__name__}: {redact(str(exc))})", token, first)
            return
        finally:
            engine.store.close()
        from termchat.engine import INTERRUPTED_NOTE

        shown = [f"{n.message}. Send a message to go on." if n.message == INTERRUPTED_NOTE else n.message
                 for n in notices]
        self.post_message(Opened(conv, shown, token if not first else -token))

    async def on_opened(self, message: Opened) -> None:
        first = message.token < 0
        if abs(message.token) != self._open_token or self.quitting:
            return  # the user has since opened another chat, or quit
        for notice in message.notices:
            self.notify(notice, markup=False, timeout=6)
        conv = self.store.reload(message.conv)
        self.model = conv.model
        self.mode = conv.mode
        if first and (self.flag_model or self.flag_mode):
            self.model = self.flag_model or self.model
            self.mode = self.flag_mode or self.mode
        tools = conv.settings.get("tools") or []
        choice = conv.settings.get("tool_choice") or "auto"
        if first and self.flag_tools is not None:
            tools, choice = self.flag_tools, self.flag_tool_choice or choice
        reveal, found = self._reveal or (None, False)
        await self.show_conversation(conv, reveal=reveal, found=found)
        if not self.quitting:
            self.load_tools(tools, choice)
            await self._opened(abs(message.token))

    def hold_while_opening(self, prompt: str) -> bool:
        """A prompt sent while a chat is being opened (say `-c`, still syncing) waits for it and
        then goes to it: the chat on screen once the open is done, never a new one meanwhile."""
        if self._opening is None:
            return False
        if self._held_prompt is None:
            self._held_prompt = prompt
            self.prompt.clear()
            self.notify("opening the chat: your message is sent as soon as it is open", markup=False)
        else:
            self.notify("still opening the chat: one message is already waiting", markup=False)
        return True

    async def _opened(self, token: int) -> None:
        if token != self._opening:
            return
        self._opening = None
        prompt, self._held_prompt = self._held_prompt, None
        if prompt is not None:
            await self.send_prompt(prompt)

    async def _open_failed(self, error: str, token: int, first: bool) -> None:
        self.notify(error, severity="error", markup=False)
        if token != self._open_token or self.quitting:
            return  # another open has since started: it decides what is on screen
        self._opening = None
        if first:
            await self.new_chat()
        prompt, self._held_prompt = self._held_prompt, None
        if prompt is not None:  # not sent anywhere: back where it was typed
            self.prompt.load_text(prompt)
            self.notify("your message was not sent: it is back in the prompt", severity="warning",
                        markup=False)

    async def show_conversation(self, conv: ConversationRow | None, *, reveal: int | None = None,
                                found: bool = True) -> None:
        await self._detach_turn_views()
        self.conv = conv
        self.chat_list.mark_current(conv.pk if conv else None)
        self.pane.branches = self.branches_of(conv)
        if conv is None:
            await self.pane.show([], has_older=False, empty_hint=self._empty_hint())
        elif reveal is not None and (around := self._rows_around(conv, reveal)) is not None:
            rows, has_older, has_newer = around
            await self.pane.show(rows, has_older=has_older)
            self.pane.reveal(reveal, newer_hidden=has_newer, found=found)
        else:
            rows = self.store.messages(conv, limit=FIRST_PAGE + 1)
            has_older = len(rows) > FIRST_PAGE
            rows = rows[-FIRST_PAGE:]
            turn = self.turns.get(conv.pk)
            live = {turn.reply_id: turn.text} if turn and turn.reply_id else {}
            await self.pane.show(rows, has_older=has_older, live=live)
            if turn and turn.reply_id:
                for view in self.pane.views:
                    if view.message_id == turn.reply_id:
                        turn.view = view
                        view.start_stream()
            if reveal is not None:
                self.pane.reveal(reveal, found=found)
        self.background_jobs.decorate(self.pane.views)
        self.update_status()

    def _rows_around(self, conv: ConversationRow, message_id: int) -> tuple[list, bool, bool] | None:
        """A page of `conv` with `message_id` in it, if that is not the newest page: (rows, older
        ones exist, newer ones exist); None when the newest page (shown as usual) has it."""
        rows = self.store.messages(conv)
        index = next((i for i, row in enumerate(rows) if row.id == message_id), None)
        if index is None or index >= len(rows) - FIRST_PAGE:
            return None
        start = max(0, index - FIRST_PAGE // 2)
        end = min(len(rows), start + FIRST_PAGE)
        return rows[start:end], start > 0, end < len(rows)

    async def on_job_update(self, message: JobUpdate) -> None:
        await self.background_jobs.on_update(message)

    async def _detach_turn_views(self) -> None:
        for turn in self.turns.values():
            if turn.view is not None and turn.view.stream is not None:
                await turn.view.stream.stop()
                turn.view.stream = None
            turn.view = None

    def _empty_hint(self) -> str:
        lines = [f"New chat · {self.model} · {self.mode} mode", "",
                 "Type a message below and press Enter. Ctrl+P lists every command, F1 every key."]
        if self.ctx.demo:
            lines += ["", "Demo mode: replies come from a built-in fake model; nothing leaves this machine."]
        return "\n".join(lines)

    async def new_chat(self) -> None:
        self.model = self.flag_model or self.config.model
        self.mode = self.flag_mode or self.config.state
        await self.show_conversation(None)
        tools = self.flag_tools if self.flag_tools is not None else self._config_tools()
        self.load_tools(tools, self.flag_tool_choice or self.config.tool_choice)
        self.prompt.focus()

    def _config_tools(self) -> list[dict[str, Any]]:
        from termchat.errors import TermchatError
        from termchat.tools import parse_tool

        tools = []
        for spec in self.config.tools:
            try:
                tools.append(parse_tool(spec, self.config.mcp_servers))
            except TermchatError as exc:
                self.notify(f"config tools: {exc.one_line()}", severity="warning", markup=False)
        return tools

    async def action_new_chat(self) -> None:
        await self.new_chat()

    def on_conversation_list_selected(self, message: ConversationList.Selected) -> None:
        conv = self._row(message.pk)
        if conv is not None:
            self.open_conversation(conv.id, reveal=message.message_id)

    def _row(self, pk: int | None) -> ConversationRow | None:
        if pk is None:
            return None
        if self.conv is not None and self.conv.pk == pk:
            return self.conv
        row = self.chat_list.rows.get(pk)
        try:
            return self.store.reload(row) if row is not None else None
        except Exception:  # deleted meanwhile (by another termchat, say)
            return None

    async def action_jump_latest(self) -> None:
        """Back to the newest message (reloading the newest page when reading far back)."""
        pane = self.pane
        if pane.truncated and self.conv is not None:
            await self.show_conversation(self.conv)
        else:
            pane.action_scroll_end()

    async def on_message_pane_need_latest(self, message: MessagePane.NeedLatest) -> None:
        await self.action_jump_latest()

    async def on_message_pane_need_older(self, message: MessagePane.NeedOlder) -> None:
        pane = self.pane
        if self.conv is None or pane.loading_older:
            return
        pane.loading_older = True
        try:
            rows = self.store.messages(self.conv, limit=PAGE + 1, before_id=pane.first_message_id())
            await pane.prepend(rows[-PAGE:], has_older=len(rows) > PAGE, keep_place=not message.fill)
        finally:
            pane.loading_older = False
