"""The only module that imports `openai` (lazily): client set-up, calls, error translation."""

from __future__ import annotations

import functools
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from termchat import redact as redaction
from termchat.errors import ApiError, BaseUrlError, ConfigError, NotSupportedError
from termchat.ids import checked_id

if TYPE_CHECKING:  # pragma: no cover
    import openai

DEFAULT_TIMEOUT = 120.0
ITEMS_PER_REQUEST = 20  # conversation items the API takes in one request (create, or add)
DEFAULT_BASE_URL = "https://api.openai.com/v1"  # the SDK's, when neither flag nor env names one
MAX_RETRY_AFTER = 120.0  # seconds; a server asking for a longer wait gets no automatic retry
ANNOUNCED_WAIT = 1.0  # seconds; a shorter wait before a retry goes unannounced (nobody notices it)
MAX_PAGES = 1000  # pages of a listing followed at most (100,000 conversation items)
NOT_JSON_HINT = "is the base URL right? It usually ends in /v1"
_T = TypeVar("_T")
_known_event_types: frozenset[str] | None = None


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`termchat.redact.redact`, after remembering `secrets` (kept for older callers)."""
    for secret in secrets:
        redaction.remember(secret)
    return redaction.redact(text)


def same_server_form(base_url: str) -> str:
    """A base URL with the parts that do not change the server normalised (case, trailing /)."""
    scheme, sep, rest = base_url.strip().partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}".rstrip("/")


def _stderr_status(line: str) -> None:
    try:
        sys.stderr.write(f"termchat: {redaction.redact(line)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _plain_word(value: Any, default: str = "unknown") -> str:
    """A server status as one short lower-case word (it is shown and stored), else `default`."""
    if isinstance(value, str) and 0 < len(value) <= 32 and value.replace("_", "").isalpha() \
            and value.isascii() and value.islower():
        return value
    return default


class Api:
    """A thin wrapper over the SDK client: plain dicts out, `ApiError`s for every failure."""

    def __init__(self, *, base_url: str | None, api_key: str | None, max_retries: int = 2,
                 timeout: float = DEFAULT_TIMEOUT,
                 on_status: Callable[[str], None] | None = None) -> None:
        if not api_key:
            if not base_url:
                raise ConfigError(
                    "no API key: set OPENAI_API_KEY (or pass --api-key), point --base-url at a "
                    "Responses-compatible server, or try `termchat --demo`")
            api_key = "not-needed"  # local servers usually ignore it, the SDK insists on one
        self.base_url = base_url
        self._api_key = api_key
        redaction.remember(api_key)
        redaction.remember_url(base_url)
        self.max_retries = max_retries  # retries of a failed attempt (never of a silent one)
        self.timeout = timeout  # the longest the user waits on a silent server
        self.on_status = on_status or _stderr_status  # "rate limited, retrying in 48 s"
        self._client: openai.OpenAI | None = None
        self._v1_answers: bool | None = None

    def clean(self, text: str) -> str:
        """Server-provided text made safe to print and store: no escapes, no secrets."""
        return redaction.redact(text)

    @property
    def _where(self) -> str:
        return redaction.redact(self.base_url or "api.openai.com")

    def __repr__(self) -> str:  # never show the key
        return f"Api(base_url={self.base_url!r})"

    @property
    def server(self) -> str:
        """The server this client talks to, spelled one way (jobs remember it)."""
        return same_server_form(self.base_url or DEFAULT_BASE_URL)

    @property
    def client(self) -> openai.OpenAI:
        if self._client is None:
            import openai

            from termchat.api_guard import guarded_http_client

            # Retries are ours (`_attempts`): bounded by the timeout, announced on stderr.
            self._client = openai.OpenAI(api_key=self._api_key, base_url=self.base_url,
                                         max_retries=0, timeout=self.timeout,
                                         http_client=guarded_http_client(openai.DefaultHttpxClient))
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- error translation -----------------------------------------------------------------

    def error(self, exc: BaseException, *, what: str = "request") -> ApiError | BaseUrlError:
        """Turn any SDK/network exception into a one-line `ApiError`."""
        import openai

        secrets = (self._api_key,)
        where = self._where
        if isinstance(exc, ApiError):
            return exc
        if isinstance(exc, openai.APITimeoutError):
            return ApiError(f"{what} timed out: no answer from {where} in {self.timeout:g} s",
                            hint="try again, or raise --timeout")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            detail = str(cause) if cause else "connection failed"
            if "refused" in detail.lower():
                detail = "connection refused"
            elif "closed" in detail.lower() or "incomplete" in detail.lower() or "peer" in detail.lower():
                detail = "the connection dropped"
            if what == "stream":
                return ApiError(f"the connection to {where} dropped mid-reply; the partial reply was kept")
            return ApiError(redact(f"cannot reach {where}: {detail}", secrets))
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            message, code = _status_message(exc)
            retry_after = _retry_after(exc)
            hint = None
            if status == 401:
                hint = "check OPENAI_API_KEY or --api-key"
            elif status == 403:
                hint = "the key lacks access to this model or endpoint"
            elif status == 429:
                hint = (f"retry after {retry_after:g} s" if retry_after is not None else "slow down and retry")
            elif status >= 500:
                hint = "server error; try again"
            if status == 404 and code is None and self._answers_under_v1():
                return BaseUrlError(redact(f"{what} failed: HTTP 404: {message}", secrets),
                                    hint=f"did you mean {self.base_url}/v1? The API answers there")
            cls = NotSupportedError if status in (404, 405) and code is None else ApiError
            return cls(redact(f"{what} failed: HTTP {status}: {message}", secrets), status=status,
                       code=code, retry_after=retry_after, hint=hint)
        if isinstance(exc, openai.APIError):
            body = exc.body if isinstance(exc.body, dict) else {}
            code = body.get("code") or body.get("type")
            message = body.get("message") or str(exc) or "the server reported an error"
            return ApiError(redact(f"{what} failed: {message}" + (f" ({code})" if code else ""), secrets),
                            code=code)
        if isinstance(exc, openai.OpenAIError):
            return ApiError(redact(f"{what} failed: {exc}", secrets))
        if isinstance(exc, (ValueError, TypeError, AttributeError, KeyError, LookupError)):
            # A 200 whose body is not the JSON the API sends: a captive portal's HTML page,
            # a wrong base URL, a proxy's error page (json.JSONDecodeError is a ValueError).
            return ApiError(f"{what} failed: {where} did not answer with the API's JSON",
                            hint=NOT_JSON_HINT)
        return ApiError(redact(f"{what} failed: {type(exc).__name__}: {exc}", secrets))

    def _answers_under_v1(self) -> bool:
        """Whether a base URL without `/v1` got a 404 because the API lives under `<url>/v1`
        (a `GET <url>/v1/models` answers with anything but 404). Asked once per client."""
        if self._v1_answers is None:
            import openai

            self._v1_answers = False
            if self.base_url and not self.base_url.rstrip("/").endswith("/v1"):
                probe = self.client.with_options(base_url=f"{self.base_url}/v1", max_retries=0,
                                                 timeout=min(self.timeout, 10.0))
                try:
                    probe.models.list()
                    self._v1_answers = True
                except openai.APIStatusError as exc:
                    self._v1_answers = exc.status_code != 404
                except openai.OpenAIError:
                    pass
        return self._v1_answers

    # -- attempts and retries ---------------------------------------------------------------

    def _attempts(self, what: str, send: Callable[[], _T], *, retries: int | None = None,
                  stop: threading.Event | None = None) -> _T:
        """`send()`, retrying a failed attempt (429, 5xx, a refused or dropped connection) while
        the waits fit in the timeout. A silent server is never retried: it has had its time."""
        import openai

        retries = self.max_retries if retries is None else retries
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return send()
            except KeyboardInterrupt:
                raise
            except openai.APITimeoutError as exc:
                raise self.error(exc, what=what) from None
            except (openai.APIConnectionError, openai.APIStatusError) as exc:
                error = self.error(exc, what=what)
                wait = _retry_wait(exc, attempt) if attempt < retries else None
                if wait is None or time.monotonic() - started + wait >= self.timeout:
                    raise error from None
                if wait >= ANNOUNCED_WAIT:
                    self.on_status(f"{_retry_reason(exc, self._where)}, retrying in {_seconds(wait)}")
                if stop is not None:
                    if stop.wait(wait):
                        raise ApiError("stopped by the user") from None
                else:
                    time.sleep(wait)
                attempt += 1
            except ApiError:
                raise
            except Exception as exc:  # the SDK choking on what the server sent
                raise self.error(exc, what=what) from exc

    # -- responses --------------------------------------------------------------------------

    def stream_response(self, params: dict[str, Any],
                        on_open: Callable[[Any], None] | None = None,
                        stop: threading.Event | None = None) -> Iterator[Any]:
        """Iterate the SDK's raw stream events; `close()` on the iterator stops the HTTP stream.

        `on_open` receives the open SDK stream, whose `close()` may be called from another
        thread to abort a reply that has stalled. `stop`, once set, ends a wait between retries.
        """
        stream = self._attempts("request", lambda: self.client.responses.create(**params, stream=True),
                                stop=stop)
        self._check_event_stream(stream, "request")
        if on_open is not None:
            on_open(stream)
        yield from self._events(stream)

    def _check_event_stream(self, stream: Any, what: str) -> None:
        """A stream must be `text/event-stream`: an HTML page with a 200 is no reply at all."""
        try:
            content_type = str(stream.response.headers.get("content-type") or "")
        except AttributeError:
            return
        if content_type.split(";")[0].strip().lower() == "text/event-stream":
            return
        stream.close()
        shown = redaction.redact(content_type.split(";")[0][:60]) or "no content type"
        raise ApiError(f"{what} failed: {self._where} answered with {shown}, not an event stream",
                       hint=NOT_JSON_HINT)

    def _events(self, stream: Any) -> Iterator[Any]:
        """Iterate an open SDK stream, turning every failure into one `ApiError`.

        A watchdog bounds the server's silence to the timeout: SSE comments and events of
        unknown types keep the socket busy without bringing the reply any closer.
        """
        import openai

        from termchat.api_guard import StreamWatchdog

        known = _event_types()
        watchdog = StreamWatchdog(self.timeout, lambda: self.abort(stream))
        try:
            for event in stream:
                watchdog.pause()
                checked = _checked_event(event)
                yield checked
                watchdog.resume("progress" if checked.type in known else
                                "alive" if checked.type == "keepalive" else "noise")
            if watchdog.expired:  # its abort can end the iteration quietly instead of raising
                raise self._silent(watchdog)
        except ApiError:
            raise
        except openai.OpenAIError as exc:
            if watchdog.expired:
                raise self._silent(watchdog) from None
            raise self.error(exc, what="stream") from None
        except Exception as exc:  # httpx decoding errors on malformed streams
            if watchdog.expired or "timeout" in type(exc).__name__.lower():
                raise self._silent(watchdog) from None
            raise ApiError(f"stream failed: malformed data from the server ({type(exc).__name__})") from None
        finally:
            watchdog.stop()
            stream.close()

    def _silent(self, watchdog: Any) -> ApiError:
        if watchdog.kept_alive:
            from termchat.api_guard import KEEPALIVE_LIMIT

            return ApiError(f"stream timed out: {self._where} sent only keep-alives for "
                            f"{max(KEEPALIVE_LIMIT, self.timeout) / 60:g} min; the partial reply was kept")
        return ApiError(f"stream timed out: nothing from {self._where} in {self.timeout:g} s; "
                        "the partial reply was kept", hint="try again, or raise --timeout")

    @staticmethod
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

    def resume_stream(self, response_id: str, starting_after: int | None = None,
                      on_open: Callable[[Any], None] | None = None) -> Iterator[Any]:
        """A background response's events, replayed from the start (or after a sequence number);
        `on_open` as for `stream_response`."""
        kwargs: dict[str, Any] = {"stream": True}
        if starting_after is not None:
            kwargs["starting_after"] = starting_after
        stream = self._attempts("resume", lambda: self.client.responses.retrieve(response_id, **kwargs))
        self._check_event_stream(stream, "resume")
        if on_open is not None:
            on_open(stream)
        yield from self._events(stream)

    def _call(self, what: str, fn: Any, *args: Any, retries: int | None = None,
              **kwargs: Any) -> dict[str, Any]:
        result = self._attempts(what, lambda: fn(*args, **kwargs), retries=retries)
        return self._dump(result, what)

    def _dump(self, obj: Any, what: str) -> dict[str, Any]:
        """A JSON object from the server as a dict; anything else (text, a list) is an error."""
        data = obj.model_dump(mode="json", warnings=False) if hasattr(obj, "model_dump") else obj
        if not isinstance(data, dict):
            raise ApiError(f"{what} failed: {self._where} did not answer with the API's JSON",
                           hint=NOT_JSON_HINT)
        return data

    def _response(self, what: str, data: dict[str, Any]) -> dict[str, Any]:
        """A response object: a valid id, and a status that is one plain word."""
        checked_id(data.get("id"), what=f"{what}: the response")
        data["status"] = _plain_word(data.get("status"), "unknown") if data.get("status") else None
        return data

    def create_response(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._response("request", self._call("request", self.client.responses.create, **params))

    def retrieve_response(self, response_id: str) -> dict[str, Any]:
        return self._response("retrieve", self._call("retrieve", self.client.responses.retrieve,
                                                     response_id))

    def cancel_response(self, response_id: str) -> dict[str, Any]:
        return self._response("cancel", self._call("cancel", self.client.responses.cancel, response_id))

    def compact(self, *, model: str, input: list[dict[str, Any]], instructions: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": model, "input": input}
        if instructions:
            kwargs["instructions"] = instructions
        return self._call("compact", self.client.responses.compact, **kwargs)

    def count_input_tokens(self, params: dict[str, Any]) -> int:
        """POST /responses/input_tokens: what `params` would cost in input tokens."""
        result = self._call("token count", self.client.responses.input_tokens.count, **params)
        count = result.get("input_tokens")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ApiError("the server's token count has no input_tokens")
        return count

    def vector_stores(self, limit: int = 100) -> list[dict[str, Any]]:
        """The account's vector stores (id, name, file counts), following the cursor pages."""
        what = "list vector stores"
        stores = self._pages(what, lambda after: self.client.vector_stores.list(
            limit=limit, **_after(after)), most=1000)  # enough for a picker
        for store in stores:
            checked_id(store.get("id"), what=f"{what}: a vector store")
        return stores

    def _pages(self, what: str, fetch: Callable[[str | None], Any], *,
               most: int | None = None) -> list[dict[str, Any]]:
        """Every item of a cursor-paged listing. A server that repeats a cursor (`has_more`
        forever) or pages past `MAX_PAGES` is stopped with an error, never followed forever."""
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = self._attempts(what, functools.partial(fetch, cursor))
            data = getattr(page, "data", None)
            if not isinstance(data, list):
                raise ApiError(f"{what} failed: {self._where} did not answer with the API's JSON",
                               hint=NOT_JSON_HINT)
            items.extend(self._dump(item, what) for item in data)
            if most is not None and len(items) >= most:
                return items[:most]
            last_id = getattr(page, "last_id", None) or (items[-1].get("id") if data else None)
            if getattr(page, "has_more", None) is False or not data or not last_id:
                return items
            if not isinstance(last_id, str) or last_id in seen:
                raise ApiError(f"{what} failed: {self._where} sent the same page twice "
                               f"(cursor {redaction.redact(str(last_id))[:60]}); stopped reading")
            seen.add(last_id)
            cursor = last_id
        raise ApiError(f"{what} failed: {self._where} sent more than {MAX_PAGES} pages; stopped reading")

    # -- conversations ------------------------------------------------------------------------

    def create_conversation(self, *, metadata: dict[str, str] | None = None,
                            items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A new server conversation holding `items`; if adding them fails, it is deleted again.

        The API takes at most ITEMS_PER_REQUEST items with the conversation and as many per
        `POST /conversations/{id}/items` after it.
        """
        kwargs: dict[str, Any] = {}
        if metadata:
            kwargs["metadata"] = metadata
        items = items or []
        if items:
            kwargs["items"] = items[:ITEMS_PER_REQUEST]
        created = self._call("create conversation", self.client.conversations.create, **kwargs)
        checked_id(created.get("id"), what="create conversation: the conversation")
        try:
            for start in range(ITEMS_PER_REQUEST, len(items), ITEMS_PER_REQUEST):
                self._call("add conversation items", self.client.conversations.items.create,
                           created["id"], items=items[start:start + ITEMS_PER_REQUEST])
        except BaseException:
            try:
                self.delete_conversation(created["id"])
            except ApiError:
                pass  # the error that matters is the one being raised
            raise
        return created

    def retrieve_conversation(self, conversation_id: str) -> dict[str, Any]:
        return self._call("retrieve conversation", self.client.conversations.retrieve, conversation_id)

    def update_conversation(self, conversation_id: str, metadata: dict[str, str]) -> dict[str, Any]:
        return self._call("update conversation", self.client.conversations.update, conversation_id,
                          metadata=metadata)

    def delete_conversation(self, conversation_id: str, *, timeout: float | None = None) -> dict[str, Any]:
        """`timeout` (seconds) bounds one attempt, without retries (say, while a user waits to exit)."""
        client = self.client if timeout is None else self.client.with_options(timeout=timeout)
        return self._call("delete conversation", client.conversations.delete, conversation_id,
                          retries=0 if timeout is not None else None)

    def conversation_items(self, conversation_id: str, page_size: int = 100) -> list[dict[str, Any]]:
        """Every item of a conversation, oldest first, following the cursor pages."""
        return self._pages("list conversation items", lambda after: self.client.conversations.items.list(
            conversation_id, order="asc", limit=page_size, **_after(after)))


def _after(cursor: str | None) -> dict[str, Any]:
    """The `after` argument of a listing call, when there is a cursor to continue from."""
    return {"after": cursor} if cursor else {}


def _checked_event(event: Any) -> Any:
    """A stream event must be a JSON object with a string `type`; `data: 42`, `data: null` or
    `data: [..]` parse as JSON but are not events (the SDK passes them through as-is)."""
    if not isinstance(getattr(event, "type", None), str):
        raise ApiError("stream failed: malformed data from the server (an event without a type)")
    return event


def _status_message(exc: Any) -> tuple[str, str | None]:
    """Pull a readable message from an OpenAI-shaped, FastAPI-shaped or plain-text error body."""
    body = exc.body
    code = None
    message = None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            message = err.get("message")
            code = err.get("code") or None
        detail = body.get("detail")
        if message is None and detail is not None:
            if isinstance(detail, list) and detail and isinstance(detail[0], dict):
                first = detail[0]
                loc = ".".join(str(p) for p in first.get("loc", []) if p != "body")
                message = f"{first.get('msg', 'invalid request')}" + (f" at {loc}" if loc else "")
            else:
                message = str(detail)
    elif isinstance(body, str) and body.strip():
        message = body.strip()
    if not message:
        try:
            text = exc.response.text.strip()
        except Exception:
            text = ""
        message = text[:200] if text else {400: "bad request", 401: "unauthorized", 403: "forbidden",
                                           404: "not found", 429: "too many requests"}.get(
            exc.status_code, "error")
    return " ".join(str(message).split()), code


def _retry_after(exc: Any) -> float | None:
    """The server's `Retry-After` (or `retry-after-ms`) in seconds; None when it is missing or
    odd (NaN, infinite, negative, not a number or a date)."""
    try:
        headers = exc.response.headers
    except AttributeError:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        seconds: float | None
        try:
            seconds = float(value) * scale
        except ValueError:
            seconds = _http_date_delay(value) if name == "retry-after" else None
        if seconds is not None and math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


def _http_date_delay(value: str) -> float | None:
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when.timestamp() - time.time() if when is not None and when.tzinfo else None


def _retry_wait(exc: Any, attempt: int) -> float | None:
    """Seconds to wait before retrying `exc`, or None if it is not worth a retry."""
    import random

    import openai

    if isinstance(exc, openai.APIStatusError):
        should = exc.response.headers.get("x-should-retry")
        if should == "false" or (should != "true" and exc.status_code not in (408, 409, 429)
                                 and exc.status_code < 500):
            return None
        retry_after = _retry_after(exc)
        if retry_after is not None:
            return retry_after if retry_after <= MAX_RETRY_AFTER else None
    return min(0.5 * 2 ** attempt, 8.0) * (1 - 0.25 * random.random())


def _retry_reason(exc: Any, where: str) -> str:
    status = getattr(exc, "status_code", None)
    if status == 429:
        return "rate limited"
    if status is not None:
        return f"server error (HTTP {status})"
    return f"cannot reach {where}"


def _seconds(wait: float) -> str:
    return f"{max(1, round(wait))} s"


def _event_types() -> frozenset[str]:
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


_FALLBACK_EVENT_TYPES = frozenset({
    "response.created", "response.in_progress", "response.queued", "response.completed",
    "response.incomplete", "response.failed", "error", "response.output_item.added",
    "response.output_item.done", "response.content_part.added", "response.content_part.done",
    "response.output_text.delta", "response.output_text.done", "response.refusal.delta",
    "response.refusal.done", "response.reasoning_summary_text.delta",
    "response.reasoning_text.delta", "response.output_text.annotation.added"})
