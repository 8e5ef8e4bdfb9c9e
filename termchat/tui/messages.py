"""Messages the chat screen's workers post to it (`post_message` is thread-safe)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from termchat.store import ConversationRow

if TYPE_CHECKING:
    import threading

    from textual.worker import Worker

    from termchat.chats import ServerDelete


class ChatOpened(Message):
    """`Engine.open` found (or imported) a chat. `first`: the chat the app opened at start.

    `painted`: set once the chat is on screen; the worker then reads the chat's server copy
    and posts `ChatSynced` (None: the chat has no server copy to read)."""

    def __init__(
        self,
        worker: Worker[None],
        conv: ConversationRow,
        notices: list[str],
        *,
        first: bool,
        reveal: int | None = None,
        found: bool = True,
        painted: threading.Event | None = None,
    ) -> None:
        super().__init__()
        self.worker = worker  # cancelled: the user has since opened another chat
        self.conv = conv
        self.notices = notices
        self.first = first
        self.reveal = reveal  # a message to scroll to and select, marked as `found` or not
        self.found = found
        self.painted = painted


class ChatSynced(Message):
    """The server copy of an opened chat was read: `added` messages only it had are now in the
    store (0: nothing new), and `notices` say how it went."""

    def __init__(self, worker: Worker[None], conv: ConversationRow, added: int, notices: list[str]) -> None:
        super().__init__()
        self.worker = worker
        self.conv = conv
        self.added = added
        self.notices = notices


class ChatOpenFailed(Message):
    """`Engine.open` failed with `error` (one line)."""

    def __init__(self, worker: Worker[None], error: str, *, first: bool) -> None:
        super().__init__()
        self.worker = worker
        self.error = error
        self.first = first


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
