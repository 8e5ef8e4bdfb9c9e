"""Reading a response's event stream ourselves (`api_events.EventStream`): the SSE rules the
SDK's stream keeps, over a real socket, and the events as the JSON objects the server sent."""

from __future__ import annotations

import json

import pytest

from termchat.api import Api
from termchat.api_events import _lines
from termchat.errors import ApiError

from raw_server import RawServer, sse_headers

RESPONSE = {"id": "resp_sse1", "object": "response", "created_at": 0, "status": "in_progress", "model": "m"}
MESSAGE = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "x", "annotations": []}],
}


def _data(kind: str, **fields) -> str:
    return json.dumps({"type": kind, **fields}, ensure_ascii=False)


def _events_of(body: bytes) -> list[dict]:
    def answer(request, send):
        send(sse_headers() + body)

    with RawServer(answer) as server:
        api = Api(base_url=server.base_url, api_key="sk-sse-test", max_retries=0)
        try:
            return list(api.stream_response({"model": "m", "input": "hi"}))
        finally:
            api.close()


@pytest.mark.parametrize(
    "chunks",
    [
        [b"a\nb\r\nc\rd\n"],
        [b"a\nb\r", b"\nc\r", b"d\n"],  # a CRLF split between two reads is one line end
        [b"a", b"\n", b"b\r\n", b"c", b"\r", b"d", b"\n"],
    ],
    ids=["one read", "CRLF split", "byte by byte"],
)
def test_lines_end_at_cr_lf_or_crlf_however_the_bytes_arrive(chunks):
    assert list(_lines(iter(chunks))) == ["a", "b", "c", "d"]


def test_a_line_end_inside_the_text_of_an_event_is_not_a_line_end():
    text = "next\u2028line\x85nel\x1cfs"  # str.splitlines would cut at each of these
    line = ("data: " + _data("response.output_text.delta", delta=text)).encode()
    assert [json.loads(x[6:])["delta"] for x in _lines(iter([line[:9], line[9:] + b"\n"]))] == [text]


def test_the_events_are_the_servers_json_objects_read_by_the_sse_rules():
    body = (
        b": a comment, then an event in CRLF lines with an id and a name\r\n"
        + b"id: 1\r\nevent: response.created\r\ndata: "
        + _data("response.created", sequence_number=0, response=RESPONSE).encode()
        + b"\r\n\r\n"
        # one event's data over two data lines (joined with a newline), no space after the colon
        + b'data:{"type": "response.output_text.delta", "sequence_number": 1,\n'
        + b'data: "delta": "caf\xc3\xa9 \xe2\x80\xa8 ok"}\n\n'
        + b"retry: 1000\n\n"  # a field alone: no data, so no event
        + (
            "data: " + _data("response.completed", sequence_number=2, response={**RESPONSE, "output": [MESSAGE]})
        ).encode()
        + b"\n\ndata: [DONE]\n\ndata: "
        + _data("response.output_text.delta", delta="after the end").encode()
        + b"\n\n"
    )
    events = _events_of(body)
    assert [e["type"] for e in events] == ["response.created", "response.output_text.delta", "response.completed"]
    assert events[1]["delta"] == "café \u2028 ok"
    assert events[2]["response"]["output"] == [MESSAGE]  # as sent: nothing added, nothing dropped


def test_an_error_object_in_the_stream_is_one_clear_error():
    body = (
        "data: " + _data("response.created", sequence_number=0, response=RESPONSE)
    ).encode() + b'\n\nevent: error\ndata: {"error": {"message": "the model is overloaded", "code": "server_busy"}}\n\n'
    with pytest.raises(ApiError) as caught:
        _events_of(body)
    line = caught.value.one_line()
    assert "the model is overloaded" in line and "\n" not in line, line


@pytest.mark.parametrize("data", [b"not json", b"42", b'{"delta": "no type"}'], ids=["text", "number", "no type"])
def test_data_that_is_no_event_is_one_clear_error(data):
    with pytest.raises(ApiError) as caught:
        _events_of(b"data: " + data + b"\n\n")
    assert "malformed data from the server" in caught.value.one_line()


def test_a_dropped_connection_mid_stream_says_so():
    def answer(request, send):  # chunked, and the connection closes before the last chunk (below)
        head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        event = ("data: " + _data("response.created", sequence_number=0, response=RESPONSE) + "\n\n").encode()
        send(head + f"{len(event):x}\r\n".encode() + event + b"\r\n")

    with RawServer(answer) as server:
        api = Api(base_url=server.base_url, api_key="sk-sse-test", max_retries=0)
        seen = []
        with pytest.raises(ApiError) as caught:
            for event in api.stream_response({"model": "m", "input": "hi"}):
                seen.append(event["type"])
                server.stopping.set()  # the server goes away: it closes the connection
        api.close()
    assert seen == ["response.created"]
    assert "dropped mid-reply" in caught.value.one_line(), caught.value.one_line()
