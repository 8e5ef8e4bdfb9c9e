"""The `conversations` table as a listing reads it: schema version, columns, order, JSON shape.

`termchat list` has a fast path (termchat/listing.py) that reads SQLite directly instead of
importing the store (dataclasses, pathlib, json and sqlite3's adapters are too slow for its
start-up budget). Both read these names, so the version the fast path accepts, the columns it
selects, their order and the JSON a listed chat becomes are written once. No imports but `time`.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 11  # PRAGMA user_version; termchat/store.py migrates up to it

# The columns of a listed chat, in the order `conversation_json` takes them.
LISTED_COLUMNS = (
    "id",
    "title",
    "mode",
    "model",
    "remote_id",
    "created_at",
    "updated_at",
    "message_count",
    "input_tokens",
    "output_tokens",
    "cost_usd",
)
# What a SELECT of LISTED_COLUMNS reads: a chat with a turn of unknown price costs NULL, never a
# sum that leaves that turn out.
KNOWN_COST = "CASE WHEN cost_known THEN cost_usd END"
LISTED_SELECT = ", ".join(KNOWN_COST if c == "cost_usd" else c for c in LISTED_COLUMNS)
NEWEST_FIRST = "ORDER BY updated_at DESC, pk DESC"  # the order of `list`, the app's list, -c


def iso(ts: float) -> str:
    """A stored timestamp as ISO 8601 UTC, as every JSON output shows it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def conversation_json(
    id: str,
    title: str,
    mode: str,
    model: str,
    remote_id: str | None,
    created_at: float,
    updated_at: float,
    messages: int,
    input_tokens: int,
    output_tokens: int,
    cost_usd: float | None,
) -> dict[str, Any]:
    """One chat in `list --json` (and the head of `export --format json`), from LISTED_COLUMNS;
    a cost of None (unknown) is null, never 0."""
    return {
        "id": id,
        "title": title or "",
        "mode": mode,
        "model": model,
        "remote_id": remote_id,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
        "messages": messages or 0,
        "input_tokens": input_tokens or 0,
        "output_tokens": output_tokens or 0,
        "cost_usd": None if cost_usd is None else round(cost_usd, 6),
    }
