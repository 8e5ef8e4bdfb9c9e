"""Small domain events the engine yields while a turn runs; both views render these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should read once (e.g. a fallback to local mode)."""

    message: str


@dataclass(frozen=True, slots=True)
class TurnStarted:
    conversation_id: str
    user_message_id: int
    assistant_message_id: int


@dataclass(frozen=True, slots=True)
class ResponseCreated:
    response_id: str
    status: str


@dataclass(frozen=True, slots=True)
class JobStarted:
    """A background turn was accepted: the server runs it as job `response_id`."""

    conversation_id: str
    response_id: str
    status: str
    reply_id: int


@dataclass(frozen=True, slots=True)
class JobStatus:
    """A followed job is still pending, in `status` (queued or in_progress)."""

    response_id: str
    status: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ItemStarted:
    """A non-text output item began (web_search_call, code_interpreter_call, ...)."""

    item_type: str
    item_id: str
    item: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ItemFinished:
    item_type: str
    item_id: str
    item: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Citation:
    number: int
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class ApprovalRequested:
    """An MCP server wants approval to run a tool."""

    request_id: str
    server_label: str
    tool_name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None


@dataclass(frozen=True, slots=True)
class Finished:
    """The turn ended; `status` is completed, incomplete, or queued (background)."""

    conversation_id: str
    response_id: str | None
    status: str
    text: str
    usage: Usage | None = None
    reason: str | None = None
    parsed: Any = None
    items: list[dict[str, Any]] = field(default_factory=list)
    refusal: bool = False
    approvals: list[ApprovalRequested] = field(default_factory=list)
    schema_errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Failed:
    """The turn failed; the prompt and any partial reply are kept in the store."""

    conversation_id: str
    message: str
    partial_text: str
    exit_code: int = 1
    interrupted: bool = False


Event = (
    Notice
    | TurnStarted
    | ResponseCreated
    | JobStarted
    | JobStatus
    | TextDelta
    | ReasoningDelta
    | ItemStarted
    | ItemFinished
    | Citation
    | ApprovalRequested
    | Usage
    | Finished
    | Failed
)
