"""The HTTP side: :class:`FakeAPI` (a ThreadingHTTPServer on 127.0.0.1) and routing.

JSON bodies carry a Content-Length (keep-alive works). SSE bodies use
``Transfer-Encoding: chunked`` (one chunk per event), so a dropped stream is a
chunked body cut short, which httpx reports as a protocol error.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import endpoints as ep
from . import files as file_api
from . import responses, sdk, vector_stores
from .clock import FakeClock, RealClock
from .script import Reply
from .state import ApiError, Store
from .vector_stores import VectorStoreShelf


@dataclass
class RecordedRequest:
    """One request as the server saw it (``body`` is the parsed JSON or None)."""

    method: str
    path: str  # e.g. "/v1/responses" (no query string)
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: Any
    raw: bytes = b""
    endpoint: str = ""  # e.g. "responses", "conversations.items.list"
    extra: dict = field(default_factory=dict)
    client_gone: bool = False  # the client closed the connection before the answer was written
    answered: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    @property
    def json(self) -> Any:
        return self.body


DEMO_VECTOR_STORES = (("vs_demo_docs", "Product docs", 12), ("vs_demo_notes", "Meeting notes", 3))


class FakeAPI:
    """A loopback fake of the OpenAI Responses + Conversations API.

    Options: ``clock`` (default :class:`RealClock`), ``host``/``port`` (0 = free
    port), ``conversations`` / ``compact`` / ``background`` / ``input_tokens`` /
    ``retrieve`` (False -> those endpoints answer 404 "Invalid URL", like
    Responses-compatible local servers), ``delay`` (seconds per streamed delta,
    e.g. 0.01 for demos), ``queued_seconds`` / ``run_seconds`` (background
    timeline; ``job_seconds=(Q, R)`` says both at once, like ``--job-seconds Q,R``),
    ``expire_after`` (background responses 404 after this age),
    ``store_default`` (``store`` when the request omits it), ``obfuscation``,
    ``api_key`` (if set, other bearer tokens get the real 401 body), ``models``
    (if set, other models get 400 ``model_not_found``), ``files`` (False -> no Files API,
    like most compatible servers), ``list_models`` (False -> no ``/v1/models``, as on
    Responses-only servers), ``file_polls`` (retrieves a file attached to a vector store
    answers ``in_progress``), ``warm_up`` (import the SDK's types in a background thread on
    start, so the first request is answered sooner; off, the first request imports them),
    ``item_order`` (False -> a conversation's items are listed oldest first whatever ``order``
    asks, as on servers that ignore it).
    """

    def __init__(
        self,
        clock: Any = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        conversations: bool = True,
        compact: bool = True,
        background: bool = True,
        input_tokens: bool = True,
        retrieve: bool = True,
        delay: float = 0.0,
        queued_seconds: float = 1.0,
        run_seconds: float = 2.0,
        job_seconds: tuple[float, float] | None = None,
        expire_after: float = 600.0,
        store_default: bool = True,
        obfuscation: bool = True,
        api_key: str | None = None,
        models: list[str] | None = None,
        vector_stores: list[tuple[str, str, int]] | None = None,
        files: bool = True,
        list_models: bool = True,
        file_polls: int = 1,
        warm_up: bool = True,
        item_order: bool = True,
    ) -> None:
        self.warm_up = warm_up
        self.item_order = item_order
        self.clock = clock if clock is not None else RealClock()
        if job_seconds is not None:
            queued_seconds, run_seconds = job_seconds
        self.host, self._port = host, port
        self.conversations_enabled = conversations
        self.compact_enabled = compact
        self.background_enabled = background
        self.input_tokens_enabled = input_tokens
        self.retrieve_enabled = retrieve
        self.delay = delay
        self.queued_seconds, self.run_seconds = queued_seconds, run_seconds
        self.store_default = store_default
        self.obfuscation = obfuscation
        self.api_key = api_key
        self.models = set(models) if models is not None else None
        # (id, name, file count) of the account's vector stores, for `GET /v1/vector_stores`.
        self.vector_stores = list(DEMO_VECTOR_STORES if vector_stores is None else vector_stores)
        self.models_enabled = list_models
        self.vector_store_shelf = VectorStoreShelf(file_polls)
        self.store = Store(
            self.clock,
            sdk.IdFactory(seed=str(id(self))),
            queued_seconds=queued_seconds,
            run_seconds=run_seconds,
            expire_after=expire_after,
        )
        self.files_enabled = files
        self.files = file_api.FileStore()  # uploads (`POST /v1/files`), kept in memory
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self, listening: socket.socket | None = None) -> str:
        """Bind, serve in a daemon thread, return the base URL (``http://127.0.0.1:N/v1``).
        `listening`: a socket already bound and listening (its address is served instead;
        connections it queued meanwhile are answered), as `--demo` binds one before the app."""
        if self._server is None:
            handler = type("BoundHandler", (_Handler,), {"api": self})
            if listening is None:
                self._server = _Server((self.host, self._port), handler)
            else:
                self._server = _Server(listening.getsockname(), handler, bind_and_activate=False)
                self._server.socket.close()  # the one made for it: `listening` is served instead
                self._server.socket = listening
                self.host = listening.getsockname()[0]
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.01},
                name=f"fake-api-{self.port}",
                daemon=True,
            )
            self._thread.start()
            if self.warm_up:
                self.warm_up_in_background()
        return self.base_url

    def warm_up_in_background(self) -> None:
        """Import the SDK's types in a daemon thread (it holds the GIL for much of that time)."""
        threading.Thread(target=sdk.warm_up, name="fake-api-warm-up", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAPI:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ scripting
    def script(self, *replies: Reply) -> FakeAPI:
        """Queue replies; each is used by the next request to its endpoint."""
        with self._lock:
            self._replies.extend(replies)
        return self

    def pending(self) -> list[Reply]:
        with self._lock:
            return list(self._replies)

    def clear(self) -> None:
        """Forget queued replies and recorded requests (state is kept)."""
        with self._lock:
            self._replies.clear()
            self.requests.clear()

    def _pop_reply(self, endpoint: str) -> Reply | None:
        with self._lock:
            for i, reply in enumerate(self._replies):
                if reply.matches(endpoint):
                    return self._replies.pop(i)
        return None

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        """Recorded requests whose endpoint is ``endpoint`` or a dotted child of it."""
        return [r for r in list(self.requests) if r.endpoint == endpoint or r.endpoint.startswith(endpoint + ".")]

    # ------------------------------------------------------------------ routing
    def route(self, method: str, path: str) -> tuple[str, list[str]]:
        """Map a request to (endpoint name, path params); name "" = unknown URL."""
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != "v1":
            return "", []
        parts = parts[1:]
        if parts[:1] == ["responses"]:
            rest = parts[1:]
            if not rest and method == "POST":
                return "responses", []
            if rest == ["compact"] and method == "POST":
                return ("compact", []) if self.compact_enabled else ("", [])
            if rest == ["input_tokens"] and method == "POST":
                return ("input_tokens", []) if self.input_tokens_enabled else ("", [])
            if len(rest) == 1 and method in ("GET", "DELETE") and self.retrieve_enabled:
                return ("retrieve" if method == "GET" else "delete"), rest
            if len(rest) == 2 and rest[1] == "cancel" and method == "POST" and self.background_enabled:
                return "cancel", rest[:1]
            if len(rest) == 2 and rest[1] == "input_items" and method == "GET" and self.retrieve_enabled:
                return "input_items", rest[:1]
            return "", []
        if parts[:1] == ["vector_stores"]:
            return vector_stores.route(method, parts[1:])
        if parts[:1] == ["files"] and self.files_enabled:
            if len(parts) == 1:
                return {"POST": "files.create", "GET": "files.list"}.get(method, ""), []
            if len(parts) == 2:
                return {"GET": "files.retrieve", "DELETE": "files.delete"}.get(method, ""), parts[1:]
            return "", []
        if parts[:1] == ["models"] and method == "GET" and self.models_enabled and len(parts) <= 2:
            return ("models.list", []) if len(parts) == 1 else ("models.retrieve", parts[1:])
        if parts[:1] == ["conversations"] and self.conversations_enabled:
            rest = parts[1:]
            if not rest:
                return ("conversations.create" if method == "POST" else ""), rest
            if len(rest) == 1:
                name = {"GET": "retrieve", "POST": "update", "DELETE": "delete"}.get(method)
                return (f"conversations.{name}" if name else ""), rest
            if rest[1] == "items" and len(rest) <= 3:
                verbs = {"GET": "list", "POST": "create"} if len(rest) == 2 else {"GET": "retrieve", "DELETE": "delete"}
                name = verbs.get(method)
                return (f"conversations.items.{name}" if name else ""), rest
        return "", []

    def handle(self, rec: RecordedRequest) -> ep.Result:
        endpoint, params = self.route(rec.method, rec.path)
        rec.endpoint = endpoint
        if not endpoint:
            return ep.error_result(ApiError(404, f"Invalid URL ({rec.method} {rec.path})"))
        if self.api_key is not None:
            auth = rec.headers.get("authorization", "")
            if auth != f"Bearer {self.api_key}":
                shown = auth.removeprefix("Bearer ")
                masked = (shown[:8] + "*****" + shown[-4:]) if len(shown) > 12 else shown
                return ep.error_result(
                    ApiError(
                        401,
                        f"Incorrect API key provided: {masked}. You can find your API key at "
                        "https://platform.openai.com/account/api-keys.",
                        code="invalid_api_key",
                    ),
                    headers={"www-authenticate": 'Bearer realm="OpenAI API"'},
                )
        scripted = self._pop_reply(endpoint)
        if scripted is not None and scripted.kind == "wait":
            if scripted.reached is not None:
                scripted.reached.set()
            waited = 0.0
            while not scripted.release.wait(0.05) and not self.stopping.is_set() and waited < 60:
                waited += 0.05
            scripted = self._pop_reply(endpoint)
        if scripted is not None and scripted.kind == "http":
            return ep.Result(scripted.status, scripted.body, scripted.content_type, dict(scripted.headers))
        body = rec.body if isinstance(rec.body, dict) else {}
        if endpoint == "files.create":  # a multipart body, not JSON
            try:
                return ep.Result(
                    200,
                    file_api.upload(
                        self.files, self.store.ids, self.clock.now(), rec.headers.get("content-type", ""), rec.raw
                    ),
                )
            except ApiError as err:
                return ep.error_result(err)
        if rec.method == "POST" and rec.raw and not isinstance(rec.body, dict):
            return ep.error_result(
                ApiError(
                    400,
                    "We could not parse the JSON body of your "
                    "request. (HINT: This likely means you aren't using "
                    "your HTTP library correctly.)",
                )
            )
        self.store.tick()
        try:
            if endpoint == "responses":
                return responses.create_response(self, body, scripted)
            if endpoint == "retrieve":
                return responses.retrieve_response(self, params[0], rec.query)
            if endpoint == "delete":
                return ep.Result(200, self.store.delete_response(params[0]))
            if endpoint == "cancel":
                return ep.json_result("response", self.store.cancel(params[0]))
            if endpoint == "input_items":
                return responses.input_items(self, params[0], rec.query)
            if endpoint == "compact":
                return ep.compact(self, body)
            if endpoint == "input_tokens":
                return ep.input_tokens(self, body)
            if endpoint.startswith("vector_stores."):
                return ep.Result(200, vector_stores.handle(self, endpoint, params, rec.query, body))
            if endpoint == "models.list":
                return ep.models(self)
            if endpoint == "models.retrieve":
                return ep.model(self, params[0])
            if endpoint == "files.list":
                return ep.Result(200, file_api.listing(self.files))
            if endpoint == "files.retrieve":
                return ep.Result(200, file_api.retrieve(self.files, params[0]))
            if endpoint == "files.delete":
                return ep.Result(200, file_api.delete(self.files, params[0]))
            return ep.conversations(self, rec.method, params, rec.query, body)
        except ApiError as err:
            return ep.error_result(err)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet on disconnects
        pass


class _Handler(BaseHTTPRequestHandler):
    api: FakeAPI
    protocol_version = "HTTP/1.1"
    server_version = "termchat-fake-api/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence
        pass

    def setup(self) -> None:
        super().setup()
        try:  # small writes (headers, then body / each SSE event) must not wait for ACKs
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = RecordedRequest(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw=raw,
        )
        self.api.requests.append(rec)
        try:
            result = self.api.handle(rec)
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: answer 500, keep serving
            result = ep.Result(500, sdk.error_body(f"fake API internal error: {exc!r}", "server_error"), pretty=True)
        try:
            self._write(result)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            rec.client_gone = True
            self.close_connection = True
        finally:
            rec.answered.set()  # tests wait on this instead of sleeping

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _dispatch

    def _write(self, result: ep.Result) -> None:
        if result.drop:
            self._abort()
            return
        if result.stream is not None:
            self._write_stream(result.stream)
            return
        if isinstance(result.body, (bytes, bytearray)):
            data = bytes(result.body)
        else:
            data = sdk.encode_json(result.body, pretty=result.pretty)
        self.send_response(result.status)
        self.send_header("Content-Type", result.content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in result.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _write_stream(self, frames: Any) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        for frame in frames:
            if frame is ep.DROP:
                self._abort()
                return
            if frame is ep.DROP_CLEAN:
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _abort(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def start_in_thread(clock: Any = None, **options: Any) -> FakeAPI:
    """Create and start a FakeAPI (demo default: real clock, ``delay=0.01``)."""
    options.setdefault("delay", 0.01)
    api = FakeAPI(clock=clock, **options)
    api.start()
    return api


__all__ = ["FakeAPI", "FakeClock", "RealClock", "RecordedRequest", "Reply", "start_in_thread"]
