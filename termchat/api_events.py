"""Reading a response's event stream: its content type, each event checked, the server's silence bounded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from termchat import redact as redaction
from termchat.api_errors import NOT_JSON_HINT
from termchat.errors import ApiError

_known_event_types: frozenset[str] | None = None


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
            watchdog.resume(
                "progress" if checked.type in known else "alive" if checked.type == "keepalive" else "noise"
            )
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


def checked_event(event: Any) -> Any:
    """A stream event must be a JSON object with a string `type`; `data: 42`, `data: null` or
    `data: [..]` parse as JSON but are not events (the SDK passes them through as-is)."""
    if not isinstance(getattr(event, "type", None), str):
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
