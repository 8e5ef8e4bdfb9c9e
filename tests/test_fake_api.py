"""Tests for termchat.fake_api, driven through the real openai SDK."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import httpx2 as httpx
import openai
import pytest

from termchat.fake_api import FakeAPI, FakeClock, Reply


def types_of(stream) -> list[str]:
    return [e.type for e in stream]


def collapse(types: list[str]) -> list[str]:
    out: list[str] = []
    for t in types:
        if not out or out[-1] != t:
            out.append(t)
    return out


# ---------------------------------------------------------------------------- basics
def test_import_is_cheap_and_has_no_textual():
    code = ("import sys, time; t=time.perf_counter(); import termchat.fake_api as f; "
            "mods=['textual' in sys.modules, 'openai' in sys.modules]; "
            "api=f.FakeAPI(); api.start(); dt=time.perf_counter()-t; api.stop(); "
            "print(json.dumps([dt] + mods))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True,
                         text=True, check=True).stdout
    dt, has_textual, has_openai = json.loads(out)
    assert not has_textual and not has_openai
    assert dt < 0.5  # generous for CI; typically a few ms


def test_plain_stream_event_order_and_framing(fake_api):
    body = {"model": "gpt-4o", "input": "hello", "stream": True}
    with httpx.Client() as http:
        r = http.post(fake_api.base_url + "/responses", json=body,
                      headers={"accept": "application/json"})
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
        "response.created", "response.in_progress", "response.output_item.added",
        "response.content_part.added", "response.output_text.delta", "response.output_text.done",
        "response.content_part.done", "response.output_item.done", "response.completed"]
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) > 5
    assert all(set(d) >= {"item_id", "output_index", "content_index", "delta", "logprobs",
                          "obfuscation"} for d in deltas)
    created = events[0]["response"]
    assert created["usage"] is None and created["status"] == "in_progress"
    done = events[-1]["response"]
    assert done["usage"]["total_tokens"] == done["usage"]["input_tokens"] + \
        done["usage"]["output_tokens"]
    assert isinstance(done["created_at"], int)


def test_non_stream_response_object(fake_client):
    r = fake_client.responses.create(model="gpt-4o", input="hi", instructions="Be brief.",
                                     metadata={"k": "v"})
    assert r.id.startswith("resp_") and r.object == "response" and r.status == "completed"
    assert r.model == "gpt-4o" and r.instructions == "Be brief." and r.metadata == {"k": "v"}
    assert r.output[0].type == "message" and r.output[0].id.startswith("msg_")
    assert r.output_text and r.usage.output_tokens > 0 and r.store is True
    assert fake_client.responses.retrieve(r.id).output_text == r.output_text


def test_instructions_uppercase(fake_client):
    r = fake_client.responses.create(model="gpt-4o", input="hello",
                                     instructions="Answer in uppercase.")
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
    r2 = fake_client.responses.create(model="gpt-4o", input="I like tea.",
                                      previous_response_id=r1.id)
    r3 = fake_client.responses.create(model="gpt-4o", input="What is my name?",
                                      previous_response_id=r2.id)
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
    r = fake_client.responses.create(model="gpt-4o", input="What is my name?",
                                     conversation={"id": conv.id}, stream=True)
    events = list(r)
    assert events[-1].response.output_text == "Your name is Ada."
    assert events[-1].response.conversation.id == conv.id
    items = list(fake_client.conversations.items.list(conv.id, order="asc"))
    assert [(i.type, i.role) for i in items] == [("message", "user"), ("message", "assistant")] * 3
    assert items[0].content[0].type == "input_text"
    assert items[0].content[0].text == "My name is Ada."
    assert items[-1].content[0].type == "output_text"


def test_local_stateless_full_history(fake_client):
    history = [{"role": "user", "content": "My name is Grace."},
               {"role": "assistant", "content": "Nice to meet you, Grace!"},
               {"role": "user", "content": "What's my name?"}]
    r = fake_client.responses.create(model="gpt-4o", input=history, store=False)
    assert r.output_text == "Your name is Grace."


def test_conversation_crud_and_404(fake_client):
    conv = fake_client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "seed"}])
    assert fake_client.conversations.retrieve(conv.id).id == conv.id
    updated = fake_client.conversations.update(conv.id, metadata={"title": "x"})
    assert updated.metadata == {"title": "x"}
    added = fake_client.conversations.items.create(
        conv.id, items=[{"type": "message", "role": "user", "content": "more"}])
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


def test_conversation_items_pagination(fake_client):
    conv = fake_client.conversations.create(
        items=[{"type": "message", "role": "user", "content": f"m{i}"} for i in range(7)])
    page = fake_client.conversations.items.list(conv.id, limit=3)
    assert [i.content[0].text for i in page.data] == ["m6", "m5", "m4"]  # default order: desc
    assert page.has_more is True and page.last_id == page.data[-1].id
    asc = fake_client.conversations.items.list(conv.id, limit=3, order="asc",
                                               after=None)
    assert [i.content[0].text for i in asc.data] == ["m0", "m1", "m2"]
    nxt = fake_client.conversations.items.list(conv.id, limit=3, order="asc",
                                               after=asc.data[-1].id)
    assert [i.content[0].text for i in nxt.data] == ["m3", "m4", "m5"]
    every = [i.content[0].text for i in
             fake_client.conversations.items.list(conv.id, limit=2, order="asc")]
    assert every == [f"m{i}" for i in range(7)]  # auto-pagination
    last = fake_client.conversations.items.list(conv.id, limit=10, order="asc")
    assert last.has_more is False


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
    deltas = [e.delta for e in fake_client.responses.create(model="gpt-4o", input="x",
                                                            stream=True)
              if e.type == "response.output_text.delta"]
    assert deltas == ["Hel", "lo ", "there"]


def test_scripted_429_with_retry_after(fake_api, fake_client):
    fake_api.script(Reply.error(429, "Rate limit reached", code="rate_limit_exceeded",
                                type="requests", headers={"retry-after": "0"}))
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
    fake_api.script(Reply.error_event("You exceeded your current quota.",
                                      code="insufficient_quota", type="insufficient_quota"))
    seen = []
    with pytest.raises(openai.APIError) as exc:
        for e in fake_client.responses.create(model="gpt-4o", input="x", stream=True):
            seen.append(e.type)
    assert seen == ["response.created", "response.in_progress"]
    assert "exceeded your current quota" in exc.value.message


def test_flat_error_event_then_failed(fake_api, fake_client):
    fake_api.script(Reply.error_event("Sorry, something went wrong.", nested=False,
                                      after_deltas=2))
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
    events = list(fake_client.responses.create(model="gpt-4o", input="tell me a story",
                                               max_output_tokens=16, stream=True))
    assert events[-1].type == "response.incomplete"
    resp = events[-1].response
    assert resp.incomplete_details.reason == "max_output_tokens"
    assert resp.output[0].status == "incomplete" and resp.usage.output_tokens == 16
    assert sum(e.type == "response.output_text.delta" for e in events) == 16


def test_slow_stream_can_be_interrupted(fake_api, fake_client):
    fake_api.script(Reply.slow(delay=0.2))
    stream = fake_client.responses.create(model="gpt-4o", input="x", stream=True)
    for e in stream:
        if e.type == "response.output_text.delta":
            break
    stream.close()  # returns promptly; the server notices the closed socket


def test_large_delta(fake_api, fake_client):
    fake_api.script(Reply.large_delta(size=2_000_000))
    deltas = [e.delta for e in fake_client.responses.create(model="gpt-4o", input="x",
                                                            stream=True)
              if e.type == "response.output_text.delta"]
    assert len(deltas) == 1 and len(deltas[0]) == 2_000_000


def test_requests_are_recorded(fake_api, fake_client):
    fake_client.responses.create(model="gpt-4o", input="x", metadata={"a": "b"})
    req = fake_api.requests[-1]
    assert req.method == "POST" and req.path == "/v1/responses"
    assert req.body["metadata"] == {"a": "b"}
    assert req.headers["authorization"] == "Bearer test"
