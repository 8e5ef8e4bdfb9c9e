"""Scripted replies: ``api.script(Reply.xxx(...))`` queues what the next request gets.

Replies are consumed in order, each by the first request to a matching
endpoint. ``endpoint`` names (a reply matches its name and any dotted child):

* ``"responses"``   POST /v1/responses (the default)
* ``"retrieve"``    GET /v1/responses/{id}; ``"cancel"``, ``"delete"``, ``"input_items"``
* ``"compact"``     POST /v1/responses/compact
* ``"input_tokens"`` POST /v1/responses/input_tokens
* ``"conversations"`` every /v1/conversations endpoint; or one of
  ``"conversations.create"``, ``"conversations.retrieve"``, ``"conversations.update"``,
  ``"conversations.delete"``, ``"conversations.items"`` (+ ``.list/.create/.retrieve/.delete``)

Only :meth:`Reply.error`, :meth:`Reply.rate_limit` and :meth:`Reply.raw` make
sense outside ``"responses"``. Replies that produce output (``text``, ``items``,
``drop``...) are still stored, chained and added to conversations like a normal
model reply. ``text=None`` in the fault replies means "the default fake model
reply for this request".
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .model import Plan
from .tools import message_item

_ID_PREFIX = {
    "message": "msg",
    "reasoning": "rs",
    "function_call": "fc",
    "web_search_call": "ws",
    "file_search_call": "fs",
    "code_interpreter_call": "ci",
    "mcp_list_tools": "mcpl",
    "mcp_call": "mcp",
    "mcp_approval_request": "mcpr",
    "compaction": "cmp",
}


@dataclass
class Reply:
    """One scripted reply. Build it with the class-method constructors."""

    kind: str  # "plan" | "http" | "wait"
    endpoint: str = "responses"
    make_plan: Callable[[Any, Callable[[], Plan]], Plan] | None = None
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    release: Any = None  # "wait": answer once this Event is set
    reached: Any = None  # "wait": set when the request has arrived

    def matches(self, endpoint: str) -> bool:
        return endpoint == self.endpoint or endpoint.startswith(self.endpoint + ".")

    # ------------------------------------------------------------------ outputs
    @classmethod
    def text(
        cls,
        text: str,
        chunks: list[str] | None = None,
        delay: float | None = None,
        hold_after: int | None = None,
        release: threading.Event | None = None,
    ) -> Reply:
        """A normal assistant message ``text`` streamed as ``chunks`` (default: word deltas).

        ``"".join(chunks)`` should equal ``text``. ``delay`` = seconds before each delta.
        ``hold_after=N`` stops the stream after N deltas until ``release`` is set (or the server
        stops): a reply that is still streaming for as long as a test needs, on any machine.
        """

        def make(ids: Any, default: Callable[[], Plan]) -> Plan:
            return Plan(
                items=[message_item(ids.new("msg"), text, chunks=chunks)],
                delay=delay,
                hold_after=hold_after,
                release=release,
            )

        return cls("plan", make_plan=make)

    @classmethod
    def items(cls, items: list[dict], delay: float | None = None, reasoning_tokens: int = 0) -> Reply:
        """Exactly these output items (wire-shaped dicts: messages, reasoning, tool calls...).

        Missing ``id``s are generated; a message may carry ``"_chunks"`` for its deltas.
        Each item streams with the per-type events the real API uses.
        """

        def make(ids: Any, default: Callable[[], Plan]) -> Plan:
            out = []
            for it in items:
                it = json.loads(json.dumps(it))
                if "id" not in it:
                    it["id"] = ids.new(_ID_PREFIX.get(it.get("type", ""), "item"))
                if it.get("type") == "message":
                    it.setdefault("status", "completed")
                    it.setdefault("role", "assistant")
                out.append(it)
            return Plan(items=out, delay=delay, reasoning_tokens=reasoning_tokens)

        return cls("plan", make_plan=make)

    @classmethod
    def refusal(cls, text: str = "I'm sorry, but I can't help with that.") -> Reply:
        """A message whose content is a ``refusal`` part (``response.refusal.delta/done``)."""

        def make(ids: Any, default: Callable[[], Plan]) -> Plan:
            return Plan(items=[message_item(ids.new("msg"), text, refusal=True)])

        return cls("plan", make_plan=make)

    @classmethod
    def slow(cls, delay: float = 0.2, text: str | None = None) -> Reply:
        """A reply (default model text if ``text`` is None) with ``delay`` seconds per delta."""
        return cls._fault(text, delay=delay)

    @classmethod
    def held(cls, release: Any, text: str | None = None) -> Reply:
        """A reply (default model text if ``text`` is None) answered only once ``release`` (a
        ``threading.Event``) is set: a server that sits on a request for as long as a test needs."""
        return cls._fault(text, hold=release)

    @classmethod
    def large_delta(cls, size: int = 1_000_000, char: str = "x") -> Reply:
        """A message made of ONE delta of ``size`` characters."""
        big = char * size
        return cls.text(big, chunks=[big])

    @classmethod
    def incomplete(cls, text: str | None = None, after_deltas: int = 5, reason: str = "max_output_tokens") -> Reply:
        """Cut the message after ``after_deltas`` deltas: message status ``incomplete``,
        terminal ``response.incomplete`` with ``incomplete_details.reason``."""
        return cls._fault(text, cut_tokens=after_deltas, incomplete_reason=reason)

    @classmethod
    def waiting(cls, release: Any, endpoint: str, reached: Any = None) -> Reply:
        """The next request to ``endpoint`` (any, e.g. ``"conversations.items"``) is answered as
        usual, but only once ``release`` (a ``threading.Event``) is set, at most 60 s later;
        ``reached`` is set when the request arrives: a test acts while a call is on its way."""
        return cls("wait", endpoint=endpoint, release=release, reached=reached)

    @classmethod
    def paused(cls, release: Any, reached: Any = None, after_deltas: int = 1, text: str | None = None) -> Reply:
        """Stream ``after_deltas`` deltas, set ``reached`` (a ``threading.Event``), then wait
        for ``release`` to be set (at most 60 s) before the rest: a test can act mid-stream."""
        import threading

        return cls._fault(text, pause=(after_deltas, reached or threading.Event(), release))

    # ------------------------------------------------------------------ stream faults
    @classmethod
    def drop(cls, after_deltas: int = 3, text: str | None = None, clean: bool = False) -> Reply:
        """Send ``after_deltas`` deltas, then stop with no terminal event.

        ``clean=False`` (default) aborts the chunked body: the SDK raises
        ``openai.APIConnectionError`` while iterating. ``clean=True`` ends the body
        properly: iteration just stops without a terminal event. A non-streamed
        request gets its connection closed without any response.
        The stored response is left ``in_progress`` with the partial message
        (status ``incomplete``); conversations get the input and partial message.
        """
        return cls._fault(text, drop_after=after_deltas, drop_clean=clean)

    @classmethod
    def error_event(
        cls,
        message: str = "Sorry, something went wrong.",
        code: str | None = None,
        type: str = "server_error",
        param: str | None = None,
        nested: bool = True,
        after_deltas: int = 0,
        failed: bool = True,
        text: str | None = None,
    ) -> Reply:
        """An ``error`` event (after ``after_deltas`` deltas) then ``response.failed``.

        ``nested=True``: ``{"type":"error","error":{type,code,message,param}}`` (the
        recorded form; the SDK raises ``openai.APIError`` with that message).
        ``nested=False``: flat ``{"type":"error","code","message","param"}`` (the SDK
        yields a ``ResponseErrorEvent``, then a ``response.failed`` event).
        ``failed=False`` omits ``response.failed``. Non-streamed requests get HTTP 500
        with the error JSON.
        """
        err = {"message": message, "code": code, "type": type, "param": param}
        return cls._fault(text, error=err, error_after=after_deltas, error_nested=nested, error_failed=failed)

    @classmethod
    def unknown_event(
        cls,
        type: str = "response.future_feature.updated",
        payload: dict | None = None,
        after_deltas: int = 1,
        text: str | None = None,
    ) -> Reply:
        """Inject an event of an unknown ``type`` (with ``payload`` fields) mid-stream."""
        event = {"type": type, **(payload if payload is not None else {"detail": "surprise"})}
        return cls._fault(text, inject=[(after_deltas, event)])

    @classmethod
    def malformed(
        cls,
        after_deltas: int = 1,
        raw: bytes | str = b"event: response.output_text.delta\ndata: {not valid json\n\n",
        close: bool = True,
        text: str | None = None,
    ) -> Reply:
        """Write ``raw`` bytes verbatim after ``after_deltas`` deltas (default: an event whose
        data is not JSON; the SDK raises ``json.JSONDecodeError``). ``close=True`` ends the
        stream right after the raw bytes."""
        data = raw.encode() if isinstance(raw, str) else raw
        return cls._fault(text, inject=[(after_deltas, data)], close_after_inject=close)

    @classmethod
    def _fault(cls, text: str | None, **fields: Any) -> Reply:
        def make(ids: Any, default: Callable[[], Plan]) -> Plan:
            plan = default() if text is None else Plan(items=[message_item(ids.new("msg"), text)])
            for k, v in fields.items():
                setattr(plan, k, v)
            return plan

        return cls("plan", make_plan=make)

    # ------------------------------------------------------------------ HTTP replies
    @classmethod
    def error(
        cls,
        status: int,
        message: str,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        endpoint: str = "responses",
    ) -> Reply:
        """An HTTP error with the OpenAI body ``{"error":{message,type,param,code}}``
        (pretty-printed, 2-space indent). The SDK raises ``openai.APIStatusError``
        subclasses (``RateLimitError`` for 429, ``InternalServerError`` for 5xx...)."""
        body = json.dumps({"error": {"message": message, "type": type, "param": param, "code": code}}, indent=2) + "\n"
        return cls("http", endpoint=endpoint, status=status, body=body.encode(), headers=dict(headers or {}))

    @classmethod
    def rate_limit(
        cls,
        retry_after: float | str = 0,
        message: str = "Rate limit reached for requests. Please try again later.",
        endpoint: str = "responses",
    ) -> Reply:
        """HTTP 429 ``rate_limit_exceeded`` with a ``retry-after`` header."""
        return cls.error(
            429,
            message,
            type="requests",
            code="rate_limit_exceeded",
            headers={"retry-after": str(retry_after)},
            endpoint=endpoint,
        )

    @classmethod
    def raw(
        cls,
        status: int,
        body: bytes | str | dict,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        endpoint: str = "responses",
    ) -> Reply:
        """Any status/body, e.g. a FastAPI ``{"detail": ...}`` or plain-text error, to mimic
        Responses-compatible local servers."""
        if isinstance(body, dict):
            data, ctype = json.dumps(body).encode(), content_type or "application/json"
        else:
            data = body.encode() if isinstance(body, str) else body
            ctype = content_type or "text/plain; charset=utf-8"
        return cls("http", endpoint=endpoint, status=status, body=data, content_type=ctype, headers=dict(headers or {}))


__all__ = ["Reply"]
