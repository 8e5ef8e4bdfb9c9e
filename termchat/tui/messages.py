"""Messages workers post to the app (thread-safe `post_message`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from termchat.store import ConversationRow

if TYPE_CHECKING:
    from termchat.tui.actions import ServerDelete


class Opened(Message):
    """A chat was found/imported by `Engine.open`; `token` says which open request it answers."""

    def __init__(self, conv: ConversationRow, notices: list[str], token: int) -> None:
        super().__init__()
        self.conv = conv
        self.notices = notices
        self.token = token


class ChatChanged(Message):
    """A worker changed a chat (compaction, background job): re-read it and say `note`."""

    def __init__(self, pk: int, note: str, severity: str = "information") -> None:
        super().__init__()
        self.pk = pk
        self.note = note
        self.severity = severity


class ServerDeleted(Message):
    """A worker deleted (or failed to delete) a chat's server conversation: say `job.note`."""

    def __init__(self, job: ServerDelete) -> None:
        super().__init__()
        self.job = job
