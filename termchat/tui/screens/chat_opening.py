"""Opening a chat on the chat screen: what the command line asked to start with (`ChatStart`),
the open in a thread worker (importing conv_ ids, syncing with the server), a prompt typed
while it is on its way, and the chat shown once it is there. The screen keeps
`open_conversation` and the message handlers and delegates here; `screen` is the `ChatScreen`
(its `_opening` worker and `_held_prompt` are the state of the open on its way).
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from textual.worker import get_current_worker

from termchat.request_settings import OPTION_KEYS

if TYPE_CHECKING:
    from textual.worker import Worker

    from termchat.store import ConversationRow
    from termchat.tui.messages import ChatOpened, ChatOpenFailed, ChatSynced


class ChatStart(NamedTuple):  # a NamedTuple: much cheaper to define than a dataclass, at start-up
    """What the command line asked the app to start with."""

    open_id: str | None = None  # the chat to open first (--conversation, -c); None: a new one
    model: str | None = None  # --model
    mode: str | None = None  # --state
    tools: list[dict[str, Any]] | None = None  # --tool (parsed)
    tool_choice: str | None = None  # --tool-choice
    settings: dict[str, Any] | None = None  # --effort, -o (parsed; None values forget one)


async def open_at_start(screen: Any, ident: str) -> None:
    """The chat the app starts with (`--conversation`, `-c`). One this machine has is shown in
    the first frame: looked up here, on the UI thread, before anything is painted (no frame of
    an empty transcript, no round trip through a worker first); the worker then does only what
    follows the paint. Any other (a server id to import, an error to say in one line), and the
    demo's welcome chat (the demo's budget is its first frame), open through the worker."""
    conv = None
    if not screen.ctx.demo:
        try:
            conv = screen.store.lookup(ident)
        except Exception:  # (the worker's lookup says why, in one line)
            conv = None
    if conv is None:
        screen.open_conversation(ident, first=True)
        return
    from termchat.tui.messages import ChatOpened

    worker = screen._opening = start_open(screen, ident, first=True, reveal=None, found=True, shown=conv)
    await show_opened(screen, ChatOpened(worker, conv, [], first=True, painted=screen._open_painted))


def start_open(
    screen: Any, ident: str, *, first: bool, reveal: int | None, found: bool, shown: ConversationRow | None = None
) -> Worker[None]:
    """Open `ident` in a thread worker; a newer open cancels this one. `shown`: the chat, read
    by the caller, who shows it (`open_at_start`): the worker does only what follows the paint.

    The worker waits for the chat to be painted (`painted`, see `run_open`): set once it is
    on screen, or when the open is dropped (a newer open, the screen unmounted)."""
    release_open(screen)
    painted = screen._open_painted = threading.Event()
    return screen.run_worker(
        partial(_open, screen, ident, first=first, reveal=reveal, found=found, painted=painted, shown=shown),
        thread=True,
        exclusive=True,
        group="open",
        exit_on_error=False,
    )


def release_open(screen: Any) -> None:
    """The open on its way, if any, no longer waits for its paint (the worker is cancelled
    first: it sees that and stops)."""
    painted, screen._open_painted = screen._open_painted, None
    if painted is not None:
        if screen._opening is not None:
            screen._opening.cancel()
        painted.set()


def _open(
    screen: Any,
    ident: str,
    *,
    first: bool,
    reveal: int | None,
    found: bool,
    painted: threading.Event,
    shown: ConversationRow | None,
) -> None:
    """Thread body: the store connection (and the engine over it) is this thread's own."""
    from termchat.store import Store
    from termchat.tui.turns import run_open

    ctx = screen.ctx
    if shown is not None:
        painted.wait()  # nothing to do before the paint: not even this thread's imports
    run_open(
        screen.post_message,
        get_current_worker(),
        Store.in_dir(ctx.data_dir),
        ctx.thread_engine,
        ident,
        sync=ctx.has_credentials,
        first=first,
        reveal=reveal,
        found=found,
        painted=painted,
        shown=shown,
    )


def hold_while_opening(screen: Any, prompt: str) -> bool:
    """A prompt sent while a chat is being opened (say `-c`, still syncing) waits for it and
    then goes to it: the chat on screen once the open is done, never a new one meanwhile."""
    if screen._opening is None:
        return False
    if screen._held_prompt is None:
        screen._held_prompt = prompt
        screen.prompt.clear()
        screen.notify("opening the chat: your message is sent as soon as it is open", markup=False)
    else:
        screen.notify("still opening the chat: one message is already waiting", markup=False)
    return True


async def open_failed(screen: Any, message: ChatOpenFailed) -> None:
    screen.notify(message.error, severity="error", markup=False)
    if message.worker is not screen._opening or screen.closing:
        return  # another open has since started: it decides what is on screen
    screen._opening = None
    if message.first:
        await screen.action_new_chat()
    prompt, screen._held_prompt = screen._held_prompt, None
    if prompt is not None:  # not sent anywhere: back where it was typed
        screen.prompt.load_text(prompt)
        screen.notify("your message was not sent: it is back in the prompt", severity="warning", markup=False)


async def show_opened(screen: Any, message: ChatOpened) -> None:
    if message.worker.is_cancelled or screen.closing:
        if message.painted is not None:
            message.painted.set()  # (the worker sees it was cancelled and stops)
        return  # the user has since opened another chat, or quit
    for notice in message.notices:
        screen.notify(notice, markup=False, timeout=6)
    conv = screen.store.reload(message.conv)
    start = screen.start if message.first else ChatStart()  # flags apply to the first chat only
    screen.model = start.model or conv.model
    screen.mode = start.mode or conv.mode
    if start.settings:  # given with -c / --conversation: kept by the chat, as -p does
        conv = screen.store.update_conversation(conv, settings={**conv.settings, **start.settings})
    screen.request_settings = {key: conv.settings[key] for key in OPTION_KEYS if conv.settings.get(key) is not None}
    tools = conv.settings.get("tools") or []
    choice = conv.settings.get("tool_choice") or "auto"
    if start.tools is not None:
        tools, choice = start.tools, start.tool_choice or choice
    await screen.show_conversation(conv, reveal=message.reveal, found=message.found)
    if message.painted is not None:  # the rest of the open waits until this is on screen
        screen.pane.when_shown(message.painted.set)
    if not screen.closing:
        screen.load_tools(tools, choice)
        if message.painted is None:
            await _opened(screen, message.worker)


async def show_synced(screen: Any, message: ChatSynced) -> None:
    """The open's last step: notes on the chat, and what only the server had, now in the store,
    added below what is shown (the reader stays where they are unless at the end)."""
    if message.worker.is_cancelled or screen.closing:
        return
    for notice in message.notices:
        screen.notify(notice, markup=False, timeout=6)
    if message.added and screen.conv is not None and screen.conv.pk == message.conv.pk:
        conv = screen.store.reload(message.conv)
        if await screen.pane.append_news(conv, message.added):
            screen.conv = conv
            screen.background_jobs.decorate(screen.pane.views)
            screen.update_status()
        else:  # the transcript was rebuilt, not added to: its newest page again
            await screen.show_conversation(conv)
    if not screen.closing:
        await _opened(screen, message.worker)


async def _opened(screen: Any, worker: Worker[None]) -> None:
    """The open is done: a message typed meanwhile goes to the chat now."""
    if worker is screen._opening:
        screen._opening = None
        prompt, screen._held_prompt = screen._held_prompt, None
        if prompt is not None:
            await screen.send_prompt(prompt)
