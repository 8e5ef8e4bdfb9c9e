"""A turn runs in a thread worker; it reaches the UI only as `TurnUpdate` messages.

The worker coalesces text deltas (at most one message per FLUSH seconds) so a fast stream does
not flood the UI thread's queue; the MarkdownStream on the other side batches again. Text held
back that way goes out after FLUSH even when no next event comes (a stream that pauses, or
stalls): the worker is then blocked on the socket, so a timer thread sends it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

from termchat.sanitize import StreamSanitizer

if TYPE_CHECKING:
    from termchat import events as ev  # imported by the worker: not needed to start

FLUSH = 0.03  # seconds


@dataclass(eq=False)
class Turn:
    """UI-side state of one running reply. Only `stop` may be called from another thread."""

    pk: int
    prompt: str
    reply_id: int | None = None
    session: Any = None
    stop_requested: bool = False
    view: Any = None  # the MessageView showing it, while its chat is on screen
    prompt_view: Any = None  # the MessageView showing its prompt, when sent from the prompt box
    text: str = ""
    sanitizer: StreamSanitizer = field(default_factory=StreamSanitizer)
    approvals: list[ev.ApprovalRequested] = field(default_factory=list)  # asked at the end
    decisions: dict[str, bool] | None = None  # set: this turn answers MCP approval requests
    saved_id: int | None = None  # the prompt's message, when it was stored with its new chat

    def stop(self) -> None:
        self.stop_requested = True
        if self.session is not None:
            self.session.stop()


class TurnUpdate(Message):
    def __init__(self, turn: Turn, event: Any) -> None:
        super().__init__()
        self.turn = turn
        self.event = event


@dataclass(frozen=True)
class TurnDone:
    """The worker ended (after Finished or Failed)."""


def run_turn(app: Any, turn: Turn, engine: Any, conv: Any, *, model: str, mode: str,
             settings: dict[str, Any]) -> None:
    """Thread body: `Session.send(turn.prompt)`, or `Session.answer_approvals(turn.decisions)`,
    -> coalesced `TurnUpdate` messages posted to `app`."""
    from termchat import events as ev
    from termchat.errors import TermchatError

    pending: list[str] = []
    last = time.monotonic()
    lock = threading.Lock()  # pending text, and the order of posts, between worker and timer
    timer: threading.Timer | None = None

    def post(event: Any) -> None:
        app.post_message(TurnUpdate(turn, event))

    def post_pending() -> None:  # with the lock held
        nonlocal last
        if pending:
            post(ev.TextDelta("".join(pending)))
            pending.clear()
            last = time.monotonic()

    def flush() -> None:
        with lock:
            post_pending()

    def add_text(text: str) -> None:
        nonlocal timer
        with lock:
            pending.append(text)
            due = time.monotonic() - last >= FLUSH
        if due:
            flush()
        elif timer is None or not timer.is_alive():
            timer = threading.Timer(FLUSH, flush)  # in case no next event comes soon
            timer.daemon = True
            timer.start()

    try:
        conv = engine.store.reload(conv)
        session = engine.session(conv, mode=mode, model=model, settings=settings)
        turn.session = session
        events = session.send(turn.prompt, saved_id=turn.saved_id) if turn.decisions is None \
            else session.answer_approvals(turn.decisions)
        for event in events:
            if turn.stop_requested:
                session.stop()
            if isinstance(event, ev.TextDelta):
                add_text(event.text)
                continue
            with lock:  # the text received before this event goes out before it
                post_pending()
                post(event)
    except TermchatError as exc:
        flush()
        post(ev.Failed(conv.id, exc.one_line(), "", exc.exit_code, turn.stop_requested))
    except Exception as exc:  # never let a worker die silently: the UI must unlock the chat
        flush()
        post(ev.Failed(conv.id, f"unexpected error: {exc}", "", 1, turn.stop_requested))
    finally:
        if timer is not None:
            timer.cancel()
        flush()
        post(TurnDone())
        engine.store.close()
