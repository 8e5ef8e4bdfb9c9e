"""Bounds on what a server can make termchat wait for or hold in memory.

- `guarded_http_client` gives the SDK an HTTP client whose responses are size-checked as they
  arrive: one SSE event (the text between two blank lines) may not pass `MAX_EVENT_BYTES`, any
  other body `MAX_BODY_BYTES`. A server that sends a 300 MB line would otherwise grow memory
  without end while the SDK's SSE decoder waits for the line to finish.
- `StreamWatchdog` bounds silence inside a stream: SSE comments and unknown events arrive
  without ever producing a reply, and each of them resets the socket's read timeout.

Imported by `termchat.api` only, when a client is built or a stream is read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from termchat.errors import ApiError

MAX_EVENT_BYTES = 16 * 1024 * 1024  # a reply's final event carries all of its output
MAX_BODY_BYTES = 64 * 1024 * 1024
_EVENT_ENDS = (b"\n\n", b"\r\r", b"\r\n\r\n")


def httpx_library() -> Any:
    """The HTTP library the installed SDK is built on (openai 3 ships httpx2, openai 2 httpx)."""
    try:
        import httpx2 as httpx
    except ImportError:  # pragma: no cover - older SDKs
        import httpx  # type: ignore[no-redef, import-not-found, unused-ignore]
    return httpx


def guarded_http_client(default_client: Callable[..., Any]) -> Any:
    """`default_client(transport=...)` (the SDK's `DefaultHttpxClient`) with size-checked bodies."""
    httpx = httpx_library()

    class SizeCheckedStream(httpx.SyncByteStream):  # type: ignore[name-defined]
        def __init__(self, inner: Any, event_stream: bool) -> None:
            self._inner = inner
            self._event_stream = event_stream

        def __iter__(self) -> Iterator[bytes]:
            if self._event_stream:
                yield from _checked_events(self._inner)
            else:
                yield from _checked_body(self._inner)

        def close(self) -> None:
            self._inner.close()

    class SizeCheckedTransport(httpx.BaseTransport):  # type: ignore[name-defined]
        def __init__(self) -> None:
            # The SDK's own pool size (a client given a transport does not apply its limits).
            self._inner = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100))

        def handle_request(self, request: Any) -> Any:
            response = self._inner.handle_request(request)
            content_type = response.headers.get("content-type", "")
            response.stream = SizeCheckedStream(response.stream, content_type.startswith("text/event-stream"))
            return response

        def close(self) -> None:
            self._inner.close()

    return default_client(transport=SizeCheckedTransport())


def _checked_events(chunks: Any) -> Iterator[bytes]:
    since_event = 0  # bytes since the last blank line (the end of an SSE event)
    tail = b""
    for chunk in chunks:
        window = tail + chunk
        end = max((window.rfind(sep) + len(sep) if sep in window else -1) for sep in _EVENT_ENDS)
        since_event = len(window) - end if end >= 0 else since_event + len(chunk)
        if since_event > MAX_EVENT_BYTES:
            raise ApiError(
                f"stream failed: the server sent an event larger than "
                f"{MAX_EVENT_BYTES // (1024 * 1024)} MB; stopped reading it"
            )
        tail = window[-3:]
        yield chunk


def _checked_body(chunks: Any) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(
                f"the server's answer is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB; stopped reading it"
            )
        yield chunk


KEEPALIVE_LIMIT = 3600.0  # seconds a model may think with nothing but keep-alive events


class StreamWatchdog:
    """Calls `on_silence()` (from its own thread) once the server has been silent `seconds`.

    Only the time spent waiting on the server counts: `pause()` when an event arrives,
    `resume(kind)` when the reader asks for the next one. A "progress" event (a known type)
    restarts the count; a "noise" event (an unknown type) only pauses it, so a stream of SSE
    comments (never seen as events) or unknown events still ends after `seconds`. An "alive"
    event (OpenAI's `keepalive`, sent while a model thinks at length) restarts the count too,
    but for at most `KEEPALIVE_LIMIT` after the last progress. The thread looks at the
    deadline at least every `seconds`, so it needs no locks.
    """

    def __init__(self, seconds: float, on_silence: Callable[[], None]) -> None:
        self.seconds = seconds
        self.expired = False
        self._on_silence = on_silence
        self._deadline = time.monotonic() + seconds
        self._left = seconds
        self._progress_at = time.monotonic()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="termchat-stream-watchdog", daemon=True)
        self._thread.start()

    @property
    def kept_alive(self) -> bool:
        """Whether the server was still sending keep-alives when the watchdog gave up."""
        return time.monotonic() - self._progress_at >= max(KEEPALIVE_LIMIT, self.seconds)

    def pause(self) -> None:
        self._left = max(0.0, self._deadline - time.monotonic())
        self._deadline = float("inf")

    def resume(self, kind: str) -> None:
        now = time.monotonic()
        if kind == "progress":
            self._progress_at = now
            self._deadline = now + self.seconds
        elif kind == "alive":
            # (This may move the deadline earlier; the thread looks again within `seconds`.)
            self._deadline = min(now + self.seconds, self._progress_at + max(KEEPALIVE_LIMIT, self.seconds))
        else:
            self._deadline = now + self._left

    def stop(self) -> None:
        self._done.set()

    def _watch(self) -> None:
        while not self._done.is_set():
            left = self._deadline - time.monotonic()
            if left <= 0:
                self.expired = True
                self._on_silence()
                return
            self._done.wait(min(left, self.seconds))
