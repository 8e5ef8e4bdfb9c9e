"""The chat screen: the keys of the command table (`bindings.COMMANDS`) and what runs in a
chat: opening one, sending and the replies streaming (`turns`), MCP approvals, branches,
compaction and background jobs. What it shows, and the chat on screen, are `ChatView`'s. The
opening (`chat_opening`), branches (`chat_branches`), compaction and jobs (`chat_jobs`) are
functions taking the screen: it keeps the actions and message handlers and delegates to them.

Workers run every engine call (network and store writes of a turn) in threads, each with its
own store connection, and post messages back; only the UI thread touches widgets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from textual import work
from textual.worker import Worker

from termchat import perf
from termchat.chats import Deletions, config_tools
from termchat.request_settings import resolve_model
from termchat.sanitize import strip_control
from termchat.store import ConversationRow
from termchat.tui.attach_actions import AttachActions, sending_line
from termchat.tui.bindings import chat_screen_bindings
from termchat.tui.cost_watch import ask_when_spent
from termchat.tui.job_watch import BackgroundJobs, JobUpdate
from termchat.tui.messages import ChatChanged, ChatOpened, ChatOpenFailed, ChatSynced
from termchat.tui.palette import ChatCommands
from termchat.tui.screens import chat_branches, chat_jobs, chat_opening
from termchat.tui.screens.chat_opening import ChatStart
from termchat.tui.screens.chat_view import ChatView
from termchat.tui.widgets.conversation_list import ConversationList
from termchat.tui.widgets.message_pane import MessagePane
from termchat.tui.widgets.prompt import PromptInput

if TYPE_CHECKING:
    import threading

    from termchat.app_context import AppContext
    from termchat.tui.branches import Branch, Branched, BranchFailed, EditPrompt, OpenAlternative
    from termchat.tui.turns import Turn, TurnUpdate  # imported with the first send


class ChatScreen(AttachActions, ChatView):
    BINDINGS = chat_screen_bindings()
    COMMANDS = {ChatCommands}

    def __init__(
        self,
        ctx: AppContext,
        start: ChatStart,
        deletions: Deletions,
        *,
        keymap: Mapping[str, str],
        theme_names: Sequence[str],
        now: Callable[[], float] = time.time,
    ) -> None:
        model = start.model or resolve_model(ctx.config.model, ctx.config.aliases)
        super().__init__(
            ctx,
            deletions,
            keymap=keymap,
            now=now,
            model=model,
            mode=start.mode or ctx.config.state,
            new_chat=not start.open_id,
        )
        self.start = start
        self.theme_names = list(theme_names)
        self.background_jobs = BackgroundJobs(self)  # pending background jobs, followed
        self._opening: Worker[None] | None = None  # the open still on its way, if any
        self._open_painted: threading.Event | None = None  # set once it is on screen (chat_opening)
        self._held_prompt: str | None = None  # sent while that open was on its way

    def on_unmount(self) -> None:
        chat_opening.release_open(self)  # its worker waits for a paint that will not come
        self.background_jobs.stop()  # never waited for: the jobs go on on the server

    async def on_mount(self) -> None:  # (ChatView.on_mount lays out the panes: Textual calls both)
        self.prompt.history_source = self._prompt_history
        if self.start.open_id:
            self.call_next(chat_opening.open_at_start, self, self.start.open_id)  # (in the first frame if stored here)
        else:
            await self.action_new_chat()  # in the first frame (its status line), not one after it
        self.call_after_refresh(self.background_jobs.start)  # the jobs a quit left running

    def _prompt_history(self) -> list[str]:
        """Earlier messages for the prompt's Up, newest first: this chat's, then every chat's."""
        own = self.store.recent_prompts(conv=self.conv) if self.conv is not None else []
        return own + self.store.recent_prompts()

    def update_status(self, note: str = "") -> None:
        super().update_status(note or self.background_jobs.status_note(self.conv.pk if self.conv else None))

    # -- opening chats ----------------------------------------------------------------------

    def open_conversation(
        self, ident: str, *, first: bool = False, reveal: int | None = None, found: bool = True
    ) -> None:
        """Resume a chat exactly like `--conversation ID` (imports conv_ ids from the server);
        `reveal`: a message to scroll to and select, marked as `found` (a search hit) or not.
        A newer open cancels this one: its result is then dropped (see `on_chat_opened`)."""
        self._opening = chat_opening.start_open(self, ident, first=first, reveal=reveal, found=found)

    async def on_chat_open_failed(self, message: ChatOpenFailed) -> None:
        await chat_opening.open_failed(self, message)

    async def on_chat_opened(self, message: ChatOpened) -> None:
        await chat_opening.show_opened(self, message)

    async def on_chat_synced(self, message: ChatSynced) -> None:
        await chat_opening.show_synced(self, message)

    async def show_conversation(
        self, conv: ConversationRow | None, *, reveal: int | None = None, found: bool = True
    ) -> None:
        await self._detach_turn_views()
        self.conv = conv
        self.prompt.forget_history()  # Up recalls this chat's messages first
        self.chat_list.mark_current(conv.pk if conv else None)
        await self.pane.show_chat(
            conv,
            live=self.turns.get(conv.pk) if conv else None,
            empty_hint=self._empty_hint(),
            reveal=reveal,
            found=found,
        )
        self.background_jobs.decorate(self.pane.views)
        self.update_status()

    async def _detach_turn_views(self) -> None:
        for turn in self.turns.values():
            if turn.view is not None and turn.view.stream is not None:
                await turn.view.stream.stop()
                turn.view.stream = None
            turn.view = None

    async def action_new_chat(self) -> None:
        self.model = self.start.model or resolve_model(self.config.model, self.config.aliases)
        self.request_settings = {k: v for k, v in (self.start.settings or {}).items() if v is not None}
        self.mode = self.start.mode or self.config.state
        await self.show_conversation(None)
        tools = self.start.tools
        if tools is None:
            tools, problems = config_tools(self.config)
            for problem in problems:
                self.notify(problem, severity="warning", markup=False)
        self.load_tools(tools, self.start.tool_choice or self.config.tool_choice)
        self.prompt.focus()

    def on_conversation_list_selected(self, message: ConversationList.Selected) -> None:
        conv = self._row(message.pk)
        if conv is not None:
            self.open_conversation(conv.id, reveal=message.message_id)

    async def action_jump_latest(self) -> None:
        """Back to the newest message (reloading the newest page when reading far back)."""
        pane = self.pane
        if pane.truncated and self.conv is not None:
            await self.show_conversation(self.conv)
        else:
            pane.action_scroll_end()

    async def on_message_pane_need_latest(self, message: MessagePane.NeedLatest) -> None:
        await self.action_jump_latest()

    # -- deleting (renaming: ChatView) --------------------------------------------------------

    def action_undo_delete(self) -> None:
        conv = self.chat_list.undo_delete()
        if conv is not None:
            self.open_conversation(conv.id)

    async def on_conversation_list_deleted(self, message: ConversationList.Deleted) -> None:
        turn = self.turns.get(message.conv.pk)
        if turn is not None:
            turn.stop()
        if self.conv is not None and self.conv.pk == message.conv.pk:
            await self.action_new_chat()

    # -- sending and replies ----------------------------------------------------------------

    async def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        editing = message.editing  # a past prompt edited: sent as a new branch
        if editing is not None and self.conv is not None and editing[0] == self.conv.pk:
            chat_branches.start_branch(self, self.conv, editing[1], message.text)
        else:
            await self.send_prompt(message.text)

    def _can_send(self, pk: int | None = None) -> bool:
        if not self.ctx.has_credentials:
            self.notify(
                "no API configured: set OPENAI_API_KEY, use --base-url, or run `termchat --demo`",
                severity="error",
                markup=False,
                timeout=8,
            )
            return False
        busy = self.turns.get(pk) if pk is not None else self.current_turn()
        if busy is not None:
            self.notify("a reply is still streaming in this chat: Escape stops it", severity="warning", markup=False)
            return False
        return True

    async def _ensure_conversation(self, prompt: str) -> tuple[ConversationRow, dict[str, Any], int | None]:
        """The chat on screen, with the tool panel's settings; a new chat is created together
        with its first prompt (whose message id is returned), so it never exists empty."""
        from termchat.engine import make_title

        if self._tool_panel is not None:
            tools, choice = self._tool_panel.current()
        else:  # not mounted (hidden, and not needed yet): what its toggles would make of the chat's
            from termchat.tools import as_toggled

            tools, choice = as_toggled(*(self._tools_loaded or ([], "auto")), self.config.mcp_servers)
        settings = {"tools": tools, "tool_choice": choice, **self.request_settings}
        saved_id = None
        if self.conv is None:
            self.conv, saved_id = self.store.create_conversation_with_prompt(
                prompt, mode=self.mode, model=self.model, title=make_title(prompt), settings=settings
            )
            self.pane.conv = self.conv  # the new chat is the one the pane shows
        elif self.pane.truncated:
            await self.show_conversation(self.conv)
        return self.conv, settings, saved_id

    async def send_prompt(self, prompt: str, *, forced: bool = False) -> None:
        """Send `prompt` in the chat on screen; at a spent budget, only once the user says so
        (`forced`: said)."""
        if (
            not prompt.strip()
            or not self._can_send()
            or chat_opening.hold_while_opening(self, prompt)
            or not (forced or ask_when_spent(self, prompt, lambda: self.send_prompt(prompt, forced=True)))
        ):
            return
        files = self.files_to_send(prompt)
        if files is None:
            return
        from termchat.tui.turns import Turn
        from termchat.tui.widgets.message_view import MessageView

        self.prompt.clear()
        await self.chips.take_all()
        self.prompt.forget_history()  # the message just sent is the newest to recall
        conv, settings, saved_id = await self._ensure_conversation(prompt)
        prompt_view = await self.pane.append(
            MessageView(
                "user", prompt, meta="just now", created_at=self.now(), attachments=[sending_line(f) for f in files]
            )
        )
        await self._start_turn(
            Turn(conv.pk, prompt, prompt_view=prompt_view, saved_id=saved_id, attachments=files),
            conv,
            model=self.model,
            mode=self.mode,
            settings=settings,
        )

    async def _start_turn(
        self,
        turn: Turn,
        conv: ConversationRow,
        *,
        model: str,
        mode: str,
        settings: dict[str, Any],
        items: list[dict[str, Any]] | None = None,
    ) -> None:
        """Show a streaming reply (when `conv` is on screen) and run `turn` in a thread worker."""
        self.turns[conv.pk] = turn
        if self.conv is not None and self.conv.pk == conv.pk:
            await self.pane.add_reply(turn, model=model, items=items)
        self.chat_list.reload()
        if self.conv is not None and self.conv.pk == conv.pk:
            self.chat_list.mark_current(conv.pk)
        self.update_status()
        self._turn_worker(turn, self.ctx.thread_engine(), conv, model=model, mode=mode, settings=settings)

    # Not exclusive: replies in several chats may stream at once (one per chat: `_can_send`).
    @work(thread=True, group="turn", exit_on_error=False)
    def _turn_worker(
        self, turn: Turn, engine: Any, conv: ConversationRow, *, model: str, mode: str, settings: dict[str, Any]
    ) -> None:
        from termchat.tui.turns import run_turn

        run_turn(self.post_message, turn, engine, conv, model=model, mode=mode, settings=settings)

    async def on_turn_update(self, message: TurnUpdate) -> None:
        from termchat.tui.turns import TurnDone

        perf.reply_started()
        turn = message.turn
        if self.closing:
            turn.view = None  # its widgets are going: the turn and the store keep the text
        if not isinstance(message.event, TurnDone):
            note = await turn.show(message.event)
            if note is not None:
                text = note.text
                if note.failed and self._prompt_back(turn):
                    text += "\nyour message is back in the prompt"
                self.notify(text, severity=note.severity, title=note.title, markup=False, timeout=note.timeout)
            return
        if self.turns.get(turn.pk) is turn:
            del self.turns[turn.pk]
        if self.closing:
            return  # the widgets are going away; the store already has the reply
        if self.conv is not None and self.conv.pk == turn.pk:
            try:
                self.conv = self.store.reload(self.conv)
            except Exception:
                self.conv = None
            else:
                self.mode = self.conv.mode  # the engine may have changed it (no Conversations API)
                await chat_jobs.show_auto_compaction(self)
        self.chat_list.reload()
        self.update_status()
        if turn.approvals and not turn.stop_requested:
            self.ask_approvals(turn.pk, turn.approvals)

    def _prompt_back(self, turn: Turn) -> bool:
        """A send that failed with nothing back: its text returns to the prompt for a retry
        (when that chat is on screen and the prompt is still empty)."""
        if not turn.prompt or self.closing or self.conv is None or self.conv.pk != turn.pk or self.prompt.text:
            return False
        self.prompt.text = turn.prompt
        self.prompt.move_cursor(self.prompt.document.end)
        self.give_back_files(turn.attachments)
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            # Only while this chat streams; else the key passes on (Ctrl+C copies in the prompt).
            return self.current_turn() is not None
        return True

    def action_stop(self) -> None:
        turn = self.current_turn()
        if turn is not None:
            turn.stop()
            self.update_status("stopping…")

    # -- MCP approvals ----------------------------------------------------------------------

    def ask_approvals(self, pk: int, requests: list[Any]) -> None:
        """One dialog per request, then one turn that sends all the answers."""
        from termchat.tui.screens.approval import ask_approvals

        conv = self._row(pk)
        if conv is not None:
            ask_approvals(
                self.app, requests, chat=conv.title, done=lambda decisions: self.answer_approvals(pk, decisions)
            )

    async def answer_approvals(self, pk: int, decisions: dict[str, bool]) -> None:
        conv = self._row(pk)
        if conv is None or not decisions or not self._can_send(conv.pk):
            return
        approved = sum(decisions.values())
        self.notify(f"MCP: {approved} approved, {len(decisions) - approved} denied", markup=False)
        from termchat.tui.turns import Turn

        items = [
            {"type": "mcp_approval_response", "approval_request_id": rid, "approve": ok}
            for rid, ok in decisions.items()
        ]
        await self._start_turn(
            Turn(conv.pk, "", decisions=decisions), conv, model=conv.model, mode=conv.mode, settings={}, items=items
        )

    # -- branches (tui/branches.py: the keys are the selected message's, worked out by the pane) --

    def on_edit_prompt(self, message: EditPrompt) -> None:
        chat_branches.edit_past_prompt(self, message)

    def on_branch(self, message: Branch) -> None:
        chat_branches.start_branch(self, message.conv, message.turn, message.prompt)

    def on_open_alternative(self, message: OpenAlternative) -> None:
        self.open_conversation(message.conv_id, reveal=message.reveal, found=False)

    def on_branch_failed(self, message: BranchFailed) -> None:
        chat_branches.branch_failed(self, message)

    async def on_branched(self, message: Branched) -> None:
        await chat_branches.show_branch(self, message)

    # -- compaction, background jobs --------------------------------------------------------

    def action_compact(self) -> None:
        chat_jobs.compact(self)

    async def on_chat_changed(self, message: ChatChanged) -> None:
        self.notify(strip_control(message.note), severity=message.severity, markup=False, timeout=8)
        self.chat_list.reload()
        if self.conv is not None and self.conv.pk == message.pk and self.current_turn() is None:
            await self.show_conversation(self.store.reload(self.conv))

    async def action_send_background(self, forced: bool = False) -> None:
        await chat_jobs.send_background(self, forced)

    async def on_job_update(self, message: JobUpdate) -> None:
        await self.background_jobs.on_update(message)

    def action_jobs(self) -> None:
        chat_jobs.show_jobs(self)

    def stop_replies(self) -> None:
        """Stop every streaming reply and stop following jobs (quitting); each reply keeps what
        arrived, and the jobs go on on the server."""
        self.background_jobs.stop()
        for turn in list(self.turns.values()):
            turn.stop()
