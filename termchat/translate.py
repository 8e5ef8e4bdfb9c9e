"""Stream events (the server's JSON objects, see `api_events.EventStream`) -> domain events, for
one response. No store, no printing.

Dispatch is on the event's `type` string (never on "has a `.delta`"), items are filed by id
(servers differ on `output_index`), unknown types are ignored, and a well-framed event of the
wrong shape ends the turn with one clear `ApiError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from termchat import events as ev
from termchat.errors import ApiError
from termchat.ids import is_valid_id

TEXT_DELTAS = ("response.output_text.delta", "response.refusal.delta")
REASONING_DELTAS = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")
ITEM_EVENTS = ("response.output_item.added", "response.output_item.done")


@dataclass
class StreamState:
    """What one response's stream has delivered so far."""

    text: list[str] = field(default_factory=list)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    response_id: str | None = None
    final: dict[str, Any] | None = None
    failure: str | None = None
    sequence: int | None = None
    refusal: bool = False
    citations: int = 0


def translate(
    stream: Any,
    state: StreamState,
    *,
    stopped: Callable[[], bool],
    on_created: Callable[[str, str], None],
    on_text: Callable[[], None],
) -> Iterator[ev.Event]:
    """Yield domain events until a terminal event; `state` holds the result.

    `on_created(response_id, status)` runs when the server names the response; `on_text()`
    after each text delta (the caller saves the growing reply from there).
    """
    for event in stream:
        kind = event.get("type")
        try:
            yield from _one(event, kind, state, on_created, on_text)
            if "sequence_number" in event:
                state.sequence = event["sequence_number"]
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            # A well-framed event with the wrong shape (a broken or exotic server).
            raise ApiError(f"malformed {str(kind)[:60]!r} event from the server ({type(exc).__name__})") from None
        if state.final is not None:
            return  # the reply is whole (and its usage known), even if a stop came with its end
        if stopped():
            raise ApiError("stopped by the user; the partial reply was kept")


def _object(event: dict[str, Any], key: str) -> dict[str, Any]:
    """`event[key]`, which must be a JSON object."""
    value = event[key]
    if not isinstance(value, dict):
        raise TypeError(f"{key} is not an object")
    return value


def _one(
    event: dict[str, Any],
    kind: Any,
    state: StreamState,
    on_created: Callable[[str, str], None],
    on_text: Callable[[], None],
) -> Iterator[ev.Event]:
    if kind in TEXT_DELTAS:
        delta = event["delta"]
        if not isinstance(delta, str):
            raise TypeError("delta is not text")
        if kind == "response.refusal.delta":
            state.refusal = True
        state.text.append(delta)
        yield ev.TextDelta(delta)
        on_text()
    elif kind == "response.created":
        response = _object(event, "response")
        if not is_valid_id(response.get("id")):  # it is stored, printed and used in commands
            raise ValueError("the response id is not a plain id")
        state.response_id = response["id"]
        status = response.get("status") or "in_progress"
        on_created(response["id"], status)
        yield ev.ResponseCreated(response["id"], status)
    elif kind in ("response.queued", "response.in_progress") and _object(event, "response").get("background"):
        response = event["response"]
        yield ev.JobStatus(state.response_id or response.get("id"), response.get("status") or "in_progress")
    elif kind in REASONING_DELTAS:
        yield ev.ReasoningDelta(event["delta"])
    elif kind in ITEM_EVENTS:
        item = _object(event, "item")
        item_type = item.get("type", "unknown")
        if item_type == "message":
            return
        item_id = item.get("id") or f"item{len(state.items)}"
        if kind == "response.output_item.added":
            yield ev.ItemStarted(item_type, item_id, item)
            return
        state.items[item_id] = item
        yield ev.ItemFinished(item_type, item_id, item)
        if item_type == "mcp_approval_request":
            yield ev.ApprovalRequested(
                item_id, item.get("server_label", ""), item.get("name", ""), item.get("arguments", "")
            )
    elif kind == "response.output_text.annotation.added":
        annotation = event.get("annotation")
        if isinstance(annotation, dict) and annotation.get("type") == "url_citation":
            state.citations += 1
            yield ev.Citation(state.citations, annotation.get("title") or "", annotation.get("url") or "")
    elif kind in ("response.completed", "response.incomplete"):
        state.final = _object(event, "response")
        if state.final.get("id") is not None and not is_valid_id(state.final["id"]):
            raise ValueError("the response id is not a plain id")
    elif kind == "response.failed":
        state.final = _object(event, "response")
        error = state.final.get("error") or {}
        state.failure = _with_code(error.get("message") or "the response failed", error.get("code"))
    elif kind == "error":
        state.failure = _with_code(event.get("message") or "the server reported an error", event.get("code"))


def _with_code(message: str, code: Any) -> str:
    return f"{message} ({code})" if code else message
