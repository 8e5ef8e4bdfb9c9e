"""The store's rows and statuses: what a chat, a message, a turn's usage and a job read as."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from termchat.store_format import KNOWN_COST, conversation_json, iso

# Message statuses. `streaming` left behind by a killed process reads as interrupted.
COMPLETE = "complete"
STREAMING = "streaming"
INTERRUPTED = "interrupted"
FAILED = "failed"
INCOMPLETE = "incomplete"
UNFINISHED = (STREAMING, INTERRUPTED, FAILED, INCOMPLETE)

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
        return conversation_json(
            self.id,
            self.title,
            self.mode,
            self.model,
            self.remote_id,
            self.created_at,
            self.updated_at,
            self.message_count,
            self.input_tokens,
            self.output_tokens,
            self.cost_usd,
        )


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
    attachments: list[dict[str, Any]] = field(default_factory=list)  # files sent with a prompt

    @property
    def interrupted(self) -> bool:
        return self.status in UNFINISHED

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "role": self.role,
            "content": self.content,
            "status": INTERRUPTED if self.status == STREAMING else self.status,
            "created_at": iso(self.created_at),
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
        if self.attachments:
            from termchat.attachments import public_record

            data["attachments"] = [public_record(a) for a in self.attachments]
        return data


@dataclass(frozen=True)
class SyncMark:
    """Where a chat's transcript last lined up with its server conversation `remote_id`: the
    server's newest item then (`item_id`), the item before it (None: there was none), and the
    local row that holds it. Everything the server had up to that item is at or before that row."""

    remote_id: str
    item_id: str
    previous_item_id: str | None
    message_id: int


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
    deleted: bool = False  # its chat has been deleted since (its spending stays)


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
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


def loads(text: str | None, default: Any) -> Any:
    """Decode a JSON column; a corrupt value reads as the default instead of crashing."""
    if not text:
        return default
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return default
    expected = dict if default is None else type(default)
    return value if isinstance(value, expected) else default


# The columns each row type is read from, in the order its decoder below takes them.
CONV_COLS = (
    "pk, id, title, mode, model, remote_id, last_response_id, settings, created_at, "
    f"updated_at, input_tokens, output_tokens, {KNOWN_COST}, message_count, parent_id, "
    "fork_turn"
)
MSG_COLS = "id, role, content, status, created_at, response_id, items, usage, cost_usd, error, attachments"
JOB_COLS = (
    "j.response_id, c.id, j.message_id, j.status, j.last_sequence, j.error, j.created_at,"
    " j.updated_at, j.base_url, j.model"
)


def conversation_row(row: tuple) -> ConversationRow:
    (
        pk,
        cid,
        title,
        mode,
        model,
        remote_id,
        last_response_id,
        settings,
        created_at,
        updated_at,
        input_tokens,
        output_tokens,
        cost_usd,
        message_count,
        parent_id,
        fork_turn,
    ) = row
    return ConversationRow(
        pk,
        cid,
        title or "",
        mode,
        model,
        remote_id,
        last_response_id,
        loads(settings, {}),
        created_at,
        updated_at,
        input_tokens or 0,
        output_tokens or 0,
        cost_usd,
        message_count or 0,
        parent_id,
        fork_turn,
    )


def message_row(row: tuple) -> MessageRow:
    mid, role, content, status, created_at, response_id, items, usage, cost, error, attached = row
    return MessageRow(
        mid,
        role,
        content or "",
        status,
        created_at,
        response_id,
        loads(items, []),
        loads(usage, None) if usage else None,
        cost,
        error,
        loads(attached, []),
    )
