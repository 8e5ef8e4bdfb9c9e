"""The headless engine on its own: no app, no CLI, the real SDK against the fake API.

Each test looks at what the fake server received (the request shape) and at what the store kept.
"""

from __future__ import annotations

import threading

import pytest

from termchat import events as ev
from termchat.api import Api
from termchat.engine import Engine
from termchat.errors import NotFoundError
from termchat.fake_api import FakeAPI, Reply
from termchat.store import COMPLETE, INCOMPLETE, STREAMING, Store


@pytest.fixture
def server():
    api = FakeAPI()
    api.start()
    yield api
    api.stop()


@pytest.fixture
def make_engine(tmp_path, server):
    """`make_engine(mode, machine="here", **engine_options)`: an Engine with its own store (one
    per `machine`), talking to the one fake server."""
    engines = []

    def make(mode: str = "local", machine: str = "here", **options) -> Engine:
        engine = Engine(
            Store.in_dir(tmp_path / machine),
            Api(base_url=server.base_url, api_key="test", max_retries=0),
            model=options.pop("model", "gpt-4o"),
            mode=mode,
            **options,
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.store.close()


@pytest.fixture
def engine(make_engine):
    return make_engine("local")


def turn(session, prompt: str) -> list:
    """Run one turn to its end; fails unless it finished."""
    events = list(session.send(prompt))
    assert isinstance(events[-1], ev.Finished), events[-1]
    return events


def transcript(engine: Engine, conv) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in engine.store.messages(conv)]


def message_input(item: dict) -> tuple[str, str]:
    """(role, text) of an input message as the request carried it."""
    content = item["content"]
    text = content if isinstance(content, str) else "".join(part["text"] for part in content)
    return item["role"], text


# -- stopping ---------------------------------------------------------------------------------


def test_stop_from_another_thread_ends_a_stalled_stream(engine, server):
    # The server sends one delta, then nothing until the test ends: only stop() can end the turn.
    server.script(
        Reply.text("first words and then a long silence", chunks=["first ", "words"] + [" x"] * 3, hold_after=1)
    )
    session = engine.session()
    events = []
    first_text, ended = threading.Event(), threading.Event()

    def consume():
        for event in session.send("go slowly"):
            events.append(event)
            if isinstance(event, ev.TextDelta):
                first_text.set()
        ended.set()

    worker = threading.Thread(target=consume)
    worker.start()
    assert first_text.wait(60)
    session.stop()
    assert ended.wait(60), "stop() did not end the stalled stream"
    worker.join()
    failed = events[-1]
    assert isinstance(failed, ev.Failed) and failed.interrupted and "stopped" in failed.message
    reply = engine.store.messages(session.conv)[-1]
    assert reply.status == "interrupted" and reply.content == "first "


def test_unknown_event_and_item_types_are_ignored(engine, server):
    server.script(Reply.unknown_event())
    events = list(engine.session().send("hello"))
    assert isinstance(events[-1], ev.Finished) and events[-1].text


# -- the request per state mode ---------------------------------------------------------------


def test_conversation_mode_sends_only_the_new_input_to_the_server_conversation(make_engine, server):
    engine = make_engine("conversation", instructions="Be brief.")
    session = engine.session()
    turn(session, "my name is Ada")
    turn(session, "what is my name?")

    [created] = server.requests_to("conversations.create")
    assert created.body["metadata"]["title"] == "my name is Ada"
    assert created.body["metadata"]["model"] == "gpt-4o" and created.body.get("items") is None
    conv_id = session.conv.remote_id
    assert conv_id.startswith("conv_") and session.conv.id == conv_id  # the chat's id is its conv_ id
    first, second = (r.body for r in server.requests_to("responses"))
    for body, prompt in ((first, "my name is Ada"), (second, "what is my name?")):
        assert body["conversation"] == conv_id
        assert [message_input(i) for i in body["input"]] == [("user", prompt)]  # no history
        assert "previous_response_id" not in body and body["instructions"] == "Be brief."
        assert body["model"] == "gpt-4o" and body["stream"] is True
    assert "Ada" in transcript(engine, session.conv)[-1][1]  # the server kept the context


def test_chain_mode_sends_the_previous_response_id_and_stores(make_engine, server):
    engine = make_engine("chain")
    session = engine.session()
    turn(session, "my name is Ada")
    first_id = session.conv.last_response_id
    turn(session, "what is my name?")

    first, second = (r.body for r in server.requests_to("responses"))
    assert [message_input(i) for i in first["input"]] == [("user", "my name is Ada")]
    assert first["store"] is True and "previous_response_id" not in first
    assert second["previous_response_id"] == first_id and first_id.startswith("resp_")
    assert [message_input(i) for i in second["input"]] == [("user", "what is my name?")]
    assert second["store"] is True and "conversation" not in second
    assert session.conv.last_response_id == engine.store.messages(session.conv)[-1].response_id != first_id
    assert server.requests_to("conversations") == []


def test_local_mode_sends_the_whole_history_and_stores_nothing(engine, server):
    session = engine.session()
    turn(session, "my name is Ada")
    turn(session, "what is my name?")

    first, second = (r.body for r in server.requests_to("responses"))
    assert first["store"] is False and second["store"] is False
    assert "conversation" not in second and "previous_response_id" not in second
    kept = transcript(engine, session.conv)
    assert [message_input(i) for i in second["input"]] == kept[:3]  # the reply being made is not sent
    assert [role for role, _ in kept] == ["user", "assistant", "user", "assistant"]
    assert "Ada" in kept[-1][1]
    assert server.requests_to("conversations") == []


def test_tools_and_their_includes_go_with_every_mode(make_engine, server):
    tools = [{"type": "file_search", "vector_store_ids": ["vs_1"]}, {"type": "web_search"}]
    for mode in ("conversation", "chain", "local"):
        session = make_engine(mode, machine=mode).session(settings={"tools": tools, "tool_choice": "required"})
        turn(session, "look it up")
        body = server.requests_to("responses")[-1].body
        assert body["tools"] == tools and body["tool_choice"] == "required", mode
        assert body["include"] == ["file_search_call.results"], mode


def test_a_reasoning_model_asks_for_a_summary(make_engine, server):
    turn(make_engine("local", model="gpt-5.2").session(), "think")
    assert server.requests_to("responses")[-1].body["reasoning"] == {"summary": "auto"}
    turn(make_engine("local", machine="other", model="gpt-4o").session(), "do not")
    assert "reasoning" not in server.requests_to("responses")[-1].body


def test_without_conversations_the_chat_goes_local_and_says_so(tmp_path):
    bare = FakeAPI(conversations=False)
    bare.start()
    try:
        engine = Engine(
            Store.in_dir(tmp_path),
            Api(base_url=bare.base_url, api_key="test", max_retries=0),
            model="gpt-4o",
            mode="conversation",
        )
        session = engine.session()
        events = turn(session, "hello")
        notices = [e.message for e in events if isinstance(e, ev.Notice)]
        assert any("no Conversations API" in n for n in notices)
        assert session.conv.mode == "local" and session.conv.remote_id is None
        body = bare.requests_to("responses")[-1].body
        assert "conversation" not in body and [message_input(i) for i in body["input"]] == [("user", "hello")]
        engine.store.close()
    finally:
        bare.stop()


# -- finish: what a finished response leaves in the store --------------------------------------


def reply_row(session, prompt: str = "question") -> int:
    """A chat with a prompt and an empty streaming reply, as `_turn` leaves it before the stream."""
    session.save_prompt(prompt)
    return session.store.add_message(session.conv, "assistant", "", status=STREAMING)


def finish(session, reply_id: int, final: dict, text: str = "", carried: list | None = None) -> list:
    return list(session.finish(final, reply_id, [text] if text else [], {}, carried))


USAGE = {
    "input_tokens": 1000,
    "output_tokens": 200,
    "input_tokens_details": {"cached_tokens": 100},
    "output_tokens_details": {"reasoning_tokens": 50},
}


def test_finish_keeps_the_text_usage_and_tool_items(engine):
    session = engine.session()
    reply_id = reply_row(session)
    search = {"type": "web_search_call", "id": "ws_1", "status": "completed"}
    final = {
        "id": "resp_1",
        "status": "completed",
        "usage": USAGE,
        "output": [search, {"type": "message", "content": [{"type": "output_text", "text": "Hi."}]}],
    }
    usage, finished = finish(session, reply_id, final, text="Hi.")

    assert isinstance(usage, ev.Usage) and (usage.input_tokens, usage.output_tokens) == (1000, 200)
    assert (usage.cached_tokens, usage.reasoning_tokens) == (100, 50)
    assert isinstance(finished, ev.Finished) and finished.text == "Hi." and finished.status == "completed"
    assert finished.response_id == "resp_1" and finished.items == [search] and finished.reason is None
    assert finished.usage == usage and not finished.refusal and finished.approvals == []
    row = engine.store.message(reply_id)
    assert (row.content, row.status, row.response_id) == ("Hi.", COMPLETE, "resp_1")
    assert row.items == [search] and row.usage == USAGE
    conv = engine.store.reload(session.conv)
    assert (conv.input_tokens, conv.output_tokens) == (1000, 200)
    assert finished.conversation_id == conv.id


def test_finish_takes_the_text_from_the_final_object_when_nothing_streamed(engine):
    session = engine.session()
    reply_id = reply_row(session)
    final = {
        "id": "resp_2",
        "status": "completed",
        "output": [
            {
                "type": "message",
                "content": [{"type": "output_text", "text": "Whole "}, {"type": "output_text", "text": "answer."}],
            }
        ],
    }
    [finished] = finish(session, reply_id, final)  # no usage: no Usage event, nothing counted
    assert finished.text == "Whole answer." and finished.usage is None
    assert engine.store.message(reply_id).content == "Whole answer."
    assert engine.store.reload(session.conv).input_tokens == 0


def test_finish_marks_an_incomplete_reply_with_its_reason(engine):
    session = engine.session()
    reply_id = reply_row(session)
    final = {
        "id": "resp_3",
        "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"},
        "output": [],
    }
    [finished] = finish(session, reply_id, final, text="cut sh")
    assert finished.status == "incomplete" and finished.reason == "max_output_tokens"
    assert engine.store.message(reply_id).status == INCOMPLETE
    assert engine.store.message(reply_id).content == "cut sh"


def test_finish_reports_a_refusal_and_approval_requests(engine):
    session = engine.session()
    reply_id = reply_row(session)
    request = {
        "type": "mcp_approval_request",
        "id": "mcpr_1",
        "server_label": "deepwiki",
        "name": "ask_question",
        "arguments": '{"q": 1}',
    }
    final = {
        "id": "resp_4",
        "status": "completed",
        "output": [{"type": "message", "content": [{"type": "refusal", "refusal": "No."}]}, request],
    }
    [finished] = finish(
        session,
        reply_id,
        final,
        carried=[{"type": "mcp_approval_response", "approve": True, "approval_request_id": "mcpr_0"}],
    )
    assert finished.refusal
    assert finished.approvals == [ev.ApprovalRequested("mcpr_1", "deepwiki", "ask_question", '{"q": 1}')]
    assert [i["type"] for i in finished.items] == ["mcp_approval_response", "mcp_approval_request"]
    assert engine.store.message(reply_id).items == finished.items


def test_finish_ignores_output_that_is_not_an_object(engine):
    session = engine.session()
    reply_id = reply_row(session)
    usage, finished = finish(
        session,
        reply_id,
        {"id": "resp_5", "output": ["junk", 3, None], "usage": {"input_tokens": "many", "output_tokens": -4}},
    )
    assert finished.status == "completed" and finished.items == [] and finished.text == ""
    assert (usage.input_tokens, usage.output_tokens) == (0, 0)


def test_finish_in_chain_mode_moves_the_chain_on(make_engine):
    session = make_engine("chain").session()
    reply_id = reply_row(session)
    finish(session, reply_id, {"id": "resp_next", "status": "completed", "output": []}, text="ok")
    assert session.conv.last_response_id == "resp_next"
    assert session.store.reload(session.conv).last_response_id == "resp_next"


# -- import and sync of server conversations ----------------------------------------------------


def server_conversation(make_engine, machine: str = "elsewhere", turns: tuple[str, ...] = ("my name is Ada",)):
    """A conversation another machine started: returns (that engine, its chat)."""
    other = make_engine("conversation", machine=machine)
    session = other.session()
    for prompt in turns:
        turn(session, prompt)
    return other, session.conv


def test_open_imports_a_conversation_this_machine_never_saw(make_engine):
    other, remote = server_conversation(make_engine, turns=("my name is Ada", "I like tea"))
    here = make_engine("local")  # the local default mode does not matter for an import
    conv, notices = here.open(remote.id)

    assert conv.id == conv.remote_id == remote.id and conv.mode == "conversation"
    assert conv.title == "my name is Ada" and conv.model == "gpt-4o"
    assert transcript(here, conv) == transcript(other, remote)
    assert [m.status for m in here.store.messages(conv)] == [COMPLETE] * 4
    assert [n.message for n in notices] == [f"imported conversation {remote.id} from the server (4 messages)"]
    # Opened again: found locally, not imported twice.
    again, _ = here.open(remote.id)
    assert again.pk == conv.pk and here.store.count_conversations() == 1
    assert transcript(here, again) == transcript(other, remote)


def test_an_imported_chat_goes_on_in_the_same_server_conversation(make_engine, server):
    other, remote = server_conversation(make_engine)
    here = make_engine("conversation")
    conv, _ = here.open(remote.id)
    events = turn(here.session(conv), "what is my name?")
    assert "Ada" in events[-1].text
    assert server.requests_to("responses")[-1].body["conversation"] == remote.id
    assert len(server.requests_to("conversations.create")) == 1  # only the other machine's


def test_import_keeps_only_a_clean_title_and_a_model_name_that_looks_like_one(make_engine, server):
    here = make_engine("conversation", model="gpt-5-mini")
    api = here.api
    remote = api.create_conversation(
        metadata={"title": "\x1b]0;owned\x07Plans\x1b[2J", "model": "gpt 4o; rm -rf"},
        items=[{"type": "message", "role": "user", "content": "hello"}],
    )
    conv, _ = here.open(remote["id"])
    assert conv.title == "Plans" and conv.model == "gpt-5-mini"
    assert transcript(here, conv) == [("user", "hello")]


def test_open_of_an_unknown_id_says_so(make_engine):
    here = make_engine("conversation")
    with pytest.raises(NotFoundError, match="unknown conversation 'conv_nope'"):
        here.open("conv_nope")  # not here, and the server does not know it either
    with pytest.raises(NotFoundError, match="unknown conversation 'abc123'"):
        here.open("abc123")  # a local id is never looked up on the server
    assert here.store.count_conversations() == 0


def test_sync_brings_the_server_turns_made_elsewhere_without_duplicates(make_engine):
    here = make_engine("conversation")
    session = here.session()
    turn(session, "my name is Ada")
    conv_id = session.conv.id

    elsewhere = make_engine("conversation", machine="elsewhere")
    theirs, _ = elsewhere.open(conv_id)  # imports it there, then goes on there
    turn(elsewhere.session(theirs), "I like tea")
    turn(elsewhere.session(elsewhere.store.reload(theirs)), "and cake")

    conv, _ = here.open(conv_id)
    assert transcript(here, conv) == transcript(elsewhere, theirs)
    assert [role for role, _ in transcript(here, conv)] == ["user", "assistant"] * 3
    # Nothing new on the server: opening again changes nothing.
    conv, _ = here.open(conv_id)
    assert transcript(here, conv) == transcript(elsewhere, theirs)
    assert len(here.store.messages(conv)) == 6


def test_open_without_sync_then_sync_with_server_gives_what_an_open_with_sync_gives(make_engine):
    """The app shows a chat's local copy first and reads the server's after: the two steps end
    where one open with its sync ends, and say what the sync added."""
    here = make_engine("conversation")
    session = here.session()
    turn(session, "my name is Ada")
    conv_id = session.conv.id
    elsewhere = make_engine("conversation", machine="elsewhere")
    theirs, _ = elsewhere.open(conv_id)
    turn(elsewhere.session(theirs), "I like tea")

    cached, notices = here.open(conv_id, sync=False)
    assert len(here.store.messages(cached)) == 2 and notices == []
    assert here.has_server_copy(cached)
    synced, notices = here.sync_with_server(cached)
    assert [n.message for n in notices] == ["synced 2 new messages from the server"]
    assert synced.message_count == 4
    assert transcript(here, synced) == transcript(elsewhere, elsewhere.store.reload(theirs))
    assert here.sync_with_server(synced)[1] == []  # nothing new: nothing to say
    local = make_engine("local", machine="local").session()
    turn(local, "hi")
    assert not here.has_server_copy(local.conv)


def test_sync_when_the_server_is_gone_keeps_the_cache(make_engine, server):
    here = make_engine("conversation")
    session = here.session()
    turn(session, "my name is Ada")
    before = transcript(here, session.conv)
    server.stop()
    conv, notices = here.open(session.conv.id)
    assert transcript(here, conv) == before
    assert [n.message.split(":")[0] for n in notices] == [
        "could not read the server copy of this chat, showing this machine's"
    ]


def test_a_stop_that_lands_with_the_last_event_keeps_the_finished_reply_and_its_usage(engine, monkeypatch):
    session = engine.session()
    real = engine.api.stream_response

    def stream(params, on_open=None):
        for event in real(params, on_open):
            if event["type"] == "response.completed":
                session.stop()  # the user's Stop arrives together with the end of the reply
            yield event

    monkeypatch.setattr(engine.api, "stream_response", stream)
    events = list(session.send("hello"))
    assert isinstance(events[-1], ev.Finished) and events[-1].usage.output_tokens > 0
    reply = engine.store.messages(session.conv)[-1]
    assert reply.status == "complete" and reply.usage["output_tokens"] > 0
    assert engine.store.reload(session.conv).output_tokens == reply.usage["output_tokens"]
