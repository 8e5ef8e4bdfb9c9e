"""The SQL that changes a chat's transcript: message updates, a reply's filing, replacing and splicing rows."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from termchat.redact import redact
from termchat.store_rows import COMPLETE, JOB_TERMINAL, MessageRow

Statement = tuple[str, tuple | dict]


def json_list(records: list[dict[str, Any]] | None) -> str | None:
    """A JSON column that holds a list: NULL when empty (as `items`)."""
    return json.dumps(records) if records else None


def message_update(
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
) -> tuple[str, dict[str, Any]] | None:
    """The UPDATE setting the given columns of one message; None when none is given."""
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
    if attachments is not None:
        fields["attachments"] = json.dumps(attachments)
    if not fields:
        return None
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    return f"UPDATE messages SET {assignments} WHERE id = :id", {**fields, "id": message_id}


def usage_update(
    conv_pk: int, input_tokens: int, output_tokens: int, cost_usd: float | None, now: float
) -> tuple[str, tuple]:
    """Add a turn's tokens and cost to its chat; an unknown cost makes the chat's total unknown."""
    return (
        "UPDATE conversations SET input_tokens = input_tokens + ?, output_tokens = "
        "output_tokens + ?, cost_usd = cost_usd + ?, cost_known = cost_known AND ?, "
        "updated_at = ? WHERE pk = ?",
        (input_tokens, output_tokens, cost_usd or 0.0, cost_usd is not None, now, conv_pk),
    )


def settle_job(db: sqlite3.Connection, job: tuple[str, str, str | None], now: float, settled_ok: bool) -> bool:
    """Record a job's terminal (id, status, error); False if another process settled it first
    (unless `settled_ok`), and then nothing was written."""
    job_id, status, error = job
    guard = "" if settled_ok else f" AND status NOT IN ({', '.join('?' * len(JOB_TERMINAL))})"
    cursor = db.execute(
        f"UPDATE jobs SET status = ?, error = COALESCE(?, error), updated_at = ? WHERE response_id = ?{guard}",
        (status, redact(error) if error is not None else None, now, job_id, *(() if settled_ok else JOB_TERMINAL)),
    )
    return not (cursor.rowcount == 0 and db.execute("SELECT 1 FROM jobs WHERE response_id = ?", (job_id,)).fetchone())


def new_row(conv_pk: int, row: dict[str, Any], now: float) -> Statement:
    """The INSERT of one transcript row given as a dict (rebuilt from the server, or copied)."""
    return (
        "INSERT INTO messages(conversation_pk, role, content, status, response_id, items,"
        " error, attachments, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            conv_pk,
            row["role"],
            row.get("content", ""),
            row.get("status", COMPLETE),
            row.get("response_id"),
            json_list(row.get("items")),
            row.get("error"),
            json_list(row.get("attachments")),
            row.get("created_at") or now,
        ),
    )


def replacement(conv_pk: int, rows: list[dict[str, Any]], now: float) -> list[Statement]:
    """The statements that swap a chat's transcript for `rows` (rebuilt from the server)."""
    statements: list[Statement] = [("DELETE FROM messages WHERE conversation_pk = ?", (conv_pk,))]
    statements.extend(new_row(conv_pk, row, now) for row in rows)
    statements.append(("UPDATE conversations SET message_count = ? WHERE pk = ?", (len(rows), conv_pk)))
    return statements


def splice(db: sqlite3.Connection, conv_pk: int, rows: list[MessageRow | dict[str, Any]], now: float) -> list[int]:
    """Append `rows` to a chat's transcript in this order (see `Store.splice_messages`); returns
    their ids in the transcript now."""
    # Every column but the id, so a moved row keeps what newer schemas add as well.
    columns = ", ".join(r[1] for r in db.execute("PRAGMA table_info(messages)") if r[1] != "id")
    moved: list[int] = []
    ids: list[int] = []
    for row in rows:
        if isinstance(row, MessageRow):
            cursor = db.execute(
                f"INSERT INTO messages({columns}) SELECT {columns} FROM messages WHERE id = ? AND conversation_pk = ?",
                (row.id, conv_pk),
            )
            db.execute("UPDATE jobs SET message_id = ? WHERE message_id = ?", (cursor.lastrowid, row.id))
            # The copy filed the reply's spending anew: the old row's must not count twice.
            db.execute("DELETE FROM spend WHERE message_id = ?", (row.id,))
            moved.append(row.id)
        else:
            cursor = db.execute(*new_row(conv_pk, row, now))
        ids.append(cursor.lastrowid or 0)
    for old_id in moved:
        db.execute("DELETE FROM messages WHERE id = ?", (old_id,))
    db.execute(
        "UPDATE conversations SET message_count = message_count + ? WHERE pk = ?", (len(rows) - len(moved), conv_pk)
    )
    return ids
