"""The files that go with the next message, as chips by the prompt: Ctrl+A (or `@path` in the
prompt) adds one, pressing a chip (click, or Enter on it) takes it off, sending takes them all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button

from termchat.sanitize import strip_control

if TYPE_CHECKING:  # the row is in the first frame (hidden): termchat.attachments comes with a file
    from termchat.attachments import Attachment


def chip_label(attachment: Attachment) -> str:
    size = attachment.size
    shown = f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"
    return f"{strip_control(attachment.name, keep_newlines=False)} · {attachment.kind} {shown} ✕"


class AttachmentChip(Button):
    """One attached file; pressing it takes it off the message."""

    def __init__(self, attachment: Attachment) -> None:
        super().__init__(Content(chip_label(attachment)), classes="attachment-chip", compact=True)
        self.attachment = attachment


class AttachmentChips(Horizontal):
    """The row of chips; hidden while there are none."""

    class Changed(Message):
        """The set of attached files changed (added, removed, or sent)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.display = False

    @property
    def attachments(self) -> list[Attachment]:
        return [chip.attachment for chip in self.query(AttachmentChip)]

    async def add(self, attachment: Attachment) -> None:
        await self.mount(AttachmentChip(attachment))
        self.display = True
        self.post_message(self.Changed())

    async def take_all(self) -> list[Attachment]:
        """The attached files, and the row emptied (they go with the message being sent)."""
        found = self.attachments
        await self.remove_children()
        self.display = False
        if found:
            self.post_message(self.Changed())
        return found

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if isinstance(event.button, AttachmentChip):
            event.stop()
            await event.button.remove()
            self.display = bool(self.query(AttachmentChip))
            self.post_message(self.Changed())
