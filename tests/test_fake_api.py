"""Tests for termchat.fake_api, driven through the real openai SDK."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

try:
    import httpx2 as httpx  # the HTTP client of openai 3
except ImportError:  # openai 2 uses httpx
    import httpx
import openai
import pytest

from termchat.fake_api import FakeAPI, Reply

HANG = 300  # seconds: a client timeout that only stops a hang (a first request on a busy
# machine waits for the server to import the SDK's types)


def eventually(predicate, timeout: float = HANG) -> None:
    """Wait until `predicate()` holds (another thread makes it so); the deadline stops a hang."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def types_of(stream) -> list[str]:
    return [e.type for e in stream]


def collapse(types: list[str]) -> list[str]:
    out: list[str] = []
    for t in types:
        if not out or out[-1] != t:
            out.append(t)
    return out


# ---------------------------------------------------------------------------- basics
def test_import_has_no_textual_and_no_openai():
    # How fast it starts is measured in benchmarks/bench_startup.py, not here.
    code = (
        "import sys, json; import termchat.fake_api as f; "
        "mods=['textual' in sys.modules, 'openai' in sys.modules]; "
        "api=f.FakeAPI(); api.start(); api.stop(); print(json.dumps(mods))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    has_textual, has_openai = json.loads(out)
    assert not has_textual and not has_openai


def test_plain_stream_event_order_and_framing(fake_api):
    body = {"model": "gpt-4o", "input": "hello", "stream": True}
    with httpx.Client(timeout=HANG) as http:
        r = http.post(fake_api.base_url + "/responses", json=body, headers={"accept": "application/json"})
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    blocks = r.text.split("\n\n")
    assert blocks[-1] == "" and "[DONE]" not in r.text
    events = []
    for block in blocks[:-1]:
        ev_line, data_line = block.split("\n")
        assert ev_line.startswith("event: ") and data_line.startswith("data: ")
        data = json.loads(data_line[6:])
        assert data["type"] == ev_line[7:]
        events.append(data)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert collapse([e["type"] for e in events]) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) > 5
    assert all(
        set(d) >= {"item_id", "output_index", "content_index", "delta", "logprobs", "obfuscation"} for d in deltas
    )
    created = events[0]["response"]
    assert created["usage"] is None and created["status"] == "in_progress"
    done = events[-1]["response"]
    assert done["usage"]["total_tokens"] == done["usage"]["input_tokens"] + done["usage"]["output_tokens"]
    assert isinstance(done["created_at"], int)


def test_non_stream_response_object(fake_client):
    r = fake_client.responses.create(model="gpt-4o", input="hi", instructions="Be brief.", metadata={"k": "v"})
    assert r.id.startswith("resp_") and r.object == "response" and r.status == "completed"
    assert r.model == "gpt-4o" and r.instructions == "Be brief." and r.metadata == {"k": "v"}
    assert r.output[0].type == "message" and r.output[0].id.startswith("msg_")
    assert r.output_text and r.usage.output_tokens > 0 and r.store is True
    assert fake_client.responses.retrieve(r.id).output_text == r.output_text


def test_instructions_uppercase(fake_client):
    r = fake_client.responses.create(model="gpt-4o", input="hello", instructions="Answer in uppercase.")
    assert r.output_text == r.output_text.upper()


def test_keep_alive_and_concurrency(fake_api, fake_client):
    errors = []

    def worker():
        try:
            for _ in range(5):
                fake_client.responses.create(model="gpt-4o", input="hi")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(fake_api.requests_to("responses")) == 20


# ---------------------------------------------------------------------------- state
def test_chain_mode_name_recall(fake_client):
    r1 = fake_client.responses.create(model="gpt-4o", input="Hi! My name is Ada.")
    r2 = fake_client.responses.create(model="gpt-4o", input="I like tea.", previous_response_id=r1.id)
    r3 = fake_client.responses.create(model="gpt-4o", input="What is my name?", previous_response_id=r2.id)
    assert r3.output_text == "Your name is Ada."
    assert r3.previous_response_id == r2.id
    # without the chain, the model does not know
    r4 = fake_client.responses.create(model="gpt-4o", input="What is my name?")
    assert "don't know" in r4.output_text


def test_unknown_previous_response_is_400(fake_client):
    with pytest.raises(openai.BadRequestError) as exc:
        fake_client.responses.create(model="gpt-4o", input="x", previous_response_id="resp_nope")
    assert exc.value.code == "previous_response_not_found"
    assert exc.value.param == "previous_response_id"


def test_store_false_is_not_retrievable(fake_client):
    r = fake_client.responses.create(model="gpt-4o", input="x", store=False)
    with pytest.raises(openai.NotFoundError):
        fake_client.responses.retrieve(r.id)
    with pytest.raises(openai.BadRequestError):
        fake_client.responses.create(model="gpt-4o", input="y", previous_response_id=r.id)


def test_conversation_mode_name_recall_and_items(fake_client):
    conv = fake_client.conversations.create(metadata={"topic": "demo"})
    assert conv.id.startswith("conv_") and conv.metadata == {"topic": "demo"}
    for text in ("My name is Ada.", "Nice weather today."):
        fake_client.responses.create(model="gpt-4o", input=text, conversation=conv.id)
    r = fake_client.responses.create(
        model="gpt-4o", input="What is my name?", conversation={"id": conv.id}, stream=True
    )
    events = list(r)
    assert events[-1].response.output_text == "Your name is Ada."
    assert events[-1].response.conversation.id == conv.id
    items = list(fake_client.conversations.items.list(conv.id, order="asc"))
    assert [(i.type, i.role) for i in items] == [("message", "user"), ("message", "assistant")] * 3
    assert items[0].content[0].type == "input_text"
    assert items[0].content[0].text == "My name is Ada."
    assert items[-1].content[0].type == "output_text"


def test_local_stateless_full_history(fake_client):
    history = [
        {"role": "user", "content": "My name is Grace."},
        {"role": "assistant", "content": "Nice to meet you, Grace!"},
        {"role": "user", "content": "What's my name?"},
    ]
    r = fake_client.responses.create(model="gpt-4o", input=history, store=False)
    assert r.output_text == "Your name is Grace."


def test_conversation_crud_and_404(fake_client):
    conv = fake_client.conversations.create(items=[{"type": "message", "role": "user", "content": "seed"}])
    assert fake_client.conversations.retrieve(conv.id).id == conv.id
    updated = fake_client.conversations.update(conv.id, metadata={"title": "x"})
    assert updated.metadata == {"title": "x"}
    added = fake_client.conversations.items.create(
        conv.id, items=[{"type": "message", "role": "user", "content": "more"}]
    )
    item = fake_client.conversations.items.retrieve(added.data[0].id, conversation_id=conv.id)
    assert item.content[0].text == "more"
    fake_client.conversations.items.delete(item.id, conversation_id=conv.id)
    assert len(list(fake_client.conversations.items.list(conv.id))) == 1
    deleted = fake_client.conversations.delete(conv.id)
    assert deleted.deleted is True and deleted.object == "conversation.deleted"
    with pytest.raises(openai.NotFoundError):
        fake_client.conversations.retrieve(conv.id)
    with pytest.raises(openai.NotFoundError):
        fake_client.responses.create(model="gpt-4o", input="x", conversation=conv.id)


def test_conversation_items_at_most_20_a_request(fake_client):
    """Like the real API: 20 items with the create, and 20 per later add."""
    many = [{"type": "message", "role": "user", "content": f"m{i}"} for i in range(21)]
    for create in (
        lambda: fake_client.conversations.create(items=many),
        lambda: fake_client.conversations.items.create(
            fake_client.conversations.create(items=many[:20]).id, items=many
        ),
    ):
        with pytest.raises(openai.BadRequestError, match="maximum length 20"):
            create()


def test_conversation_items_pagination(fake_client):
    conv = fake_client.conversations.create(
        items=[{"type": "message", "role": "user", "content": f"m{i}"} for i in range(7)]
    )
    page = fake_client.conversations.items.list(conv.id, limit=3)
    assert [i.content[0].text for i in page.data] == ["m6", "m5", "m4"]  # default order: desc
    assert page.has_more is True and page.last_id == page.data[-1].id
    asc = fake_client.conversations.items.list(conv.id, limit=3, order="asc", after=None)
    assert [i.content[0].text for i in asc.data] == ["m0", "m1", "m2"]
    nxt = fake_client.conversations.items.list(conv.id, limit=3, order="asc", after=asc.data[-1].id)
    assert [i.content[0].text for i in nxt.data] == ["m3", "m4", "m5"]
    every = [i.content[0].text for i in fake_client.conversations.items.list(conv.id, limit=2, order="asc")]
    assert every == [f"m{i}" for i in range(7)]  # auto-pagination
    last = fake_client.conversations.items.list(conv.id, limit=10, order="asc")
    assert last.has_more is False


def test_conversation_items_newest_first_pages_and_limits_like_the_real_api(fake_client):
    conv = fake_client.conversations.create(
        items=[{"type": "message", "role": "user", "content": f"m{i}"} for i in range(7)]
    )
    first = fake_client.conversations.items.list(conv.id, limit=3, order="desc")
    assert [i.content[0].text for i in first.data] == ["m6", "m5", "m4"]
    assert (first.first_id, first.last_id) == (first.data[0].id, first.data[-1].id)
    older = fake_client.conversations.items.list(conv.id, limit=3, order="desc", after=first.last_id)
    assert [i.content[0].text for i in older.data] == ["m3", "m2", "m1"] and older.has_more is True
    rest = fake_client.conversations.items.list(conv.id, limit=3, order="desc", after=older.last_id)
    assert [i.content[0].text for i in rest.data] == ["m0"] and rest.has_more is False
    for limit, words in ((0, "below minimum value. Expected a value >= 1"), (101, "above maximum value")):
        with pytest.raises(openai.BadRequestError, match=words) as exc:
            fake_client.conversations.items.list(conv.id, limit=limit)
        assert exc.value.param == "limit"
    with pytest.raises(openai.BadRequestError, match="Supported values are: 'asc' and 'desc'"):
        fake_client.conversations.items.list(conv.id, order="newest")  # type: ignore[arg-type]


def test_a_server_that_ignores_the_item_order():
    with FakeAPI(item_order=False) as api:
        client = openai.OpenAI(base_url=api.base_url, api_key="t", max_retries=0)
        conv = client.conversations.create(
            items=[{"type": "message", "role": "user", "content": f"m{i}"} for i in range(3)]
        )
        page = client.conversations.items.list(conv.id, order="desc")
        assert [i.content[0].text for i in page.data] == ["m0", "m1", "m2"]
        client.close()


def test_conversations_disabled_404():
    with FakeAPI(conversations=False) as api:
        client = openai.OpenAI(base_url=api.base_url, api_key="t", max_retries=0)
        with pytest.raises(openai.NotFoundError) as exc:
            client.conversations.create()
        assert "Invalid URL" in exc.value.message
        assert client.responses.create(model="m", input="hi").output_text


# ---------------------------------------------------------------------------- scripted faults
def test_scripted_text_chunks(fake_api, fake_client):
    fake_api.script(Reply.text("Hello there", chunks=["Hel", "lo ", "there"]))
    deltas = [
        e.delta
        for e in fake_client.responses.create(model="gpt-4o", input="x", stream=True)
        if e.type == "response.output_text.delta"
    ]
    assert deltas == ["Hel", "lo ", "there"]


def test_scripted_429_with_retry_after(fake_api, fake_client):
    fake_api.script(
        Reply.error(
            429, "Rate limit reached", code="rate_limit_exceeded", type="requests", headers={"retry-after": "0"}
        )
    )
    with pytest.raises(openai.RateLimitError) as exc:
        fake_client.responses.create(model="gpt-4o", input="x", stream=True)
    assert exc.value.status_code == 429
    assert exc.value.response.headers["retry-after"] == "0"
    assert exc.value.code == "rate_limit_exceeded"
    assert exc.value.response.text.startswith('{\n  "error": {\n')
    # the queue is consumed: the next call works
    assert fake_client.responses.create(model="gpt-4o", input="x").status == "completed"


def test_retry_after_is_honoured_by_sdk_retries(fake_api):
    fake_api.script(Reply.rate_limit(retry_after=0))
    client = openai.OpenAI(base_url=fake_api.base_url, api_key="t", max_retries=1)
    assert client.responses.create(model="gpt-4o", input="x").status == "completed"
    assert len(fake_api.requests_to("responses")) == 2


def test_scripted_error_for_other_endpoint(fake_api, fake_client):
    fake_api.script(Reply.error(500, "boom", type="server_error", endpoint="compact"))
    fake_client.responses.create(model="gpt-4o", input="unaffected")
    with pytest.raises(openai.InternalServerError):
        fake_client.responses.compact(model="gpt-4o", input="x")


def test_drop_raises_connection_error(fake_api, fake_client):
    fake_api.script(Reply.drop(after_deltas=3))
    seen = []
    with pytest.raises(openai.APIConnectionError):
        for e in fake_client.responses.create(model="gpt-4o", input="x", stream=True):
            seen.append(e.type)
    assert seen.count("response.output_text.delta") == 3
    assert not any(t in seen for t in ("response.completed", "response.failed"))


def test_clean_drop_just_ends(fake_api, fake_client):
    fake_api.script(Reply.drop(after_deltas=2, clean=True))
    seen = types_of(fake_client.responses.create(model="gpt-4o", input="x", stream=True))
    assert seen[-1] == "response.output_text.delta" and seen.count(seen[-1]) == 2


def test_nested_error_event_raises_api_error(fake_api, fake_client):
    fake_api.script(
        Reply.error_event("You exceeded your current quota.", code="insufficient_quota", type="insufficient_quota")
    )
    seen = []
    with pytest.raises(openai.APIError) as exc:
        for e in fake_client.responses.create(model="gpt-4o", input="x", stream=True):
            seen.append(e.type)
    assert seen == ["response.created", "response.in_progress"]
    assert "exceeded your current quota" in exc.value.message


def test_flat_error_event_then_failed(fake_api, fake_client):
    fake_api.script(Reply.error_event("Sorry, something went wrong.", nested=False, after_deltas=2))
    events = list(fake_client.responses.create(model="gpt-4o", input="x", stream=True))
    assert [e.type for e in events][-2:] == ["error", "response.failed"]
    assert events[-2].message == "Sorry, something went wrong."
    assert events[-1].response.status == "failed"


def test_unknown_event_and_malformed(fake_api, fake_client):
    fake_api.script(Reply.unknown_event("response.brand_new.thing", after_deltas=1))
    types = types_of(fake_client.responses.create(model="gpt-4o", input="x", stream=True))
    assert "response.brand_new.thing" in types and types[-1] == "response.completed"
    fake_api.script(Reply.malformed(after_deltas=1))
    with pytest.raises(json.JSONDecodeError):
        list(fake_client.responses.create(model="gpt-4o", input="x", stream=True))


def test_refusal_and_incomplete(fake_api, fake_client):
    fake_api.script(Reply.refusal("I can't help with that."))
    events = list(fake_client.responses.create(model="gpt-4o", input="x", stream=True))
    assert "response.refusal.delta" in [e.type for e in events]
    assert events[-1].response.output[0].content[0].refusal == "I can't help with that."
    fake_api.script(Reply.incomplete(after_deltas=4))
    r = fake_client.responses.create(model="gpt-4o", input="x")
    assert r.status == "incomplete" and r.incomplete_details.reason == "max_output_tokens"
    assert r.output[0].status == "incomplete"


def test_max_output_tokens_cuts_reply(fake_client):
    events = list(
        fake_client.responses.create(model="gpt-4o", input="tell me a story", max_output_tokens=16, stream=True)
    )
    assert events[-1].type == "response.incomplete"
    resp = events[-1].response
    assert resp.incomplete_details.reason == "max_output_tokens"
    assert resp.output[0].status == "incomplete" and resp.usage.output_tokens == 16
    assert sum(e.type == "response.output_text.delta" for e in events) == 16


def test_closing_a_stream_midway_is_noticed_by_the_server(fake_api, fake_client):
    release = threading.Event()
    words = [f"w{i} " for i in range(200)]
    fake_api.script(Reply.text("".join(words), chunks=words, hold_after=1, release=release))
    stream = fake_client.responses.create(model="gpt-4o", input="x", stream=True)
    for e in stream:
        if e.type == "response.output_text.delta":
            break
    stream.close()
    assert stream.response.is_closed
    request = fake_api.requests_to("responses")[-1]
    release.set()  # the server writes the rest into a closed connection
    assert request.answered.wait(60)
    assert request.client_gone  # it stopped on the closed socket; the reply was not sent whole
    assert fake_client.responses.create(model="gpt-4o", input="again").status == "completed"


def test_a_held_stream_goes_on_only_when_released(fake_api, fake_client):
    release = threading.Event()
    fake_api.script(Reply.text("one two three", chunks=["one", " two", " three"], hold_after=2, release=release))
    received: list = []
    two_deltas = threading.Event()

    def read() -> None:
        for event in fake_client.responses.create(model="gpt-4o", input="x", stream=True):
            received.append(event)
            if sum(e.type == "response.output_text.delta" for e in received) == 2:
                two_deltas.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert two_deltas.wait(60)
    assert not fake_api.requests_to("responses")[-1].answered.is_set()  # held: nothing more sent
    assert received[-1].type == "response.output_text.delta"
    release.set()
    reader.join(60)
    assert not reader.is_alive()
    assert [e.delta for e in received if e.type == "response.output_text.delta"] == ["one", " two", " three"]
    assert received[-1].type == "response.completed"


def test_large_delta(fake_api, fake_client):
    fake_api.script(Reply.large_delta(size=2_000_000))
    deltas = [
        e.delta
        for e in fake_client.responses.create(model="gpt-4o", input="x", stream=True)
        if e.type == "response.output_text.delta"
    ]
    assert len(deltas) == 1 and len(deltas[0]) == 2_000_000


def test_requests_are_recorded(fake_api, fake_client):
    fake_client.responses.create(model="gpt-4o", input="x", metadata={"a": "b"})
    req = fake_api.requests[-1]
    assert req.method == "POST" and req.path == "/v1/responses"
    assert req.body["metadata"] == {"a": "b"}
    assert req.headers["authorization"] == "Bearer test"


# ---------------------------------------------------------------------------- background
def test_background_poll_progression(fake_api, fake_client):
    clock = fake_api.clock
    r = fake_client.responses.create(model="gpt-4o", input="What is 2 + 2?", background=True)
    assert (r.status, r.output, r.usage, r.background) == ("queued", [], None, True)
    assert fake_client.responses.retrieve(r.id).status == "queued"
    clock.advance(1)
    assert fake_client.responses.retrieve(r.id).status == "in_progress"
    clock.advance(2)
    done = fake_client.responses.retrieve(r.id)
    assert done.status == "completed" and done.output_text == "2 + 2 = 4."
    assert done.usage.total_tokens > 0 and done.completed_at is not None


def test_background_cancel(fake_api, fake_client):
    r = fake_client.responses.create(model="gpt-4o", input="long job", background=True)
    fake_api.clock.advance(1)
    cancelled = fake_client.responses.cancel(r.id)
    assert cancelled.status == "cancelled"
    fake_api.clock.advance(10)
    assert fake_client.responses.retrieve(r.id).status == "cancelled"
    fg = fake_client.responses.create(model="gpt-4o", input="x")
    with pytest.raises(openai.BadRequestError):
        fake_client.responses.cancel(fg.id)


def test_background_expiry(fake_api, fake_client):
    r = fake_client.responses.create(model="gpt-4o", input="x", background=True)
    fake_api.clock.advance(599)
    assert fake_client.responses.retrieve(r.id).status == "completed"
    fake_api.clock.advance(2)
    with pytest.raises(openai.NotFoundError):
        fake_client.responses.retrieve(r.id)


def test_background_stream_follows_clock_and_resumes(fake_api, fake_client):
    stream = fake_client.responses.create(model="gpt-4o", input="hello", background=True, stream=True)
    first = [next(stream), next(stream)]
    assert [e.type for e in first] == ["response.created", "response.queued"]
    assert first[0].response.status == "queued"
    got: list = []
    reader = threading.Thread(target=lambda: got.extend(stream))
    reader.start()
    assert not fake_api.requests_to("responses")[-1].answered.is_set()  # waiting on the (fake) clock
    fake_api.clock.advance(1)
    eventually(lambda: got)
    assert [e.type for e in got] == ["response.in_progress"]  # the rest waits for the clock again
    fake_api.clock.advance(2)
    reader.join(HANG)
    assert got[-1].type == "response.completed"
    resp_id = first[0].response.id
    resumed = list(fake_client.responses.retrieve(resp_id, stream=True, starting_after=0))
    assert resumed[0].type == "response.queued" and resumed[0].sequence_number == 1
    assert [e.sequence_number for e in resumed] == list(range(1, len(got) + 2))
    later = list(fake_client.responses.retrieve(resp_id, stream=True, starting_after=5))
    assert later[0].sequence_number == 6


def test_background_conversation_items_appear_when_done(fake_api, fake_client):
    conv = fake_client.conversations.create()
    fake_client.responses.create(model="gpt-4o", input="My name is Ada.", conversation=conv.id, background=True)
    assert list(fake_client.conversations.items.list(conv.id)) == []
    fake_api.clock.advance(3)
    assert len(list(fake_client.conversations.items.list(conv.id))) == 2


def test_background_disabled():
    with FakeAPI(background=False) as api:
        client = openai.OpenAI(base_url=api.base_url, api_key="t", max_retries=0)
        with pytest.raises(openai.BadRequestError):
            client.responses.create(model="m", input="x", background=True)


# ---------------------------------------------------------------------------- compact & tokens
def test_compact_then_recall_from_dropped_part(fake_client):
    r1 = fake_client.responses.create(model="gpt-4o", input="My favorite color is teal.")
    r2 = fake_client.responses.create(model="gpt-4o", input="ok", previous_response_id=r1.id)
    compacted = fake_client.responses.compact(model="gpt-4o", previous_response_id=r2.id, input="thanks")
    assert compacted.object == "response.compaction" and compacted.id.startswith("resp_")
    kinds = [(o.type, getattr(o, "role", None)) for o in compacted.output]
    assert kinds == [("message", "user")] * 3 + [("compaction", None)]
    cmp_item = compacted.output[-1]
    assert cmp_item.id.startswith("cmp_") and "teal" not in cmp_item.encrypted_content
    assert compacted.usage.input_tokens > 0
    # Only the opaque item + a new question: the fact comes from the compaction blob.
    r3 = fake_client.responses.create(
        model="gpt-4o",
        input=[
            {"type": "compaction", "id": cmp_item.id, "encrypted_content": cmp_item.encrypted_content},
            {"role": "user", "content": "What is my favorite color?"},
        ],
    )
    assert r3.output_text == "Your favorite color is teal."


def test_compact_disabled_and_string_input():
    with FakeAPI(compact=False) as api:
        client = openai.OpenAI(base_url=api.base_url, api_key="t", max_retries=0)
        with pytest.raises(openai.NotFoundError):
            client.responses.compact(model="m", input="x")
    with FakeAPI() as api:
        client = openai.OpenAI(base_url=api.base_url, api_key="t", max_retries=0)
        out = client.responses.compact(model="m", input="just a string")
        assert out.output[0].content[0].text == "just a string"


def test_input_tokens_count(fake_client):
    small = fake_client.responses.input_tokens.count(model="gpt-4o", input="hi")
    big = fake_client.responses.input_tokens.count(model="gpt-4o", input="hi " * 400)
    assert small.object == "response.input_tokens" and 0 < small.input_tokens < big.input_tokens


# ---------------------------------------------------------------------------- tools & formats
def test_web_search_stream(fake_client):
    events = list(
        fake_client.responses.create(
            model="gpt-4o",
            input="search the web for tallest mountain in Alberta",
            tools=[{"type": "web_search"}],
            stream=True,
        )
    )
    types = collapse([e.type for e in events])
    assert types[2:7] == [
        "response.output_item.added",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.output_item.done",
    ]
    assert "response.output_text.annotation.added" in types
    final = events[-1].response
    ws, msg = final.output
    assert ws.type == "web_search_call" and ws.action.query
    ann = msg.content[0].annotations[0]
    assert ann.type == "url_citation"
    assert msg.content[0].text[ann.start_index : ann.end_index].startswith("([")
    assert final.tools[0].search_context_size == "medium"


def test_file_search_with_results(fake_client):
    r = fake_client.responses.create(
        model="gpt-4o",
        input="what do my docs say about Paris?",
        include=["file_search_call.results"],
        tools=[{"type": "file_search", "vector_store_ids": ["vs_123"]}],
    )
    fs = r.output[0]
    assert fs.type == "file_search_call" and fs.results[0].vector_store_id == "vs_123"
    assert r.output[1].content[0].annotations[0].type == "file_citation"
    r2 = fake_client.responses.create(
        model="gpt-4o", input="what do my docs say?", tools=[{"type": "file_search", "vector_store_ids": ["vs_123"]}]
    )
    assert r2.output[0].results is None


def test_code_interpreter(fake_client):
    events = list(
        fake_client.responses.create(
            model="gpt-4o",
            input="compute 6*7 with python",
            stream=True,
            include=["code_interpreter_call.outputs"],
            tools=[{"type": "code_interpreter", "container": {"type": "auto", "memory_limit": "4g"}}],
        )
    )
    types = collapse([e.type for e in events])
    assert types[3:9] == [
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call.completed",
        "response.output_item.done",
    ]
    ci = events[-1].response.output[0]
    assert ci.container_id.startswith("cntr_") and ci.outputs[0].logs == "42"


def test_mcp_call_and_approval_flow(fake_client):
    tool = {
        "type": "mcp",
        "server_label": "deepwiki",
        "server_url": "https://mcp.example/mcp",
        "require_approval": "never",
    }
    r = fake_client.responses.create(model="gpt-4o", input="ask deepwiki about termchat", tools=[tool])
    assert [o.type for o in r.output] == ["mcp_list_tools", "mcp_call", "message"]
    assert r.output[1].server_label == "deepwiki" and r.output[1].output
    tool["require_approval"] = "always"
    first = fake_client.responses.create(model="gpt-4o", input="ask deepwiki", tools=[tool])
    assert [o.type for o in first.output] == ["mcp_list_tools", "mcp_approval_request"]
    req = first.output[1]
    denied = fake_client.responses.create(
        model="gpt-4o",
        tools=[tool],
        previous_response_id=first.id,
        input=[{"type": "mcp_approval_response", "approval_request_id": req.id, "approve": False}],
    )
    assert [o.type for o in denied.output] == ["message"] and "not approved" in denied.output_text
    approved = fake_client.responses.create(
        model="gpt-4o",
        tools=[tool],
        previous_response_id=first.id,
        stream=True,
        input=[{"type": "mcp_approval_response", "approval_request_id": req.id, "approve": True}],
    )
    final = list(approved)[-1].response
    assert [o.type for o in final.output] == ["mcp_call", "message"]
    assert final.output[0].approval_request_id == req.id


def test_reasoning_items_for_reasoning_models(fake_client):
    events = list(
        fake_client.responses.create(
            model="o4-mini", input="2+2?", stream=True, reasoning={"effort": "low", "summary": "auto"}
        )
    )
    types = collapse([e.type for e in events])
    assert types[2:8] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]
    final = events[-1].response
    assert final.output[0].type == "reasoning" and final.usage.output_tokens_details.reasoning_tokens == 32
    plain = fake_client.responses.create(model="gpt-4o", input="2+2?")
    assert [o.type for o in plain.output] == ["message"]


def test_function_call_roundtrip(fake_client):
    tool = {
        "type": "function",
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    }
    r = fake_client.responses.create(model="gpt-4o", input="weather?", tools=[tool], tool_choice="required")
    call = r.output[0]
    assert call.type == "function_call" and json.loads(call.arguments) == {"city": "example city"}
    r2 = fake_client.responses.create(
        model="gpt-4o",
        previous_response_id=r.id,
        tools=[tool],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "Sunny"}],
    )
    assert "Sunny" in r2.output_text


def test_json_schema_output_validates(fake_client):
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string"},
            "rating": {"type": "integer"},
            "genre": {"enum": ["fantasy", "scifi"]},
            "author": {"$ref": "#/$defs/Author"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "good": {"type": "boolean"},
            "note": {"type": ["string", "null"]},
        },
        "required": ["title", "rating", "genre", "author", "tags", "good", "note"],
        "$defs": {
            "Author": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
                "additionalProperties": False,
            }
        },
    }
    fmt = {"type": "json_schema", "name": "Book", "schema": schema, "strict": True}
    for stream in (False, True):
        resp = fake_client.responses.create(
            model="gpt-4o", input="recommend a book", text={"format": fmt}, stream=stream
        )
        if stream:
            resp = list(resp)[-1].response
        data = json.loads(resp.output_text)
        assert set(data) == set(schema["required"]) and data["genre"] == "fantasy"
        assert isinstance(data["rating"], int) and data["author"]["name"]
        assert resp.text.format.type == "json_schema"


def test_scripted_items(fake_api, fake_client):
    fake_api.script(
        Reply.items(
            [
                {"type": "reasoning", "summary": [{"type": "summary_text", "text": "thinking"}]},
                {
                    "type": "message",
                    "content": [{"type": "output_text", "text": "Done.", "annotations": [], "logprobs": []}],
                },
            ]
        )
    )
    r = fake_client.responses.create(model="gpt-4o", input="x")
    assert [o.type for o in r.output] == ["reasoning", "message"] and r.output_text == "Done."


def test_api_key_and_model_checks():
    with FakeAPI(api_key="sk-right", models=["gpt-4o"]) as api:
        bad = openai.OpenAI(base_url=api.base_url, api_key="invalid-key-12345", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as exc:
            bad.responses.create(model="gpt-4o", input="x")
        assert exc.value.code == "invalid_api_key"
        good = openai.OpenAI(base_url=api.base_url, api_key="sk-right", max_retries=0)
        with pytest.raises(openai.BadRequestError) as exc:
            good.responses.create(model="nope", input="x", stream=True)
        assert exc.value.code == "model_not_found"


def test_drop_keeps_partial_turn_in_conversation(fake_api, fake_client):
    conv = fake_client.conversations.create()
    fake_api.script(Reply.drop(after_deltas=2, text="one two three four"))
    with pytest.raises(openai.APIConnectionError):
        list(fake_client.responses.create(model="gpt-4o", input="hi", conversation=conv.id, stream=True))
    items = list(fake_client.conversations.items.list(conv.id, order="asc"))
    assert [i.role for i in items] == ["user", "assistant"]
    assert items[1].status == "incomplete" and items[1].content[0].text == "one two"
    rid = list(fake_api.store.responses)[-1]
    assert fake_client.responses.retrieve(rid).status == "in_progress"


def test_input_items_and_delete(fake_client):
    r = fake_client.responses.create(model="gpt-4o", input="hello")
    items = list(fake_client.responses.input_items.list(r.id))
    assert items[0].content[0].text == "hello"
    fake_client.responses.delete(r.id)
    with pytest.raises(openai.NotFoundError):
        fake_client.responses.retrieve(r.id)


def test_scripted_conversation_endpoint_error(fake_api, fake_client):
    fake_api.script(Reply.error(503, "busy", type="server_error", endpoint="conversations.items"))
    conv = fake_client.conversations.create()
    with pytest.raises(openai.InternalServerError):
        fake_client.conversations.items.list(conv.id)
    assert list(fake_client.conversations.items.list(conv.id)) == []


def test_server_side_compaction_item(fake_client):
    r = fake_client.responses.create(
        model="gpt-4o",
        input="My name is Ada. " + "filler " * 200,
        context_management=[{"type": "compaction", "compact_threshold": 100}],
    )
    assert [o.type for o in r.output] == ["message", "compaction"]
    follow = fake_client.responses.create(
        model="gpt-4o", input=[r.output[-1].to_dict(), {"role": "user", "content": "What is my name?"}]
    )
    assert follow.output_text == "Your name is Ada."


def test_models_list(fake_client, fake_api):
    assert "gpt-5.2" in [m.id for m in fake_client.models.list()]
    fake_api.models = {"only-this"}
    assert [m.id for m in fake_client.models.list()] == ["only-this"]


def test_the_demos_fake_starts_without_the_sdk_warm_up_and_still_streams(monkeypatch, tmp_path):
    """`--demo` starts the fake in the app's process: a warm-up thread importing the SDK's types
    would compete with the app's first frame. The first request imports them instead."""
    import argparse

    from termchat.demo import start_demo

    warmed: list[FakeAPI] = []
    monkeypatch.setattr(FakeAPI, "warm_up_in_background", lambda self: warmed.append(self))
    with FakeAPI() as default:
        assert warmed == [default]  # tests and `python -m termchat.fake_api` keep the warm-up
    warmed.clear()
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    server, base_url, _ = start_demo(argparse.Namespace(), seed=False)
    try:
        fake = server.started()
        assert warmed == []
        fake.script(Reply.text("hello from the demo"))
        client = openai.OpenAI(base_url=base_url, api_key="demo", max_retries=0)
        deltas = [
            e.delta
            for e in client.responses.create(model="gpt-5.2", input="hi", stream=True)
            if e.type == "response.output_text.delta"
        ]
        assert "".join(deltas) == "hello from the demo"
    finally:
        server.stop()
