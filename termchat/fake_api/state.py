"""Server-side state: stored responses (incl. background jobs) and conversations.

All access goes through :class:`Store` under one lock. Background responses
are planned and built at creation time; their visible status is derived from
the clock (``queued`` for ``queued_seconds``, then ``in_progress`` for
``run_seconds``, then the terminal status). Side effects of finishing (adding
items to a conversation) happen lazily in :meth:`Store.tick`, which every
request calls first.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from .model import item_text
from .sdk import IdFactory
from .stream import Built

_ITEM_PREFIX = {
    "message": "msg",
    "function_call_output": "fco",
    "mcp_approval_response": "mcpa",
    "function_call": "fc",
    "reasoning": "rs",
    "compaction": "cmp",
}


class ApiError(Exception):
    """An OpenAI-shaped HTTP error raised by state operations."""

    def __init__(
        self,
        status: int,
        message: str,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = (status, message, type, param, code)


@dataclass
class ResponseRecord:
    id: str
    request: dict
    built: Built
    created_at: float
    background: bool
    store: bool
    input_items: list[dict]  # the new input of this request (stored form)
    context: list[dict]  # everything the model saw (for chaining)
    conversation_id: str | None = None
    start_at: float = 0.0  # background: queued -> in_progress
    done_at: float = 0.0  # background: in_progress -> terminal
    cancelled_at: float | None = None
    finalized: bool = False
    final: dict = field(default_factory=dict)

    def status_at(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        if not self.background or now >= self.done_at:
            return self.final["status"]
        return "in_progress" if now >= self.start_at else "queued"

    def snapshot(self, now: float) -> dict:
        status = self.status_at(now)
        if status == "cancelled":
            snap = copy.deepcopy(self.built.snapshots.get("in_progress") or self.final)
            snap.update(status="cancelled", output=[], usage=None)
            return snap
        if status in ("queued", "in_progress"):
            return self.built.snapshots.get(status) or self.final
        return self.final

    def chain_context(self) -> list[dict]:
        return self.context + list(self.final.get("output") or [])


@dataclass
class ConversationRecord:
    id: str
    created_at: int
    metadata: dict
    items: list[dict] = field(default_factory=list)

    def public(self) -> dict:
        return {"id": self.id, "object": "conversation", "created_at": self.created_at, "metadata": self.metadata}


class Store:
    def __init__(
        self,
        clock: Any,
        ids: IdFactory,
        *,
        queued_seconds: float = 1.0,
        run_seconds: float = 2.0,
        expire_after: float = 600.0,
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.lock = threading.RLock()
        self.responses: dict[str, ResponseRecord] = {}
        self.conversations: dict[str, ConversationRecord] = {}
        self.queued_seconds = queued_seconds
        self.run_seconds = run_seconds
        self.expire_after = expire_after

    # ------------------------------------------------------------------ items
    def normalize_input(self, value: Any) -> list[dict]:
        """Request ``input`` (string or item list) -> stored item dicts with ids."""
        if value is None:
            return []
        if isinstance(value, str):
            value = [{"role": "user", "content": value}]
        out = []
        for raw in value:
            item = copy.deepcopy(raw)
            if "type" not in item and "role" in item:
                item["type"] = "message"
            if item.get("type") == "message":
                role = item.get("role", "user")
                content = item.get("content")
                if isinstance(content, str):
                    if role == "assistant":
                        content = [{"type": "output_text", "annotations": [], "logprobs": [], "text": content}]
                    else:
                        content = [{"type": "input_text", "text": content}]
                item = {
                    "id": item.get("id") or self.ids.new("msg"),
                    "type": "message",
                    "status": item.get("status") or "completed",
                    "content": content or [],
                    "role": role,
                }
            elif item.get("type") in _ITEM_PREFIX and "id" not in item:
                item["id"] = self.ids.new(_ITEM_PREFIX[item["type"]])
            if item.get("type") in ("function_call_output", "mcp_approval_response"):
                if item["type"] == "function_call_output":
                    item.setdefault("status", "completed")
            out.append(item)
        return out

    @staticmethod
    def count_tokens(items: list[dict], instructions: Any = None) -> int:
        chars = len(instructions) if isinstance(instructions, str) else 0
        for it in items:
            text = item_text(it) if it.get("type", "message") == "message" else json.dumps(it)
            chars += len(text) + 16
        return max(1, chars // 4)

    # ------------------------------------------------------------------ responses
    def get_response(self, resp_id: str, *, for_chain: bool = False) -> ResponseRecord:
        now = self.clock.now()
        with self.lock:
            rec = self.responses.get(resp_id)
            expired = rec is not None and rec.background and now - rec.created_at > self.expire_after
            if rec is None or expired or (not rec.store and not rec.background):
                if for_chain:
                    raise ApiError(
                        400,
                        f"Previous response with id '{resp_id}' not found.",
                        param="previous_response_id",
                        code="previous_response_not_found",
                    )
                raise ApiError(404, f"Response with id '{resp_id}' not found.")
            return rec

    def base_context(self, request: dict) -> tuple[list[dict], str | None]:
        """Items that precede the new input: the chain or the conversation."""
        conv = request.get("conversation")
        conv_id = conv.get("id") if isinstance(conv, dict) else conv
        prev = request.get("previous_response_id")
        if conv_id and prev:
            raise ApiError(
                400,
                "Mutually exclusive parameters: Ensure you are only providing "
                "one of: 'previous_response_id' or 'conversation'.",
                param="conversation",
                code="mutually_exclusive_parameters",
            )
        if prev:
            rec = self.get_response(prev, for_chain=True)
            return rec.chain_context(), None
        if conv_id:
            with self.lock:
                c = self.conversations.get(conv_id)
                if c is None:
                    raise ApiError(404, f"Conversation with id '{conv_id}' not found.", param="conversation")
                return copy.deepcopy(c.items), conv_id
        return [], None

    def add_response(self, rec: ResponseRecord) -> None:
        with self.lock:
            if rec.store or rec.background:
                self.responses[rec.id] = rec
            if not rec.background:
                self._finalize(rec)

    def _finalize(self, rec: ResponseRecord) -> None:
        if rec.finalized:
            return
        rec.finalized = True
        if rec.conversation_id and rec.cancelled_at is None and rec.final["status"] != "failed":
            conv = self.conversations.get(rec.conversation_id)
            if conv is not None:
                conv.items.extend(copy.deepcopy(rec.input_items))
                conv.items.extend(copy.deepcopy(rec.final.get("output") or []))

    def tick(self) -> None:
        """Apply the side effects of background responses that finished by now."""
        now = self.clock.now()
        with self.lock:
            for rec in self.responses.values():
                if rec.background and not rec.finalized and (rec.cancelled_at is not None or now >= rec.done_at):
                    self._finalize(rec)

    def cancel(self, resp_id: str) -> dict:
        now = self.clock.now()
        with self.lock:
            rec = self.get_response(resp_id)
            if not rec.background:
                raise ApiError(
                    400, "Only responses created with background=true can be cancelled.", param="response_id"
                )
            status = rec.status_at(now)
            if status not in ("queued", "in_progress", "cancelled"):
                raise ApiError(400, f"Cannot cancel a response with status '{status}'.", param="response_id")
            if rec.cancelled_at is None:
                rec.cancelled_at = now
            self._finalize(rec)
            return rec.snapshot(now)

    def delete_response(self, resp_id: str) -> dict:
        with self.lock:
            self.get_response(resp_id)
            del self.responses[resp_id]
        return {"id": resp_id, "object": "response.deleted", "deleted": True}

    # ------------------------------------------------------------------ conversations
    def create_conversation(self, items: Any, metadata: dict | None) -> ConversationRecord:
        conv = ConversationRecord(
            id=self.ids.new("conv"),
            created_at=int(self.clock.now()),
            metadata=metadata or {},
            items=self.normalize_input(items),
        )
        with self.lock:
            self.conversations[conv.id] = conv
        return conv

    def conversation(self, conv_id: str) -> ConversationRecord:
        with self.lock:
            conv = self.conversations.get(conv_id)
        if conv is None:
            raise ApiError(404, f"Conversation with id '{conv_id}' not found.")
        return conv

    def delete_conversation(self, conv_id: str) -> dict:
        with self.lock:
            self.conversation(conv_id)
            del self.conversations[conv_id]
        return {"id": conv_id, "object": "conversation.deleted", "deleted": True}

    def find_item(self, conv_id: str, item_id: str) -> tuple[ConversationRecord, int]:
        conv = self.conversation(conv_id)
        with self.lock:
            for i, it in enumerate(conv.items):
                if it.get("id") == item_id:
                    return conv, i
        raise ApiError(404, f"Item with id '{item_id}' not found.")
