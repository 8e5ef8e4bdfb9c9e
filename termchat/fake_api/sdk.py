"""Serialisation through the openai SDK's own pydantic types.

Every JSON object the fake server sends (responses, stream events, items,
conversations, list pages) is validated by the SDK model for its kind and then
dumped with ``model_dump(mode="json", exclude_unset=True, by_alias=True)``, so
fields we set to ``None`` stay ``null`` on the wire and fields we never set are
not invented. The openai SDK is imported lazily (it costs ~0.4 s) so that
``import termchat.fake_api`` and ``FakeAPI.start()`` stay cheap.

A few real wire shapes are stricter in the SDK than on the wire (the recordings
show them): ``usage.input_tokens_details`` without ``cache_write_tokens``, a
``web_search_call`` announced without ``action``, error codes outside the
SDK's enum. For those the SDK's lenient ``construct_type`` (what the client
itself uses to parse) is used instead of failing.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

# Validation errors that match real wire data (seen in recordings) and are allowed.
_ALLOWED_MISSING = {"cache_write_tokens", "action", "message", "results"}
_ALLOWED_LITERAL = {"code"}
_INT_TIME_KEYS = {"created_at", "completed_at"}


@functools.cache
def _types() -> dict[str, Any]:
    from openai.types.conversations import Conversation, ConversationDeletedResource
    from openai.types.conversations.conversation_item import ConversationItem
    from openai.types.conversations.conversation_item_list import ConversationItemList
    from openai.types.responses import Response, ResponseOutputItem, ResponseStreamEvent
    from openai.types.responses.compacted_response import CompactedResponse
    from openai.types.responses.input_token_count_response import InputTokenCountResponse

    return {
        "response": Response,
        "event": ResponseStreamEvent,
        "output_item": ResponseOutputItem,
        "conversation": Conversation,
        "conversation_deleted": ConversationDeletedResource,
        "conversation_item": ConversationItem,
        "conversation_item_list": ConversationItemList,
        "compacted": CompactedResponse,
        "input_tokens": InputTokenCountResponse,
    }


@functools.cache
def _event_classes() -> dict[str, Any]:
    import typing

    union = typing.get_args(_types()["event"])[0]
    out = {}
    for cls in typing.get_args(union):
        for literal in typing.get_args(cls.model_fields["type"].annotation):
            out[literal] = cls
    return out


def event_class(event_type: str) -> Any | None:
    """The SDK class for a stream event type, or None if the SDK does not know it."""
    return _event_classes().get(event_type)


def warm_up() -> None:
    """Import the SDK types (used from a background thread right after start())."""
    _event_classes()


def _allowed(err: Mapping[str, Any]) -> bool:
    last = err["loc"][-1] if err["loc"] else None
    if err["type"] == "missing" and last in _ALLOWED_MISSING:
        return True
    if err["type"] == "literal_error" and last in _ALLOWED_LITERAL:
        return True
    return False


def _fix(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _fix(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_fix(v) for v in value]
    if key in _INT_TIME_KEYS and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _first(d: dict, keys: tuple[str, ...]) -> dict:
    out = {k: d[k] for k in keys if k in d}
    out.update((k, v) for k, v in d.items() if k not in out)
    return out


def model_of(kind_or_cls: Any, data: dict) -> Any:
    """Validate ``data`` with an SDK type (a kind name from _types() or a class)."""
    import pydantic
    from openai._models import construct_type

    cls = _types()[kind_or_cls] if isinstance(kind_or_cls, str) else kind_or_cls
    if isinstance(cls, type) and issubclass(cls, pydantic.BaseModel):
        validate = cls.model_validate
    else:
        validate = _adapter(cls).validate_python
    try:
        return validate(data)
    except pydantic.ValidationError as exc:
        if not all(_allowed(e) for e in relevant_errors(exc.errors())):
            raise
        return construct_type(value=data, type_=cls)


def relevant_errors(errors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drop errors from union branches whose ``type`` literal does not match the data.

    The SDK's unions are discriminated by ``type`` only in its own parser, so pydantic
    reports every branch; the branch with a matching ``type`` is the one that counts.
    """
    wrong = {
        tuple(e["loc"][:-1]) for e in errors if e["type"] == "literal_error" and e["loc"] and e["loc"][-1] == "type"
    }
    return [e for e in errors if not any(tuple(e["loc"][: len(w)]) == w for w in wrong)]


@functools.cache
def _adapter(tp: Any) -> Any:
    import pydantic

    return pydantic.TypeAdapter(tp)


def wire(kind_or_cls: Any, data: dict) -> dict:
    """Validate ``data`` with the SDK type and return its JSON-ready dump."""
    obj = model_of(kind_or_cls, data)
    out = obj.model_dump(mode="json", exclude_unset=True, by_alias=True, warnings=False)
    return _first(_fix(out), ("type", "id", "object"))


def wire_event(data: dict) -> dict:
    """Dump a stream event via its SDK class. Unknown types and the nested
    ``{"type":"error","error":{...}}`` form (which the SDK turns into an
    APIError before parsing) are passed through unchanged."""
    cls = event_class(data.get("type", ""))
    if cls is None or (data.get("type") == "error" and "error" in data):
        return dict(data)
    return wire(cls, data)


def encode_sse(event: dict) -> bytes:
    """``event: <type>\\ndata: <single-line json>\\n\\n``."""
    payload = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event.get('type', 'message')}\ndata: {payload}\n\n".encode()


def encode_json(body: Any, pretty: bool = False) -> bytes:
    if pretty:
        return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode()
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def error_body(
    message: str, type: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict:
    """The OpenAI error envelope ``{"error": {message, type, param, code}}``."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


class IdFactory:
    """Deterministic ids shaped like the real ones (``resp_`` + 50 hex chars).

    The ``seed`` keeps two servers in one process from sharing ids.
    """

    def __init__(self, seed: str = "fake") -> None:
        self._seed = seed
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new(self, prefix: str, length: int = 50) -> str:
        with self._lock:
            n = next(self._counter)
        digest = hashlib.sha256(f"{self._seed}:{prefix}:{n}".encode()).hexdigest()
        # A monotonic counter in front keeps ids sortable in creation order.
        body = (f"{n:010x}" + digest)[:length]
        sep = "-" if prefix == "file" else "_"
        return f"{prefix}{sep}{body}"
