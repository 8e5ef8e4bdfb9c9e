"""SQLite store: conversations, their transcript, aliases and background jobs.

WAL mode and a busy timeout let several termchat processes share one file; every write is
one short `BEGIN IMMEDIATE` transaction so writers queue instead of failing. Listing reads
only the `conversations` table (never messages).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from termchat import store_file
from termchat.errors import ConfigError, StoreError, UsageError
from termchat.paths import PRIVATE_FILE_MODE
from termchat.redact import redact
from termchat.search import FTS_SCHEMA
from termchat.store_format import KNOWN_COST, NEWEST_FIRST, SCHEMA_VERSION, conversation_json
from termchat.store_format import iso as _iso

if TYPE_CHECKING:
    from termchat.search import SearchHit

DB_NAME = "termchat.db"
READ_WAIT = 5.0  # seconds a read (and opening) waits for another process's lock
WRITE_WAIT = 30.0  # seconds a write waits its turn: concurrent turns queue rather than fail

# Message statuses. `streaming` left behind by a killed process reads as interrupted.
COMPLETE = "complete"
STREAMING = "streaming"
INTERRUPTED = "interrupted"
FAILED = "failed"
INCOMPLETE = "incomplete"
UNFINISHED = (STREAMING, INTERRUPTED, FAILED, INCOMPLETE)

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE conversations(
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        remote_id TEXT,
        title TEXT NOT NULL DEFAULT '',
        mode TEXT NOT NULL,
        model TEXT NOT NULL,
        last_response_id TEXT,
        settings TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX conversations_updated ON conversations(updated_at DESC);
    CREATE TABLE aliases(
        alias TEXT PRIMARY KEY,
        conversation_pk INTEGER NOT NULL REFERENCES conversations(pk) ON DELETE CASCADE
    );
    CREATE TABLE messages(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_pk INTEGER NOT NULL REFERENCES conversations(pk) ON DELETE CASCADE,
        role TEXT NOT NULL,
        content TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'complete',
        response_id TEXT,
        items TEXT,
        usage TEXT,
        cost_usd REAL,
        error TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX messages_conversation ON messages(conversation_pk, id);
    """,
    2: """
    CREATE TABLE jobs(
        response_id TEXT PRIMARY KEY,
        conversation_pk INTEGER REFERENCES conversations(pk) ON DELETE SET NULL,
        message_id INTEGER,
        status TEXT NOT NULL,
        last_sequence INTEGER,
        error TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    ALTER TABLE conversations ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
    """,
    # What each turn ran on and paid in tool fees, so `termchat usage` can group by model and
    # show fees; replies from before take their chat's model. The index serves budgets.
    3: """
    ALTER TABLE messages ADD COLUMN model TEXT;
    ALTER TABLE messages ADD COLUMN tools_usd REAL;
    UPDATE messages SET model = (SELECT c.model FROM conversations c WHERE c.pk = messages.conversation_pk)
        WHERE usage IS NOT NULL;
    CREATE INDEX messages_created ON messages(created_at);
    """,
    # Full-text search over message text and chat titles: the indexes termchat.search reads.
    4: FTS_SCHEMA,
    # A fork names the chat it was forked from (its id then, which may since have become an
    # alias) and the user turn it was forked at.
    5: """
    ALTER TABLE conversations ADD COLUMN parent_id TEXT;
    ALTER TABLE conversations ADD COLUMN fork_turn INTEGER;
    CREATE INDEX conversations_parent ON conversations(parent_id);
    """,
    # A job is polled only on the server it was created on (NULL: a job from before this
    # migration, taken to belong to whatever server termchat talks to).
    6: """
    ALTER TABLE jobs ADD COLUMN base_url TEXT;
    ALTER TABLE jobs ADD COLUMN model TEXT;
    """,
    # A turn whose price is unknown (a model without a price row) makes the chat's total
    # unknown: shown as null / "cost unknown", never as a sum that leaves it out.
    7: """
    ALTER TABLE conversations ADD COLUMN cost_known INTEGER NOT NULL DEFAULT 1;
    UPDATE conversations SET cost_known = 0 WHERE EXISTS (SELECT 1 FROM messages m
        WHERE m.conversation_pk = conversations.pk AND m.usage IS NOT NULL AND m.cost_usd IS NULL);
    """,
    # Notes termchat gives once per machine, not once per process (see `Store.note_once`).
    8: """
    CREATE TABLE notes_given(
        key TEXT PRIMARY KEY,
        given_at REAL NOT NULL
    );
    """,
}

# Job statuses: a job is pending until the server reports one of the terminal ones
# (`expired`: the server no longer has it).
JOB_PENDING = ("queued", "in_progress")
JOB_TERMINAL = ("completed", "failed", "cancelled", "incomplete", "expired")


@dataclass(frozen=True)
class ConversationRow:
    """One chat as listed; holds no messages."""

    pk: int
    id: str
    title: str
    mode: str
    model: str
    remote_id: str | None
    last_response_id: str | None
    settings: dict[str, Any]
    created_at: float
    updated_at: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0  # None: some turn's price is unknown
    message_count: int = 0
    parent_id: str | None = None  # a fork: the chat it was forked from, at user turn fork_turn
    fork_turn: int | None = None

    def to_json(self) -> dict[str, Any]:
        return conversation_json(self.id, self.title, self.mode, self.model, self.remote_id,
                                 self.created_at, self.updated_at, self.message_count,
                                 self.input_tokens, self.output_tokens, self.cost_usd)


@dataclass(frozen=True)
class MessageRow:
    """One transcript entry: a user prompt, an assistant reply, or a marker (e.g. compaction)."""

    id: int
    role: str
    content: str
    status: str
    created_at: float
    response_id: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    cost_usd: float | None = None
    error: str | None = None

    @property
    def interrupted(self) -> bool:
        return self.status in UNFINISHED

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "role": self.role,
            "content": self.content,
            "status": INTERRUPTED if self.status == STREAMING else self.status,
            "created_at": _iso(self.created_at),
        }
        if self.response_id:
            data["response_id"] = self.response_id
        if self.items:
            data["items"] = self.items
        if self.usage:
            data["usage"] = self.usage
        if self.cost_usd is not None:
            data["cost_usd"] = round(self.cost_usd, 6)
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class TurnUsageRow:
    """One reply that reported usage: when, in which chat, on which model, at what cost.

    `cost_usd` None: the price was unknown when the turn ran. `tools_usd` None: not recorded
    (replies from before termchat stored tool fees apart)."""

    created_at: float
    conversation_id: str
    title: str
    model: str
    usage: dict[str, Any]
    cost_usd: float | None
    tools_usd: float | None
    items: list[dict[str, Any]]


@dataclass(frozen=True)
class JobRow:
    """A background job: a response the server runs on its own, and the reply row it fills."""

    response_id: str
    conversation_id: str | None
    message_id: int | None
    status: str
    last_sequence: int | None
    error: str | None
    created_at: float
    updated_at: float
    base_url: str | None = None  # the server it was created on (None: from before termchat knew)
    model: str | None = None

    @property
    def pending(self) -> bool:
        return self.status not in JOB_TERMINAL

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.response_id,
            "conversation_id": self.conversation_id,
            "status": self.status,
            "error": self.error,
            "server": self.base_url,
            "model": self.model,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


def _loads(text: str | None, default: Any) -> Any:
    """Decode a JSON column; a corrupt value reads as the default instead of crashing."""
    if not text:
        return default
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return default
    expected = dict if default is None else type(default)
    return value if isinstance(value, expected) else default


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script; a trigger's body keeps its inner semicolons."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""


def _data_dir_error(data_dir: Path, exc: OSError) -> ConfigError:
    """A data dir termchat cannot use is the user's setting to fix: exit code 2, one line."""
    return ConfigError(f"cannot use the data dir {data_dir}: {exc.strerror or exc}",
                       hint="check its permissions, or set TERMCHAT_DATA_DIR")


def new_local_id() -> str:
    """A short id for chats that have no server conversation id."""
    import uuid  # lazily: uuid pulls in `platform`, too slow for the `termchat list` start-up path

    return "tc_" + uuid.uuid4().hex[:10]


class Store:
    """The local database. Cheap to open; one connection per instance."""

    def __init__(self, path: Path, *, clock: Any = time.time, existing: bool = False) -> None:
        self.path = Path(path)
        self._now = clock
        self._existing = existing  # open the file only if it is there: never create a new one
        self._lost: str | None = None  # what happened to the file, once it is no longer ours
        self._db = self._open()
        self._identity = store_file.identity(self.path)

    def sibling(self) -> Store:
        """A second connection to this very file (for another thread); a StoreError if the file
        was moved, replaced or overwritten meanwhile, rather than a new empty store in its place."""
        self._check_file()
        other = Store(self.path, clock=self._now, existing=True)
        if other._identity != self._identity:
            other.close()
            self._lost = "was replaced by another file"
            self._check_file()
        return other

    @classmethod
    def in_dir(cls, data_dir: Path) -> Store:
        data_dir = Path(data_dir)
        try:
            if not data_dir.exists():
                data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise _data_dir_error(data_dir, exc) from None
        return cls(data_dir / DB_NAME)

    # -- opening and migrations -------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            exists = self.path.exists()
        except OSError as exc:  # the data dir cannot be searched (no x permission)
            raise _data_dir_error(self.path.parent, exc) from None
        if not exists and not os.access(self.path.parent, os.W_OK | os.X_OK):
            raise _data_dir_error(self.path.parent, PermissionError(13, "Permission denied"))
        store_file.check_before_open(self.path)
        self._make_private(exists)
        # SQLite answers "database is locked" without waiting in a few start-up races (two
        # processes creating the file or switching it to WAL at once): retry those briefly.
        deadline = time.monotonic() + READ_WAIT
        while True:
            try:
                return self._connect()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise store_file.store_error(self.path, exc, "open") from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                raise store_file.store_error(self.path, exc, "open") from None

    def _make_private(self, exists: bool) -> None:
        """The history is private whatever the data dir's mode: the database is created 0600
        (SQLite gives its -wal and -shm files the database's mode), and one left readable by
        others (say, by an older termchat) is narrowed to 0600."""
        try:
            if not exists:
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE))
            for suffix in ("", "-wal", "-shm"):
                path = f"{self.path}{suffix}"
                if os.path.exists(path) and os.stat(path).st_mode & 0o077:
                    os.chmod(path, PRIVATE_FILE_MODE)
        except OSError as exc:
            raise StoreError(f"cannot create the database {self.path}: {exc.strerror or exc}") from None

    def _connect(self) -> sqlite3.Connection:
        target: str | Path = f"{self.path.absolute().as_uri()}?mode=rw" if self._existing else self.path
        db = sqlite3.connect(target, timeout=READ_WAIT, isolation_level=None, check_same_thread=False,
                             uri=self._existing)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(READ_WAIT * 1000)}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database {self.path} was written by a newer termchat (schema {version}, "
                    f"this one knows {SCHEMA_VERSION})", hint="upgrade termchat; the file was left untouched")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                self._migrate(db, version)
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self, db: sqlite3.Connection, version: int) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(_MIGRATIONS[target]):
                    db.execute(statement)
                if target == 2:
                    db.execute("UPDATE conversations SET message_count = "
                               "(SELECT COUNT(*) FROM messages m WHERE m.conversation_pk = conversations.pk)")
                db.execute(f"PRAGMA user_version = {target}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        lost = self._lost or store_file.still_ours(self.path, self._identity)
        held = store_file.hold_off_checkpoint(self.path) if lost == "was overwritten" else None
        if lost is not None and held is None:
            # Moved or replaced: SQLite leaves what is committed in the WAL, which keeps the old
            # name. Write it into the file we have open, so the moved file is whole on its own.
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
        try:
            self._db.close()
        finally:
            if held is not None:
                store_file.release_checkpoint(held)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        return self._transaction([(sql, params)])[-1]

    def _transaction(self, statements: list[tuple[str, tuple | dict]]) -> list[sqlite3.Cursor]:
        return self._atomically(lambda db: [db.execute(sql, params) for sql, params in statements])

    def _atomically(self, work: Any) -> Any:
        """Run `work(connection)` in one write transaction; any failure is one `StoreError`
        naming the real cause (a failed rollback after a full disk must not hide it)."""
        self._check_file()
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(WRITE_WAIT * 1000)}")
            try:
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                finally:
                    self._db.execute(f"PRAGMA busy_timeout = {int(READ_WAIT * 1000)}")
                result = work(self._db)
                self._db.execute("COMMIT")
            except BaseException:
                # Ctrl-C can land anywhere here, even right after BEGIN or COMMIT: roll back only an
                # open transaction (SQLite may have rolled back already, e.g. on a full disk), so the
                # interrupt stays an interrupt and no transaction is left open for the next write.
                if self._db.in_transaction:
                    try:
                        self._db.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise
        except sqlite3.DatabaseError as exc:
            raise store_file.store_error(self.path, exc, "write to") from None
        return result

    def _check_file(self) -> None:
        """Stop writing once the file was moved, replaced or overwritten under us: a reply
        must not go on into an orphaned file nobody will open again."""
        if self._lost is None:
            self._lost = store_file.still_ours(self.path, self._identity)
        if self._lost is not None:
            raise StoreError(f"the database {self.path} {self._lost} while termchat was running; "
                             "nothing more was written to it", hint="what is on screen is all there is")

    def _read(self, sql: str, params: tuple | dict = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise store_file.store_error(self.path, exc, "read") from None

    # -- conversations ----------------------------------------------------------------------

    _CONV_COLS = ("pk, id, title, mode, model, remote_id, last_response_id, settings, created_at, "
                  f"updated_at, input_tokens, output_tokens, {KNOWN_COST}, message_count, parent_id, "
                  "fork_turn")

    @staticmethod
    def _conversation(row: tuple) -> ConversationRow:
        (pk, cid, title, mode, model, remote_id, last_response_id, settings, created_at,
         updated_at, input_tokens, output_tokens, cost_usd, message_count, parent_id, fork_turn) = row
        return ConversationRow(pk, cid, title or "", mode, model, remote_id, last_response_id,
                               _loads(settings, {}), created_at, updated_at, input_tokens or 0,
                               output_tokens or 0, cost_usd, message_count or 0,
                               parent_id, fork_turn)

    def create_conversation(self, *, mode: str, model: str, title: str = "",
                            id: str | None = None, remote_id: str | None = None,
                            settings: dict[str, Any] | None = None,
                            created_at: float | None = None, last_response_id: str | None = None,
                            parent_id: str | None = None, fork_turn: int | None = None,
                            ) -> ConversationRow:
        now = self._now()
        cid = id or remote_id or new_local_id()
        self._write(
            "INSERT INTO conversations(id, remote_id, title, mode, model, settings, created_at, updated_at,"
            " last_response_id, parent_id, fork_turn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cid, remote_id, title, mode, model, json.dumps(settings or {}), created_at or now, now,
             last_response_id, parent_id, fork_turn))
        found = self.get_conversation(cid)
        assert found is not None
        return found

    def create_conversation_with_prompt(self, prompt: str, *, mode: str, model: str, title: str = "",
                                        settings: dict[str, Any] | None = None
                                        ) -> tuple[ConversationRow, int]:
        """A new chat and its first prompt, in one transaction: a chat never exists without
        the prompt that started it (a process killed in between used to leave an empty one)."""
        now = self._now()
        cid = new_local_id()

        def work(db: sqlite3.Connection) -> int:
            cursor = db.execute(
                "INSERT INTO conversations(id, title, mode, model, settings, created_at, updated_at,"
                " message_count) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                (cid, title, mode, model, json.dumps(settings or {}), now, now))
            message_id = db.execute(
                "INSERT INTO messages(conversation_pk, role, content, status, created_at)"
                " VALUES (?, 'user', ?, ?, ?)", (cursor.lastrowid, prompt, COMPLETE, now)).lastrowid
            assert message_id is not None  # an INSERT always sets it
            return message_id

        message_id = self._atomically(work)
        found = self.get_conversation(cid)
        assert found is not None
        return found, message_id

    def get_conversation(self, ident: str) -> ConversationRow | None:
        """Find a chat by its id, a remote id, or an alias from before a compaction."""
        rows = self._read(f"SELECT {self._CONV_COLS} FROM conversations WHERE id = ?", (ident,))
        if not rows:
            rows = self._read(
                f"SELECT {self._CONV_COLS} FROM conversations WHERE pk = "
                "(SELECT conversation_pk FROM aliases WHERE alias = ?)", (ident,))
        if not rows:
            rows = self._read(f"SELECT {self._CONV_COLS} FROM conversations WHERE remote_id = ?", (ident,))
        return self._conversation(rows[0]) if rows else None

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
        rows = self._read(f"SELECT {self._CONV_COLS} FROM conversations WHERE id LIKE ? ESCAPE '\\'"
                          " ORDER BY updated_at DESC LIMIT ?", (pattern, limit))
        return [self._conversation(r) for r in rows]

    def reload(self, conv: ConversationRow) -> ConversationRow:
        rows = self._read(f"SELECT {self._CONV_COLS} FROM conversations WHERE pk = ?", (conv.pk,))
        if not rows:
            raise StoreError(f"conversation {conv.id} was deleted")
        return self._conversation(rows[0])

    def list_conversations(self, *, limit: int | None = None, offset: int = 0,
                           search: str | None = None) -> list[ConversationRow]:
        """Newest activity first. `search` filters on title or id (case-insensitive)."""
        sql = f"SELECT {self._CONV_COLS} FROM conversations"
        params: list[Any] = []
        if search:
            sql += " WHERE title LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\'"
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pattern, pattern]
        sql += f" {NEWEST_FIRST}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [self._conversation(r) for r in self._read(sql, tuple(params))]

    def search(self, text: str, *, limit: int = 50) -> list[SearchHit]:
        """Messages and titles matching `text`, newest first."""
        from termchat.search import search

        try:
            return search(self._db, text, limit=limit)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot search {self.path}: {exc}") from None

    def search_chats(self, text: str, *, skip: set[int] | frozenset[int] = frozenset(),
                     limit: int = 60) -> list[tuple[ConversationRow, int, str]]:
        """Chats whose messages match `text` as typed so far (not those in `skip`), newest match
        first: (chat, id of the matching message, a marked excerpt of it)."""
        from termchat.search import chat_hits, excerpt

        try:
            hits = chat_hits(self._db, text, skip=skip, limit=limit)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot search {self.path}: {exc}") from None
        found = []
        for pk, message_id in hits:
            rows = self._read(f"SELECT {self._CONV_COLS} FROM conversations WHERE pk = ?", (pk,))
            message = self.message(message_id)
            if rows and message is not None:
                found.append((message.created_at, self._conversation(rows[0]), message_id,
                              excerpt(message.content, text)))
        found.sort(key=lambda hit: (hit[0], hit[2]), reverse=True)
        return [hit[1:] for hit in found]

    def children(self, ids: list[str]) -> dict[str, list[ConversationRow]]:
        """The chats forked from each of `ids` (parent id -> its forks, oldest first)."""
        found: dict[str, list[ConversationRow]] = {}
        for start in range(0, len(ids), 500):  # within SQLite's limit of bound parameters
            chunk = ids[start:start + 500]
            rows = self._read(f"SELECT {self._CONV_COLS} FROM conversations WHERE parent_id IN "
                              f"({', '.join('?' * len(chunk))}) ORDER BY created_at, pk", tuple(chunk))
            for row in map(self._conversation, rows):
                found.setdefault(row.parent_id or "", []).append(row)
        return found

    def forks(self, parent: ConversationRow) -> list[ConversationRow]:
        """The chats forked from `parent` (by any id it has had), oldest first."""
        ids = [parent.id, *self.aliases(parent)]
        marks = ", ".join("?" * len(ids))
        rows = self._read(f"SELECT {self._CONV_COLS} FROM conversations WHERE parent_id IN ({marks})"
                          " ORDER BY created_at, pk", tuple(ids))
        return [self._conversation(r) for r in rows]

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
            statements.append((f"UPDATE conversations SET {assignments}, updated_at = :now WHERE pk = :pk",
                               {**fields, "now": self._now(), "pk": conv.pk}))
        if "id" in fields and fields["id"] != conv.id:
            statements.append(("INSERT OR REPLACE INTO aliases(alias, conversation_pk) VALUES (?, ?)",
                               (conv.id, conv.pk)))
            statements.append(("UPDATE conversations SET parent_id = ? WHERE parent_id = ?",
                               (fields["id"], conv.id)))  # its forks name it by its new id
        if statements:
            self._transaction(statements)
        return self.reload(conv)

    def add_alias(self, conv: ConversationRow, alias: str) -> None:
        self._write("INSERT OR REPLACE INTO aliases(alias, conversation_pk) VALUES (?, ?)", (alias, conv.pk))

    def aliases(self, conv: ConversationRow) -> list[str]:
        return [r[0] for r in self._read("SELECT alias FROM aliases WHERE conversation_pk = ?", (conv.pk,))]

    def delete_conversation(self, conv: ConversationRow) -> None:
        self._write("DELETE FROM conversations WHERE pk = ?", (conv.pk,))

    # -- messages ---------------------------------------------------------------------------

    _MSG_COLS = "id, role, content, status, created_at, response_id, items, usage, cost_usd, error"

    @staticmethod
    def _message(row: tuple) -> MessageRow:
        mid, role, content, status, created_at, response_id, items, usage, cost, error = row
        return MessageRow(mid, role, content or "", status, created_at, response_id,
                          _loads(items, []), _loads(usage, None) if usage else None, cost, error)

    def add_message(self, conv: ConversationRow, role: str, content: str, *,
                    status: str = COMPLETE, response_id: str | None = None,
                    items: list[dict[str, Any]] | None = None, usage: dict[str, Any] | None = None,
                    cost_usd: float | None = None, created_at: float | None = None) -> int:
        """Append to the transcript and bump the chat's activity time, in one transaction."""
        now = self._now()
        cursors = self._transaction([
            ("INSERT INTO messages(conversation_pk, role, content, status, response_id, items, usage,"
             " cost_usd, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
             (conv.pk, role, content, status, response_id, json.dumps(items) if items else None,
              json.dumps(usage) if usage else None, cost_usd, created_at or now)),
            ("UPDATE conversations SET updated_at = ?, message_count = message_count + 1 WHERE pk = ?",
             (now, conv.pk)),
        ])
        message_id = cursors[0].lastrowid
        assert message_id is not None  # an INSERT always sets it
        return message_id

    def update_message(self, message_id: int, *, content: str | None = None, status: str | None = None,
                       response_id: str | None = None, items: list[dict[str, Any]] | None = None,
                       usage: dict[str, Any] | None = None, cost_usd: float | None = None,
                       error: str | None = None, model: str | None = None,
                       tools_usd: float | None = None) -> None:
        statement = self._message_update(message_id, content=content, status=status,
                                         response_id=response_id, items=items, usage=usage,
                                         cost_usd=cost_usd, error=error, model=model,
                                         tools_usd=tools_usd)
        if statement is not None:
            self._transaction([statement])

    @staticmethod
    def _message_update(message_id: int, *, content: str | None = None, status: str | None = None,
                        response_id: str | None = None, items: list[dict[str, Any]] | None = None,
                        usage: dict[str, Any] | None = None, cost_usd: float | None = None,
                        error: str | None = None, model: str | None = None,
                        tools_usd: float | None = None) -> tuple[str, dict[str, Any]] | None:
        fields: dict[str, Any] = {}
        if content is not None:
            fields["content"] = content
        if status is not None:
            fields["status"] = status
        if response_id is not None:
            fields["response_id"] = response_id
        if items is not None:
            fields["items"] = json.dumps(items)
        if usage is not None:
            fields["usage"] = json.dumps(usage)
        if cost_usd is not None:
            fields["cost_usd"] = cost_usd
        if error is not None:
            fields["error"] = redact(error)  # errors may quote a server that echoed a secret
        if model is not None:
            fields["model"] = model
        if tools_usd is not None:
            fields["tools_usd"] = tools_usd
        if not fields:
            return None
        assignments = ", ".join(f"{name} = :{name}" for name in fields)
        return f"UPDATE messages SET {assignments} WHERE id = :id", {**fields, "id": message_id}

    def add_usage(self, conv: ConversationRow, *, input_tokens: int, output_tokens: int,
                  cost_usd: float | None) -> None:
        """Add a turn's tokens and cost; a cost of None (unknown price) makes the total unknown."""
        self._transaction([self._usage_update(conv, input_tokens, output_tokens, cost_usd)])

    def _usage_update(self, conv: ConversationRow, input_tokens: int, output_tokens: int,
                      cost_usd: float | None) -> tuple[str, tuple]:
        return ("UPDATE conversations SET input_tokens = input_tokens + ?, output_tokens = "
                "output_tokens + ?, cost_usd = cost_usd + ?, cost_known = cost_known AND ?, "
                "updated_at = ? WHERE pk = ?",
                (input_tokens, output_tokens, cost_usd or 0.0, cost_usd is not None, self._now(), conv.pk))

    def file_reply(self, message_id: int, fields: dict[str, Any], *,
                   usage: tuple[ConversationRow, int, int, float | None] | None = None,
                   job: tuple[str, str, str | None] | None = None, settled_ok: bool = False) -> bool:
        """Store a reply's end (`fields` as for `update_message`), its usage (chat, tokens in,
        tokens out, cost) and its job's terminal (id, status, error) in one transaction.

        A job is settled once: if another process already recorded its end, nothing is written
        and False is returned (unless `settled_ok`: a settled job whose reply was never stored).
        """
        statements: list[tuple[str, tuple | dict]] = []
        message = self._message_update(message_id, **fields)
        if message is not None:
            statements.append(message)
        if usage is not None:
            statements.append(self._usage_update(*usage))

        def work(db: sqlite3.Connection) -> bool:
            if job is not None:
                job_id, status, error = job
                guard = "" if settled_ok else f" AND status NOT IN ({', '.join('?' * len(JOB_TERMINAL))})"
                cursor = db.execute(
                    "UPDATE jobs SET status = ?, error = COALESCE(?, error), updated_at = ?"
                    f" WHERE response_id = ?{guard}",
                    (status, redact(error) if error is not None else None, self._now(), job_id,
                     *(() if settled_ok else JOB_TERMINAL)))
                if cursor.rowcount == 0 and db.execute(
                        "SELECT 1 FROM jobs WHERE response_id = ?", (job_id,)).fetchone():
                    return False  # settled elsewhere: nothing was written, nothing else is
            for sql, params in statements:
                db.execute(sql, params)
            return True

        return bool(self._atomically(work))

    def messages(self, conv: ConversationRow, *, limit: int | None = None,
                 before_id: int | None = None) -> list[MessageRow]:
        """Transcript in order; with `limit`, the newest `limit` messages (before `before_id`)."""
        sql = f"SELECT {self._MSG_COLS} FROM messages WHERE conversation_pk = ?"
        params: list[Any] = [conv.pk]
        if before_id is not None:
            sql += " AND id < ?"
            params.append(before_id)
        if limit is None:
            rows = self._read(sql + " ORDER BY id", tuple(params))
        else:
            rows = self._read(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))[::-1]
        return [self._message(r) for r in rows]

    def message(self, message_id: int) -> MessageRow | None:
        rows = self._read(f"SELECT {self._MSG_COLS} FROM messages WHERE id = ?", (message_id,))
        return self._message(rows[0]) if rows else None

    def replace_messages(self, conv: ConversationRow, rows: list[dict[str, Any]]) -> None:
        """Swap the cached transcript for one rebuilt from the server, atomically."""
        statements: list[tuple[str, tuple | dict]] = [
            ("DELETE FROM messages WHERE conversation_pk = ?", (conv.pk,))]
        for row in rows:
            statements.append((
                "INSERT INTO messages(conversation_pk, role, content, status, response_id, items,"
                " error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (conv.pk, row["role"], row.get("content", ""), row.get("status", COMPLETE),
                 row.get("response_id"), json.dumps(row["items"]) if row.get("items") else None,
                 row.get("error"), row.get("created_at") or self._now())))
        statements.append(("UPDATE conversations SET message_count = ? WHERE pk = ?", (len(rows), conv.pk)))
        self._transaction(statements)

    def splice_messages(self, conv: ConversationRow, rows: list[MessageRow | dict[str, Any]]) -> None:
        """Append `rows` to a chat's transcript in this order, in one transaction: a stored row
        (`MessageRow`) moves there with every column it has, and a background job that points
        at it follows it; a dict is a new row (role, content, status, items, response_id)."""
        def work(db: sqlite3.Connection) -> None:
            # Every column but the id, so a moved row keeps what newer schemas add as well.
            columns = ", ".join(r[1] for r in db.execute("PRAGMA table_info(messages)") if r[1] != "id")
            moved: list[int] = []
            for row in rows:
                if isinstance(row, MessageRow):
                    cursor = db.execute(f"INSERT INTO messages({columns}) SELECT {columns} FROM messages"
                                        " WHERE id = ? AND conversation_pk = ?", (row.id, conv.pk))
                    db.execute("UPDATE jobs SET message_id = ? WHERE message_id = ?", (cursor.lastrowid, row.id))
                    moved.append(row.id)
                else:
                    db.execute(
                        "INSERT INTO messages(conversation_pk, role, content, status, response_id, items,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (conv.pk, row["role"], row.get("content", ""), row.get("status", COMPLETE),
                         row.get("response_id"), json.dumps(row["items"]) if row.get("items") else None,
                         row.get("created_at") or self._now()))
            for old_id in moved:
                db.execute("DELETE FROM messages WHERE id = ?", (old_id,))
            db.execute("UPDATE conversations SET message_count = message_count + ? WHERE pk = ?",
                       (len(rows) - len(moved), conv.pk))

        self._atomically(work)

    def iter_all_messages(self, conv: ConversationRow, page: int = 500) -> Iterator[MessageRow]:
        last = 0
        while True:
            rows = self._read(f"SELECT {self._MSG_COLS} FROM messages WHERE conversation_pk = ? AND id > ?"
                              " ORDER BY id LIMIT ?", (conv.pk, last, page))
            if not rows:
                return
            for row in rows:
                yield self._message(row)
            last = rows[-1][0]

    # -- usage and spending -----------------------------------------------------------------

    def turn_usage(self, since: float | None = None) -> list[TurnUsageRow]:
        """Every reply that reported usage (oldest first), created at or after `since`."""
        sql = ("SELECT m.created_at, c.id, c.title, COALESCE(m.model, c.model), m.usage, m.cost_usd,"
               " m.tools_usd, m.items FROM messages m JOIN conversations c ON c.pk = m.conversation_pk"
               " WHERE m.usage IS NOT NULL")
        params: tuple[Any, ...] = ()
        if since is not None:
            sql += " AND m.created_at >= ?"
            params = (since,)
        return [TurnUsageRow(created, cid, title or "", model, _loads(usage, None) or {}, cost, tools,
                             _loads(items, []))
                for created, cid, title, model, usage, cost, tools, items
                in self._read(sql + " ORDER BY m.created_at, m.id", params)]

    def spent_since(self, since: float) -> tuple[float, int]:
        """USD spent on replies created at or after `since`, and how many of them had no price."""
        total, unpriced = self._read(
            "SELECT COALESCE(SUM(cost_usd), 0), COALESCE(SUM(cost_usd IS NULL), 0) FROM messages"
            " WHERE created_at >= ? AND usage IS NOT NULL", (since,))[0]
        return float(total), int(unpriced)

    # -- notes given once ---------------------------------------------------------------------

    def note_once(self, key: str) -> bool:
        """True the first time `key` is noted in this store (the caller then gives its note)."""
        cursor = self._write("INSERT OR IGNORE INTO notes_given(key, given_at) VALUES (?, ?)",
                             (key, self._now()))
        return cursor.rowcount == 1

    # -- background jobs --------------------------------------------------------------------

    _JOB_COLS = ("j.response_id, c.id, j.message_id, j.status, j.last_sequence, j.error, j.created_at,"
                 " j.updated_at, j.base_url, j.model")

    def add_job(self, response_id: str, conv: ConversationRow | None, message_id: int | None,
                status: str, *, base_url: str | None = None, model: str | None = None) -> None:
        now = self._now()
        self._write("INSERT OR REPLACE INTO jobs(response_id, conversation_pk, message_id, status,"
                    " created_at, updated_at, base_url, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (response_id, conv.pk if conv else None, message_id, status, now, now, base_url, model))

    def update_job(self, response_id: str, *, status: str | None = None,
                   last_sequence: int | None = None, error: str | None = None) -> None:
        self._write("UPDATE jobs SET status = COALESCE(?, status), last_sequence = COALESCE(?, last_sequence),"
                    " error = COALESCE(?, error), updated_at = ? WHERE response_id = ?",
                    (status, last_sequence, redact(error) if error is not None else None, self._now(),
                     response_id))

    def jobs(self, *, pending: bool = False) -> list[JobRow]:
        """Newest first; `pending`: only the jobs not yet finished."""
        where = f" WHERE j.status NOT IN ({', '.join('?' * len(JOB_TERMINAL))})" if pending else ""
        rows = self._read(f"SELECT {self._JOB_COLS} FROM jobs j LEFT JOIN conversations c"
                          f" ON c.pk = j.conversation_pk{where} ORDER BY j.created_at DESC",
                          JOB_TERMINAL if pending else ())
        return [JobRow(*r) for r in rows]

    def job(self, response_id: str) -> JobRow | None:
        rows = self._read(f"SELECT {self._JOB_COLS} FROM jobs j LEFT JOIN conversations c"
                          " ON c.pk = j.conversation_pk WHERE j.response_id = ?", (response_id,))
        return JobRow(*rows[0]) if rows else None

    def integrity_ok(self) -> bool:
        return self._read("PRAGMA integrity_check")[0][0] == "ok"
