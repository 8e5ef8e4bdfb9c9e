"""Endpoint logic (no HTTP here): each handler returns a Result for server.py to write."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import sdk
from .model import Plan, encode_compaction
from .objects import base_response, usage
from .state import ApiError, ResponseRecord, Store
from .stream import Builder, _delta_cut, replay_output, strip_private
from .tools import plan_reply


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


def _validate(body: dict, api: FakeAPI) -> None:
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


# ---------------------------------------------------------------------------- responses
def _check_file_ids(items: list[dict], files: Any) -> None:
    """A prompt part naming an upload this server does not have is refused, as the real API does."""
    for i, item in enumerate(items):
        content = item.get("content")
        for j, part in enumerate(content if isinstance(content, list) else []):
            file_id = part.get("file_id") if isinstance(part, dict) else None
            if isinstance(file_id, str) and files.get(file_id) is None:
                raise ApiError(
                    400,
                    f"The file {file_id} does not exist or you do not have access.",
                    param=f"input[{i}].content[{j}].file_id",
                    code="invalid_value",
                )


def create_response(api: FakeAPI, body: dict, scripted: Any) -> Result:
    _validate(body, api)
    store = api.store
    base, conv_id = store.base_context(body)
    new_items = store.normalize_input(body.get("input"))
    context = base + new_items
    now = api.clock.now()
    background = bool(body.get("background"))
    stored = body.get("store", api.store_default) is not False
    resp_id = store.ids.new("resp")

    _check_file_ids(new_items, api.files)

    def default() -> Plan:
        return plan_reply(context, body, store.ids, api.files)

    plan = scripted.make_plan(store.ids, default) if scripted is not None else default()
    threshold = next(
        (
            cm.get("compact_threshold")
            for cm in body.get("context_management") or []
            if isinstance(cm, dict) and cm.get("type") == "compaction"
        ),
        None,
    )
    if threshold is not None and store.count_tokens(context) > threshold:
        # server-side compaction: the reply ends with a compaction item for the window
        window = context + [strip_private(i) for i in plan.items if i.get("type") == "message"]
        plan.items.append(
            {"id": store.ids.new("cmp"), "type": "compaction", "encrypted_content": encode_compaction(window)}
        )
    if plan.delay is None and api.delay:
        plan.delay = api.delay
    skeleton = base_response(body, resp_id, now, background=background, store=stored, conversation_id=conv_id)
    tokens = store.count_tokens(context, body.get("instructions"))
    built = Builder(skeleton, plan, input_tokens=tokens, now=now, obfuscation=api.obfuscation and not background).build(
        background
    )
    final = built.final
    if plan.drop_after is not None and plan.error is None:
        events = built.events
        head = next(i for i, e in enumerate(events) if e["type"] == "response.in_progress") + 1
        partial = replay_output(events[: _delta_cut(events, head, plan.drop_after)])
        final = sdk.wire("response", {**built.snapshots["in_progress"], "output": partial})
    rec = ResponseRecord(
        id=resp_id,
        request=body,
        built=built,
        created_at=now,
        background=background,
        store=stored,
        input_items=new_items,
        context=context,
        conversation_id=conv_id,
        final=final,
        start_at=now + api.queued_seconds,
        done_at=now + api.queued_seconds + api.run_seconds,
    )
    store.add_response(rec)
    while plan.hold is not None and not plan.hold.wait(0.05) and not api.stopping.is_set():
        pass  # Reply.held: the test decides when the server answers
    if body.get("stream"):
        return Result(stream=stream_frames(api, rec, plan))
    if plan.drop_after is not None:
        return Result(drop=True)
    if plan.error is not None and not background:  # a background job fails later, as a status
        err = plan.error
        return Result(
            500,
            sdk.error_body(err["message"], err.get("type") or "server_error", err.get("param"), err.get("code")),
            pretty=True,
        )
    if plan.delay:
        api.clock.sleep(min(plan.delay * sum(1 for e in built.events if e["type"].endswith(".delta")), 30))
    if background:
        return Result(200, built.snapshots["queued"])
    return Result(200, final)


def stream_frames(api: FakeAPI, rec: ResponseRecord, plan: Plan | None, starting_after: int = -1) -> Iterator[Any]:
    """SSE bytes for a response, waiting on the clock for background phases."""
    deltas = 0
    head_types = ("response.created", "response.queued", "response.in_progress")
    for frame in rec.built.frames:
        if isinstance(frame, bytes):
            yield frame
            if plan is not None and plan.close_after_inject:
                yield DROP_CLEAN
                return
            continue
        etype = frame["type"]
        if rec.background and etype != "response.created" and etype != "response.queued":
            deadline = rec.start_at if etype == "response.in_progress" else rec.done_at
            while not api.clock.wait_until(deadline):
                if api.stopping.is_set() or rec.cancelled_at is not None:
                    return
            if rec.cancelled_at is not None:
                return
        if plan is not None and plan.drop_after is not None and etype not in head_types and deltas >= plan.drop_after:
            yield DROP_CLEAN if plan.drop_clean else DROP
            return
        if frame["sequence_number"] <= starting_after:
            continue
        if etype.endswith(".delta"):
            if plan is not None and plan.hold_after is not None and deltas == plan.hold_after:
                while not (plan.release is not None and plan.release.wait(0.05)):
                    if api.stopping.is_set():
                        yield DROP
                        return
            if plan is not None and plan.pause is not None and deltas == plan.pause[0]:
                _, reached, release = plan.pause
                reached.set()
                waited = 0.0
                while not release.wait(0.1) and not api.stopping.is_set() and waited < 60:
                    waited += 0.1
            deltas += 1
            if plan is not None and plan.delay:
                api.clock.sleep(plan.delay)
                if api.stopping.is_set():
                    yield DROP
                    return
        yield sdk.encode_sse(frame)


def retrieve_response(api: FakeAPI, resp_id: str, query: dict) -> Result:
    rec = api.store.get_response(resp_id)
    if str(query.get("stream", "false")).lower() == "true":
        after = int(query.get("starting_after", -1))
        return Result(stream=stream_frames(api, rec, None, starting_after=after))
    return Result(200, rec.snapshot(api.clock.now()))


def input_items(api: FakeAPI, resp_id: str, query: dict) -> Result:
    rec = api.store.get_response(resp_id)
    page = paginate(list(rec.input_items), query)
    return Result(200, page)


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
    _validate(body, api)
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
    "create_response",
    "retrieve_response",
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
