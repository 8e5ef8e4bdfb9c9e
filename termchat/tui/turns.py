"""What runs in a chat in a thread worker: a turn (a reply streaming), an open, a compaction
(background jobs: tui/job_watch.py). The thread bodies here reach the UI only through the
messages they post: a turn `TurnUpdate`s, an open `ChatOpened` or `ChatOpenFailed`, a
compaction one `ChatChanged` when done.

Text deltas do not each become a message: the worker adds them to the turn's inbox and posts
one `TurnUpdate(turn, TextArrived())`, and no other until the UI has taken the text. A
fast stream thus never floods the UI thread's queue, and no text waits in the worker for the
next delta. How often the transcript shows new text is up to the reply's `ReplyStream`
(`reply_stream.INTERVAL`), the one throttle.

The worker reads no further ahead than the screen follows: while more than `FLOW_CHARS` of the
reply are queued or taken and not shown yet, while a step of it waits for its frame, or while
any frame is painted (tui/frames.py), it waits (the server's bytes wait in the socket), and it
reports the reply's end only once the screen has shown all of it. Reading ahead only made the
backlog longer, while the worker's parsing took the GIL from the UI thread in the middle of its
frames (a frame took up to twice its CPU time); and a backlog left at the end was shown
from inside the screen's handler of the end, where no frame can be painted: in one long frame.
A UI that takes no text for `FLOW_PATIENCE` seconds (a frozen or closing app) no longer holds
the worker back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from textual.message import Message

from termchat.sanitize import StreamSanitizer, strip_control
from termchat.tui import frames
from termchat.tui.messages import ChatChanged

if TYPE_CHECKING:
    from collections.abc import Callable

    from termchat import events as ev  # imported by the worker: not needed to start
    from termchat.tui.widgets.message_view import MessageView

FLOW_CHARS = 6000  # text the worker may have read ahead of the screen: two steps of its stream
FLOW_PATIENCE = 2.0  # seconds without progress before the worker stops waiting for the UI


class Note(NamedTuple):
    """Something to tell the user about a turn (a notification)."""

    text: str
    severity: str = "information"
    title: str = ""
    timeout: float | None = None
    failed: bool = False  # the request failed (not stopped): nothing of the reply is kept


@dataclass(eq=False)
class Turn:
    """UI-side state of one running reply. From the worker's thread only `stop` and
    `text_arrived` may be called."""

    pk: int
    prompt: str
    reply_id: int | None = None
    session: Any = None
    stop_requested: bool = False
    view: MessageView | None = None  # the view showing it, while its chat is on screen
    prompt_view: MessageView | None = None  # the view showing its prompt, when sent from the prompt box
    text: str = ""
    sanitizer: StreamSanitizer = field(default_factory=StreamSanitizer)
    approvals: list[ev.ApprovalRequested] = field(default_factory=list)  # asked at the end
    decisions: dict[str, bool] | None = None  # set: this turn answers MCP approval requests
    saved_id: int | None = None  # the prompt's message, when it was stored with its new chat
    attachments: list[Any] = field(default_factory=list)  # attachments.Attachment: files sent with it
    _inbox: list[str] = field(default_factory=list)  # text from the worker, not yet taken
    _wake_posted: bool = False  # a `TurnUpdate(self, TextArrived())` is on its way to the UI
    # Flow control (see the module's docstring), all guarded by `_flow`:
    _flow: threading.Condition = field(default_factory=threading.Condition)
    _queued: int = 0  # characters in `_inbox`
    _unshown: int = 0  # characters taken by the UI and not on screen yet (its stream's backlog)
    _painting: bool = False  # the UI paints a frame of the reply (its stream waits for it)
    _flow_off: bool = False  # the UI stopped answering: the worker no longer waits for it

    def stop(self) -> None:
        with self._flow:
            self.stop_requested = True
            self._flow.notify_all()
        if self.session is not None:
            self.session.stop()

    def text_arrived(self, text: str, post: Any) -> None:
        """(Worker thread) queue `text`; `post` the wake-up unless one is already on its way;
        then wait while the screen is more than `FLOW_CHARS` behind, or paints a frame."""
        with self._flow:
            self._inbox.append(text)
            self._queued += len(text)
            wake = not self._wake_posted
            self._wake_posted = True
        if wake:
            post(TurnUpdate(self, TextArrived()))
        self._wait_for_screen(FLOW_CHARS)
        if not (self._flow_off or self.stop_requested) and not frames.wait_while_painting(FLOW_PATIENCE):
            with self._flow:
                self._flow_off = True

    def wait_until_shown(self) -> None:
        """(Worker thread) before the end is reported: wait until the screen shows all text."""
        self._wait_for_screen(0)

    def _wait_for_screen(self, behind: int) -> None:
        with self._flow:
            caught_up = self._flow.wait_for(
                lambda: (
                    (self._queued + self._unshown <= behind and not self._painting)
                    or self.stop_requested
                    or self._flow_off
                ),
                timeout=FLOW_PATIENCE,
            )
            if not caught_up:
                self._flow_off = True

    def shown_backlog(self, chars: int, painting: bool = False) -> None:
        """(UI thread) the view's stream holds `chars` characters not shown yet; `painting`: it
        waits for the frame that shows its last step (the worker waits too: its reading would
        take the GIL from that frame)."""
        with self._flow:
            self._unshown, self._painting = chars, painting
            self._flow.notify_all()

    def _take_text(self) -> str:
        """(UI thread) everything the worker queued so far, sanitized."""
        with self._flow:
            self._wake_posted = False  # text queued from now on posts a new wake-up
            chunks = self._inbox[:]
            self._inbox.clear()
            self._queued = 0
            streaming = self.view is not None and self.view.stream is not None
            # (counted as not shown until its stream reports, which it does once written)
            self._unshown = self._unshown + sum(map(len, chunks)) if streaming else 0
            self._flow.notify_all()
        text = self.sanitizer.feed("".join(chunks)) if chunks else ""
        self.text += text
        return text

    async def _show_text(self, *, flush: bool = False) -> None:
        text = self._take_text()
        if flush:
            tail = self.sanitizer.flush()
            self.text += tail
            text += tail
        if self.view is not None and text:
            await self.view.write(text)

    async def show(self, event: Any) -> Note | None:
        """Apply one update from the worker to this turn and its view, if on screen; returns
        what the user should be told about it."""
        from termchat import events as ev

        view = self.view
        if isinstance(event, TextArrived):
            await self._show_text()
        elif isinstance(event, ev.TurnStarted):
            self.reply_id = event.assistant_message_id
            if view is not None:
                view.message_id = event.assistant_message_id
            if self.prompt_view is not None and event.user_message_id:
                self.prompt_view.message_id = event.user_message_id  # (to edit it, say)
        elif isinstance(event, ev.Notice):
            return Note(strip_control(event.message), timeout=6)
        elif isinstance(event, (ev.ItemStarted, ev.ItemFinished)):
            if view is not None:
                await view.add_item(event.item_id, event.item, finished=isinstance(event, ev.ItemFinished))
        elif isinstance(event, ev.Citation):
            if view is not None:
                await view.add_citation(event.number, event.title, event.url)
        elif isinstance(event, ev.Finished):
            self.approvals = list(event.approvals)  # asked once the turn is done
            await self._show_text(flush=True)
            if view is not None:
                status = "complete" if event.status == "completed" else "incomplete"
                await view.finish(status=status, final_text=event.text)
            if event.status == "incomplete":
                return Note(f"the reply is incomplete ({event.reason or 'cut short'})", "warning")
        elif isinstance(event, ev.Failed):
            await self._show_text(flush=True)
            interrupted = event.interrupted or self.stop_requested
            if view is not None:
                status = "interrupted" if interrupted or self.text else "failed"
                await view.finish(status=status, error=event.message)
            if interrupted:
                return Note("stopped: the partial reply is kept")
            return Note(strip_control(event.message), "error", title="request failed", timeout=10, failed=not self.text)
        return None


class TurnUpdate(Message):
    """From a turn's worker: an engine event, `TextArrived` or `TurnDone`."""

    def __init__(self, turn: Turn, event: Any) -> None:
        super().__init__()
        self.turn = turn
        self.event = event


@dataclass(frozen=True)
class TextArrived:
    """Text is waiting in the turn's inbox."""


@dataclass(frozen=True)
class TurnDone:
    """The worker ended (after Finished or Failed)."""


def run_turn(post: Any, turn: Turn, engine: Any, conv: Any, *, model: str, mode: str, settings: dict[str, Any]) -> None:
    """Thread body: `Session.send(turn.prompt)`, or `Session.answer_approvals(turn.decisions)`,
    -> `TurnUpdate` messages handed to `post` (a thread-safe `post_message`)."""
    from termchat import events as ev
    from termchat.errors import TermchatError

    def send(event: Any) -> None:
        post(TurnUpdate(turn, event))

    try:
        conv = engine.store.reload(conv)
        session = engine.session(conv, mode=mode, model=model, settings=settings)
        turn.session = session
        if turn.decisions is None:
            from termchat.engine import TurnOptions

            events = session.send(turn.prompt, TurnOptions(attachments=turn.attachments), saved_id=turn.saved_id)
        else:
            events = session.answer_approvals(turn.decisions)
        for event in events:
            if turn.stop_requested:
                session.stop()
            if isinstance(event, ev.TextDelta):
                turn.text_arrived(event.text, post)
            else:
                if isinstance(event, (ev.Finished, ev.Failed)):
                    turn.wait_until_shown()
                send(event)
    except TermchatError as exc:
        send(ev.Failed(conv.id, exc.one_line(), "", exc.exit_code, turn.stop_requested))
    except Exception as exc:  # never let a worker die silently: the UI must unlock the chat
        send(ev.Failed(conv.id, f"unexpected error: {exc}", "", 1, turn.stop_requested))
    finally:
        send(TurnDone())
        engine.store.close()


def run_open(
    post: Any,
    worker: Any,
    store: Any,
    make_engine: Callable[[Any], Any],
    ident: str,
    *,
    sync: bool,
    first: bool,
    reveal: int | None,
    found: bool,
    painted: threading.Event,
    shown: Any = None,
) -> None:
    """Thread body: open `ident` -> `ChatOpened` (or `ChatOpenFailed`, one line), then `ChatSynced`.

    A chat in the store (`store`, this thread's own connection) is posted at once and read
    further only once it is on screen (`painted`): the engine (`make_engine(store)`), the notes
    on its last reply and the sync with its server copy (the SDK import a first request brings)
    would compete with that paint. They follow in one `ChatSynced`, which ends the open. An id
    only the server knows is imported first (`ChatOpened` then ends the open). `shown`: the
    chat, already read and being shown by the UI thread: only what follows the paint is done."""
    from termchat.tui.messages import ChatOpened

    try:
        if shown is not None:
            painted.wait()
            if not worker.is_cancelled:
                _after_paint(post, worker, make_engine(store), shown, sync=sync)
            return
        try:
            local = store.lookup(ident)
        except Exception as exc:  # never die silently: the chat would seem open, and is not
            _open_failed(post, worker, exc, first=first)
            return
        if local is None:
            _import_and_open(post, worker, make_engine(store), ident, first=first, reveal=reveal, found=found)
            return
        post(ChatOpened(worker, local, [], first=first, reveal=reveal, found=found, painted=painted))
        painted.wait()  # set once shown, or when this open is dropped (see chat_opening)
        if not worker.is_cancelled:
            _after_paint(post, worker, make_engine(store), local, sync=sync)
    finally:
        store.close()


def _open_failed(post: Any, worker: Any, exc: Exception, *, first: bool) -> None:
    from termchat.errors import TermchatError
    from termchat.tui.messages import ChatOpenFailed

    error = exc.one_line() if isinstance(exc, TermchatError) else f"could not open the chat: {_unexpected(exc)}"
    post(ChatOpenFailed(worker, error, first=first))


def _shown_notices(notices: list[Any]) -> list[str]:
    from termchat.engine import INTERRUPTED_NOTE

    return [f"{n.message}. Send a message to go on." if n.message == INTERRUPTED_NOTE else n.message for n in notices]


def _import_and_open(
    post: Any, worker: Any, engine: Any, ident: str, *, first: bool, reveal: int | None, found: bool
) -> None:
    """An id the store does not have: `Engine.open` imports it from the server (or says why not)."""
    from termchat.tui.messages import ChatOpened

    try:
        conv, notices = engine.open(ident, sync=False)
    except Exception as exc:
        _open_failed(post, worker, exc, first=first)
        return
    post(ChatOpened(worker, conv, _shown_notices(notices), first=first, reveal=reveal, found=found))


def _after_paint(post: Any, worker: Any, engine: Any, conv: Any, *, sync: bool) -> None:
    """The chat is on screen: the notes on its last reply, and what only its server copy has."""
    from termchat.tui.messages import ChatSynced

    try:
        conv, notices = engine.open(conv.id, sync=False)  # (local reads only: the notes)
        shown = _shown_notices(notices)
        if not (sync and engine.has_server_copy(conv)):
            post(ChatSynced(worker, conv, 0, shown))
            return
        synced, synced_notices = engine.sync_with_server(conv)
    except Exception as exc:  # a store that broke meanwhile: the chat on screen stays as it is
        post(ChatSynced(worker, conv, 0, [f"could not sync this chat: {_unexpected(exc)}"]))
        return
    shown += [n.message for n in synced_notices]
    post(ChatSynced(worker, synced, synced.message_count - conv.message_count, shown))


def _unexpected(exc: Exception) -> str:
    from termchat.redact import redact

    return f"unexpected error ({type(exc).__name__}: {redact(str(exc))})"


def run_compaction(post: Any, engine: Any, conv: Any) -> None:
    """Thread body: compact `conv`'s context window -> one `ChatChanged` saying how it went."""
    from termchat.compaction import compact_conversation
    from termchat.errors import TermchatError

    try:
        note, severity = compact_conversation(engine, engine.store.reload(conv)), "information"
    except TermchatError as exc:
        note, severity = exc.one_line(), "error"
    finally:
        engine.store.close()
    post(ChatChanged(conv.pk, note, severity))
