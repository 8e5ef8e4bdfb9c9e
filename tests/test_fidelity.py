"""Fidelity of termchat.fake_api against real recorded OpenAI exchanges.

1. Every recording in ``tests/fixtures/recordings`` parses with the SDK's own types (the
   same lenient rules the fake uses for known wire-vs-SDK differences).
2. For the same kind of request, the fake emits the same event-type order
   (repeated deltas collapsed; per output item type when the real model emitted
   extra items) and the same top-level fields on responses, events and items.

Requests are replayed over raw HTTP (httpx) so the wire JSON is compared, not
SDK objects. The recordings ship with the tests (``tests/fixtures/recordings``, copied from the
project's shared/recordings; their README names where each one came from), so a clone runs these
tests as they are. ``TERMCHAT_RECORDINGS_DIR`` points them at another set instead.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

try:
    import httpx2 as httpx  # the HTTP client of openai 3
except ImportError:  # openai 2 uses httpx
    import httpx
import pytest

from termchat.fake_api import FakeAPI, FakeClock, Reply, sdk

HANG = 300  # seconds: a client timeout that only stops a hang (a first request on a busy
# machine waits for the server to import the SDK's types)


def _recordings_dir() -> Path:
    env = os.environ.get("TERMCHAT_RECORDINGS_DIR")
    return Path(env) if env else Path(__file__).resolve().parent / "fixtures" / "recordings"


REC_DIR = _recordings_dir()
FILES = sorted(REC_DIR.glob("*.json"))
# Response fields that only some recordings (or only completed responses) carry.
SOMETIMES = {"billing"}


# ---------------------------------------------------------------------------- helpers
def load(name: str) -> dict:
    return json.loads((REC_DIR / name).read_text())


def sse_events(body: str, fmt: str | None = None) -> list[dict]:
    if fmt == "vercel-chunks-jsonl":
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    events = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        lines = block.split("\n")
        assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: ")
        data = json.loads(lines[1][len("data: ") :])
        assert data["type"] == lines[0][len("event: ") :]
        events.append(data)
    return events


def rec_events(name: str, index: int = 0) -> list[dict]:
    resp = load(name)["exchanges"][index]["response"]
    return sse_events(resp["body"], resp.get("body_format"))


def collapse(types: list[str]) -> list[str]:
    """Collapse runs of the same type (``delta`` x N -> one ``delta``)."""
    out: list[str] = []
    for t in types:
        if not out or out[-1] != t:
            out.append(t)
    return out


def collapse_cycles(seq: list[str]) -> list[str]:
    """Also collapse immediately repeated blocks (e.g. several reasoning summary parts)."""
    seq = collapse(seq)
    changed = True
    while changed:
        changed = False
        for k in range(2, len(seq) // 2 + 1):
            for i in range(len(seq) - 2 * k + 1):
                if seq[i : i + k] == seq[i + k : i + 2 * k]:
                    seq = seq[: i + k] + seq[i + 2 * k :]
                    changed = True
                    break
            if changed:
                break
    return seq


def item_patterns(events: list[dict]) -> dict[str, list[str]]:
    """Per output item type: the collapsed event types from added to done."""
    pats: dict[str, list[str]] = {}
    current: dict[int, tuple[str, list[str]]] = {}
    for e in events:
        idx = e.get("output_index")
        if e["type"] == "response.output_item.added":
            current[idx] = (e["item"]["type"], [e["type"]])
        elif idx in current:
            current[idx][1].append(e["type"])
            if e["type"] == "response.output_item.done":
                kind, seq = current.pop(idx)
                pats.setdefault(kind, collapse_cycles(seq))
    return pats


def frame(events: list[dict]) -> list[str]:
    """Event types outside output items (lifecycle + terminal)."""
    return collapse([e["type"] for e in events if "output_index" not in e])


def event_keys(events: list[dict]) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for e in events:
        keys.setdefault(e["type"], set()).update(set(e) - {"obfuscation"})
    return keys


def item_keys(items: list[dict]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for it in items:
        out.setdefault(it["type"], set()).update(it)
    return out


def assert_response_fields(fake: dict, real: dict) -> None:
    extra = set(fake) - set(real) - KNOWN_RESPONSE_FIELDS
    missing = set(real) - set(fake) - SOMETIMES
    assert not extra and not missing, (extra, missing)


def assert_same_keys(fake: dict[str, set[str]], real: dict[str, set[str]], *, overlap: bool = True) -> None:
    """Same fields for each kind both sides have; `overlap`: there is such a kind (else this
    would pass comparing nothing)."""
    assert set(fake) & set(real) or not overlap, (set(fake), set(real))
    for kind in set(fake) & set(real):
        assert fake[kind] == real[kind], (kind, fake[kind] ^ real[kind])


def all_recorded_responses() -> list[dict]:
    out = []
    for path in FILES:
        for ex in json.loads(path.read_text())["exchanges"]:
            body = ex["response"]["body"]
            if isinstance(body, dict) and body.get("object") == "response":
                out.append(body)
            elif isinstance(body, str):
                out += [
                    e["response"]
                    for e in sse_events(body, ex["response"].get("body_format"))
                    if isinstance(e.get("response"), dict)
                ]
    return out


KNOWN_RESPONSE_FIELDS = set().union(*(set(r) for r in all_recorded_responses()))


@pytest.fixture
def api():
    with FakeAPI(clock=FakeClock(), queued_seconds=0, run_seconds=0) as fake:
        yield fake


@pytest.fixture
def http(api):
    with httpx.Client(base_url=api.base_url, timeout=HANG, headers={"authorization": "Bearer test"}) as client:
        yield client


def post_stream(http, body: dict, path: str = "/responses") -> list[dict]:
    r = http.post(path, json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = sse_events(r.text)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    return events


def post_json(http, body: dict, path: str = "/responses", status: int = 200) -> dict:
    r = http.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


# ---------------------------------------------------------------------------- 1. parse all
def test_every_recording_is_there_with_its_provenance():
    """The set is complete (no test runs on an empty parameter list) and each file's source is
    named in the README next to it."""
    readme = (REC_DIR / "README.md").read_text()
    named = set(re.findall(r"^\| `([\w.]+\.json)` \|", readme, flags=re.MULTILINE))
    assert len(FILES) >= 40
    assert {p.name for p in FILES} == named


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_recording_parses_with_sdk_types(path):
    for ex in json.loads(path.read_text())["exchanges"]:
        resp = ex["response"]
        body = resp["body"]
        if isinstance(body, str):
            for event in sse_events(body, resp.get("body_format")):
                cls = sdk.event_class(event["type"])
                assert cls is not None, f"unknown event type {event['type']}"
                if event["type"] == "error" and "error" in event:
                    assert set(event["error"]) == {"type", "code", "message", "param"}
                    continue
                sdk.model_of(cls, event)
        elif isinstance(body.get("error"), dict) and "object" not in body:
            assert set(body["error"]) == {"message", "type", "param", "code"}
        elif body.get("object") == "response":
            sdk.model_of("response", body)
        elif body.get("object") == "response.compaction":
            envelope = {**body, "output": [o for o in body["output"] if o["type"] == "compaction"]}
            sdk.model_of("compacted", envelope)
            for item in body["output"]:
                sdk.model_of("conversation_item", item)
        elif body.get("object") == "conversation":
            sdk.model_of("conversation", body)
        elif body.get("object") == "conversation.deleted":
            sdk.model_of("conversation_deleted", body)
        elif body.get("object") == "response.input_tokens":
            sdk.model_of("input_tokens", body)


# ---------------------------------------------------------------------------- 2. streams
EXACT_STREAMS = [  # (recording, index, request overrides)
    ("responses_stream_text.json", 0, {}),
    # the fake's default reply is short: use the smallest real limit to force the cut
    ("responses_stream_max_output_tokens.json", 0, {"max_output_tokens": 16}),
    ("responses_stream_incomplete.json", 0, {}),
    ("responses_stream_structured_output.json", 0, {}),
    ("responses_web_search_stream.json", 2, {}),
    ("responses_background_stream.json", 0, {}),
]


@pytest.mark.parametrize("name,index,overrides", EXACT_STREAMS)
def test_stream_matches_recording(http, name, index, overrides):
    exchange = load(name)["exchanges"][index]
    real = rec_events(name, index)
    fake = post_stream(http, {**exchange["request"]["body"], **overrides})
    assert collapse([e["type"] for e in fake]) == collapse([e["type"] for e in real])
    assert_same_keys(event_keys(fake), event_keys(real))
    assert_response_fields(fake[-1]["response"], real[-1]["response"])
    assert_same_keys(item_keys(fake[-1]["response"]["output"]), item_keys(real[-1]["response"]["output"]))
    if exchange["request"]["body"].get("background"):
        assert fake[0]["response"]["status"] == "queued"
        assert not any("obfuscation" in e for e in fake)


TOOL_STREAMS = [  # (recording, index, request overrides)
    ("responses_web_search_stream.json", 1, {}),
    ("responses_file_search_stream.json", 3, {"tool_choice": "required"}),
    ("responses_code_interpreter_stream.json", 0, {"tool_choice": "required"}),
    ("responses_mcp_stream.json", 0, {"tool_choice": "required"}),
    ("responses_stream_reasoning_summary.json", 0, {}),
    ("responses_stream_reasoning_text.json", 0, {}),
    ("responses_stream_function_call.json", 0, {}),
]


@pytest.mark.parametrize("name,index,overrides", TOOL_STREAMS)
def test_tool_stream_patterns_match_recording(http, name, index, overrides):
    body = {**load(name)["exchanges"][index]["request"]["body"], **overrides}
    real = rec_events(name, index)
    fake = post_stream(http, body)
    assert frame(fake) == frame(real)
    real_pats, fake_pats = item_patterns(real), item_patterns(fake)
    assert set(fake_pats) == set(real_pats)
    for kind, pattern in fake_pats.items():
        assert pattern == real_pats[kind], kind
    assert_same_keys(event_keys(fake), event_keys(real))
    assert_response_fields(fake[-1]["response"], real[-1]["response"])
    assert_same_keys(item_keys(fake[-1]["response"]["output"]), item_keys(real[-1]["response"]["output"]))


def test_mcp_approval_stream_and_denied_followup(http):
    real1, real2 = (
        rec_events("responses_mcp_approval_stream.json", 0),
        rec_events("responses_mcp_approval_stream.json", 1),
    )
    rec_resp = real1[0]["response"]
    body = {
        "model": "gpt-4o",
        "tools": rec_resp["tools"],
        "stream": True,
        "input": "Shorten https://ai-sdk.dev/ with the zip1 mcp tool",
    }
    fake1 = post_stream(http, body)
    assert frame(fake1) == frame(real1)
    assert item_patterns(fake1) == {k: v for k, v in item_patterns(real1).items() if k != "reasoning"}
    request_item = fake1[-1]["response"]["output"][-1]
    assert request_item["type"] == "mcp_approval_request"
    assert set(request_item) == set(real1[-1]["response"]["output"][-1])
    body2 = {
        **body,
        "previous_response_id": fake1[-1]["response"]["id"],
        "input": [{"type": "mcp_approval_response", "approval_request_id": request_item["id"], "approve": False}],
    }
    fake2 = post_stream(http, body2)
    assert frame(fake2) == frame(real2)
    assert fake2[-1]["response"]["output"][-1]["type"] == "message"
    assert "mcp_call" not in item_patterns(fake2)


def test_error_event_stream(api, http):
    real = rec_events("responses_stream_error_event.json", 0)
    err = real[2]["error"]
    api.script(Reply.error_event(err["message"], code=err["code"], type=err["type"]))
    fake = post_stream(http, {"model": "gpt-5-nano", "input": "hi", "stream": True})
    assert [e["type"] for e in fake] == [e["type"] for e in real]
    assert set(fake[2]) == set(real[2]) and fake[2]["error"] == err
    failed, real_failed = fake[3]["response"], real[3]["response"]
    assert_response_fields(failed, real_failed)
    assert failed["error"] == real_failed["error"] and failed["output"] == [] and failed["usage"] is None
    server_error = rec_events("responses_stream_error_event_server_error.json")[0]
    api.script(Reply.error_event(server_error["error"]["message"], failed=False))
    fake = post_stream(http, {"model": "gpt-4o", "input": "hi", "stream": True})
    assert fake[-1] == {**server_error, "sequence_number": 2}


def test_background_stream_resume(api, http):
    exchange = load("responses_background_stream_resume.json")["exchanges"]
    fake = post_stream(http, exchange[0]["request"]["body"])
    resp_id = fake[0]["response"]["id"]
    r = http.get(f"/responses/{resp_id}", params={"starting_after": 0, "stream": "true"})
    resumed = sse_events(r.text)
    real = sse_events(exchange[1]["response"]["body"])
    assert collapse([e["type"] for e in resumed]) == collapse([e["type"] for e in real])
    assert resumed[0]["sequence_number"] == real[0]["sequence_number"] == 1
    assert resumed == fake[1:]


# ---------------------------------------------------------------------------- 3. JSON bodies
JSON_CASES = [
    ("responses_create_text.json", 0, {}),
    ("responses_web_search.json", 0, {}),
    ("responses_file_search.json", 3, {"tool_choice": "required"}),
    ("responses_code_interpreter.json", 0, {"tool_choice": "required"}),
    ("responses_mcp.json", 0, {"tool_choice": "required"}),
    ("responses_create_reasoning_summary.json", 0, {}),
    ("responses_structured_output_json_schema.json", 1, {}),
]


@pytest.mark.parametrize("name,index,overrides", JSON_CASES)
def test_json_response_matches_recording(http, name, index, overrides):
    exchange = load(name)["exchanges"][index]
    body = {**exchange["request"]["body"], **overrides}
    real = exchange["response"]["body"]
    fake = post_json(http, body)
    assert_response_fields(fake, real)
    fake_items, real_items = item_keys(fake["output"]), item_keys(real["output"])
    assert set(fake_items) <= set(real_items)
    assert_same_keys(fake_items, real_items)
    assert [o["type"] for o in fake["output"]][-1] == "message"


def test_previous_response_id_chain(http):
    ids: dict[str, str] = {}
    calls: dict[str, str] = {}
    for ex in load("responses_previous_response_id_chain.json")["exchanges"]:
        body = copy.deepcopy(ex["request"]["body"])
        if body.get("previous_response_id"):
            body["previous_response_id"] = ids[body["previous_response_id"]]
        for item in body["input"]:
            if item.get("type") == "function_call_output":
                item["call_id"] = calls.get(item["call_id"], next(iter(calls.values())))
        real = ex["response"]["body"]
        fake = post_json(http, body)
        ids[real["id"]] = fake["id"]
        assert fake["previous_response_id"] == body.get("previous_response_id")
        assert_response_fields(fake, real)
        answers_a_call = any(i.get("type") == "function_call_output" for i in body["input"])
        if not answers_a_call:
            assert [o["type"] for o in fake["output"]] == [o["type"] for o in real["output"]]
        # (after a function call's output the real model may call again where the fake answers)
        assert_same_keys(item_keys(fake["output"]), item_keys(real["output"]), overlap=not answers_a_call)
        for real_o, fake_o in zip(real["output"], fake["output"], strict=False):
            if real_o["type"] == fake_o["type"] == "function_call":
                calls[real_o["call_id"]] = fake_o["call_id"]


@pytest.mark.parametrize("name", ["conversations_create_respond_delete.json", "conversations_stream.json"])
def test_conversations_create_respond_delete(http, name):
    conv_ids: dict[str, str] = {}
    for ex in load(name)["exchanges"]:
        req, real = ex["request"], ex["response"]["body"]
        path = req["path"][len("/v1") :]
        for old, new in conv_ids.items():
            path = path.replace(old, new)
        body = copy.deepcopy(req["body"])
        if isinstance(body, dict) and body.get("conversation") in conv_ids:
            body["conversation"] = conv_ids[body["conversation"]]
        if req["method"] == "DELETE":
            fake = http.delete(path).json()
            assert set(fake) == set(real) and fake["deleted"] is True
        elif path == "/conversations":
            fake = post_json(http, body or {}, path)
            conv_ids[real["id"]] = fake["id"]
            assert set(fake) == set(real) and fake["object"] == "conversation"
        elif body.get("stream"):
            events = post_stream(http, body)
            real_events = sse_events(real)
            assert collapse([e["type"] for e in events]) == collapse([e["type"] for e in real_events])
            final = events[-1]["response"]
            assert_response_fields(final, real_events[-1]["response"])
            assert final["output"][0]["content"][0]["text"] == "streamed"
            assert final["conversation"] == {"id": body["conversation"]}
        else:
            fake = post_json(http, body)
            assert_response_fields(fake, real)
            assert fake["conversation"] == {"id": body["conversation"]}
            # the fake model really uses the conversation: it recalls the code
            assert fake["output"][0]["content"][0]["text"] == real["output"][0]["content"][0]["text"]


def test_compact_roundtrip(http):
    exchanges = load("responses_compact.json")["exchanges"]
    for ex in exchanges[:2]:
        assert_response_fields(post_json(http, ex["request"]["body"]), ex["response"]["body"])
    real = exchanges[2]["response"]["body"]
    fake = post_json(http, exchanges[2]["request"]["body"], "/responses/compact")
    assert set(fake) == set(real) and fake["object"] == "response.compaction"
    assert [(o["type"], o.get("role")) for o in fake["output"]] == [(o["type"], o.get("role")) for o in real["output"]]
    assert_same_keys(item_keys(fake["output"]), item_keys(real["output"]))
    assert set(fake["usage"]) == set(real["usage"])
    body = copy.deepcopy(exchanges[3]["request"]["body"])
    body["input"][0] = {k: fake["output"][-1][k] for k in ("type", "id", "encrypted_content")}
    answer = post_json(http, body)
    assert_response_fields(answer, exchanges[3]["response"]["body"])
    assert answer["output"][0]["content"][0]["text"].startswith("5 + 5 = 10")


def test_background_poll(api, http):
    slow = FakeAPI(clock=FakeClock())
    with slow, httpx.Client(base_url=slow.base_url, timeout=HANG) as client:
        exchanges = load("responses_background_poll.json")["exchanges"]
        fake = client.post("/responses", json=exchanges[0]["request"]["body"]).json()
        statuses = [fake["status"]]
        assert_response_fields(fake, exchanges[0]["response"]["body"])
        for ex, step in zip(exchanges[1:], (1, 2), strict=False):
            slow.clock.advance(step)
            got = client.get(f"/responses/{fake['id']}", params={"stream": "false"}).json()
            assert_response_fields(got, ex["response"]["body"])
            statuses.append(got["status"])
        assert statuses == [ex["response"]["body"]["status"] for ex in exchanges]


# ---------------------------------------------------------------------------- 4. errors & misc
def test_error_bodies_match():
    with (
        FakeAPI(api_key="sk-real", models=["gpt-4o"]) as api,
        httpx.Client(base_url=api.base_url, timeout=HANG) as client,
    ):
        real401 = load("error_401_invalid_api_key.json")["exchanges"][1]
        r = client.post(
            "/responses", json=real401["request"]["body"], headers={"authorization": "Bearer invalid-api-key-12345"}
        )
        assert r.status_code == 401 and r.json() == real401["response"]["body"]
        assert r.headers["www-authenticate"] == 'Bearer realm="OpenAI API"'
        assert r.text.startswith('{\n  "error": {\n    "message"')
        auth = {"authorization": "Bearer sk-real"}
        for name in ("error_400_model_not_found.json", "error_400_invalid_temperature.json"):
            for ex in load(name)["exchanges"]:
                r = client.post("/responses", json=ex["request"]["body"], headers=auth)
                assert r.status_code == ex["response"]["status"]
                assert r.headers["content-type"] == "application/json"
                assert r.json() == ex["response"]["body"]


def test_scripted_http_error_shape(api, http):
    api.script(
        Reply.error(400, "Unsupported parameter: 'temperature' is not supported with this model.", param="temperature")
    )
    r = http.post("/responses", json={"model": "o3", "input": "x", "temperature": 0.5})
    real = load("error_400_unsupported_parameter.json")["exchanges"][0]["response"]["body"]
    assert set(r.json()["error"]) == set(real["error"])


def test_input_tokens(http):
    ex = load("responses_input_tokens.json")["exchanges"][0]
    fake = post_json(http, ex["request"]["body"], "/responses/input_tokens")
    assert set(fake) == set(ex["response"]["body"]) and fake["object"] == "response.input_tokens"
    assert fake["input_tokens"] > 0
