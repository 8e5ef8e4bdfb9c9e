"""Reading a response's event stream: its content type, each event checked, the server's silence bounded.

The events are read from the HTTP response here (`EventStream`), as the JSON objects the server
sent: the SDK's own stream builds a pydantic model of every event, which costs several times
what the rest of termchat does with a text delta (and competes with the TUI for the GIL while a
reply streams). The SDK still sends the request, retries it and turns an error status into its
exception; the decoding below keeps the SDK stream's rules (the SSE spec, `[DONE]`, an `error` object
ending the stream, its exceptions for a timeout or a dropped connection).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from termchat import redact as redaction
from termchat.api_errors import NOT_JSON_HINT
from termchat.errors import ApiError

_known_event_types: frozenset[str] | None = None


class EventStream:
    """The events of an open streaming HTTP response, each a dict (`response` is the HTTP
    response: its headers, its socket for `abort`)."""

    def __init__(self, response: Any) -> None:
        self.response = response

    def close(self) -> None:
        self.response.close()

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self._events()
        finally:
            self.response.close()

    def _events(self) -> Iterator[Any]:
        import openai

        for data in self._messages():
            if data.startswith("[DONE]"):
                return
            event = json.loads(data)
            if isinstance(event, dict) and event.get("error"):
                error = event["error"]
                message = error.get("message") if isinstance(error, dict) else None
                if not message or not isinstance(message, str):
                    message = "An error occurred during streaming"
                raise openai.APIError(message, self.response.request, body=error)
            yield event

    def _messages(self) -> Iterator[str]:
        """The data of each server-sent event, as the SSE spec reads them: `data` lines joined,
        comments and the other fields skipped, and no event without data (the event's name is
        not used: the JSON names its type)."""
        import openai

        from termchat.api_guard import httpx_library

        httpx = httpx_library()
        data: list[str] = []
        try:
            for line in _lines(self.response.iter_bytes()):
                if not line:
                    if data:
                        yield "\n".join(data)
                        data = []
                    continue
                field, _, value = line.partition(":")
                if field == "data":
                    data.append(value[1:] if value[:1] == " " else value)
            if data:
                yield "\n".join(data)
        except httpx.TimeoutException as exc:
            raise openai.APITimeoutError(request=self.response.request) from exc
        except httpx.TransportError as exc:
            raise openai.APIConnectionError(request=self.response.request) from exc


_LINE_END = re.compile(rb"\r\n|\r|\n")


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """The lines of an event stream: split at CR, LF or CRLF only (a line of JSON may hold a
    U+0085 or U+2028, which `str.splitlines` would split at), each decoded as UTF-8."""
    pending: list[bytes] = []  # the start of a line that has not ended yet
    skip_lf = False  # the last chunk ended with a CR: an LF first in the next one ends nothing
    for chunk in chunks:
        start = 1 if skip_lf and chunk[:1] == b"\n" else 0
        skip_lf = False
        for match in _LINE_END.finditer(chunk, start):
            pending.append(chunk[start : match.start()])
            yield b"".join(pending).decode("utf-8")
            pending.clear()
            start = match.end()
            skip_lf = start == len(chunk) and match.group() == b"\r"
        if start < len(chunk):
            pending.append(chunk[start:])
    if pending:
        yield b"".join(pending).decode("utf-8")


def check_event_stream(stream: Any, what: str, where: str) -> None:
    """A stream must be `text/event-stream`: an HTML page with a 200 is no reply at all."""
    try:
        content_type = str(stream.response.headers.get("content-type") or "")
    except AttributeError:
        return
    if content_type.split(";")[0].strip().lower() == "text/event-stream":
        return
    stream.close()
    shown = redaction.redact(content_type.split(";")[0][:60]) or "no content type"
    raise ApiError(f"{what} failed: {where} answered with {shown}, not an event stream", hint=NOT_JSON_HINT)


def read_events(
    stream: Any, *, timeout: float, where: str, error: Callable[[BaseException], Exception]
) -> Iterator[Any]:
    """Iterate an open SDK stream, turning every failure into one `ApiError` (`error` translates
    an SDK one).

    A watchdog bounds the server's silence to the timeout: SSE comments and events of
    unknown types keep the socket busy without bringing the reply any closer.
    """
    import openai

    from termchat.api_guard import StreamWatchdog

    known = event_types()
    watchdog = StreamWatchdog(timeout, lambda: abort(stream))
    try:
        for event in stream:
            watchdog.pause()
            checked = checked_event(event)
            yield checked
            kind = checked["type"]
            watchdog.resume("progress" if kind in known else "alive" if kind == "keepalive" else "noise")
        if watchdog.expired:  # its abort can end the iteration quietly instead of raising
            raise _silent(watchdog, timeout, where)
    except ApiError:
        raise
    except openai.OpenAIError as exc:
        if watchdog.expired:
            raise _silent(watchdog, timeout, where) from None
        raise error(exc) from None
    except Exception as exc:  # httpx decoding errors on malformed streams
        if watchdog.expired or "timeout" in type(exc).__name__.lower():
            raise _silent(watchdog, timeout, where) from None
        raise ApiError(f"stream failed: malformed data from the server ({type(exc).__name__})") from None
    finally:
        watchdog.stop()
        stream.close()


def _silent(watchdog: Any, timeout: float, where: str) -> ApiError:
    if watchdog.kept_alive:
        from termchat.api_guard import KEEPALIVE_LIMIT

        return ApiError(
            f"stream timed out: {where} sent only keep-alives for "
            f"{max(KEEPALIVE_LIMIT, timeout) / 60:g} min; the partial reply was kept"
        )
    return ApiError(
        f"stream timed out: nothing from {where} in {timeout:g} s; the partial reply was kept",
        hint="try again, or raise --timeout",
    )


def abort(stream: Any) -> None:
    """Abort an open SDK stream from another thread, waking a reader blocked on the socket.

    Closing the response alone does not interrupt a blocked `recv`; shutting the socket
    down does. The socket is reached through the transport's `network_stream` extension.
    """
    import socket

    try:
        network = stream.response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except (AttributeError, OSError):
        pass
    try:
        stream.close()
    except Exception:  # the reader may be closing it at the same moment
        pass


def checked_event(event: Any) -> dict[str, Any]:
    """A stream event must be a JSON object with a string `type`; `data: 42`, `data: null` or
    `data: [..]` parse as JSON but are not events."""
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise ApiError("stream failed: malformed data from the server (an event without a type)")
    return event


def event_types() -> frozenset[str]:
    """Every stream event type the SDK knows: the events that bring a reply forward."""
    global _known_event_types
    if _known_event_types is None:
        import typing

        names: set[str] = set()
        try:
            from openai.types.responses import ResponseStreamEvent

            union = typing.get_args(ResponseStreamEvent)[0]
            for model in typing.get_args(union):
                names.update(typing.get_args(model.model_fields["type"].annotation))
        except Exception:  # another SDK layout: fall back to the documented families
            names = set()
        _known_event_types = frozenset(names) or _FALLBACK_EVENT_TYPES
    return _known_event_types


_FALLBACK_EVENT_TYPES = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.queued",
        "response.completed",
        "response.incomplete",
        "response.failed",
        "error",
        "response.output_item.added",
        "response.output_item.done",
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.delta",
        "response.output_text.done",
        "response.refusal.delta",
        "response.refusal.done",
        "response.reasoning_summary_text.delta",
        "response.reasoning_text.delta",
        "response.output_text.annotation.added",
    }
)
