"""The chat screen: the keys of the command table (`bindings.COMMANDS`) and what runs in a
chat: opening one, sending and the replies streaming (`turns`), MCP approvals, branches,
compaction and background jobs. What it shows, and the chat on screen, are `ChatView`'s.

Workers run every engine call (network and store writes of a turn) in threads, each with its
own store connection, and post messages back; only the UI thread touches widgets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from textual import work
from textual.worker import Worker, get_current_worker

from termchat import perf
from termchat.chats import Deletions, config_tools
from termchat.request_settings import OPTION_KEYS, resolve_model
from termchat.sanitize import strip_control
from termchat.store import ConversationRow
from termchat.tui.attach_actions import AttachActions, sending_line
from termchat.tui.bindings import chat_screen_bindings
from termchat.tui.cost_watch import ask_when_spent
from termchat.tui.job_watch import BackgroundJobs, JobUpdate
from termchat.tui.messages import ChatChanged, ChatOpened, ChatOpenFailed, ChatSynced
from termchat.tui.palette import ChatCommands
from termchat.tui.screens.chat_view import ChatView
from termchat.tui.widgets.conversation_list import ConversationList
from termchat.tui.widgets.message_pane import MessagePane
from termchat.tui.widgets.prompt import PromptInput

if TYPE_CHECKING:
    from termchat.app_context import AppContext
    from termchat.tui.branches import Branch, Branched, BranchFailed, EditPrompt, OpenAlternative
    from termchat.tui.turns import Turn, TurnUpdate  # imported with the first send


class ChatStart(NamedTuple):  # a NamedTuple: much cheaper to define than a dataclass, at start-up
    """What the command line asked the app to start with."""

    open_id: str | None = None  # the chat to open first (--conversation, -c); None: a new one
    model: str | None = None  # --model
    mode: str | None = None  # --state
    tools: list[dict[str, Any]] | None = None  # --tool (parsed)
    tool_choice: str | None = None  # --tool-choice
    settings: dict[str, Any] | None = None  # --effort, -o (parsed; None values forget one)


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
        self._held_prompt: str | None = None  # sent while that open was on its way

    def on_unmount(self) -> None:
        self.background_jobs.stop()  # never waited for: the jobs go on on the server

    def on_mount(self) -> None:  # (ChatView.on_mount lays out the panes: Textual calls both)
        self.prompt.history_source = self._prompt_history
        if self.start.open_id:
            self.open_conversation(self.start.open_id, first=True)
        else:
            self.call_later(self.action_new_chat)
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
        self._opening = self._open_worker(ident, first=first, reveal=reveal, found=found)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def _open_worker(self, ident: str, *, first: bool, reveal: int | None, found: bool) -> None:
        from termchat.tui.turns import run_open

        run_open(
            self.post_message,
            get_current_worker(),
            self.ctx.thread_engine(),
            ident,
            sync=self.ctx.has_credentials,
            first=first,
            reveal=reveal,
            found=found,
        )

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

    async def on_chat_open_failed(self, message: ChatOpenFailed) -> None:
        self.notify(message.error, severity="error", markup=False)
        if message.worker is not self._opening or self.closing:
            return  # another open has since started: it decides what is on screen
        self._opening = None
        if message.first:
            await self.action_new_chat()
        prompt, self._held_prompt = self._held_prompt, None
        if prompt is not None:  # not sent anywhere: back where it was typed
            self.prompt.load_text(prompt)
            self.notify("your message was not sent: it is back in the prompt", severity="warning", markup=False)

    async def on_chat_opened(self, message: ChatOpened) -> None:
        if message.worker.is_cancelled or self.closing:
            if message.painted is not None:
                message.painted.set()  # (the worker sees it was cancelled and stops)
            return  # the user has since opened another chat, or quit
        for notice in message.notices:
            self.notify(notice, markup=False, timeout=6)
        conv = self.store.reload(message.conv)
        start = self.start if message.first else ChatStart()  # flags apply to the first chat only
        self.model = start.model or conv.model
        self.mode = start.mode or conv.mode
        if start.settings:  # given with -c / --conversation: kept by the chat, as -p does
            conv = self.store.update_conversation(conv, settings={**conv.settings, **start.settings})
        self.request_settings = {key: conv.settings[key] for key in OPTION_KEYS if conv.settings.get(key) is not None}
        tools = conv.settings.get("tools") or []
        choice = conv.settings.get("tool_choice") or "auto"
        if start.tools is not None:
            tools, choice = start.tools, start.tool_choice or choice
        await self.show_conversation(conv, reveal=message.reveal, found=message.found)
        if message.painted is not None:  # the server copy is read once this is on screen
            self.call_after_refresh(message.painted.set)
        if not self.closing:
            self.load_tools(tools, choice)
            if message.painted is None:
                await self._opened(message.worker)

    async def on_chat_synced(self, message: ChatSynced) -> None:
        """What only the server had is in the store: show it (the chat's newest page again)."""
        if message.worker.is_cancelled or self.closing:
            return
        for notice in message.notices:
            self.notify(notice, markup=False, timeout=6)
        if message.added and self.conv is not None and self.conv.pk == message.conv.pk:
            await self.show_conversation(self.store.reload(message.conv))
        if not self.closing:
            await self._opened(message.worker)

    async def _opened(self, worker: Worker[None]) -> None:
        """The open is done: a message typed meanwhile goes to the chat now."""
        if worker is self._opening:
            self._opening = None
            prompt, self._held_prompt = self._held_prompt, None
            if prompt is not None:
                await self.send_prompt(prompt)

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
        self.chat_picked()  # what the user types next is for the chat just chosen
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
            self._branch(self.conv, editing[1], message.text)
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

        tools, choice = (await self.ensure_tool_panel()).current()
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
            or self.hold_while_opening(prompt)
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
                await self._show_auto_compaction()
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

    async def _show_auto_compaction(self) -> None:
        """The engine may compact after a turn (config threshold): show the marker it added."""
        last = self.store.messages(self.conv, limit=1)
        if last and last[0].role == "compaction" and not self.pane.shows_newest(last[0].id):
            await self.show_conversation(self.conv)

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
        self.prompt.edit_past_prompt(message.text, (message.pk, message.turn))
        self.notify(
            f"editing turn {message.turn}: Enter sends it as a new branch (this chat stays as it is)", markup=False
        )

    def on_branch(self, message: Branch) -> None:
        self._branch(message.conv, message.turn, message.prompt)

    def on_open_alternative(self, message: OpenAlternative) -> None:
        self.open_conversation(message.conv_id, reveal=message.reveal, found=False)

    def _branch(self, conv: ConversationRow, turn: int, prompt: str) -> None:
        if not self._can_send(conv.pk):
            return
        self.prompt.clear()
        self.notify(f"branching at turn {turn}…", markup=False, timeout=3)
        self._branch_worker(conv, turn, prompt)

    @work(thread=True, group="branch", exit_on_error=False)
    def _branch_worker(self, conv: ConversationRow, turn: int, prompt: str) -> None:
        from termchat.tui.branches import run_fork

        run_fork(self.post_message, self.ctx.thread_engine(), conv, turn, prompt)

    def on_branch_failed(self, message: BranchFailed) -> None:
        if not self.prompt.text.strip():
            self.prompt.text = message.prompt  # nothing the user typed is lost
        self.notify(f"no new branch: {message.error}", severity="error", markup=False, timeout=8)

    async def on_branched(self, message: Branched) -> None:
        if self.closing:
            return
        fork = self.store.reload(message.fork)
        self.model, self.mode = fork.model, fork.mode
        await self.show_conversation(fork)
        self.load_tools(fork.settings.get("tools") or [], fork.settings.get("tool_choice") or "auto")
        await self.send_prompt(message.prompt)
        self.pane.mark_new_branch(fork)  # the new turn is where this branch differs: say so at once

    # -- compaction, background jobs --------------------------------------------------------

    def action_compact(self) -> None:
        conv = self._current()
        if conv is None or not self._can_send():
            return
        self.notify("compacting…", markup=False)
        self._compact_worker(conv)

    @work(thread=True, group="compact", exit_on_error=False)
    def _compact_worker(self, conv: ConversationRow) -> None:
        from termchat.tui.turns import run_compaction

        run_compaction(self.post_message, self.ctx.thread_engine(), conv)

    async def on_chat_changed(self, message: ChatChanged) -> None:
        self.notify(strip_control(message.note), severity=message.severity, markup=False, timeout=8)
        self.chat_list.reload()
        if self.conv is not None and self.conv.pk == message.pk and self.current_turn() is None:
            await self.show_conversation(self.store.reload(self.conv))

    async def action_send_background(self, forced: bool = False) -> None:
        """Ctrl+G: the prompt goes as a background job; its chat and reply show at once (at a
        spent budget, once the user says so, as for any send)."""
        from termchat.tui.widgets.message_view import MessageView

        prompt = self.prompt.text
        if not prompt.strip():
            self.notify("type a prompt first: Ctrl+G sends it as a background job", markup=False)
            return
        if not self._can_send() or not (
            forced or ask_when_spent(self, prompt, lambda: self.action_send_background(forced=True))
        ):
            return
        files = self.files_to_send(prompt)
        if files is None:
            return
        self.prompt.clear()
        await self.chips.take_all()
        conv, settings, saved_id = await self._ensure_conversation(prompt)
        await self.pane.append(
            MessageView("user", prompt, meta="just now", attachments=[sending_line(f) for f in files])
        )
        reply = await self.pane.append(MessageView("assistant", meta=self.model))
        self.pane.anchor()
        self.chat_list.mark_current(conv.pk)
        self.background_jobs.send(
            conv,
            reply,
            prompt,
            model=self.model,
            mode=self.mode,
            settings=settings,
            saved_id=saved_id,
            attachments=files,
        )

    async def on_job_update(self, message: JobUpdate) -> None:
        await self.background_jobs.on_update(message)

    def action_jobs(self) -> None:
        from termchat.tui.screens.jobs import JobsScreen

        api = self.ctx.api if self.ctx.has_credentials else None
        self.app.push_screen(
            JobsScreen(self.store, self.ctx.thread_engine, api=api, now=self.now),
            lambda ident: self.open_conversation(ident) if ident else None,
        )

    def stop_replies(self) -> None:
        """Stop every streaming reply and stop following jobs (quitting); each reply keeps what
        arrived, and the jobs go on on the server."""
        self.background_jobs.stop()
        for turn in list(self.turns.values()):
            turn.stop()
