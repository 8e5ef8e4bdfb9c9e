"""Branches of a chat in the app: edit a prompt, regenerate a reply, step through alternatives.

Editing turn T's prompt or regenerating turn T's reply forks the chat at turn T-1 (termchat.fork,
in a worker: in conversation mode that is a request) and sends the prompt in the fork, which
the app then shows. The chats that share turns 1..T-1 are turn T's alternatives: its messages
show "‹ 2/3 ›", and ←/→ on a selected one open the neighbouring alternative at the same place.

Who does what: a selected `MessageView` owns the keys and asks; the `MessagePane` works out the
turn, the prompt or the neighbouring chat from the chat it shows (with the helpers below) and
asks the chat screen, which owns the prompt box, the workers and which chat is open.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from textual.message import Message

from termchat.store import ConversationRow, MessageRow, Store


class Alternatives(NamedTuple):
    """A chat's alternatives: turn -> the chats that hold them; message id -> (its chat's place,
    how many), for the messages of the turns that have some (what their headers show)."""

    by_turn: dict[int, list[ConversationRow]]
    marks: dict[int, tuple[int, int]]


NO_ALTERNATIVES = Alternatives({}, {})


def alternatives_of(store: Store, conv: ConversationRow | None) -> Alternatives:
    """`conv`'s alternatives (none for a new chat)."""
    from termchat.fork import alternatives

    by_turn = alternatives(store, conv) if conv is not None else {}
    if not by_turn or conv is None:
        return NO_ALTERNATIVES
    marks: dict[int, tuple[int, int]] = {}
    turn = 0
    for message in store.messages(conv):
        turn += message.role == "user"
        family = by_turn.get(turn)
        if family and message.role in ("user", "assistant"):
            place = next(i for i, chat in enumerate(family) if chat.pk == conv.pk)
            marks[message.id] = (place + 1, len(family))
    return Alternatives(by_turn, marks)


def place_in(family: list[ConversationRow], conv: ConversationRow) -> int | None:
    """`conv`'s index among `family` (None: not one of them)."""
    return next((i for i, chat in enumerate(family) if chat.pk == conv.pk), None)


def turn_of(messages: list[MessageRow], message_id: int) -> int:
    from termchat.fork import turn_of as fork_turn_of

    return fork_turn_of(messages, message_id)


class EditPrompt(Message):
    """Edit turn `turn`'s prompt of chat `pk` (`text`) in the prompt box: sending it branches."""

    def __init__(self, pk: int, turn: int, text: str) -> None:
        super().__init__()
        self.pk = pk
        self.turn = turn
        self.text = text


class Branch(Message):
    """Fork `conv` before turn `turn` and send `prompt` there (a new branch)."""

    def __init__(self, conv: ConversationRow, turn: int, prompt: str) -> None:
        super().__init__()
        self.conv = conv
        self.turn = turn
        self.prompt = prompt


class OpenAlternative(Message):
    """Open chat `conv_id` (an alternative of the chat shown) at message `reveal`."""

    def __init__(self, conv_id: str, reveal: int | None) -> None:
        super().__init__()
        self.conv_id = conv_id
        self.reveal = reveal


class Branched(Message):
    """A worker forked a chat for a branch: show `fork` and send `prompt` in it."""

    def __init__(self, fork: ConversationRow, prompt: str) -> None:
        super().__init__()
        self.fork = fork
        self.prompt = prompt


class BranchFailed(Message):
    """A worker could not fork the chat: say `error`; `prompt` goes back into the prompt box."""

    def __init__(self, prompt: str, error: str) -> None:
        super().__init__()
        self.prompt = prompt
        self.error = error


def run_fork(post: Any, engine: Any, conv: ConversationRow, turn: int, prompt: str) -> None:
    """Thread body: fork `conv` keeping turns 1..turn-1 -> `Branched`, or `BranchFailed`."""
    from termchat.errors import TermchatError
    from termchat.fork import fork_chat

    try:
        fork = fork_chat(engine, conv, turn - 1, from_start=True)
    except TermchatError as exc:
        post(BranchFailed(prompt, exc.one_line()))
        return
    finally:
        engine.store.close()
    post(Branched(fork, prompt))
