"""`Store`'s transcript half: adding, updating, filing, reading and splicing a chat's messages."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from termchat import store_transcript
from termchat.redact import redact
from termchat.store_connection import StoreConnection
from termchat.store_rows import COMPLETE, MSG_COLS, STREAMING, ConversationRow, MessageRow, SyncMark, message_row


class StoreMessages(StoreConnection):
    """The messages of the store's chats; `Store` adds the chats themselves, usage and jobs."""

    def add_message(
        self,
        conv: ConversationRow,
        role: str,
        content: str,
        *,
        status: str = COMPLETE,
        response_id: str | None = None,
        items: list[dict[str, Any]] | None = None,
        usage: dict[str, Any] | None = None,
        cost_usd: float | None = None,
        created_at: float | None = None,
        attachments: list[dict[str, Any]] | None = None,
        error: str | None = None,
    ) -> int:
        """Append to the transcript and bump the chat's activity time, in one transaction."""
        now = self._now()
        cursors = self._transaction(
            [
                (
                    "INSERT INTO messages(conversation_pk, role, content, status, response_id, items, usage,"
                    " cost_usd, attachments, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        conv.pk,
                        role,
                        content,
                        status,
                        response_id,
                        json.dumps(items) if items else None,
                        json.dumps(usage) if usage else None,
                        cost_usd,
                        store_transcript.json_list(attachments),
                        redact(error) if error else None,
                        created_at or now,
                    ),
                ),
                (
                    "UPDATE conversations SET updated_at = ?, message_count = message_count + 1 WHERE pk = ?",
                    (now, conv.pk),
                ),
            ]
        )
        message_id = cursors[0].lastrowid
        assert message_id is not None  # an INSERT always sets it
        return message_id

    def update_message(
        self,
        message_id: int,
        *,
        content: str | None = None,
        status: str | None = None,
        response_id: str | None = None,
        items: list[dict[str, Any]] | None = None,
        usage: dict[str, Any] | None = None,
        cost_usd: float | None = None,
        error: str | None = None,
        model: str | None = None,
        tools_usd: float | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> None:
        statement = store_transcript.message_update(
            message_id,
            content=content,
            status=status,
            response_id=response_id,
            items=items,
            usage=usage,
            cost_usd=cost_usd,
            error=error,
            model=model,
            tools_usd=tools_usd,
            attachments=attachments,
        )
        if statement is not None:
            self._transaction([statement])

    def drop_reply(self, conv: ConversationRow, message_id: int) -> None:
        """Remove a reply row that holds nothing the server produced (a turn that was never
        answered, about to be sent again)."""

        def work(db: sqlite3.Connection) -> None:
            cursor = db.execute(
                "DELETE FROM messages WHERE id = ? AND conversation_pk = ? AND role ="
                " 'assistant' AND content = '' AND usage IS NULL AND response_id IS NULL",
                (message_id, conv.pk),
            )
            db.execute(
                "UPDATE conversations SET message_count = message_count - ? WHERE pk = ?", (cursor.rowcount, conv.pk)
            )

        self._atomically(work)

    def add_usage(
        self, conv: ConversationRow, *, input_tokens: int, output_tokens: int, cost_usd: float | None
    ) -> None:
        """Add a turn's tokens and cost; a cost of None (unknown price) makes the total unknown."""
        self._transaction([store_transcript.usage_update(conv.pk, input_tokens, output_tokens, cost_usd, self._now())])

    def file_reply(
        self,
        message_id: int,
        fields: dict[str, Any],
        *,
        usage: tuple[ConversationRow, int, int, float | None] | None = None,
        job: tuple[str, str, str | None] | None = None,
        settled_ok: bool = False,
        spend: dict[str, Any] | None = None,
    ) -> bool:
        """Store a reply's end (`fields` as for `update_message`), its usage (chat, tokens in,
        tokens out, cost) and its job's terminal (id, status, error) in one transaction.
        `spend` (model, usage, cost_usd, tools_usd): what a job cost whose chat is gone, for
        the spending ledger alone.

        A job is settled once: if another process already recorded its end, nothing is written
        and False is returned (unless `settled_ok`: a settled job whose reply was never stored).
        """
        statements: list[tuple[str, tuple | dict]] = []
        message = store_transcript.message_update(message_id, **fields)
        if message is not None:
            statements.append(message)
        if usage is not None:
            conv, input_tokens, output_tokens, cost_usd = usage
            statements.append(
                store_transcript.usage_update(conv.pk, input_tokens, output_tokens, cost_usd, self._now())
            )
        if spend is not None:
            statements.append(
                (
                    "INSERT INTO spend(conversation_id, title, model, usage, cost_usd, tools_usd, created_at)"
                    " VALUES ('(deleted)', '', :model, :usage, :cost_usd, :tools_usd, :created_at)",
                    {**spend, "usage": json.dumps(spend["usage"]), "created_at": self._now()},
                )
            )

        def work(db: sqlite3.Connection) -> bool:
            if job is not None and not store_transcript.settle_job(db, job, self._now(), settled_ok):
                return False  # settled elsewhere: nothing was written, nothing else is
            for sql, params in statements:
                db.execute(sql, params)
            return True

        return bool(self._atomically(work))

    def messages(
        self,
        conv: ConversationRow,
        *,
        limit: int | None = None,
        before_id: int | None = None,
        after_id: int | None = None,
    ) -> list[MessageRow]:
        """Transcript in order; with `limit`, the newest `limit` messages (before `before_id`);
        with `after_id`, only the messages after that one."""
        sql = f"SELECT {MSG_COLS} FROM messages WHERE conversation_pk = ?"
        params: list[Any] = [conv.pk]
        if before_id is not None:
            sql += " AND id < ?"
            params.append(before_id)
        if after_id is not None:
            sql += " AND id > ?"
            params.append(after_id)
        if limit is None:
            rows = self._read(sql + " ORDER BY id", tuple(params))
        else:
            rows = self._read(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))[::-1]
        return [message_row(r) for r in rows]

    def recent_prompts(self, *, limit: int = 100, conv: ConversationRow | None = None) -> list[str]:
        """The user's newest messages, newest first: of every chat, or of `conv`."""
        sql, params = "SELECT content FROM messages WHERE role = 'user'", []
        if conv is not None:
            sql += " AND conversation_pk = ?"
            params.append(conv.pk)
        return [r[0] for r in self._read(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))]

    def message(self, message_id: int) -> MessageRow | None:
        rows = self._read(f"SELECT {MSG_COLS} FROM messages WHERE id = ?", (message_id,))
        return message_row(rows[0]) if rows else None

    def has_streaming_reply(self, conv: ConversationRow) -> bool:
        """Whether a reply of `conv` is streaming (in this process or another)."""
        sql = "SELECT 1 FROM messages WHERE conversation_pk = ? AND status = ? LIMIT 1"
        return bool(self._read(sql, (conv.pk, STREAMING)))

    def replace_messages(self, conv: ConversationRow, rows: list[dict[str, Any]]) -> None:
        """Swap the cached transcript for one rebuilt from the server, atomically."""
        self._transaction(store_transcript.replacement(conv.pk, rows, self._now()))

    def splice_messages(self, conv: ConversationRow, rows: list[MessageRow | dict[str, Any]]) -> list[int]:
        """Append `rows` to a chat's transcript in this order, in one transaction: a stored row
        (`MessageRow`) moves there with every column it has, and a background job that points
        at it follows it; a dict is a new row (role, content, status, items, response_id).
        Returns the rows' ids, in order (a moved row has a new one)."""
        return list(self._atomically(lambda db: store_transcript.splice(db, conv.pk, rows, self._now())))

    def sync_mark(self, conv: ConversationRow) -> SyncMark | None:
        """Where `conv` last lined up with its server conversation (see `SyncMark`); None when
        it never did, or no longer can: another server conversation, or its row is gone."""
        rows = self._read(
            "SELECT s.remote_id, s.item_id, s.previous_item_id, s.message_id FROM sync_marks s"
            " JOIN messages m ON m.id = s.message_id AND m.conversation_pk = s.conversation_pk"
            " WHERE s.conversation_pk = ?",
            (conv.pk,),
        )
        if not rows or rows[0][0] != conv.remote_id:
            return None
        return SyncMark(*rows[0])

    def set_sync_mark(self, conv: ConversationRow, mark: SyncMark | None) -> None:
        """Record where `conv` lines up with its server conversation (None: forget it)."""
        if mark is None:
            self._write("DELETE FROM sync_marks WHERE conversation_pk = ?", (conv.pk,))
            return
        self._write(
            "INSERT OR REPLACE INTO sync_marks(conversation_pk, remote_id, item_id, previous_item_id, message_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (conv.pk, mark.remote_id, mark.item_id, mark.previous_item_id, mark.message_id),
        )

    def iter_all_messages(self, conv: ConversationRow, page: int = 500) -> Iterator[MessageRow]:
        last = 0
        while True:
            rows = self._read(
                f"SELECT {MSG_COLS} FROM messages WHERE conversation_pk = ? AND id > ? ORDER BY id LIMIT ?",
                (conv.pk, last, page),
            )
            if not rows:
                return
            for row in rows:
                yield message_row(row)
            last = rows[-1][0]
