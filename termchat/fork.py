"""Forking a chat: a new chat that holds turns 1..N of another, in that chat's state mode.

What carries the context of the fork's next turn depends on the mode:
- conversation: a new server conversation seeded with turns 1..N as input items (the API
  takes 20 a request; `Api.create_conversation` adds the rest in further requests);
- chain: `previous_response_id` of the reply that ended turn N (nothing is copied on the server);
- local: the history up to turn N, sent with each turn.
The local transcript of turns 1..N is copied in every mode, and the fork records its parent and
turn: in the store, and in conversation mode in the server conversation's metadata too, so
another machine importing the conversation sees the lineage. Every check runs before anything
is created; if creating fails half-way, the server conversation made for it is deleted again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from termchat import history
from termchat.errors import ApiError, NotFoundError, TermchatError, UsageError
from termchat.lineage import lineage_metadata
from termchat.store import COMPLETE, INCOMPLETE, INTERRUPTED, STREAMING, ConversationRow, MessageRow

if TYPE_CHECKING:
    from termchat.engine import Engine

_FORK_SUFFIX = " (fork at "


def user_turns(messages: list[MessageRow]) -> int:
    """How many user turns a transcript holds."""
    return sum(1 for m in messages if m.role == "user")


def turn_end(messages: list[MessageRow], turn: int) -> int:
    """The index just past user turn `turn` (its prompt and replies; a compaction after it is not
    part of it)."""
    seen, end = 0, 0
    for index, message in enumerate(messages):
        if message.role == "user":
            seen += 1
            if seen > turn:
                break
        if seen == turn and message.role != history.COMPACTION:
            end = index + 1
    return end


def fork_title(title: str, turn: int) -> str:
    """`Title (fork at N)`; a fork of a fork names only its own turn."""
    base = title.split(_FORK_SUFFIX)[0] if title.endswith(")") else title
    return f"{base}{_FORK_SUFFIX}{turn})"


def fork_chat(engine: Engine, conv: ConversationRow, at: int | None = None) -> ConversationRow:
    """Fork `conv` at user turn `at` (default: its last turn); returns the new chat."""
    store = engine.store
    if conv.mode == "conversation" and conv.remote_id:
        # The server holds the chat: it must still exist, and may have turns this cache lacks.
        try:
            items = engine.api.conversation_items(conv.remote_id)
        except ApiError as exc:
            if exc.status == 404:
                raise NotFoundError(f"the server no longer has {conv.remote_id}, so it cannot be "
                                    "forked; nothing was created") from None
            raise
        engine.adopt_server_items(conv, items)
    messages = store.messages(conv)
    turns = user_turns(messages)
    if turns == 0:
        raise UsageError(f"{conv.id} has no turns to fork yet")
    turn = turns if at is None else at
    if not 1 <= turn <= turns:
        raise UsageError(f"--at {turn} is out of range: {conv.id} has {turns} turn"
                         f"{'s' if turns != 1 else ''} (1..{turns})")
    kept = messages[:turn_end(messages, turn)]
    title = fork_title(conv.title, turn)
    fields: dict[str, Any] = {"mode": conv.mode, "model": conv.model, "title": title,
                              "settings": conv.settings, "parent_id": conv.id, "fork_turn": turn}
    remote_id = None
    if conv.mode == "conversation":
        sent = [m for m in kept if not (m.role == "assistant" and m.status == STREAMING)]
        remote = engine.api.create_conversation(
            metadata={"title": title[:512], "model": conv.model, "client": "termchat",
                      **lineage_metadata(conv.remote_id or conv.id, turn)},
            items=history.window(sent) or None)
        remote_id = fields["id"] = fields["remote_id"] = remote["id"]
    elif conv.mode == "chain":
        fields["last_response_id"] = _chain_head(kept)
    try:
        fork = store.create_conversation(**fields)
        store.replace_messages(fork, [_copied(m) for m in kept])
    except TermchatError:
        if remote_id:
            _delete_quietly(engine, remote_id)
        raise
    return store.reload(fork)


def _chain_head(kept: list[MessageRow]) -> str | None:
    """The response a chain continues from after these rows, as the chat itself did then: the
    last reply the server finished (a compaction restarts the chain from the sent window)."""
    head = None
    for message in kept:
        if message.role == history.COMPACTION:
            head = None
        elif message.role == "assistant" and message.response_id and message.status in (COMPLETE, INCOMPLETE):
            head = message.response_id
    return head


def _copied(message: MessageRow) -> dict[str, Any]:
    return {"role": message.role, "content": message.content,
            "status": INTERRUPTED if message.status == STREAMING else message.status,
            "response_id": message.response_id, "items": message.items, "usage": message.usage,
            "cost_usd": message.cost_usd, "error": message.error, "created_at": message.created_at}


def _delete_quietly(engine: Engine, remote_id: str) -> None:
    try:
        engine.api.delete_conversation(remote_id)
    except ApiError:
        pass  # the error being raised is the one to report
