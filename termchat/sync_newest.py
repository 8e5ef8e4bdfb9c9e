"""Syncing a chat with its server conversation by reading it newest first, back to the sync mark.

Listing a whole conversation costs a request per 100 items (21 for a 2,000-message chat), each
parsed item by item by the SDK. But a server conversation only grows at its end (the API adds
items at the end and deletes them; it never edits one): what it had at the last sync is still
there, and this machine's transcript already holds it. So each sync
records where it left off (`SyncMark`: the server's newest item then, the item before it, and
the local row that holds it), and the next one reads the server newest first only until it
reaches that item. What came after it (the news) is merged with the local rows after the mark's
row (termchat.sync), exactly as a full listing would merge them there. An unchanged chat costs
one small request; a chat with a new turn or two, one page.

The full listing (oldest first, as before) is read instead whenever the newest-first one does
not line up with the mark:
- no mark: a chat never synced here, a store from before marks, a chat moved to another server
  conversation (compaction), or the mark's row deleted or rewritten here;
- the mark's item is not in the listing (deleted on the server), or the item listed after it
  is not the one before it: a server that ignores `order` (oldest first either way), or items
  deleted around the mark;
- the news do not start a transcript row of their own (a reply continued after the mark, e.g.
  a function's result or an approval sent from elsewhere), so they cannot be merged alone.
A server without the Conversations API fails the first request as it failed the full listing.

What a newest-first read cannot see are items deleted on the server before the mark. A merge
never removes local rows, so a full listing would keep them here too (and may add a row: the
replies around a deleted prompt read back as one); the newest-first sync leaves them as they are.
"""

from __future__ import annotations

from typing import Any

from termchat import history
from termchat.api import Api
from termchat.store import ConversationRow, Store, SyncMark
from termchat.sync import merge_remote


def sync_conversation(store: Store, api: Api, conv: ConversationRow) -> int:
    """Merge what the server has and this transcript lacks into it, reading the server back to
    the sync mark where there is one, all of it otherwise; returns how many messages were added.
    Raises `ApiError` when the server cannot be read."""
    remote_id = conv.remote_id or conv.id
    mark = store.sync_mark(conv)
    if mark is not None:
        news = items_since(api, remote_id, mark)
        if news is not None and history.starts_a_row(news):
            if not news:
                return 0
            previous = news[-2].get("id") if len(news) > 1 else mark.item_id
            rows = history.rows_from_items(news)
            return merge_remote(store, conv, rows, after=mark.message_id, mark=_ids(news[-1].get("id"), previous))
    return merge_listing(store, conv, api.conversation_items(remote_id))


def merge_listing(store: Store, conv: ConversationRow, items: list[dict[str, Any]]) -> int:
    """Merge a full listing of the chat's server conversation (oldest first) into its transcript
    and mark where it ends; returns how many messages were added."""
    ids = _newest_ids(items)
    if ids is None:  # nothing to mark it with: the next sync reads all of it again
        store.set_sync_mark(conv, None)
    return merge_remote(store, conv, history.rows_from_items(items), mark=ids)


def mark_import(store: Store, conv: ConversationRow, items: list[dict[str, Any]]) -> None:
    """Mark a chat just imported from the listing `items` (its transcript is exactly their rows)."""
    newest = store.messages(conv, limit=1)
    ids = _newest_ids(items)
    if newest and ids is not None:
        store.set_sync_mark(conv, SyncMark(conv.remote_id or conv.id, ids[0], ids[1], newest[0].id))


def items_since(api: Api, conversation_id: str, mark: SyncMark) -> list[dict[str, Any]] | None:
    """The items the server added after the mark's item, oldest first, read newest first; None
    when the listing does not line up with the mark (see the module's docstring)."""
    newer: list[dict[str, Any]] = []
    found = False
    for page in api.conversation_items_newest_first(conversation_id):
        for item in page:
            if found:  # the item listed after the mark's: the one before it, or the order is off
                return newer[::-1] if item.get("id") == mark.previous_item_id else None
            if item.get("id") == mark.item_id:
                found = True
            else:
                newer.append(item)
    # The listing ended: right after the mark's item only if that was the server's first item.
    return newer[::-1] if found and mark.previous_item_id is None else None


def _newest_ids(items: list[dict[str, Any]]) -> tuple[str, str | None] | None:
    """The ids a mark records for a listing (oldest first) that ends with `items`."""
    return _ids(items[-1].get("id") if items else None, items[-2].get("id") if len(items) > 1 else None)


def _ids(newest: Any, previous: Any) -> tuple[str, str | None] | None:
    """The (newest, previous) item ids a mark records; None when the newest has no usable id."""
    if not isinstance(newest, str) or not newest:
        return None
    return newest, previous if isinstance(previous, str) and previous else None
