"""Building response objects and their stream event sequences from a Plan.

Event order follows the recordings of the real API (tests/fixtures/recordings, which
tests/test_fidelity.py compares them with):
``response.created`` (``queued`` + ``response.queued`` for background) ->
``response.in_progress`` -> per output item ``output_item.added`` ... item
specific events ... ``output_item.done`` -> exactly one terminal event
(``response.completed`` / ``response.incomplete`` / ``response.failed``).
``sequence_number`` starts at 0 and has no gaps. Everything goes through
:func:`termchat.fake_api.sdk.wire_event` (validated by the SDK types).
"""

from __future__ import annotations

import copy
import random
import string
from dataclasses import dataclass, field
from typing import Any

from . import sdk
from .model import Plan, chunk_text
from .objects import usage

_OBF_CHARS = string.ascii_letters + string.digits


def strip_private(item: dict) -> dict:
    return {k: v for k, v in item.items() if not k.startswith("_")}


@dataclass
class Built:
    """A fully built response: ``frames`` (event dicts, or raw bytes for malformed SSE)."""

    frames: list[Any]
    final: dict
    snapshots: dict[str, dict] = field(default_factory=dict)  # status -> response snapshot

    @property
    def events(self) -> list[dict]:
        return [f for f in self.frames if isinstance(f, dict)]


class Builder:
    def __init__(self, skeleton: dict, plan: Plan, *, input_tokens: int, now: float, obfuscation: bool = True) -> None:
        self.skel = skeleton
        self.plan = plan
        self.input_tokens = input_tokens
        self.now = now
        self.obfuscation = obfuscation if plan.obfuscation is None else plan.obfuscation
        self.rng = random.Random(skeleton["id"])
        self.events: list[dict] = []
        self.output: list[dict] = []
        self.out_tokens = 0

    # ------------------------------------------------------------------ helpers
    def snap(self, status: str, **extra: Any) -> dict:
        r = copy.deepcopy(self.skel)
        r["status"] = status
        r.update(extra)
        return r

    def ev(self, type_: str, **fields: Any) -> dict:
        e = {"type": type_, **fields}
        self.events.append(e)
        return e

    def obf(self, delta: str) -> dict:
        if not self.obfuscation:
            return {}
        n = 16 - len(delta) if len(delta) < 15 else 3 + len(delta) % 8
        return {"obfuscation": "".join(self.rng.choice(_OBF_CHARS) for _ in range(n))}

    def deltas(self, type_: str, chunks: list[str], **fields: Any) -> None:
        for c in chunks:
            self.ev(type_, **fields, delta=c, **self.obf(c))

    # ------------------------------------------------------------------ items
    def message(self, idx: int, item: dict, budget: int | None) -> bool:
        """Emit a message; returns False if the token budget cut it short."""
        full = strip_private(item)
        iid = full["id"]
        self.ev("response.output_item.added", output_index=idx, item={**full, "status": "in_progress", "content": []})
        done_parts, complete = [], True
        for ci, part in enumerate(full.get("content", [])):
            refusal = part.get("type") == "refusal"
            text = part.get("refusal" if refusal else "text", "")
            given = item.get("_chunks") if ci == 0 else None
            chunks: list[str] = given if given is not None else chunk_text(text)
            if budget is not None and len(chunks) > budget:
                chunks, complete = chunks[: max(budget, 0)], False
                text = "".join(chunks)
            budget = None if budget is None else budget - len(chunks)
            self.out_tokens += len(chunks)
            where = {"item_id": iid, "output_index": idx, "content_index": ci}
            if refusal:
                self.ev("response.content_part.added", **where, part={"type": "refusal", "refusal": ""})
                self.deltas("response.refusal.delta", chunks, **where)
                self.ev("response.refusal.done", **where, refusal=text)
                final_part = {"type": "refusal", "refusal": text}
            else:
                empty = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
                self.ev("response.content_part.added", **where, part=empty)
                anns = part.get("annotations", []) if complete else []
                sent, pos = 0, 0
                for c in chunks:
                    self.ev("response.output_text.delta", **where, delta=c, logprobs=[], **self.obf(c))
                    pos += len(c)
                    # a citation is announced once the text up to its position has streamed
                    while sent < len(anns) and _ann_pos(anns[sent]) <= pos:
                        self.ev(
                            "response.output_text.annotation.added",
                            **where,
                            annotation_index=sent,
                            annotation=anns[sent],
                        )
                        sent += 1
                for ai in range(sent, len(anns)):
                    self.ev("response.output_text.annotation.added", **where, annotation_index=ai, annotation=anns[ai])
                self.ev("response.output_text.done", **where, text=text, logprobs=[])
                final_part = {**part, "text": text, "annotations": anns}
            self.ev("response.content_part.done", **where, part=final_part)
            done_parts.append(final_part)
            if not complete:
                break
        final = {**full, "content": done_parts, "status": "completed" if complete else "incomplete"}
        self.ev("response.output_item.done", output_index=idx, item=final)
        self.output.append(final)
        return complete

    def tool_item(self, idx: int, item: dict) -> None:
        full = strip_private(item)
        kind, iid = full.get("type"), full.get("id")
        at = {"item_id": iid, "output_index": idx}
        added = dict(full)
        if "status" in full:
            added["status"] = "in_progress"
        if kind == "web_search_call":
            added.pop("action", None)
        elif kind == "file_search_call":
            added.update(queries=[], results=None)
        elif kind == "code_interpreter_call":
            added.update(code="", outputs=None)
        elif kind == "mcp_list_tools":
            added["tools"] = []
        elif kind == "mcp_call":
            added.update(arguments="", output=None, error=None)
        elif kind == "function_call":
            added["arguments"] = ""
        elif kind == "reasoning":
            added["summary"] = []
        self.ev("response.output_item.added", output_index=idx, item=added)
        if kind in ("web_search_call", "file_search_call"):
            for step in ("in_progress", "searching", "completed"):
                self.ev(f"response.{kind}.{step}", **at)
        elif kind == "code_interpreter_call":
            self.ev("response.code_interpreter_call.in_progress", **at)
            code = full.get("code") or ""
            self.deltas("response.code_interpreter_call_code.delta", chunk_text(code), **at)
            self.ev("response.code_interpreter_call_code.done", **at, code=code)
            self.ev("response.code_interpreter_call.interpreting", **at)
            self.ev("response.code_interpreter_call.completed", **at)
        elif kind == "mcp_list_tools":
            self.ev("response.mcp_list_tools.in_progress", **at)
            self.ev("response.mcp_list_tools.completed", **at)
        elif kind == "mcp_call":
            self.ev("response.mcp_call.in_progress", **at)
            args = full.get("arguments") or ""
            self.deltas("response.mcp_call_arguments.delta", [args] if args else [], **at)
            self.ev("response.mcp_call_arguments.done", **at, arguments=args)
            failed = full.get("error") is not None
            self.ev(f"response.mcp_call.{'failed' if failed else 'completed'}", **at)
        elif kind == "function_call":
            args = full.get("arguments") or ""
            self.deltas("response.function_call_arguments.delta", chunk_text(args), **at)
            self.ev("response.function_call_arguments.done", **at, arguments=args)
        elif kind == "reasoning":
            for si, part in enumerate(full.get("summary") or []):
                at_s = {**at, "summary_index": si}
                self.ev("response.reasoning_summary_part.added", **at_s, part={"type": "summary_text", "text": ""})
                chunks = chunk_text(part.get("text", ""))
                self.deltas("response.reasoning_summary_text.delta", chunks, **at_s)
                self.ev("response.reasoning_summary_text.done", **at_s, text=part.get("text", ""))
                self.ev(
                    "response.reasoning_summary_part.done",
                    **at_s,
                    part={"type": "summary_text", "text": part.get("text", "")},
                )
        self.ev("response.output_item.done", output_index=idx, item=full)
        self.output.append(full)

    # ------------------------------------------------------------------ whole response
    def build(self, background: bool = False) -> Built:
        plan, snapshots = self.plan, {}
        if background:
            snapshots["queued"] = self.snap("queued")
            self.ev("response.created", response=snapshots["queued"])
            self.ev("response.queued", response=snapshots["queued"])
        else:
            self.ev("response.created", response=self.snap("in_progress"))
        snapshots["in_progress"] = self.snap("in_progress")
        self.ev("response.in_progress", response=snapshots["in_progress"])
        head = len(self.events)

        limits = [x for x in (self.skel.get("max_output_tokens"), plan.cut_tokens) if x is not None]
        budget = min(limits) if limits else None
        reasoning_tokens = plan.reasoning_tokens if any(i.get("type") == "reasoning" for i in plan.items) else 0
        complete = True
        if budget is not None:
            budget -= reasoning_tokens
        for idx, item in enumerate(plan.items):
            if item.get("type") == "message":
                if budget is not None and budget <= 0:
                    complete = False
                    break
                before = self.out_tokens
                complete = self.message(idx, item, budget)
                if budget is not None:
                    budget -= self.out_tokens - before
                if not complete:
                    break
            else:
                self.tool_item(idx, item)
                if item.get("type") == "reasoning" and budget is not None and budget <= 0:
                    complete = False
                    break
        out_tokens = self.out_tokens + reasoning_tokens
        u = usage(self.input_tokens, max(out_tokens, 1), reasoning_tokens)
        done = {
            "completed_at": int(self.now),
            "service_tier": self.skel["service_tier"] if self.skel["service_tier"] != "auto" else "default",
            "usage": u,
        }
        if plan.error is not None:
            final = self._fail(head)
        elif complete:
            final = self.snap("completed", output=self.output, **done)
            self.ev("response.completed", response=final)
        else:
            final = self.snap(
                "incomplete", output=self.output, **done, incomplete_details={"reason": plan.incomplete_reason}
            )
            self.ev("response.incomplete", response=final)
        frames = self._inject()
        seq = 0
        out_frames = []
        for f in frames:
            if isinstance(f, dict):
                f = sdk.wire_event({**f, "sequence_number": seq})
                seq += 1
            out_frames.append(f)
        return Built(frames=out_frames, final=sdk.wire("response", final), snapshots=snapshots)

    def _fail(self, head: int) -> dict:
        err = self.plan.error or {}
        cut = _delta_cut(self.events, head, self.plan.error_after)
        del self.events[cut:]
        e = {
            "type": err.get("type", "server_error"),
            "code": err.get("code"),
            "message": err.get("message", "Sorry, something went wrong."),
            "param": err.get("param"),
        }
        if self.plan.error_nested:
            self.ev("error", error=e)
        else:
            self.ev("error", code=e["code"], message=e["message"], param=e["param"])
        final = self.snap("failed", error={"code": e["code"] or "server_error", "message": e["message"]})
        if self.plan.error_failed:
            self.ev("response.failed", response=final)
        return final

    def _inject(self) -> list[Any]:
        if not self.plan.inject:
            return list(self.events)
        frames: list[Any] = []
        pending = sorted(self.plan.inject, key=lambda p: p[0])
        seen = 0
        for e in self.events:
            while pending and pending[0][0] <= seen and e["type"] != "response.created":
                frames.append(pending.pop(0)[1])
            frames.append(e)
            if e["type"].endswith(".delta"):
                seen += 1
        frames.extend(p[1] for p in pending)
        return frames


def _ann_pos(ann: dict) -> int:
    for key in ("end_index", "index"):
        if isinstance(ann.get(key), int):
            return ann[key]
    return 1 << 30


def _delta_cut(events: list[dict], head: int, n: int) -> int:
    """Index just after the n-th delta event (``head`` when n == 0)."""
    if n <= 0:
        return head
    seen = 0
    for i, e in enumerate(events):
        if e["type"].endswith(".delta"):
            seen += 1
            if seen == n:
                return i + 1
    return len(events)


def replay_output(events: list[dict]) -> list[dict]:
    """Rebuild the output items a client would have seen from (a prefix of) a stream."""
    items: dict[Any, dict] = {}  # by output_index
    done: set[Any] = set()
    for e in events:
        t, idx = e.get("type"), e.get("output_index")
        if t == "response.output_item.added":
            items[idx] = copy.deepcopy(e["item"])
        elif t == "response.output_item.done":
            items[idx] = copy.deepcopy(e["item"])
            done.add(idx)
        elif t == "response.content_part.added" and idx in items:
            items[idx].setdefault("content", []).append(copy.deepcopy(e["part"]))
        elif t in ("response.output_text.delta", "response.refusal.delta") and idx in items:
            part = items[idx]["content"][e["content_index"]]
            key = "text" if t == "response.output_text.delta" else "refusal"
            part[key] = part.get(key, "") + e["delta"]
    out = []
    for idx in sorted(items):
        item = items[idx]
        if idx not in done and "status" in item:
            item["status"] = "incomplete"
        out.append(item)
    return out
