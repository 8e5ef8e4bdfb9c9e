"""The multi-line prompt: Enter sends, Shift+Enter / Alt+Enter / Ctrl+J add a newline."""

from __future__ import annotations

from textual.message import Message
from textual.strip import Strip
from textual.widgets import TextArea

from termchat.tui.bindings import PROMPT_COMMANDS, to_bindings


class PromptInput(TextArea):
    """A TextArea that posts `Submitted` on Enter instead of inserting a newline."""

    BINDINGS = to_bindings(PROMPT_COMMANDS)

    class Submitted(Message):
        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus",
                         compact=True, **kwargs)
        self.placeholder = "Message… Enter sends · Alt+Enter newline · F1 keys"

    def render_line(self, y: int) -> Strip:
        # While the terminal is resized the prompt can be laid out 0 cells wide for a frame;
        # TextArea would then wrap its placeholder at width 0, which raises.
        if self.content_size.width < 1:
            return Strip.blank(self.size.width)
        return super().render_line(y)

    def action_submit(self) -> None:
        # Enter is a priority binding, so it runs as soon as the app sees the key, possibly before
        # keys typed just ahead of it (a fast typist, a paste without bracketed paste) reach this
        # widget's queue. Queue the submit behind them so no typed character is lost.
        self.call_later(self._submit)

    def _submit(self) -> None:
        text = self.text
        if text.strip():
            self.post_message(self.Submitted(self, text))

    def action_newline(self) -> None:
        self.insert("\n")
