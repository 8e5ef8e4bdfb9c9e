"""A small raw HTTP server on 127.0.0.1 for the hostile-server tests.

Where `termchat.fake_api` speaks the wire format correctly, this one answers each request with
whatever bytes a test's `answer(request, send)` writes: an HTML page with a 200, a stream of
SSE comments, headers that never come. Every loop in it is bounded (`LIFETIME`), so a test that
fails never leaves a thread spinning; `stop()` ends it sooner.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

LIFETIME = 60.0  # seconds: no connection is served longer than this, whatever a test does


@dataclass
class RawRequest:
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes


class RawServer:
    """`answer(request, send)` runs per request; `send(bytes)` returns False once the peer left."""

    def __init__(self, answer: Callable[[RawRequest, Callable[[bytes], bool]], None]) -> None:
        self.answer = answer
        self.requests: list[RawRequest] = []
        self.connections = 0
        self.stopping = threading.Event()
        self.changed = threading.Condition()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"

    def stop(self) -> None:
        self.stopping.set()
        self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, condition: Callable[[RawServer], bool], timeout: float = 30.0) -> bool:
        """Block until `condition(self)` holds (checked on every request); False on timeout."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not condition(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    def _serve(self) -> None:
        started = time.monotonic()
        while not self.stopping.is_set() and time.monotonic() - started < LIFETIME:
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with self.changed:
                self.connections += 1
                self.changed.notify_all()
            threading.Thread(target=self._connection, args=(conn, started), daemon=True).start()

    def _connection(self, conn: socket.socket, started: float) -> None:
        conn.settimeout(1.0)
        buffer = b""
        try:
            while not self.stopping.is_set() and time.monotonic() - started < LIFETIME:
                request, buffer = self._read_request(conn, buffer, started)
                if request is None:
                    return
                with self.changed:
                    self.requests.append(request)
                    self.changed.notify_all()

                def send(data: bytes) -> bool:
                    if self.stopping.is_set():
                        return False
                    try:
                        conn.sendall(data)
                        return True
                    except OSError:
                        return False

                self.answer(request, send)
        finally:
            conn.close()

    def _read_request(self, conn: socket.socket, buffer: bytes, started: float) -> tuple[RawRequest | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            chunk = self._recv(conn, started)
            if not chunk:
                return None, b""
            buffer += chunk
        head, _, rest = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = self._recv(conn, started)
            if not chunk:
                return None, b""
            rest += chunk
        return RawRequest(method, path, headers, rest[:length]), rest[length:]

    def _recv(self, conn: socket.socket, started: float) -> bytes:
        while not self.stopping.is_set() and time.monotonic() - started < LIFETIME:
            try:
                return conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return b""
        return b""


def http_response(
    status: int, body: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None
) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return (
        f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


def sse_headers() -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"


def keep_sending(
    send: Callable[[bytes], bool], data: bytes, every: float = 0.05, stop: threading.Event | None = None
) -> None:
    """Send `data` again and again until the peer leaves (or LIFETIME passes)."""
    started = time.monotonic()
    while time.monotonic() - started < LIFETIME and (stop is None or not stop.is_set()):
        if not send(data):
            return
        time.sleep(every)


def stall(stop: threading.Event, most: float = LIFETIME) -> None:
    """Hold a connection open without answering, until `stop` is set (or `most` seconds)."""
    stop.wait(most)
