"""SQLite store: conversations, their transcript, aliases and background jobs.

WAL mode and a busy timeout let several termchat processes share one file; every write is
one short `BEGIN IMMEDIATE` transaction so writers queue instead of failing. Listing reads
only the `conversations` table (never messages).
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from termchat import store_transcript
from termchat.errors import StoreError, UsageError
from termchat.redact import redact
from termchat.store_connection import DB_NAME, READ_WAIT, WRITE_WAIT
from termchat.store_format import NEWEST_FIRST, SCHEMA_VERSION
from termchat.store_messages import StoreMessages
from termchat.store_rows import (
    COMPLETE,
    CONV_COLS,
    FAILED,
    INCOMPLETE,
    INTERRUPTED,
    JOB_COLS,
    JOB_PENDING,
    JOB_TERMINAL,
    STREAMING,
    UNFINISHED,
    ConversationRow,
    JobRow,
    MessageRow,
    SyncMark,
    TurnUsageRow,
    conversation_row,
    loads,
)
from termchat.store_schema import MIGRATIONS as _MIGRATIONS
from termchat.store_schema import statements as _statements

if TYPE_CHECKING:
    from termchat.search import SearchHit

# Names other modules import from here: the row types and statuses live in store_rows, the
# migrations in store_schema, opening the file and transactions in store_connection, the
# messages' reads and writes in store_messages.
__all__ = [
    "DB_NAME",
    "READ_WAIT",
    "WRITE_WAIT",
    "COMPLETE",
    "FAILED",
    "INCOMPLETE",
    "INTERRUPTED",
    "JOB_PENDING",
    "JOB_TERMINAL",
    "STREAMING",
    "UNFINISHED",
    "ConversationRow",
    "JobRow",
    "MessageRow",
    "SCHEMA_VERSION",
    "Store",
    "SyncMark",
    "TurnUsageRow",
    "_MIGRATIONS",
    "_statements",
    "new_local_id",
]


def new_local_id() -> str:
    """A short id for chats that have no server conversation id."""
    import uuid  # lazily: uuid pulls in `platform`, too slow for the `termchat list` start-up path

    return "tc_" + uuid.uuid4().hex[:10]


class Store(StoreMessages):
    """The local database: its chats, transcripts, usage and jobs. One connection per instance."""

    # -- conversations ----------------------------------------------------------------------

    def create_conversation(
        self,
        *,
        mode: str,
        model: str,
        title: str = "",
        id: str | None = None,
        remote_id: str | None = None,
        settings: dict[str, Any] | None = None,
        created_at: float | None = None,
        last_response_id: str | None = None,
        parent_id: str | None = None,
        fork_turn: int | None = None,
    ) -> ConversationRow:
        now = self._now()
        cid = id or remote_id or new_local_id()
        self._write(
            "INSERT INTO conversations(id, remote_id, title, mode, model, settings, created_at, updated_at,"
            " last_response_id, parent_id, fork_turn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cid,
                remote_id,
                title,
                mode,
                model,
                json.dumps(settings or {}),
                created_at or now,
                now,
                last_response_id,
                parent_id,
                fork_turn,
            ),
        )
        found = self.get_conversation(cid)
        assert found is not None
        return found

    def create_conversation_with_prompt(
        self,
        prompt: str,
        *,
        mode: str,
        model: str,
        title: str = "",
        settings: dict[str, Any] | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> tuple[ConversationRow, int]:
        """A new chat and its first prompt, in one transaction: a chat never exists without
        the prompt that started it (a process killed in between used to leave an empty one)."""
        now = self._now()
        cid = new_local_id()

        def work(db: sqlite3.Connection) -> int:
            cursor = db.execute(
                "INSERT INTO conversations(id, title, mode, model, settings, created_at, updated_at,"
                " message_count) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                (cid, title, mode, model, json.dumps(settings or {}), now, now),
            )
            message_id = db.execute(
                "INSERT INTO messages(conversation_pk, role, content, status, attachments, created_at)"
                " VALUES (?, 'user', ?, ?, ?, ?)",
                (cursor.lastrowid, prompt, COMPLETE, store_transcript.json_list(attachments), now),
            ).lastrowid
            assert message_id is not None  # an INSERT always sets it
            return message_id

        message_id = self._atomically(work)
        found = self.get_conversation(cid)
        assert found is not None
        return found, message_id

    def get_conversation(self, ident: str) -> ConversationRow | None:
        """Find a chat by its id, a remote id, or an alias from before a compaction."""
        rows = self._read(f"SELECT {CONV_COLS} FROM conversations WHERE id = ?", (ident,))
        if not rows:
            rows = self._read(
                f"SELECT {CONV_COLS} FROM conversations WHERE pk = "
                "(SELECT conversation_pk FROM aliases WHERE alias = ?)",
                (ident,),
            )
        if not rows:
            rows = self._read(f"SELECT {CONV_COLS} FROM conversations WHERE remote_id = ?", (ident,))
        return conversation_row(rows[0]) if rows else None

    def lookup(self, ident: str) -> ConversationRow | None:
        """`get_conversation`, else the one chat whose id starts with `ident`."""
        conv = self.get_conversation(ident)
        if conv is not None:
            return conv
        matches = self.find_by_prefix(ident)
        if len(matches) > 1:
            raise UsageError(f"'{ident}' matches several chats; type more of the id")
        return matches[0] if matches else None

    def find_by_prefix(self, prefix: str, limit: int = 2) -> list[ConversationRow]:
        """Chats whose id starts with `prefix` (so a user can type a short, unique start)."""
        if len(prefix) < 3:
            return []
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._read(
            f"SELECT {CONV_COLS} FROM conversations WHERE id LIKE ? ESCAPE '\\' ORDER BY updated_at DESC LIMIT ?",
            (pattern, limit),
        )
        return [conversation_row(r) for r in rows]

    def reload(self, conv: ConversationRow) -> ConversationRow:
        rows = self._read(f"SELECT {CONV_COLS} FROM conversations WHERE pk = ?", (conv.pk,))
        if not rows:
            raise StoreError(f"conversation {conv.id} was deleted")
        return conversation_row(rows[0])

    def list_conversations(
        self, *, limit: int | None = None, offset: int = 0, search: str | None = None
    ) -> list[ConversationRow]:
        """Newest activity first. `search` filters on title or id (case-insensitive)."""
        sql = f"SELECT {CONV_COLS} FROM conversations"
        params: list[Any] = []
        if search:
            sql += " WHERE title LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\'"
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pattern, pattern]
        sql += f" {NEWEST_FIRST}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [conversation_row(r) for r in self._read(sql, tuple(params))]

    def search(self, text: str, *, limit: int = 50) -> list[SearchHit]:
        """Messages and titles matching `text`, newest first."""
        from termchat.search import search

        try:
            return search(self._db, text, limit=limit)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot search {self.path}: {exc}") from None

    def search_chats(
        self, text: str, *, skip: set[int] | frozenset[int] = frozenset(), limit: int = 60
    ) -> list[tuple[ConversationRow, int, str]]:
        """Chats whose messages match `text` as typed so far (not those in `skip`), newest match
        first: (chat, id of the matching message, a marked excerpt of it)."""
        from termchat.search import chat_hits, excerpt

        try:
            hits = chat_hits(self._db, text, skip=skip, limit=limit)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot search {self.path}: {exc}") from None
        found = []
        for pk, message_id in hits:
            rows = self._read(f"SELECT {CONV_COLS} FROM conversations WHERE pk = ?", (pk,))
            message = self.message(message_id)
            if rows and message is not None:
                found.append(
                    (message.created_at, conversation_row(rows[0]), message_id, excerpt(message.content, text))
                )
        found.sort(key=lambda hit: (hit[0], hit[2]), reverse=True)
        return [hit[1:] for hit in found]

    def children(self, ids: list[str]) -> dict[str, list[ConversationRow]]:
        """The chats forked from each of `ids` (parent id -> its forks, oldest first)."""
        found: dict[str, list[ConversationRow]] = {}
        for start in range(0, len(ids), 500):  # within SQLite's limit of bound parameters
            chunk = ids[start : start + 500]
            rows = self._read(
                f"SELECT {CONV_COLS} FROM conversations WHERE parent_id IN "
                f"({', '.join('?' * len(chunk))}) ORDER BY created_at, pk",
                tuple(chunk),
            )
            for row in map(conversation_row, rows):
                found.setdefault(row.parent_id or "", []).append(row)
        return found

    def forks(self, parent: ConversationRow) -> list[ConversationRow]:
        """The chats forked from `parent` (by any id it has had), oldest first."""
        ids = [parent.id, *self.aliases(parent)]
        marks = ", ".join("?" * len(ids))
        rows = self._read(
            f"SELECT {CONV_COLS} FROM conversations WHERE parent_id IN ({marks}) ORDER BY created_at, pk", tuple(ids)
        )
        return [conversation_row(r) for r in rows]

    def count_conversations(self) -> int:
        return self._read("SELECT COUNT(*) FROM conversations")[0][0]

    def most_recent(self) -> ConversationRow | None:
        rows = self.list_conversations(limit=1)
        return rows[0] if rows else None

    _UPDATABLE = {"id", "remote_id", "title", "mode", "model", "last_response_id", "settings"}

    def update_conversation(self, conv: ConversationRow, **fields: Any) -> ConversationRow:
        """Change columns of a chat; a changed id keeps the old one as an alias."""
        unknown = set(fields) - self._UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        if "settings" in fields:
            fields["settings"] = json.dumps(fields["settings"])
        statements: list[tuple[str, tuple | dict]] = []
        if fields:
            assignments = ", ".join(f"{name} = :{name}" for name in fields)
            statements.append(
                (
                    f"UPDATE conversations SET {assignments}, updated_at = :now WHERE pk = :pk",
                    {**fields, "now": self._now(), "pk": conv.pk},
                )
            )
        if "id" in fields and fields["id"] != conv.id:
            statements.append(
                ("INSERT OR REPLACE INTO aliases(alias, conversation_pk) VALUES (?, ?)", (conv.id, conv.pk))
            )
            statements.append(
                ("UPDATE conversations SET parent_id = ? WHERE parent_id = ?", (fields["id"], conv.id))
            )  # its forks name it by its new id
        if statements:
            self._transaction(statements)
        return self.reload(conv)

    def add_alias(self, conv: ConversationRow, alias: str) -> None:
        self._write("INSERT OR REPLACE INTO aliases(alias, conversation_pk) VALUES (?, ?)", (alias, conv.pk))

    def aliases(self, conv: ConversationRow) -> list[str]:
        return [r[0] for r in self._read("SELECT alias FROM aliases WHERE conversation_pk = ?", (conv.pk,))]

    def delete_conversation(self, conv: ConversationRow) -> None:
        self._write("DELETE FROM conversations WHERE pk = ?", (conv.pk,))

    # -- usage and spending -----------------------------------------------------------------

    def turn_usage(self, since: float | None = None) -> list[TurnUsageRow]:
        """Every reply that reported usage (oldest first), created at or after `since`, deleted
        chats' included (the `spend` ledger). Items are read only where the tool fees were not
        stored (replies from before termchat stored them)."""
        sql = (
            "SELECT s.created_at, COALESCE(c.id, s.conversation_id), COALESCE(c.title, s.title),"
            " s.model, s.usage, s.cost_usd, s.tools_usd, m.items, c.pk IS NULL FROM spend s"
            " LEFT JOIN conversations c ON c.pk = s.conversation_pk"
            " LEFT JOIN messages m ON m.id = s.message_id AND s.tools_usd IS NULL"
        )
        params: tuple[Any, ...] = ()
        if since is not None:
            sql += " WHERE s.created_at >= ?"
            params = (since,)
        return [
            TurnUsageRow(
                created, cid, title or "", model, loads(usage, None) or {}, cost, tools, loads(items, []), bool(deleted)
            )
            for created, cid, title, model, usage, cost, tools, items, deleted in self._read(
                sql + " ORDER BY s.created_at, s.id", params
            )
        ]

    def spent_since(self, since: float) -> tuple[float, int]:
        """USD spent on replies created at or after `since` (in chats deleted since too), and how
        many of them had no price."""
        total, unpriced = self._read(
            "SELECT COALESCE(SUM(cost_usd), 0), COALESCE(SUM(cost_usd IS NULL), 0) FROM spend WHERE created_at >= ?",
            (since,),
        )[0]
        return float(total), int(unpriced)

    # -- notes given once ---------------------------------------------------------------------

    def note_once(self, key: str) -> bool:
        """True the first time `key` is noted in this store (the caller then gives its note)."""
        cursor = self._write("INSERT OR IGNORE INTO notes_given(key, given_at) VALUES (?, ?)", (key, self._now()))
        return cursor.rowcount == 1

    # -- background jobs --------------------------------------------------------------------

    def add_job(
        self,
        response_id: str,
        conv: ConversationRow | None,
        message_id: int | None,
        status: str,
        *,
        base_url: str | None = None,
        model: str | None = None,
    ) -> None:
        now = self._now()
        self._write(
            "INSERT OR REPLACE INTO jobs(response_id, conversation_pk, message_id, status,"
            " created_at, updated_at, base_url, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (response_id, conv.pk if conv else None, message_id, status, now, now, base_url, model),
        )

    def update_job(
        self, response_id: str, *, status: str | None = None, last_sequence: int | None = None, error: str | None = None
    ) -> None:
        self._write(
            "UPDATE jobs SET status = COALESCE(?, status), last_sequence = COALESCE(?, last_sequence),"
            " error = COALESCE(?, error), updated_at = ? WHERE response_id = ?",
            (status, last_sequence, redact(error) if error is not None else None, self._now(), response_id),
        )

    def jobs(self, *, pending: bool = False) -> list[JobRow]:
        """Newest first; `pending`: only the jobs not yet finished."""
        where = f" WHERE j.status NOT IN ({', '.join('?' * len(JOB_TERMINAL))})" if pending else ""
        rows = self._read(
            f"SELECT {JOB_COLS} FROM jobs j LEFT JOIN conversations c"
            f" ON c.pk = j.conversation_pk{where} ORDER BY j.created_at DESC",
            JOB_TERMINAL if pending else (),
        )
        return [JobRow(*r) for r in rows]

    def job(self, response_id: str) -> JobRow | None:
        rows = self._read(
            f"SELECT {JOB_COLS} FROM jobs j LEFT JOIN conversations c"
            " ON c.pk = j.conversation_pk WHERE j.response_id = ?",
            (response_id,),
        )
        return JobRow(*rows[0]) if rows else None

    def integrity_ok(self) -> bool:
        return self._read("PRAGMA integrity_check")[0][0] == "ok"
