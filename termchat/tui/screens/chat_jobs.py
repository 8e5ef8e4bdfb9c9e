"""Work the chat screen hands to the server beyond a streamed turn: compaction (by hand, and
the marker of an automatic one) and background jobs (Ctrl+G sends one; the jobs screen lists
them; tui/job_watch.py follows them). The screen keeps the actions and message handlers and
delegates here; `screen` is the `ChatScreen`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from termchat.tui.attach_actions import sending_line
from termchat.tui.cost_watch import ask_when_spent

if TYPE_CHECKING:
    from termchat.store import ConversationRow


def compact(screen: Any) -> None:
    """Compact the chat on screen in a thread worker (it reports back with `ChatChanged`)."""
    conv = screen._current()
    if conv is None or not screen._can_send():
        return
    screen.notify("compacting…", markup=False)
    screen.run_worker(partial(_compact, screen, conv), thread=True, group="compact", exit_on_error=False)


def _compact(screen: Any, conv: ConversationRow) -> None:
    """Thread body: the engine (and its store connection) is this thread's own."""
    from termchat.tui.turns import run_compaction

    run_compaction(screen.post_message, screen.ctx.thread_engine(), conv)


async def show_auto_compaction(screen: Any) -> None:
    """The engine may compact after a turn (config threshold): show the marker it added."""
    last = screen.store.messages(screen.conv, limit=1)
    if last and last[0].role == "compaction" and not screen.pane.shows_newest(last[0].id):
        await screen.show_conversation(screen.conv)


async def send_background(screen: Any, forced: bool = False) -> None:
    """Ctrl+G: the prompt goes as a background job; its chat and reply show at once (at a
    spent budget, once the user says so, as for any send)."""
    from termchat.tui.widgets.message_view import MessageView

    prompt = screen.prompt.text
    if not prompt.strip():
        screen.notify("type a prompt first: Ctrl+G sends it as a background job", markup=False)
        return
    if not screen._can_send() or not (
        forced or ask_when_spent(screen, prompt, lambda: screen.action_send_background(forced=True))
    ):
        return
    files = screen.files_to_send(prompt)
    if files is None:
        return
    screen.prompt.clear()
    await screen.chips.take_all()
    conv, settings, saved_id = await screen._ensure_conversation(prompt)
    await screen.pane.append(MessageView("user", prompt, meta="just now", attachments=[sending_line(f) for f in files]))
    reply = await screen.pane.append(MessageView("assistant", meta=screen.model))
    screen.pane.anchor()
    screen.chat_list.mark_current(conv.pk)
    screen.background_jobs.send(
        conv,
        reply,
        prompt,
        model=screen.model,
        mode=screen.mode,
        settings=settings,
        saved_id=saved_id,
        attachments=files,
    )


def show_jobs(screen: Any) -> None:
    """The jobs screen; the chat of the job picked there opens."""
    from termchat.tui.screens.jobs import JobsScreen

    api = screen.ctx.api if screen.ctx.has_credentials else None
    screen.app.push_screen(
        JobsScreen(screen.store, screen.ctx.thread_engine, api=api, now=screen.now),
        lambda ident: screen.open_conversation(ident) if ident else None,
    )
