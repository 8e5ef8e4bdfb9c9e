"""Branches of a chat in the app: edit a prompt, regenerate a reply, step through alternatives.

Editing turn T's prompt or regenerating turn T's reply forks the chat at turn T-1 (termchat.fork,
in a worker: in conversation mode that is a request) and sends the prompt in the fork, which
the app then shows. The chats that share turns 1..T-1 are turn T's alternatives: its messages
show "‹ 2/3 ›", and ←/→ on a selected one open the neighbouring alternative at the same place.
Mixed into `TermchatApp`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from termchat.store import ConversationRow

if TYPE_CHECKING:
    from termchat.tui.widgets.message_view import MessageView


class Branched(Message):
    """A worker forked a chat for a branch: show `fork` and send `prompt` in it."""

    def __init__(self, fork: ConversationRow, prompt: str) -> None:
        super().__init__()
        self.fork = fork
        self.prompt = prompt


class BranchActions:
    """Needs the attributes of `TermchatApp` (store, conv, pane, prompt, ...)."""

    editing: tuple[int, int] | None = None  # (chat pk, turn) whose prompt the prompt box edits
    branches: dict[int, list[ConversationRow]] = {}  # turn -> alternatives, for the chat shown

    def _selected_message(self, role: str) -> MessageView | None:
        from termchat.tui.widgets.message_view import MessageView

        view = self.focused
        if not isinstance(view, MessageView) or view.message_id is None or self.conv is None:
            return None
        return view if view.role == role else None

    def _turn_of(self, message_id: int) -> tuple[int, list[Any]]:
        from termchat.fork import turn_of

        messages = self.store.messages(self.conv)
        return turn_of(messages, message_id), messages

    def action_edit_message(self) -> None:
        view = self._selected_message("user")
        if view is None:
            self.notify("select one of your prompts to edit it (Alt+Up)", markup=False)
            return
        turn, _ = self._turn_of(view.message_id)
        self.editing = (self.conv.pk, turn)
        self.prompt.text = view.text
        self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()
        self.notify(f"editing turn {turn}: Enter sends it as a new branch (this chat stays as it is)",
                    markup=False)

    def action_regenerate(self) -> None:
        view = self._selected_message("assistant")
        if view is None:
            self.notify("select a reply to regenerate it (Alt+Up)", markup=False)
            return
        turn, messages = self._turn_of(view.message_id)
        prompts = [m for m in messages if m.role == "user"]
        if turn == 0 or not prompts[turn - 1].content.strip():
            self.notify("this reply answers no prompt of yours: nothing to ask again", markup=False)
            return
        self._branch(self.conv, turn, prompts[turn - 1].content)

    async def send_prompt(self, prompt: str) -> None:
        """Send as usual, or, editing a turn's prompt, as the first turn of a new branch."""
        editing, self.editing = self.editing, None
        if editing is not None and self.conv is not None and editing[0] == self.conv.pk and prompt.strip():
            self._branch(self.conv, editing[1], prompt)
            return
        await super().send_prompt(prompt)  # type: ignore[misc]

    def _branch(self, conv: ConversationRow, turn: int, prompt: str) -> None:
        if not self._can_send(conv.pk):
            return
        self.prompt.clear()
        self.notify(f"branching at turn {turn}…", markup=False, timeout=3)
        self._branch_worker(conv, turn, prompt)

    @work(thread=True, group="branch", exit_on_error=False)
    def _branch_worker(self, conv: ConversationRow, turn: int, prompt: str) -> None:
        from termchat.errors import TermchatError
        from termchat.fork import fork_chat

        engine = self.thread_engine()
        try:
            fork = fork_chat(engine, conv, turn - 1, from_start=True)
        except TermchatError as exc:
            self.call_from_thread(self._branch_failed, prompt, exc.one_line())
            return
        finally:
            engine.store.close()
        self.post_message(Branched(fork, prompt))

    def _branch_failed(self, prompt: str, why: str) -> None:
        if not self.prompt.text.strip():
            self.prompt.text = prompt  # nothing the user typed is lost
        self.notify(f"no new branch: {why}", severity="error", markup=False, timeout=8)

    async def on_branched(self, message: Branched) -> None:
        if self.quitting:
            return
        fork = self.store.reload(message.fork)
        self.model, self.mode = fork.model, fork.mode
        await self.show_conversation(fork)
        self.load_tools(fork.settings.get("tools") or [], fork.settings.get("tool_choice") or "auto")
        await self.send_prompt(message.prompt)
        # The new turn is where this branch differs: its prompt and reply say so at once.
        from termchat.fork import alternatives

        self.branches = alternatives(self.store, fork)
        family = self.branches.get((fork.fork_turn or 0) + 1) or []
        place = next((i for i, chat in enumerate(family) if chat.pk == fork.pk), None)
        if place is not None:
            for view in self.pane.views[-2:]:
                view.branch = (place + 1, len(family))
                view.refresh_header()

    def branches_of(self, conv: ConversationRow | None) -> dict[int, tuple[int, int]]:
        """Remember `conv`'s alternatives; message id -> (its place, how many) for the turns
        that have some (what its messages show)."""
        from termchat.fork import alternatives

        self.branches = alternatives(self.store, conv) if conv is not None else {}
        if not self.branches:
            return {}
        marks: dict[int, tuple[int, int]] = {}
        turn = 0
        for message in self.store.messages(conv):
            turn += message.role == "user"
            family = self.branches.get(turn)
            if family and message.role in ("user", "assistant"):
                place = next(i for i, chat in enumerate(family) if chat.pk == conv.pk)
                marks[message.id] = (place + 1, len(family))
        return marks

    def action_branch(self, step: int) -> None:
        """Open the previous (-1) or next (1) alternative of the selected message's turn."""
        from termchat.fork import message_at

        view = self._selected_message("user") or self._selected_message("assistant")
        if view is None:
            return
        turn, _ = self._turn_of(view.message_id)
        family = self.branches.get(turn)
        if not family:
            return
        place = next(i for i, chat in enumerate(family) if chat.pk == self.conv.pk)
        if not 0 <= place + step < len(family):
            return
        target = self.store.reload(family[place + step])
        reveal = message_at(self.store.messages(target), turn, view.role)
        self.open_conversation(target.id, reveal=reveal, found=False)
