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


def fork_chat(
    engine: Engine, conv: ConversationRow, at: int | None = None, *, from_start: bool = False
) -> ConversationRow:
    """Fork `conv` at user turn `at` (default: its last turn); returns the new chat.

    `from_start` allows `at` = 0, a fork before the first turn (the app's edit of a first
    prompt); the command line asks for a turn to keep.
    """
    store = engine.store
    if conv.mode == "conversation" and conv.remote_id:
        # The server holds the chat: it must still exist, and may have turns this cache lacks.
        try:
            items = engine.api.conversation_items(conv.remote_id)
        except ApiError as exc:
            if exc.status == 404:
                raise NotFoundError(
                    f"the server no longer has {conv.remote_id}, so it cannot be forked; nothing was created"
                ) from None
            raise
        engine.adopt_server_items(conv, items)
    messages = store.messages(conv)
    turns = user_turns(messages)
    if turns == 0 and not from_start:
        raise UsageError(f"{conv.id} has no turns to fork yet")
    turn = turns if at is None else at
    if not (0 if from_start else 1) <= turn <= turns:
        raise UsageError(
            f"--at {turn} is out of range: {conv.id} has {turns} turn{'s' if turns != 1 else ''} (1..{turns})"
        )
    kept = messages[: turn_end(messages, turn)]
    title = fork_title(conv.title, turn)
    fields: dict[str, Any] = {
        "mode": conv.mode,
        "model": conv.model,
        "title": title,
        "settings": conv.settings,
        "parent_id": conv.id,
        "fork_turn": turn,
    }
    remote_id = None
    if conv.mode == "conversation":
        sent = [m for m in kept if not (m.role == "assistant" and m.status == STREAMING)]
        remote = engine.api.create_conversation(
            metadata={
                "title": title[:512],
                "model": conv.model,
                "client": "termchat",
                **lineage_metadata(conv.remote_id or conv.id, turn),
            },
            items=history.window(sent) or None,
        )
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
    """A message for the fork's transcript. Its usage and cost stay with the original: the fork
    did not spend them, and `termchat usage` and budgets would count them twice."""
    return {
        "role": message.role,
        "content": message.content,
        "status": INTERRUPTED if message.status == STREAMING else message.status,
        "response_id": message.response_id,
        "items": message.items,
        "error": message.error,
        "attachments": message.attachments,
        "created_at": message.created_at,
    }


def _delete_quietly(engine: Engine, remote_id: str) -> None:
    try:
        engine.api.delete_conversation(remote_id)
    except ApiError:
        pass  # the error being raised is the one to report


# -- alternatives: the chats that share a chat's turns up to some point ----------------------


def turn_of(messages: list[MessageRow], message_id: int) -> int:
    """The user turn a message belongs to (its own number for a prompt, its prompt's for a
    reply); 0 for what comes before the first prompt or an unknown id."""
    turn = 0
    for message in messages:
        if message.role == "user":
            turn += 1
        if message.id == message_id:
            return turn
    return 0


def alternatives(store: Any, conv: ConversationRow) -> dict[int, list[ConversationRow]]:
    """For each turn of `conv` that has alternatives, the chats that hold them: the first chat,
    then the others in the order they were made (`conv` among them).

    Turn T's alternatives are the chats whose turns 1..T-1 are the same and whose turn T is
    not: a chat and the forks made from it at turn T-1 (as the app's edit and regenerate do),
    and theirs at the same turn.
    """
    turns = {fork.fork_turn for fork in store.forks(conv) if fork.fork_turn is not None}
    if conv.parent_id and conv.fork_turn is not None:
        turns.add(conv.fork_turn)
    found = {}
    for kept in sorted(turns):
        family = _family(store, conv, kept)
        if len(family) > 1:
            found[kept + 1] = family
    return found


def _family(store: Any, conv: ConversationRow, kept: int) -> list[ConversationRow]:
    """`conv` and every chat linked to it by forks made at turn `kept`, the first one first."""
    root, seen = conv, {conv.pk}
    while root.fork_turn == kept and root.parent_id:
        parent = store.get_conversation(root.parent_id)
        if parent is None or parent.pk in seen:
            break
        root = parent
        seen.add(root.pk)
    family, queue, seen = [root], [root], {root.pk}
    while queue:
        for fork in store.forks(queue.pop(0)):
            if fork.fork_turn == kept and fork.pk not in seen:
                seen.add(fork.pk)
                family.append(fork)
                queue.append(fork)
    return family[:1] + sorted(family[1:], key=lambda chat: (chat.created_at, chat.pk))


def message_at(messages: list[MessageRow], turn: int, role: str) -> int | None:
    """The id of turn `turn`'s prompt (`role` "user") or its last reply (else), if it has one."""
    found = None
    current = 0
    for message in messages:
        if message.role == "user":
            current += 1
            if current == turn and role == "user":
                return message.id
        elif current == turn and message.role == "assistant" and role != "user":
            found = message.id
    return found


def with_forks(store: Any, rows: list[ConversationRow], shown: set[int]) -> list[tuple[ConversationRow, int]]:
    """`rows` (newest activity first) with each chat's forks right under it: (chat, depth).

    A family is listed once, where its most active member comes: a fork more active than its
    parent brings the parent (and the rest of the family) up with it. Chats in `shown` (listed
    on an earlier page) are left out; the listed ones are added to it. A page without forks
    costs one query.
    """
    roots: dict[int, ConversationRow] = {}
    for conv in rows:
        if conv.pk in shown:
            continue
        root, seen = conv, {conv.pk}
        while root.parent_id:  # up to the family's first chat
            parent = store.get_conversation(root.parent_id)
            if parent is None or parent.pk in seen:
                break
            root = parent
            seen.add(root.pk)
        roots.setdefault(root.pk, root)
    children: dict[str, list[ConversationRow]] = {}
    level = [root.id for root in roots.values()]
    while level:  # one query per generation
        found = store.children(level)
        children.update(found)
        level = [kid.id for kids in found.values() for kid in kids if kid.id not in children]
    listed: list[tuple[ConversationRow, int]] = []
    for root in roots.values():
        stack = [(root, 0)]
        while stack:
            chat, depth = stack.pop()
            if chat.pk in shown:
                continue
            shown.add(chat.pk)
            listed.append((chat, depth))
            stack.extend((kid, depth + 1) for kid in reversed(children.get(chat.id, [])))
    return listed
