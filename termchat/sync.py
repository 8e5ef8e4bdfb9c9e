"""Resuming a chat: merge its server conversation into this machine's transcript.

The server has what every machine sent; this machine also has what never reached the server
(a prompt whose request failed, an interrupted reply, error notes, per-message cost and times).
So a resume never replaces the local transcript: it adds the turns only the server has, where
they belong, and keeps everything else as it is.

The two transcripts are aligned on (role, text) with difflib: rows in both are kept as they
are, rows only here are kept in place, rows only on the server are inserted where the alignment
puts them. A reply cut short here whose full text the server has counts as the same row (for
one server reply: a later one that starts alike is a reply of its own).

A sync merges only what the server added since its mark with the rows after the mark's row
(termchat.sync_newest); `merge_remote` records the new mark.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from termchat.store import UNFINISHED, ConversationRow, MessageRow, Store, SyncMark

Entry = MessageRow | dict  # a local row, or a server row to add


def _key(role: str, content: str, items: list[dict[str, Any]]) -> tuple[str, str]:
    if role == "compaction":
        first = items[0] if items and isinstance(items[0], dict) else {}
        return role, str(first.get("id") or first.get("encrypted_content") or "")
    return role, content


def merged_order(local: list[MessageRow], remote: list[dict[str, Any]]) -> list[Entry]:
    """Every local row and every server-only row, in conversation order."""
    return _merge(local, remote)[0]


def _merge(local: list[MessageRow], remote: list[dict[str, Any]]) -> tuple[list[Entry], int | None]:
    """`merged_order`, and the index of the last entry that stands for a server row (a row
    added, the local row it matched, or the local reply it was cut short into): everything the
    server has is at or before it. None when the server has no row."""
    local_keys = [_key(m.role, m.content, m.items) for m in local]
    remote_keys = [_key(r["role"], r.get("content", ""), r.get("items") or []) for r in remote]
    merged: list[Entry] = []
    newest_at: int | None = None
    matcher = SequenceMatcher(None, local_keys, remote_keys, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        start = len(merged)
        merged.extend(local[i1:i2])
        if op == "equal":
            newest_at = start + (i2 - i1) - 1
        elif op in ("insert", "replace"):
            absorbed: set[int] = set()  # each reply cut short here stands for one server reply
            for row in remote[j1:j2]:
                cut_into = _cut_short_here(row, local[i1:i2], absorbed)
                if cut_into is None:
                    merged.append(row)
                    newest_at = len(merged) - 1
                else:
                    absorbed.add(cut_into)
                    newest_at = max(newest_at if newest_at is not None else -1, start + cut_into)
    return merged, newest_at


def _cut_short_here(row: dict[str, Any], local: list[MessageRow], absorbed: set[int]) -> int | None:
    """The index in `local` of the reply `row` was cut short into here (interrupted, failed):
    this machine has only its start. None when there is none (`absorbed`: indexes taken)."""
    if row["role"] != "assistant":
        return None
    text = row.get("content", "")
    for index, m in enumerate(local):
        if index in absorbed:
            continue
        if m.role == "assistant" and m.status in UNFINISHED and m.content and text.startswith(m.content):
            return index
    return None


def merge_remote(
    store: Store,
    conv: ConversationRow,
    remote: list[dict[str, Any]],
    *,
    after: int | None = None,
    mark: tuple[str, str | None] | None = None,
) -> int:
    """Add the server-only rows of `remote` to `conv`'s transcript; returns how many were added.

    `after`: `remote` is what the server added since a sync mark, merged with the local rows
    after the mark's row (the ones before it already hold everything the server had then).
    `mark`: the ids of the server's newest item and the one before it; once merged, they are
    recorded with the row that stands for the newest server row (see termchat.sync_newest)."""
    if store.has_streaming_reply(conv):
        # A turn is in flight (in this process or another): its reply row must keep its id, or
        # the reply streaming into it would be written into a row that no longer exists. The
        # server's turns are merged at the next open, once the reply is filed.
        return 0
    local = store.messages(conv, after_id=after)
    merged, newest_at = _merge(local, remote)
    ids = [entry.id if isinstance(entry, MessageRow) else 0 for entry in merged]
    added = ids.count(0)
    if added:
        # Rows before the first added one stay where they are (same ids); the ones after it move
        # behind it, in the merged order, in one transaction.
        first_new = ids.index(0)
        ids[first_new:] = store.splice_messages(conv, merged[first_new:])
    if mark is not None:
        holder = ids[newest_at] if newest_at is not None else after
        remote_id = conv.remote_id or conv.id
        store.set_sync_mark(conv, SyncMark(remote_id, mark[0], mark[1], holder) if holder else None)
    return added


def server_copy_gone(api: Any, error: Any, remote_id: str | None) -> bool:
    """Whether a 404 (`error`) means the chat's server conversation no longer exists: asked
    once more by id, the server does not know it either (a 404 may also be a missing model)."""
    from termchat.errors import ApiError

    if not remote_id or getattr(error, "status", None) != 404:
        return False
    try:
        api.retrieve_conversation(remote_id)
    except ApiError as again:
        return again.status == 404
    return False


def gone_message(remote_id: str, *, sent: bool) -> str:
    """What to tell the user about a chat whose server conversation was deleted."""
    from termchat.sanitize import strip_control

    head = (
        f"the server no longer has this chat's conversation {strip_control(remote_id)} "
        "(deleted there?); your messages are kept here"
    )
    if sent:
        return (
            f"{head}. Send again to continue in a new server conversation that starts from "
            "this chat's history, or switch the chat to local mode (--state local; F3 in the app)"
        )
    return f"{head}. Sending will offer to continue in a new server conversation or in local mode"
