"""The chat list's filter box: filters as it is typed in, and hands the keyboard to the list."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.binding import Binding

from termchat.tui.compat.app import handle_queued_first
from termchat.tui.compat.widgets import RepaintOnlyInput


class FilterInput(RepaintOnlyInput):
    """The filter box. Its text growing changes only its own scroll range, never its size, so it
    repaints itself instead of asking for a layout of the whole screen (an `Input` does that on
    every key: its virtual size is a layout reactive).

    It filters as you type, within the key's own handling: the list then asks for its repaint
    before this box asks for the echo, so both are in one frame. Filtering from the `Changed`
    message instead paints the echo alone first and the list one frame later (Textual's screen
    timer skips a tick after an idle one).

    Down and Enter move into the list below it (`on_leave(submitted)`) as the app takes the key,
    once this box has handled the keys typed before them: they are priority bindings, so the keys
    typed after them in the same burst are routed to the list (an Input's own Enter would run only
    after they had all reached this box)."""

    BINDINGS = [
        Binding("down", "to_list", "To the list", show=False, priority=True, id="filter_to_list"),
        Binding("enter", "submit", "Submit", show=False, priority=True),
    ]

    def __init__(self, on_value: Callable[[str], None], on_leave: Callable[[bool], None], **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_value = on_value
        self._on_leave = on_leave

    async def action_to_list(self) -> None:
        await handle_queued_first(self)
        self._on_leave(False)

    async def action_submit(self) -> None:
        await handle_queued_first(self)
        self._on_leave(True)

    def type_on(self, character: str) -> None:
        """Take the keyboard and add `character` at the end: the filter is kept, not selected
        (as Ctrl+F selects it, for typing over)."""
        self.select_on_focus = False  # (back on when the focus leaves)
        self.screen.set_focus(self)
        self.cursor_position = len(self.value)
        self.insert_text_at_cursor(character)

    def on_blur(self, event: events.Blur) -> None:
        self.select_on_focus = True

    def watch_value(self, value: str) -> None:
        self._on_value(value)
