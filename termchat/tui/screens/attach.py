"""Ctrl+A: ask for a file to attach to the next message, completing the path as it is typed.

The file is read and checked here (as `-a FILE` is), so a file termchat cannot send is refused
in the dialog, with the reason, before it ever becomes a chip by the prompt.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Label

from termchat.attachments import Attachment, read_attachment
from termchat.errors import UsageError
from termchat.path_completion import complete, completions


class PathSuggester(Suggester):
    """Suggests the first file name that what is typed can become (Right accepts it)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        found = completions(value) if value else []
        return found[0] if found else None


class AttachDialog(ModalScreen[Attachment | None]):
    """One path; Tab completes it as far as the candidates agree, Enter attaches, Escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog_cancel"),
        Binding("tab", "complete", "Complete", id="attach_complete", priority=True),
    ]

    def __init__(self, value: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content("Attach a file to the next message"), classes="dialog-title")
            yield Label(Content("an image (png, jpg, gif, webp), a PDF or a UTF-8 text file"), classes="dialog-note")
            yield Input(self.value, placeholder="path/to/file", id="attach-path", suggester=PathSuggester())
            yield Label("", id="attach-problem", classes="dialog-note", markup=False)
            yield Label(Content("Tab completes · Enter attaches · Escape cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_complete(self) -> None:
        field = self.query_one(Input)
        extended = complete(field.value)
        if extended != field.value:
            field.value = extended
            field.cursor_position = len(extended)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            return
        try:
            attachment = read_attachment(event.value)
        except UsageError as exc:
            self.query_one("#attach-problem", Label).update(exc.one_line())
            return
        self.dismiss(attachment)

    def action_cancel(self) -> None:
        self.dismiss(None)
