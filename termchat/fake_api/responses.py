"""A stored model response (no HTTP here): create it (planned, built, stored, and streamed or
answered at once), stream it again, retrieve it, list its input items. Each handler returns an
`endpoints.Result` for server.py to write; compaction and token counts, which store no response,
are in endpoints.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import sdk
from .endpoints import DROP, DROP_CLEAN, FakeAPI, Result, paginate, validate_request
from .model import Plan, encode_compaction
from .objects import base_response
from .state import ApiError, ResponseRecord
from .stream import Builder, _delta_cut, replay_output, strip_private
from .tools import plan_reply


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
    validate_request(body, api)
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
