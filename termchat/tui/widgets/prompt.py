"""The multi-line prompt: Enter sends, Shift+Enter / Alt+Enter / Ctrl+J add a newline."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.content import Content
from textual.message import Message
from textual.strip import Strip
from textual.widgets import TextArea

from termchat.sanitize import strip_control
from termchat.tui.bindings import PROMPT_COMMANDS, to_bindings


def pasted_text(text: str) -> str:
    """A paste as prompt text: line ends as newlines, no terminal controls (a BEL, colour codes
    copied with text from a terminal); every other character as it was."""
    return strip_control(text.replace("\r\n", "\n").replace("\r", "\n"))


class PromptInput(TextArea):
    """A TextArea that posts `Submitted` on Enter instead of inserting a newline."""

    BINDINGS = to_bindings(PROMPT_COMMANDS)

    class Submitted(Message):
        """Enter on some text; `editing`: the (chat pk, turn) whose prompt it replaces, if any."""

        def __init__(self, prompt: PromptInput, text: str, editing: tuple[int, int] | None = None) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text
            self.editing = editing

    editing: tuple[int, int] | None = None  # (chat pk, turn) whose prompt this box edits

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", compact=True, **kwargs)
        # Earlier messages for Up / Down, newest first; loaded when first wanted (see forget_history).
        self.history_source: Callable[[], list[str]] = list
        self._history: list[str] | None = None
        self._history_index = -1  # -1: not browsing; else the entry shown
        self.placeholder = "Message… Enter sends · Alt+Enter newline · F1 keys"
        self.border_title = "Message"

    def show_tools(self, labels: list[str]) -> None:
        """What the next message will use, on the prompt's bottom edge: "web · code 4g"."""
        text = " · ".join(strip_control(label, keep_newlines=False) for label in labels)
        self.border_subtitle = Content(text or "no tools · Ctrl+T")

    def render_line(self, y: int) -> Strip:
        # While the terminal is resized the prompt can be laid out 0 cells wide for a frame;
        # TextArea would then wrap its placeholder at width 0, which raises.
        if self.content_size.width < 1:
            return Strip.blank(self.size.width)
        return super().render_line(y)

    async def _on_paste(self, event: events.Paste) -> None:
        # A paste is text, never keys: its newlines stay in the prompt (nothing is sent).
        event.stop()
        event.prevent_default()  # TextArea's handler would insert it again, unfiltered
        self.paste(event.text)
        self.focus()

    def paste(self, text: str) -> None:
        """Insert pasted `text` at the cursor (over the selection), as `pasted_text` makes it."""
        if not self.read_only:
            result = self.replace(pasted_text(text), *self.selection)
            self.move_cursor(result.end_location)

    def action_submit(self) -> None:
        # Enter is a priority binding, so it runs as soon as the app sees the key, possibly before
        # keys typed just ahead of it (a fast typist, a paste without bracketed paste) reach this
        # widget's queue. Queue the submit behind them so no typed character is lost.
        self.call_later(self._submit)

    def _submit(self) -> None:
        text = self.text
        if text.strip():
            editing, self.editing = self.editing, None
            self.post_message(self.Submitted(self, text, editing))

    def edit_past_prompt(self, text: str, turn: tuple[int, int]) -> None:
        """Put a past prompt (`turn`: its chat pk and turn) in the box to edit it; sending it
        then says which turn it replaces (`Submitted.editing`)."""
        self.editing = turn
        self.text = text
        self.move_cursor(self.document.end)
        self.focus()

    # -- history: Up in an empty prompt recalls earlier messages ------------------------------

    def forget_history(self) -> None:
        """The entries changed (a message sent, another chat opened): reload them when wanted."""
        self._history = None
        self._history_index = -1

    def _browsing(self) -> bool:
        history = self._history
        return self._history_index >= 0 and history is not None and self.text == history[self._history_index]

    def action_history_previous(self) -> None:
        if not self._browsing():
            if self.text:  # only an empty prompt recalls: else Up moves the cursor
                self.action_cursor_up()
                return
            self._history_index = -1
        elif self.cursor_location[0] > 0:  # a recalled message of several lines: move up it first
            self.action_cursor_up()
            return
        if self._history is None:
            self._history = list(dict.fromkeys(self.history_source()))  # each message once
        if self._history_index + 1 < len(self._history):
            self._show_entry(self._history_index + 1)

    def action_history_next(self) -> None:
        if not self._browsing() or self.cursor_location[0] < self.document.line_count - 1:
            self.action_cursor_down()
            return
        if self._history_index == 0:  # past the newest: back to an empty prompt
            self._history_index = -1
            self.text = ""
            return
        self._show_entry(self._history_index - 1)

    def _show_entry(self, index: int) -> None:
        assert self._history is not None
        self._history_index = index
        self.text = self._history[index]
        self.move_cursor(self.document.end)

    def action_complete_path(self) -> None:
        """Tab after `@` completes the file path typed there (as far as the candidates agree);
        anywhere else Tab moves on to the next pane, as before."""
        import re

        row, column = self.cursor_location
        typed = re.search(r"(?<!\S)@(\S*)$", self.document.get_line(row)[:column])
        if typed is None:
            self.screen.focus_next()
            return
        from termchat.path_completion import complete, completions

        fragment = typed.group(1)
        extended = complete(fragment)
        if extended != fragment:
            self.insert(extended[len(fragment) :])
        elif len(found := completions(fragment)) > 1:
            shown = "  ".join(strip_control(f, keep_newlines=False) for f in found[:12])
            self.notify(shown + ("  …" if len(found) > 12 else ""), title="files", markup=False)

    def action_newline(self) -> None:
        # A priority binding too: queued behind the keys typed before it, like the submit.
        self.call_later(self.insert, "\n")
