"""The store's schema: its migrations in order, and how a database is brought up to date."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from termchat.search import FTS_SCHEMA
from termchat.store_format import SCHEMA_VERSION

MIGRATIONS: dict[int, str] = {
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
    # Files sent with a prompt (`-a FILE`): a JSON list, one object per file (termchat.attachments).
    9: """
    ALTER TABLE messages ADD COLUMN attachments TEXT;
    """,
    # Spending outlives the chats it was spent in: a row per reply that reported usage, filed by
    # triggers whatever writes the reply, and kept when its chat or transcript is deleted, so an
    # `rm` never gives back budget. `conversation_pk` is NULL once the chat is gone (its id and
    # title then kept here), so a reused pk never adopts another chat's spending; `message_id`
    # is NULL for a background job that ended after its chat was deleted (`Store.file_reply`).
    10: """
    CREATE TABLE spend(
        id INTEGER PRIMARY KEY,
        message_id INTEGER UNIQUE,
        conversation_pk INTEGER,
        conversation_id TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL,
        usage TEXT NOT NULL,
        cost_usd REAL,
        tools_usd REAL,
        created_at REAL NOT NULL
    );
    CREATE INDEX spend_created ON spend(created_at);
    CREATE INDEX spend_conversation ON spend(conversation_pk);
    INSERT INTO spend(message_id, conversation_pk, conversation_id, title, model, usage, cost_usd,
                      tools_usd, created_at)
        SELECT m.id, c.pk, c.id, c.title, COALESCE(m.model, c.model), m.usage, m.cost_usd, m.tools_usd,
               m.created_at
        FROM messages m JOIN conversations c ON c.pk = m.conversation_pk WHERE m.usage IS NOT NULL;
    CREATE TRIGGER spend_on_insert AFTER INSERT ON messages WHEN NEW.usage IS NOT NULL BEGIN
        INSERT OR REPLACE INTO spend(message_id, conversation_pk, conversation_id, title, model, usage,
                                     cost_usd, tools_usd, created_at)
            SELECT NEW.id, c.pk, c.id, c.title, COALESCE(NEW.model, c.model), NEW.usage, NEW.cost_usd,
                   NEW.tools_usd, NEW.created_at FROM conversations c WHERE c.pk = NEW.conversation_pk;
    END;
    CREATE TRIGGER spend_on_update AFTER UPDATE OF usage, cost_usd, model, tools_usd ON messages
        WHEN NEW.usage IS NOT NULL BEGIN
        INSERT OR REPLACE INTO spend(message_id, conversation_pk, conversation_id, title, model, usage,
                                     cost_usd, tools_usd, created_at)
            SELECT NEW.id, c.pk, c.id, c.title, COALESCE(NEW.model, c.model), NEW.usage, NEW.cost_usd,
                   NEW.tools_usd, NEW.created_at FROM conversations c WHERE c.pk = NEW.conversation_pk;
    END;
    CREATE TRIGGER spend_keeps_deleted_chat BEFORE DELETE ON conversations BEGIN
        UPDATE spend SET conversation_pk = NULL, conversation_id = OLD.id, title = OLD.title
            WHERE conversation_pk = OLD.pk;
    END;
    """,
    # Where a chat's transcript last lined up with its server conversation (termchat/sync_newest.py):
    # the newest item the server had then, the item before it, and the local row that holds it. A
    # sync reads the server newest first back to that item instead of the whole conversation.
    11: """
    CREATE TABLE sync_marks(
        conversation_pk INTEGER PRIMARY KEY REFERENCES conversations(pk) ON DELETE CASCADE,
        remote_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        previous_item_id TEXT,
        message_id INTEGER NOT NULL
    );
    """,
}


def statements(script: str) -> Iterator[str]:
    """The statements of a migration script; a trigger's body keeps its inner semicolons."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""


def migrate(db: sqlite3.Connection) -> None:
    """Run every migration `db` has not had yet, in one write transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated meanwhile.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        # In order, each one the store has not had yet.
        for target in sorted(n for n in MIGRATIONS if version < n <= SCHEMA_VERSION):
            for statement in statements(MIGRATIONS[target]):
                db.execute(statement)
            if target == 2:
                db.execute(
                    "UPDATE conversations SET message_count = "
                    "(SELECT COUNT(*) FROM messages m WHERE m.conversation_pk = conversations.pk)"
                )
            db.execute(f"PRAGMA user_version = {target}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
