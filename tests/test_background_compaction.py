"""Background jobs and compaction through the engine, against the fake API and its clock."""

from __future__ import annotations

import pytest

from termchat import background
from termchat import events as ev
from termchat.api import Api
from termchat.compaction import compact_conversation
from termchat.engine import Engine
from termchat.errors import ApiError, TermchatError
from termchat.fake_api import FakeAPI, FakeClock, Reply
from termchat.store import Store


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def server(clock):
    api = FakeAPI(clock=clock)
    api.start()
    yield api
    api.stop()


def make_engine(server, data_dir, mode="conversation"):
    api = Api(base_url=server.base_url, api_key="test", max_retries=0)
    return Engine(Store.in_dir(data_dir), api, model="gpt-5.2", mode=mode)


def submit(session, prompt):
    """Start a background job; returns (job id, status), or raises the error that stopped it."""
    for event in session.submit(prompt):
        if isinstance(event, ev.JobStarted):
            return event.response_id, event.status
        if isinstance(event, ev.Failed):
            raise ApiError(event.message)
    raise AssertionError("no job started")


def wait(engine, job_id, **options):
    return list(background.JobFollower(engine, job_id, **options).events())


def chat(session, prompt):
    events = list(session.send(prompt))
    finished = [e for e in events if isinstance(e, ev.Finished)]
    assert finished, events
    return finished[0]


# -- background ------------------------------------------------------------------------------


def test_job_survives_a_restart_and_completes(server, clock, tmp_path):
    engine = make_engine(server, tmp_path)
    session = engine.session()
    chat(session, "My name is Hedy.")
    job_id, status = submit(session, "What is my name?")
    assert status == "queued"
    assert engine.store.job(job_id).status == "queued"
    engine.store.close()

    restarted = make_engine(server, tmp_path)  # a new termchat process
    assert [j.response_id for j in restarted.store.jobs()] == [job_id]
    clock.advance(10)
    events = wait(restarted, job_id)
    finished = events[-1]
    assert isinstance(finished, ev.Finished) and finished.status == "completed"
    assert "Hedy" in finished.text
    assert restarted.store.job(job_id).status == "completed"
    conv = restarted.store.get_conversation(finished.conversation_id)
    reply = restarted.store.messages(conv)[-1]
    assert reply.status == "complete" and "Hedy" in reply.content


def test_job_wait_falls_back_to_polling(clock, tmp_path):
    server = FakeAPI(clock=clock)
    server.start()
    try:
        engine = make_engine(server, tmp_path, mode="local")
        job_id, _ = submit(engine.session(), "hello there")
        server.script(Reply.error(400, "Streaming resume is not supported", endpoint="retrieve"))
        sleeps = []
        events = wait(engine, job_id, sleep=lambda s: (sleeps.append(s), clock.advance(1)))
        assert isinstance(events[-1], ev.Finished) and events[-1].status == "completed"
        assert sleeps and sleeps == sorted(sleeps)  # back-off grows
    finally:
        server.stop()


def test_cancel_a_running_job(server, clock, tmp_path):
    engine = make_engine(server, tmp_path, mode="local")
    job_id, _ = submit(engine.session(), "a long task")
    assert background.cancel(engine, job_id) == "cancelled"
    assert engine.store.job(job_id).status == "cancelled"
    reply = engine.store.message(engine.store.job(job_id).message_id)
    assert reply.status == "interrupted" and reply.error == "cancelled"
    events = wait(engine, job_id)
    assert isinstance(events[-1], ev.Failed) and events[-1].message == f"job {job_id} was cancelled"


def test_expired_job_gets_a_clear_state(server, clock, tmp_path):
    engine = make_engine(server, tmp_path, mode="local")
    job_id, _ = submit(engine.session(), "remember this")
    clock.advance(3600)
    events = wait(engine, job_id)
    assert isinstance(events[-1], ev.Failed) and "expired" in events[-1].message
    assert engine.store.job(job_id).status == "expired"
    conv = engine.store.list_conversations()[0]
    assert [m.content for m in engine.store.messages(conv)][0] == "remember this"


def test_several_jobs_at_once(server, clock, tmp_path):
    engine = make_engine(server, tmp_path, mode="local")
    ids = [submit(engine.session(), f"job number {i}")[0] for i in range(3)]
    assert len(set(ids)) == 3
    clock.advance(10)
    assert background.refresh(engine) == []
    assert {job.status for job in engine.store.jobs()} == {"completed"}
    for job_id in ids:
        assert wait(engine, job_id)[-1].status == "completed"


def test_failed_submission_keeps_the_prompt(server, clock, tmp_path):
    engine = make_engine(server, tmp_path, mode="local")
    server.script(Reply.error(500, "The model crashed", type="server_error"))
    with pytest.raises(ApiError, match="The model crashed"):
        submit(engine.session(), "this will fail")
    conv = engine.store.list_conversations()[0]
    prompt, reply = engine.store.messages(conv)
    assert prompt.content == "this will fail" and reply.status == "failed"
    assert engine.store.jobs() == []


# -- compaction ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["conversation", "chain", "local"])
def test_manual_compaction_in_each_mode_keeps_context(server, tmp_path, mode):
    engine = make_engine(server, tmp_path, mode=mode)
    session = engine.session()
    chat(session, "My name is Margaret.")
    chat(session, "I work on guidance software.")
    before = session.conv
    summary = compact_conversation(engine, before)
    assert "compacted" in summary
    conv = engine.store.get_conversation(before.id)  # the old id still resolves
    assert conv is not None and conv.pk == before.pk
    compact_body = server.requests_to("compact")[-1].body
    assert [i["content"] for i in compact_body["input"] if i["role"] == "user"] == [
        "My name is Margaret.",
        "I work on guidance software.",
    ]
    session = engine.session(conv)
    answer = chat(session, "What is my name?")
    assert "Margaret" in answer.text
    last = server.requests_to("responses")[-1].body
    if mode == "conversation":
        assert conv.id != before.id and last["conversation"] == conv.id
        created = server.requests_to("conversations.create")[-1].body
        assert any(i.get("type") == "compaction" for i in created["items"])
    else:
        assert any(i.get("type") == "compaction" for i in last["input"])
        assert "previous_response_id" not in last
    transcript = engine.store.messages(conv)
    roles = [m.role for m in transcript]
    assert roles == ["user", "assistant", "user", "assistant", "compaction", "user", "assistant"]


def test_failed_compaction_changes_nothing(server, tmp_path):
    engine = make_engine(server, tmp_path, mode="chain")
    session = engine.session()
    chat(session, "My name is Katherine.")
    chat(session, "Hello again.")
    before = engine.store.reload(session.conv)
    server.script(Reply.error(500, "compaction exploded", type="server_error", endpoint="compact"))
    with pytest.raises(ApiError):
        compact_conversation(engine, before)
    after = engine.store.reload(before)
    assert after == before
    assert [m.role for m in engine.store.messages(after)] == ["user", "assistant"] * 2


def test_nothing_to_compact(server, tmp_path):
    engine = make_engine(server, tmp_path, mode="local")
    conv = engine.store.create_conversation(mode="local", model="gpt-5.2", title="empty")
    with pytest.raises(TermchatError, match="nothing to compact"):
        compact_conversation(engine, conv)


def _auto_engine(server, data_dir, state, **settings):
    from termchat.config import CompactionSettings

    engine = make_engine(server, data_dir, mode=state)
    engine.compaction = CompactionSettings(**settings)
    return engine


@pytest.mark.parametrize("mode", ["conversation", "chain", "local"])
def test_automatic_compaction_past_the_threshold(server, tmp_path, mode):
    engine = _auto_engine(server, tmp_path, mode, enabled=True, threshold=0.00001)  # ~4 tokens
    session = engine.session()
    events = list(session.send("My name is Annie."))
    notices = [e.message for e in events if isinstance(e, ev.Notice)]
    assert any("compacted" in n for n in notices), notices
    assert [m.role for m in engine.store.messages(session.conv)][-1] == "compaction"
    assert "Annie" in chat(session, "What is my name?").text


def test_automatic_compaction_off_switch(server, tmp_path):
    engine = _auto_engine(server, tmp_path, "local", enabled=False, threshold=0.00001)
    session = engine.session()
    chat(session, "hello")
    assert server.requests_to("compact") == []


def test_server_side_compaction_is_requested(server, tmp_path):
    engine = _auto_engine(server, tmp_path, "chain", enabled=True, threshold=0.5, mode="server")
    session = engine.session()
    chat(session, "hello")
    body = server.requests_to("responses")[-1].body
    assert body["context_management"] == [{"type": "compaction", "compact_threshold": 200_000}]
    assert server.requests_to("compact") == []
