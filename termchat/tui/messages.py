"""Messages workers post to the app (thread-safe `post_message`)."""

from __future__ import annotations

from textual.message import Message

from termchat.store import ConversationRow


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
