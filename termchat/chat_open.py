"""Opening a chat by id: the local copy, a server conversation imported, synced, and notes on its last reply."""

from __future__ import annotations

import time
from typing import Any

from termchat import events as ev
from termchat import history
from termchat.api import Api
from termchat.errors import ApiError, NotFoundError
from termchat.ids import is_valid_id
from termchat.lineage import read_lineage
from termchat.store import FAILED, ConversationRow, Store
from termchat.sync import gone_message, server_copy_gone
from termchat.sync_newest import mark_import, merge_listing, sync_conversation
from termchat.turn_pricing import MODEL_NAME

TITLE_LENGTH = 60
INTERRUPTED_NOTE = "the last reply was interrupted; its partial text is kept"
UNANSWERED_NOTE = "the last prompt got no reply"  # refused by a budget, or its request failed


def make_title(prompt: str) -> str:
    from termchat.sanitize import safe_title

    return safe_title(prompt, max_len=TITLE_LENGTH)


def open_chat(
    store: Store, api: Api, ident: str, *, sync: bool, default_model: str
) -> tuple[ConversationRow, list[ev.Notice]]:
    """Find a chat by id: locally, else import a `conv_…` id from the server."""
    notices: list[ev.Notice] = []
    conv = store.lookup(ident)
    if conv is None:
        if not ident.startswith("conv_") or not is_valid_id(ident):
            raise NotFoundError(f"unknown conversation '{ident}'", hint="see `termchat list`")
        conv = import_conversation(store, api, ident, default_model=default_model)
        notices.append(ev.Notice(f"imported conversation {ident} from the server ({conv.message_count} messages)"))
    elif sync and has_server_copy(conv):
        conv, synced = sync_with_server(store, api, conv)
        notices += synced
    last = store.messages(conv, limit=1)
    job = next((j for j in store.jobs(pending=True) if last and j.message_id == last[0].id), None)
    if job is not None:
        notices.append(ev.Notice(f"the last reply is background job {job.response_id}, still running on the server"))
    elif last and last[0].role == "assistant" and last[0].interrupted:
        unanswered = last[0].status == FAILED and not last[0].content and not last[0].response_id
        notices.append(
            ev.Notice(f"{UNANSWERED_NOTE} ({last[0].error or 'it failed'})" if unanswered else INTERRUPTED_NOTE)
        )
    return conv, notices


def has_server_copy(conv: ConversationRow) -> bool:
    """Whether opening `conv` reads its server copy: a conversation-mode chat that has one."""
    return conv.mode == "conversation" and bool(conv.remote_id)


def sync_with_server(store: Store, api: Api, conv: ConversationRow) -> tuple[ConversationRow, list[ev.Notice]]:
    """What opening a chat adds from its server copy (see `sync_chat`): the chat re-read, and
    what to tell the user. A server that cannot be read is a notice, not an error: the local
    copy still reads fine. (The app shows the local copy first and calls this after.)"""
    notices: list[ev.Notice] = []
    try:
        added = sync_chat(store, api, conv)
    except ApiError as exc:  # offline, or a broken server
        if server_copy_gone(api, exc, conv.remote_id):
            notices.append(ev.Notice(gone_message(conv.remote_id or conv.id, sent=False)))
        else:
            notices.append(
                ev.Notice(f"could not read the server copy of this chat, showing this machine's: {exc.one_line()}")
            )
    else:
        if added:
            notices.append(ev.Notice(f"synced {added} new messages from the server"))
    return store.reload(conv), notices


def import_conversation(store: Store, api: Api, conversation_id: str, *, default_model: str) -> ConversationRow:
    """Store a server conversation as a new local chat (`default_model` if it names none)."""
    try:
        remote = api.retrieve_conversation(conversation_id)
    except ApiError as exc:
        if exc.status == 404:
            raise NotFoundError(
                f"unknown conversation '{conversation_id}': not in the local store and the server does not know it"
            ) from None
        raise
    items = api.conversation_items(conversation_id)
    metadata = remote.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    rows = history.rows_from_items(items)
    # Metadata comes from whoever wrote the conversation: keep only a clean title and a
    # model name that looks like one.
    title = make_title(str(metadata.get("title") or "")) or next(
        (make_title(r["content"]) for r in rows if r["role"] == "user"), conversation_id
    )
    model = str(metadata.get("model") or "")
    if not MODEL_NAME.fullmatch(model):
        model = default_model
    parent, turn = read_lineage(metadata)
    conv = store.create_conversation(
        mode="conversation",
        model=model,
        title=title,
        id=conversation_id,
        remote_id=conversation_id,
        created_at=float(remote.get("created_at") or time.time()),
        parent_id=parent,
        fork_turn=turn,
    )
    store.replace_messages(conv, rows)
    mark_import(store, conv, items)
    return store.reload(conv)


def sync_chat(store: Store, api: Api, conv: ConversationRow) -> int:
    """Merge the server's items into the local transcript (never replacing it), reading them
    newest first back to where the last sync left off (termchat.sync_newest); returns how many
    messages were added. Raises `ApiError` when the server cannot be read."""
    return sync_conversation(store, api, conv)


def adopt_server_items(store: Store, conv: ConversationRow, items: list[dict[str, Any]]) -> int:
    """Add the turns only the server has (`items`: all of them, oldest first) to the local
    transcript, where they belong; what only this machine has stays (see termchat.sync).
    Returns how many messages were added."""
    return merge_listing(store, conv, items)
