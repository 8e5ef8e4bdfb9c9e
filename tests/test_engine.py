"""The headless engine on its own: no app, no CLI, the real SDK against the fake API."""

from __future__ import annotations

import threading
import time

import pytest

from termchat import events as ev
from termchat.api import Api
from termchat.engine import Engine
from termchat.fake_api import FakeAPI, Reply
from termchat.store import Store


@pytest.fixture
def engine(tmp_path):
    server = FakeAPI()
    server.start()
    engine = Engine(Store.in_dir(tmp_path), Api(base_url=server.base_url, api_key="test", max_retries=0),
                    model="gpt-5.2", mode="local")
    engine.server = server
    yield engine
    server.stop()


def test_stop_from_another_thread_ends_a_stalled_stream_at_once(engine):
    engine.server.script(Reply.text("first words and then a long silence", chunks=["first ", "words"] + [" x"] * 3,
                                    delay=3.0))
    session = engine.session()
    events = []
    ended = threading.Event()

    def consume():
        for event in session.send("go slowly"):
            events.append(event)
        ended.set()

    worker = threading.Thread(target=consume)
    worker.start()
    deadline = time.time() + 10
    while not any(isinstance(e, ev.TextDelta) for e in events) and time.time() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    session.stop()
    assert ended.wait(2.0), "stop() did not end the stalled stream"
    assert time.monotonic() - started < 1.0
    worker.join()
    failed = events[-1]
    assert isinstance(failed, ev.Failed) and failed.interrupted and "stopped" in failed.message
    reply = engine.store.messages(session.conv)[-1]
    assert reply.status == "interrupted" and reply.content == "first "


def test_unknown_event_and_item_types_are_ignored(engine):
    engine.server.script(Reply.unknown_event())
    events = list(engine.session().send("hello"))
    assert isinstance(events[-1], ev.Finished) and events[-1].text


def test_a_stop_that_lands_with_the_last_event_keeps_the_finished_reply_and_its_usage(engine, monkeypatch):
    session = engine.session()
    real = engine.api.stream_response

    def stream(params, on_open=None):
        for event in real(params, on_open):
            if event.type == "response.completed":
                session.stop()  # the user's Stop arrives together with the end of the reply
            yield event

    monkeypatch.setattr(engine.api, "stream_response", stream)
    events = list(session.send("hello"))
    assert isinstance(events[-1], ev.Finished) and events[-1].usage.output_tokens > 0
    reply = engine.store.messages(session.conv)[-1]
    assert reply.status == "complete" and reply.usage["output_tokens"] > 0
    assert engine.store.reload(session.conv).output_tokens == reply.usage["output_tokens"]
