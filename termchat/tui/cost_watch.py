"""What the chat screen does about cost: the live input estimate by the prompt, the budget in
the status line, and a question before a send when a budget is spent.

The estimate counts the prompt as the turn would send it now (the chat's history or server
state, instructions, the tool panel's tools, model and state mode) with `POST
/responses/input_tokens`, in a thread worker, a moment after typing stops; typing never waits
for it. A count that fails shows "estimate unavailable" in the prompt's title, never an error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.content import Content
from textual.message import Message

if TYPE_CHECKING:
    from textual.timer import Timer

    from termchat.budget import BudgetState

ESTIMATE_DELAY = 0.6  # seconds without a keystroke before the prompt is counted
ESTIMATE_TIMEOUT = 10.0  # seconds one count may take; then the estimate is unavailable
PROMPT_TITLE = "Message"
UNAVAILABLE = "estimate unavailable"


class EstimateCounted(Message):
    """A worker counted `text` (the prompt as it was then): `line` says what it costs."""

    def __init__(self, text: str, line: str) -> None:
        super().__init__()
        self.text = text
        self.line = line


def estimate_label(tokens: int, usd: float | None) -> str:
    """ "≈1,234 tokens in · $0.0031" (the dollars at the uncached input price; "?" if unknown)."""
    from termchat.usd import format_usd

    return f"≈{tokens:,} tokens in · {format_usd(usd)}"


def count_prompt(
    post: Callable[[Message], Any],
    engine: Any,
    conv: Any,
    *,
    prompt: str,
    model: str,
    mode: str,
    settings: dict[str, Any],
    pricing: dict[str, Any] | None,
) -> None:
    """Thread body: count `prompt` as the next turn of `conv` (None: a new chat) would send it
    -> one `EstimateCounted`. Nothing is stored: the chat's settings are not touched."""
    from termchat.estimate import estimate_session

    try:
        session = engine.session(engine.store.reload(conv) if conv is not None else None)
        session.mode, session.model = mode, model
        session.settings.update(settings)
        estimate = estimate_session(engine.api, session, prompt, pricing=pricing, timeout=ESTIMATE_TIMEOUT)
        line = estimate_label(estimate.input_tokens, estimate.input_usd)
    except Exception:  # any failure (no endpoint, network, a chat deleted meanwhile): only a hint
        line = UNAVAILABLE
    finally:
        engine.store.close()
    post(EstimateCounted(prompt, line))


def count_in_worker(view: Any, text: str) -> None:
    """Count `text` in a thread worker of `view` (the chat screen) as the next turn would send
    it (a newer count replaces this one)."""
    from functools import partial

    panel = view._tool_panel
    tools, choice = panel.current() if panel is not None else (view._tools_loaded or ([], "auto"))
    view.run_worker(
        partial(
            count_prompt,
            view.post_message,
            view.ctx.thread_engine(),
            view.conv,
            prompt=text,
            model=view.model,
            mode=view.mode,
            settings={"tools": tools, "tool_choice": choice, **view.request_settings},
            pricing=view.config.pricing,
        ),
        thread=True,
        exclusive=True,
        group="estimate",
        exit_on_error=False,
    )


class LiveEstimate:
    """Debounces the prompt's changes into counts and shows the newest in the prompt's title.

    `start(text)` is the screen's way to run `count_prompt` for `text` in an exclusive thread
    worker (a newer count replaces an older one); a result for text no longer in the prompt
    is dropped.
    """

    def __init__(self, prompt: Any, set_timer: Callable[..., Timer], start: Callable[[str], None]) -> None:
        self.prompt = prompt
        self._set_timer = set_timer
        self._start = start
        self._timer: Timer | None = None
        self._context: Any = None

    def changed(self, text: str, *, enabled: bool = True) -> None:
        """The prompt's text is now `text`: count it once typing pauses."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not enabled or not text.strip():
            self.show("")
            return
        self._timer = self._set_timer(ESTIMATE_DELAY, lambda: self._fire(text))

    def context(self, key: Any) -> None:
        """What the prompt would be sent in (chat, model, state mode) is now `key`: a new key
        counts the prompt anew."""
        if key != self._context:
            self._context = key
            if self.prompt.text.strip():
                self.changed(self.prompt.text)

    def _fire(self, text: str) -> None:
        self._timer = None
        if self.prompt.text == text:
            self._start(text)

    def counted(self, message: EstimateCounted) -> None:
        if message.text == self.prompt.text and message.text.strip():
            self.show(message.line)

    def show(self, line: str) -> None:
        self.prompt.border_title = Content(f"{PROMPT_TITLE} · {line}" if line else PROMPT_TITLE)


def budget_warning(store: Any, budget: Any) -> BudgetState | None:
    """The budget the status line warns of (from 80% of a limit), or None."""
    if not budget.daily_usd and not budget.monthly_usd:
        return None  # no query for a user without budgets
    from termchat.budget import nearest_limit

    return nearest_limit(store, budget)


def ask_when_spent(screen: Any, prompt: str, send: Callable[[], Any]) -> bool:
    """Before sending `prompt`: True if it may go now. When a budget is spent, ask instead
    (send anyway / cancel) and return False; `send()` runs if the user says send. Nothing is
    lost either way: the prompt keeps its text until it is sent (a prompt no longer in the box,
    as after an edit that would branch, is put back on cancel)."""
    state = budget_warning(screen.store, screen.config.budget)
    if state is None or not state.spent:
        return True
    from termchat.tui.screens.dialogs import Picker

    async def answered(choice: str | None) -> None:
        if choice == "send":
            result = send()
            if inspect.isawaitable(result):
                await result
        elif not screen.prompt.text.strip():
            screen.prompt.text = prompt
            screen.prompt.move_cursor(screen.prompt.document.end)

    screen.app.push_screen(
        Picker(
            f"{state.describe()}. Send anyway?",
            [("send", "Send anyway"), ("cancel", "Cancel: the message stays in the prompt")],
            current="cancel",
        ),
        answered,
    )
    return False
