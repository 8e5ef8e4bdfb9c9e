"""A fenced code block in a reply: its language on a label line, and a copy action.

The label line says `python · copy`; clicking it (or `c` on the selected message, see
MessageView) posts `CodeFence.Copy`, which the app turns into a copy (or, where the terminal
may not take one, an offer to save the code to a file).
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.widgets import Static
from textual.widgets.markdown import MarkdownFence

from termchat.sanitize import strip_control


class CodeFence(MarkdownFence):
    """Textual's fence with a label line above the code."""

    class Copy(Message):
        def __init__(self, code: str, language: str) -> None:
            super().__init__()
            self.code = code
            self.language = language

    @property
    def language(self) -> str:
        return strip_control(self.lexer or "", keep_newlines=False).strip() or "text"

    def _label(self) -> Content:
        return Content.assemble((self.language, "bold"), ("  ·  ", "dim"), ("copy", "underline"))

    def compose(self) -> ComposeResult:
        yield Static(self._label(), classes="code-label")
        yield from super().compose()

    def set_content(self, content: Content) -> None:
        super().set_content(content)  # a streamed block grows: its language may have come meanwhile
        for label in self.query(".code-label"):
            label.update(self._label())  # type: ignore[attr-defined]

    def on_click(self, event: events.Click) -> None:
        widget = event.widget
        if widget is not None and widget.has_class("code-label"):
            event.stop()
            self.copy()

    def copy(self) -> None:
        self.post_message(self.Copy(self.code, self.language))
