"""Resuming a chat: merge its server conversation into this machine's transcript.

The server has what every machine sent; this machine also has what never reached the server
(a prompt whose request failed, an interrupted reply, error notes, per-message cost and times).
So a resume never replaces the local transcript: it adds the turns only the server has, where
they belong, and keeps everything else as it is.

The two transcripts are aligned on (role, text) with difflib: rows in both are kept as they
are, rows only here are kept in place, rows only on the server are inserted where the alignment
puts them. A reply cut short here whose full text the server has counts as the same row.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from termchat.store import STREAMING, UNFINISHED, ConversationRow, MessageRow, Store

Entry = MessageRow | dict  # a local row, or a server row to add


def _key(role: str, content: str, items: list[dict[str, Any]]) -> tuple[str, str]:
    if role == "compaction":
        first = items[0] if items and isinstance(items[0], dict) else {}
        return role, str(first.get("id") or first.get("encrypted_content") or "")
    return role, content


def merged_order(local: list[MessageRow], remote: list[dict[str, Any]]) -> list[Entry]:
    """Every local row and every server-only row, in conversation order."""
    local_keys = [_key(m.role, m.content, m.items) for m in local]
    remote_keys = [_key(r["role"], r.get("content", ""), r.get("items") or []) for r in remote]
    merged: list[Entry] = []
    matcher = SequenceMatcher(None, local_keys, remote_keys, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        merged.extend(local[i1:i2])
        if op in ("insert", "replace"):
            merged.extend(r for r in remote[j1:j2] if not _cut_short_here(r, local[i1:i2]))
    return merged


def _cut_short_here(row: dict[str, Any], local: list[MessageRow]) -> bool:
    """Whether `row` is a reply this machine has only the start of (interrupted, failed)."""
    if row["role"] != "assistant":
        return False
    text = row.get("content", "")
    return any(
        m.role == "assistant" and m.status in UNFINISHED and m.content and text.startswith(m.content) for m in local
    )


def merge_remote(store: Store, conv: ConversationRow, remote: list[dict[str, Any]]) -> int:
    """Add the server-only rows of `remote` to `conv`'s transcript; returns how many were added."""
    local = store.messages(conv)
    if any(m.status == STREAMING for m in local):
        # A turn is in flight (in this process or another): its reply row must keep its id, or
        # the reply streaming into it would be written into a row that no longer exists. The
        # server's turns are merged at the next open, once the reply is filed.
        return 0
    merged = merged_order(local, remote)
    added = sum(1 for entry in merged if isinstance(entry, dict))
    if not added:
        return 0
    # Rows before the first added one stay where they are (same ids); the ones after it move
    # behind it, in the merged order, in one transaction.
    first_new = next(i for i, entry in enumerate(merged) if isinstance(entry, dict))
    store.splice_messages(conv, merged[first_new:])
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
