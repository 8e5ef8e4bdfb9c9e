"""What the chat screen shows: chat list | transcript over the prompt | tool panel, a status
line and the footer; which panes show (by width, or as the user chose); the chat on screen (its
model and state mode) and the keys that act on what is shown (focus, settings, copy, export,
rename, delete; copying and export are `chat_copy`'s).
`ChatScreen` builds on it with what runs: opening chats, replies, branches, jobs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import ComposeResult
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import TextArea

from termchat.chats import Deletions, rename_on_server
from termchat.sanitize import safe_title
from termchat.tui.compat.app import app_is_closing, handle_queued_first
from termchat.tui.compat.screen import FramedScreen, keep_styles_on_first_resume
from termchat.tui.cost_watch import EstimateCounted, LiveEstimate, budget_warning, count_in_worker
from termchat.tui.screens import chat_copy
from termchat.tui.widgets.attachment_chips import AttachmentChips
from termchat.tui.widgets.conversation_list import ConversationList
from termchat.tui.widgets.footer import KeyFooter
from termchat.tui.widgets.message_pane import MessagePane, new_chat_hint
from termchat.tui.widgets.prompt import PromptInput
from termchat.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from termchat.app_context import AppContext
    from termchat.store import ConversationRow
    from termchat.tui.turns import Turn
    from termchat.tui.widgets.code_fence import CodeFence
    from termchat.tui.widgets.tool_panel import ToolPanel  # mounted after the first frame

LIST_MIN_WIDTH = 100  # below this the chat list starts hidden
TOOLS_MIN_WIDTH = 130  # below this the tool panel starts hidden
LIST_WIDTH, TOOLS_WIDTH = 32, 30  # as app.tcss and app_later.tcss have them
PROMPT_MAX_HEIGHT = 10  # as app.tcss has it
TRANSCRIPT_MIN_WIDTH = 30  # a resize hides side panes (tools first) rather than leave less


class ChatView(FramedScreen):
    """The panes of the chat screen, composed for `ctx`'s store, showing a new chat with `model`
    and `mode` until told otherwise; the first frame shows a new chat's hint if `new_chat`."""

    # The prompt has the focus from the first frame (Textual's default, the first focusable
    # widget, would focus the chat list's filter and move it to the prompt right after).
    AUTO_FOCUS = "#prompt"

    def __init__(
        self,
        ctx: AppContext,
        deletions: Deletions,
        *,
        keymap: Mapping[str, str],
        model: str,
        mode: str,
        new_chat: bool,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.config = ctx.config
        self.deletions = deletions
        self.keymap = keymap
        self.now = now
        self.model = model
        self.mode = mode
        self.request_settings: dict[str, Any] = {}  # the chat's effort and -o options (request_settings)
        self.conv: ConversationRow | None = None  # the chat on screen (None: a new one)
        self.turns: dict[int, Turn] = {}  # replies streaming, by chat (`ChatScreen` runs them)
        self.pane_choice: dict[str, bool] = {}  # panes the user showed or hid (else: by width)
        self._first_hint = self._empty_hint() if new_chat else ""
        self._tool_panel: ToolPanel | None = None  # set once mounted
        self._tool_panel_mount: asyncio.Future[ToolPanel] | None = None
        self._tools_loaded: tuple[list[dict[str, Any]], Any] | None = None  # for the panel to come
        self._tools_display = False
        self._first_frame_done = False
        self._list_for_a_pick = False  # the list was shown by Ctrl+F on a narrow screen
        self._layout_width = 0  # the width the panes were last laid out for
        self.live_estimate: LiveEstimate | None = None  # set once the prompt is mounted

    @property
    def store(self) -> Any:
        return self.ctx.store

    @property
    def closing(self) -> bool:
        """The app is shutting down: the widgets may already be gone."""
        return app_is_closing(self.app)

    def update_status(self, note: str = "") -> None:
        if self.closing:  # the widgets may already be gone
            return
        conv = self.conv
        self.pane.border_title = Content(safe_title(conv.title or conv.id, 80) if conv else "New chat")
        budget = budget_warning(self.store, self.config.budget)
        for status in self.query(StatusLine):
            status.show_chat(
                self.store,
                self.conv,
                model=self.model,
                mode=self.mode,
                streaming=self.current_turn() is not None,
                note=note,
                effort=self.request_settings.get("effort"),
                warning=budget.short() if budget else "",
            )
        self.refresh_bindings()  # the footer's Stop follows whether this chat streams
        if self.live_estimate is not None:  # another chat, model, mode or effort: counted anew
            self.live_estimate.context((conv.pk if conv else None, self.model, self.mode, dict(self.request_settings)))

    def current_turn(self) -> Turn | None:
        return self.turns.get(self.conv.pk) if self.conv else None

    def _row(self, pk: int) -> ConversationRow | None:
        if self.conv is not None and self.conv.pk == pk:
            return self.conv
        return self.chat_list.row(pk)

    def _current(self) -> ConversationRow | None:
        """The chat on screen; None (said) for a new chat."""
        if self.conv is None:
            self.notify("no chat selected: this is a new chat", severity="warning", markup=False)
        return self.conv

    def _empty_hint(self) -> str:
        return new_chat_hint(self.model, self.mode, demo=self.ctx.demo)

    def compose(self) -> ComposeResult:
        # No containers: the footer, the status line above it, the chat list and the tool panel
        # are `split` off the screen's edges (app.tcss) in this order, the transcript and the
        # prompt stack in what is left: two fewer widgets to style and lay out at start.
        yield KeyFooter(compact=True)
        yield StatusLine(id="status")
        yield ConversationList(
            self.store, self.deletions, keymap=self.keymap, now=self.now, on_pick=self.chat_picked, id="sidebar"
        )
        # A new chat's hint is part of the first frame, not a remount after it.
        yield MessagePane(self.store, now=self.now, id="messages", empty_hint=self._first_hint)
        yield AttachmentChips(id="attachments")  # hidden until a file is attached
        yield PromptInput(id="prompt")
        # the tool panel (#tools, split right) is mounted after the first frame: see ensure_tool_panel

    def on_mount(self) -> None:
        self.live_estimate = LiveEstimate(self.prompt, self.set_timer, partial(count_in_worker, self))
        self._apply_layout(self.app.size.width)
        self.call_after_refresh(self._mount_shown_tool_panel)
        self.prompt.focus()
        self.app.screen_change_signal.subscribe(self, self._focus_prompt_after_dialog)

    def _focus_prompt_after_dialog(self, screen: Screen[Any]) -> None:
        """A dialog closed (a choice made or not): what the user types next goes to the prompt,
        not to the widget that opened it. Set now, so that a choice that moves the focus itself
        (the palette's "Tools") still can."""
        if screen is self and self.app.screen_stack[-1] is self:
            self.set_focus(self.prompt)

    def on_paste(self, event: events.Paste) -> None:
        """A paste that no text box took (the list or a message had the focus) goes to the prompt."""
        from textual.widgets import Input, TextArea

        if not isinstance(self.focused, (Input, TextArea)):
            self.prompt.focus()
            self.prompt.paste(event.text)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def chips(self) -> AttachmentChips:
        return self.query_one(AttachmentChips)

    @property
    def pane(self) -> MessagePane:
        return self.query_one(MessagePane)

    @property
    def chat_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    # -- the tool panel, mounted when first needed -------------------------------------------

    @property
    def tool_panel(self) -> ToolPanel:
        """The tool panel; raises NoMatches before it is mounted (after the first frame)."""
        if self._tool_panel is None:
            raise NoMatches("the tool panel is not mounted yet")
        return self._tool_panel

    async def _mount_shown_tool_panel(self) -> None:
        """After the first frame: mount the tool panel if it is shown. A hidden panel is mounted
        when something needs it (Ctrl+T, a send, the vector store picker, a wider terminal)."""
        self._first_frame_done = True
        if self._tools_display:
            await self.ensure_tool_panel()

    async def ensure_tool_panel(self) -> ToolPanel:
        """Mount the tool panel if it is not yet (its many inputs would slow the first frame)."""
        if self._tool_panel_mount is None:
            self._tool_panel_mount = asyncio.ensure_future(self._mount_tool_panel())
        return await asyncio.shield(self._tool_panel_mount)

    async def _mount_tool_panel(self) -> ToolPanel:
        from termchat.tui.widgets.tool_panel import ToolPanel

        api = self.ctx.api if self.ctx.has_credentials else None
        panel = ToolPanel(self.config.mcp_servers, pricing=self.config.pricing, api=api, id="tools")
        panel.display = self._tools_display
        if self.closing:  # shutting down before the first frame settled: nothing to show
            return panel
        await self.mount(panel)
        if self._tools_loaded is not None and not self.closing:
            panel.load(*self._tools_loaded)
        self._tool_panel = panel
        return panel

    def load_tools(self, tools: list[dict[str, Any]], tool_choice: Any) -> None:
        """Show a chat's tools in the panel (now, or when it is mounted) and by the prompt."""
        self._tools_loaded = (tools, tool_choice)
        if self._tool_panel is not None:
            self._tool_panel.load(tools, tool_choice)
        self.show_tool_chips(tools, tool_choice)

    def show_tool_chips(self, tools: list[dict[str, Any]], tool_choice: Any) -> None:
        """What the next message will use, by the prompt ("web · code 4g")."""
        from termchat.tools import tool_label

        labels = [tool_label(t) for t in tools]
        if isinstance(tool_choice, str) and tool_choice != "auto":
            labels.append(f"tool_choice {tool_choice}")
        prompts = self.query(PromptInput)
        if prompts:  # (none while the app shuts down)
            prompts.first().show_tools(labels)

    # -- which panes show --------------------------------------------------------------------

    def on_resize(self, event: Any) -> None:
        self._apply_layout(event.size.width)
        # A long prompt grows to app.tcss's max-height, but never past half the screen: on a
        # short terminal the transcript keeps some lines and the prompt its bottom border.
        limit = max(3, min(PROMPT_MAX_HEIGHT, event.size.height // 2 - 1))
        current = self.prompt.styles.max_height
        if current is None or current.value != limit:  # setting it, even unchanged, lays out again
            self.prompt.styles.max_height = limit

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        keep_styles_on_first_resume(self, event)
        if self.app.size.width != self._layout_width:  # resized while another screen was on top
            self._apply_layout(self.app.size.width)

    def _apply_layout(self, width: int) -> None:
        """Show the side panes the user chose (else those the width allows), leaving the
        transcript room: a pane that does not fit now is hidden, and comes back when it does."""
        self._layout_width = width
        show_list = self.pane_choice.get("list", width >= LIST_MIN_WIDTH)
        show_tools = self.pane_choice.get("tools", width >= TOOLS_MIN_WIDTH)
        if show_tools and width - TOOLS_WIDTH - (LIST_WIDTH if show_list else 0) < TRANSCRIPT_MIN_WIDTH:
            show_tools = False
        if show_list and width - LIST_WIDTH < TRANSCRIPT_MIN_WIDTH:
            show_list = False
        for pane, shown in ((self.chat_list, show_list), (self._tool_panel, show_tools)):
            if pane is not None and not shown and self.focused and pane in self.focused.ancestors_with_self:
                self.prompt.focus()  # the keys go where the user can see them
        self.chat_list.display = show_list
        self._tools_display = show_tools
        if self._tool_panel is not None:
            self._tool_panel.display = self._tools_display
        elif self._tools_display and self._first_frame_done:
            self.call_later(self.ensure_tool_panel)

    def action_toggle_list(self) -> None:
        self._list_for_a_pick = False  # shown or hidden on purpose: it stays so
        self.pane_choice["list"] = not self.chat_list.display
        self.chat_list.display = self.pane_choice["list"]
        if not self.chat_list.display and self.focused and self.chat_list in self.focused.ancestors_with_self:
            self.set_focus(self.prompt)  # the keys go where the user can see them

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
            # Shown only to pick a chat: on a narrow screen it leaves the transcript no room,
            # so it goes again once one is picked (see `chat_picked`).
            self._list_for_a_pick = self.app.size.width < LIST_MIN_WIDTH
        self.set_focus(self.chat_list.query_one("#filter"))

    def chat_picked(self) -> None:
        """A chat was chosen in the list (called as it is chosen, before it opens): the keyboard
        goes to the prompt; a list shown just for the choice on a narrow screen goes away."""
        if self._list_for_a_pick:
            self._list_for_a_pick = False
            self.pane_choice.pop("list", None)
            self._apply_layout(self.app.size.width)
        self.set_focus(self.prompt)

    async def action_focus_prompt(self) -> None:
        focused = self.focused
        if focused is not None and self.chat_list in focused.ancestors:
            # a letter typed in the list just before goes to the filter first (type-to-filter)
            await handle_queued_first(focused)
        self.set_focus(self.prompt)

    def action_page_transcript(self, direction: int) -> None:
        """PageUp / PageDown from the prompt: the transcript scrolls, the cursor stays."""
        pane = self.pane
        if direction < 0:
            pane.scroll_page_up(animate=False)
        elif pane.scroll_y + pane.scrollable_content_region.height >= pane.max_scroll_y:
            pane.action_scroll_end()  # the last page: follow the reply again
        else:
            pane.scroll_page_down(animate=False)

    # -- rename, delete (what follows a delete: ChatScreen) -------------------------------------

    def action_rename(self) -> None:
        conv = self._current()
        if conv is not None:
            self.chat_list.rename(conv)

    def action_delete(self, remote: bool = False) -> None:
        """Delete the chat on screen (`remote`: and its server conversation), with undo."""
        conv = self._current()
        if conv is not None:
            self.chat_list.delete(conv, remote=remote)

    def on_conversation_list_renamed(self, message: ConversationList.Renamed) -> None:
        row = message.conv
        if self.conv is not None and self.conv.pk == row.pk:
            self.conv = row
            self.update_status()  # the transcript's title
        if row.remote_id:
            self._rename_on_server(row.remote_id, row.title)

    @work(thread=True, group="rename-remote", exit_on_error=False)
    def _rename_on_server(self, remote_id: str, title: str) -> None:
        rename_on_server(self.ctx.api, remote_id, title)

    # -- the chat's settings ----------------------------------------------------------------

    def action_chat_info(self) -> None:
        """The chat's ids (to resume it anywhere), tokens, cost and tools, in a dialog."""
        from termchat.tui.screens.chat_info import show_chat_info

        conv = self._current()
        if conv is not None:
            show_chat_info(self, conv)

    def action_switch_model(self) -> None:
        from termchat.tui.model_choice import pick_model

        pick_model(self)

    def set_model(self, name: str) -> None:
        self.model = name
        if self.conv is not None:
            self.conv = self.store.update_conversation(self.conv, model=name)
        self.update_status()
        self.notify(f"model: {name}", markup=False)

    def action_switch_effort(self) -> None:
        from termchat.tui.model_choice import pick_effort

        pick_effort(self)

    def set_request_setting(self, key: str, value: Any) -> None:
        """Set the chat's effort or an -o option (None: the model's default), kept with the chat."""
        self.request_settings[key] = value
        if self.conv is not None:
            self.conv = self.store.update_conversation(self.conv, settings={**self.conv.settings, key: value})
        self.update_status()
        self.notify(f"{key}: {value if value is not None else 'default'}", markup=False)

    def action_switch_mode(self) -> None:
        from termchat.tui.screens.dialogs import mode_picker

        self.app.push_screen(mode_picker(self.mode), lambda mode: self.set_mode(mode) if mode else None)

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        if self.conv is not None:
            self.conv = self.store.update_conversation(self.conv, mode=mode)
        self.update_status()
        self.notify(f"state mode: {mode}", markup=False)

    def on_tool_panel_changed(self, message: ToolPanel.Changed) -> None:
        self.show_tool_chips(message.tools, message.tool_choice)
        self._reestimate()  # the tools are part of what the prompt costs
        if self.conv is None:
            return  # a new chat saves its tools with the first message
        settings = dict(self.conv.settings)
        settings.update(tools=message.tools, tool_choice=message.tool_choice)
        self.conv = self.store.update_conversation(self.conv, settings=settings)

    async def action_pick_vector_stores(self) -> None:
        (await self.ensure_tool_panel()).pick_vector_stores()

    # -- the transcript ---------------------------------------------------------------------

    def action_copy_reply(self) -> None:
        chat_copy.copy_selected(self)

    def on_code_fence_copy(self, message: CodeFence.Copy) -> None:
        chat_copy.copy_code(self, message)

    def action_select_message(self, step: int) -> None:
        """Move the selection through the transcript (from the prompt: the newest message)."""
        self.pane.select_message(step, self.focused)

    def action_export(self) -> None:
        chat_copy.export_chat(self)

    def action_help(self) -> None:
        from termchat.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.keymap))

    # -- cost: the live estimate by the prompt, the usage screen (tui/cost_watch.py) ----------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area is self.prompt:
            self._reestimate()

    def _reestimate(self) -> None:
        if self.live_estimate is not None:
            self.live_estimate.changed(self.prompt.text, enabled=self.ctx.has_credentials)

    def on_estimate_counted(self, message: EstimateCounted) -> None:
        if self.live_estimate is not None and not self.closing:
            self.live_estimate.counted(message)

    def action_usage(self) -> None:
        from termchat.tui.screens.usage import UsageScreen

        self.app.push_screen(UsageScreen(self.store, self.config.budget))
