"""Endpoint logic (no HTTP here): each handler returns a Result for server.py to write.

Here: what every endpoint shares (Result, errors, paging, request checks), compaction and
token counts, conversations, models. A stored response (create, stream, retrieve, input items)
is in responses.py."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import sdk
from .model import encode_compaction
from .objects import usage
from .state import ApiError, Store
from .stream import strip_private


class FakeAPI(Protocol):
    """What the endpoints read of the server (server.FakeAPI), so this module need not import it."""

    clock: Any
    store: Store
    stopping: threading.Event
    models: set[str] | None
    background_enabled: bool
    store_default: bool
    obfuscation: bool
    delay: float
    queued_seconds: float
    run_seconds: float
    vector_stores: list[tuple[str, str, int]]
    files: Any  # files.FileStore
    item_order: bool


@dataclass
class Result:
    status: int = 200
    body: Any = None  # dict -> JSON; bytes -> raw
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    pretty: bool = False
    stream: Iterator[Any] | None = None  # SSE frames: bytes, or DROP / DROP_CLEAN
    drop: bool = False  # close the connection without answering


DROP, DROP_CLEAN = object(), object()


def error_result(err: ApiError, headers: dict | None = None) -> Result:
    return Result(
        err.status, sdk.error_body(err.message, err.type, err.param, err.code), headers=headers or {}, pretty=True
    )


def json_result(kind: str, body: dict) -> Result:
    try:
        return Result(200, sdk.wire(kind, body))
    except Exception:  # noqa: BLE001 - user-provided odd items: still answer
        return Result(200, body)


def validate_request(body: dict, api: FakeAPI) -> None:
    """Refuse a request body as the real API does (model, sampling, background)."""
    model = body.get("model")
    if not model and not body.get("prompt"):  # a stored prompt brings its own model
        raise ApiError(400, "Missing required parameter: 'model'.", param="model", code="missing_required_parameter")
    if model and api.models is not None and model not in api.models:
        raise ApiError(400, f"The requested model '{model}' does not exist.", param="model", code="model_not_found")
    for name, lo, hi in (("temperature", 0, 2), ("top_p", 0, 1)):
        v = body.get(name)
        if isinstance(v, (int, float)) and not lo <= v <= hi:
            which, words, rel = (
                ("below_min", "below minimum", f">= {lo}") if v < lo else ("above_max", "above maximum", f"<= {hi}")
            )
            raise ApiError(
                400,
                f"Invalid '{name}': decimal {words} value. Expected a value {rel}, but got {v} instead.",
                param=name,
                code=f"decimal_{which}_value",
            )
    _validate_sampling(body)
    if body.get("background") and not api.background_enabled:
        raise ApiError(400, "Background mode is not supported by this server.", param="background")


def _validate_sampling(body: dict) -> None:
    """The real API's 400s for reasoning effort, verbosity and max_output_tokens."""
    from .tools import is_reasoning_model

    reasoning = body.get("reasoning")
    if not isinstance(reasoning, dict):
        reasoning = {}
    effort = reasoning.get("effort")
    if effort is not None:
        if effort not in ("none", "minimal", "low", "medium", "high", "xhigh"):
            raise ApiError(
                400,
                f"Invalid value: '{effort}'. Supported values are: 'minimal', 'low', 'medium', and 'high'.",
                param="reasoning.effort",
                code="invalid_value",
            )
        if not is_reasoning_model(str(body.get("model") or "")):
            raise ApiError(
                400,
                "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
                param="reasoning.effort",
                code="unsupported_parameter",
            )
    text = body.get("text")
    if not isinstance(text, dict):
        text = {}
    verbosity = text.get("verbosity")
    if verbosity is not None and verbosity not in ("low", "medium", "high"):
        raise ApiError(
            400,
            f"Invalid value: '{verbosity}'. Supported values are: 'low', 'medium', and 'high'.",
            param="text.verbosity",
            code="invalid_value",
        )
    limit = body.get("max_output_tokens")
    if isinstance(limit, int) and limit < 16:
        raise ApiError(
            400,
            "Invalid 'max_output_tokens': integer below minimum value. Expected a "
            f"value >= 16, but got {limit} instead.",
            param="max_output_tokens",
            code="integer_below_min_value",
        )


def paginate(items: list[dict], query: dict) -> dict:
    """A page of a listing as the real API pages it: `order` (desc unless asc), `after` (an
    item id: the page starts after it, in that order), `limit` (1 to 100, 20 unless given)."""
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise ApiError(
            400,
            f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
            param="order",
            code="invalid_value",
        )
    limit = _limit(query.get("limit", "20"))
    after = query.get("after")
    if order != "asc":
        items = list(reversed(items))
    if after:
        pos = next((i for i, it in enumerate(items) if it.get("id") == after), None)
        if pos is None:
            raise ApiError(400, f"Invalid 'after': item '{after}' not found.", param="after")
        items = items[pos + 1 :]
    page = items[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(items) > limit,
    }


def _limit(raw: str) -> int:
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid 'limit': expected an integer, but got '{raw}' instead.", param="limit") from None
    if limit < 1:
        raise ApiError(
            400,
            f"Invalid 'limit': integer below minimum value. Expected a value >= 1, but got {limit} instead.",
            param="limit",
            code="integer_below_min_value",
        )
    if limit > 100:
        raise ApiError(
            400,
            f"Invalid 'limit': integer above maximum value. Expected a value <= 100, but got {limit} instead.",
            param="limit",
            code="integer_above_max_value",
        )
    return limit


# ---------------------------------------------------------------------------- compact & tokens
def compact(api: FakeAPI, body: dict) -> Result:
    validate_request(body, api)
    store = api.store
    base, _ = store.base_context(body)
    window = base + store.normalize_input(body.get("input"))
    kept = []
    for it in window:
        if it.get("type") == "message" and it.get("role") == "user":
            content = [
                {"type": "input_text", "text": p.get("text", "")} for p in it.get("content", []) if isinstance(p, dict)
            ]
            kept.append(
                {
                    "id": store.ids.new("msg"),
                    "type": "message",
                    "status": "completed",
                    "content": content,
                    "role": "user",
                }
            )
    blob = encode_compaction(window)
    kept.append({"id": store.ids.new("cmp"), "type": "compaction", "encrypted_content": blob})
    in_tok = store.count_tokens(window, body.get("instructions"))
    body_out = {
        "id": store.ids.new("resp"),
        "object": "response.compaction",
        "created_at": int(api.clock.now()),
        "output": kept,
        "usage": usage(in_tok, max(1, len(blob) // 8)),
    }
    return json_result("compacted", body_out)


def input_tokens(api: FakeAPI, body: dict) -> Result:
    store = api.store
    base, _ = store.base_context(body)
    items = base + store.normalize_input(body.get("input"))
    n = store.count_tokens(items, body.get("instructions"))
    return json_result("input_tokens", {"object": "response.input_tokens", "input_tokens": n})


# ---------------------------------------------------------------------------- conversations
def conversations(api: FakeAPI, method: str, parts: list[str], query: dict, body: dict) -> Result:
    store = api.store
    if not parts:
        if method != "POST":
            raise ApiError(404, f"Invalid URL ({method} /v1/conversations)")
        items = body.get("items") or []
        if len(items) > 20:
            raise ApiError(
                400, "Invalid 'items': array too long. Expected an array with maximum length 20.", param="items"
            )
        conv = store.create_conversation(items, body.get("metadata"))
        return json_result("conversation", conv.public())
    conv_id = parts[0]
    if len(parts) == 1:
        if method == "GET":
            return json_result("conversation", store.conversation(conv_id).public())
        if method == "POST":
            conv = store.conversation(conv_id)
            with store.lock:
                conv.metadata = body.get("metadata") or {}
            return json_result("conversation", conv.public())
        if method == "DELETE":
            return json_result("conversation_deleted", store.delete_conversation(conv_id))
    elif parts[1] == "items":
        if len(parts) == 2 and method == "GET":
            conv = store.conversation(conv_id)
            if not api.item_order:  # a server that lists items oldest first, whatever is asked
                query = {**query, "order": "asc"}
            with store.lock:  # only the page is copied and shaped: a long chat has thousands
                page = paginate(list(conv.items), query)
                page["data"] = copy.deepcopy(page["data"])
            page["data"] = [_item(i) for i in page["data"]]
            return Result(200, page)
        if len(parts) == 2 and method == "POST":
            conv = store.conversation(conv_id)
            if len(body.get("items") or []) > 20:  # the real API adds at most 20 items a request
                raise ApiError(
                    400, "Invalid 'items': array too long. Expected an array with maximum length 20.", param="items"
                )
            new = store.normalize_input(body.get("items") or [])
            with store.lock:
                conv.items.extend(new)
            return Result(
                200,
                {
                    "object": "list",
                    "data": [_item(i) for i in new],
                    "first_id": new[0]["id"] if new else None,
                    "last_id": new[-1]["id"] if new else None,
                    "has_more": False,
                },
            )
        if len(parts) == 3:
            conv, idx = store.find_item(conv_id, parts[2])
            if method == "GET":
                return Result(200, _item(conv.items[idx]))
            if method == "DELETE":
                with store.lock:
                    del conv.items[idx]
                return json_result("conversation", conv.public())
    raise ApiError(404, f"Invalid URL ({method} /v1/conversations/{'/'.join(parts)})")


def _item(item: dict) -> dict:
    clean = strip_private(item)
    try:
        return sdk.wire("conversation_item", clean)
    except Exception:  # noqa: BLE001 - keep odd client-provided items as they are
        return clean


__all__ = [
    "Result",
    "DROP",
    "DROP_CLEAN",
    "compact",
    "input_tokens",
    "conversations",
    "error_result",
]


# ---------------------------------------------------------------------------- models
FAKE_MODELS = ("gpt-5.2", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4o", "o4-mini")


def models(api: FakeAPI) -> Result:
    """`GET /v1/models`: the models this fake accepts (its `models` option, else a fixed list)."""
    names = sorted(api.models) if api.models is not None else FAKE_MODELS
    return Result(200, {"object": "list", "data": [_model(name) for name in names]})


def model(api: FakeAPI, name: str) -> Result:
    """`GET /v1/models/{model}`: one model, or the API's 404 for a name it does not serve."""
    names = api.models if api.models is not None else FAKE_MODELS
    if name not in names:
        raise ApiError(404, f"The model '{name}' does not exist", param="model", code="model_not_found")
    return Result(200, _model(name))


def _model(name: str) -> dict:
    from openai.types import Model

    return sdk.wire(Model, {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "system"})
