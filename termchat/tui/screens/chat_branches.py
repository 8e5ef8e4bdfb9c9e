"""Branches from the chat screen (tui/branches.py: the keys are the selected message's, worked
out by the pane): a past prompt edited, a reply regenerated, the fork made in a thread worker
and then shown with its first turn streaming. The screen keeps the message handlers and
delegates here; `screen` is the `ChatScreen`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from termchat.store import ConversationRow
    from termchat.tui.branches import Branched, BranchFailed, EditPrompt


def edit_past_prompt(screen: Any, message: EditPrompt) -> None:
    screen.prompt.edit_past_prompt(message.text, (message.pk, message.turn))
    screen.notify(
        f"editing turn {message.turn}: Enter sends it as a new branch (this chat stays as it is)", markup=False
    )


def start_branch(screen: Any, conv: ConversationRow, turn: int, prompt: str) -> None:
    """Fork `conv` at `turn` in a thread worker; `prompt` is sent in the fork once it is made."""
    if not screen._can_send(conv.pk):
        return
    screen.prompt.clear()
    screen.notify(f"branching at turn {turn}…", markup=False, timeout=3)
    screen.run_worker(partial(_fork, screen, conv, turn, prompt), thread=True, group="branch", exit_on_error=False)


def _fork(screen: Any, conv: ConversationRow, turn: int, prompt: str) -> None:
    """Thread body: the engine (and its store connection) is this thread's own."""
    from termchat.tui.branches import run_fork

    run_fork(screen.post_message, screen.ctx.thread_engine(), conv, turn, prompt)


def branch_failed(screen: Any, message: BranchFailed) -> None:
    if not screen.prompt.text.strip():
        screen.prompt.text = message.prompt  # nothing the user typed is lost
    screen.notify(f"no new branch: {message.error}", severity="error", markup=False, timeout=8)


async def show_branch(screen: Any, message: Branched) -> None:
    if screen.closing:
        return
    fork = screen.store.reload(message.fork)
    screen.model, screen.mode = fork.model, fork.mode
    await screen.show_conversation(fork)
    screen.load_tools(fork.settings.get("tools") or [], fork.settings.get("tool_choice") or "auto")
    await screen.send_prompt(message.prompt)
    screen.pane.mark_new_branch(fork)  # the new turn is where this branch differs: say so at once
