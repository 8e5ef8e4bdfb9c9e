"""The only module that imports `openai` (lazily): client set-up, calls, error translation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from termchat.errors import ApiError, BaseUrlError, ConfigError, NotSupportedError

if TYPE_CHECKING:  # pragma: no cover
    import openai

DEFAULT_TIMEOUT = 120.0
ITEMS_PER_REQUEST = 20  # conversation items the API takes in one request (create, or add)
DEFAULT_BASE_URL = "https://api.openai.com/v1"  # the SDK's, when neither flag nor env names one
_KEY_PATTERN = re.compile(r"(sk-|sess-)[A-Za-z0-9*_\-]{4,}")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove API keys (ours and anything key-shaped) from a message before it is shown.

    Server text in it is untrusted: terminal escapes and control characters are stripped too,
    since the message is printed, stored with the failed reply, and shown again by `show`.
    """
    from termchat.sanitize import strip_control

    text = strip_control(text, keep_newlines=False)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _KEY_PATTERN.sub(r"\1***", text)


def same_server_form(base_url: str) -> str:
    """A base URL with the parts that do not change the server normalised (case, trailing /)."""
    scheme, sep, rest = base_url.strip().partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}".rstrip("/")


def _dump(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", warnings=False)
    if isinstance(obj, dict):
        return dict(obj)
    # The SDK hands back a body that is not JSON as a string (an HTML page, say).
    raise ApiError("the server's answer is not a JSON object (is the base URL right?)")


class Api:
    """A thin wrapper over the SDK client: plain dicts out, `ApiError`s for every failure."""

    def __init__(self, *, base_url: str | None, api_key: str | None, max_retries: int = 2,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        if not api_key:
            if not base_url:
                raise ConfigError(
                    "no API key: set OPENAI_API_KEY (or pass --api-key), point --base-url at a "
                    "Responses-compatible server, or try `termchat --demo`")
            api_key = "not-needed"  # local servers usually ignore it, the SDK insists on one
        self.base_url = base_url
        self._api_key = api_key
        self.max_retries = max_retries
        self.timeout = timeout
        self._client: openai.OpenAI | None = None
        self._v1_answers: bool | None = None

    def clean(self, text: str) -> str:
        """Server-provided text made safe to print and store: no escapes, no API key."""
        return redact(text, (self._api_key,))

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

            self._client = openai.OpenAI(api_key=self._api_key, base_url=self.base_url,
                                         max_retries=self.max_retries, timeout=self.timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- error translation -----------------------------------------------------------------

    def error(self, exc: BaseException, *, what: str = "request") -> ApiError | BaseUrlError:
        """Turn any SDK/network exception into a one-line `ApiError`."""
        import openai

        secrets = (self._api_key,)
        where = self.base_url or "api.openai.com"
        if isinstance(exc, openai.APITimeoutError):
            return ApiError(f"{what} timed out talking to {where}", hint="try again or raise the timeout")
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
                hint = (f"retry after {retry_after:g}s" if retry_after is not None else "slow down and retry")
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

    # -- responses --------------------------------------------------------------------------

    def stream_response(self, params: dict[str, Any],
                        on_open: Callable[[Any], None] | None = None) -> Iterator[Any]:
        """Iterate the SDK's raw stream events; `close()` on the iterator stops the HTTP stream.

        `on_open` receives the open SDK stream, whose `close()` may be called from another
        thread to abort a reply that has stalled.
        """
        import openai

        try:
            stream = self.client.responses.create(**params, stream=True)
        except openai.OpenAIError as exc:
            raise self.error(exc) from None
        if on_open is not None:
            on_open(stream)
        yield from self._events(stream)

    def _events(self, stream: Any) -> Iterator[Any]:
        """Iterate an open SDK stream, turning every failure into one `ApiError`."""
        import openai

        try:
            for event in stream:
                yield _checked_event(event)
        except ApiError:
            raise
        except openai.OpenAIError as exc:
            raise self.error(exc, what="stream") from None
        except Exception as exc:  # httpx decoding errors on malformed streams
            raise ApiError(f"stream failed: malformed data from the server ({type(exc).__name__})") from None
        finally:
            stream.close()

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
        import openai

        try:
            kwargs: dict[str, Any] = {"stream": True}
            if starting_after is not None:
                kwargs["starting_after"] = starting_after
            stream = self.client.responses.retrieve(response_id, **kwargs)
        except openai.OpenAIError as exc:
            raise self.error(exc, what="resume") from None
        if on_open is not None:
            on_open(stream)
        yield from self._events(stream)

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        import openai

        try:
            return _dump(fn(*args, **kwargs))
        except openai.OpenAIError as exc:
            raise self.error(exc, what=what) from None

    def create_response(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._call("request", self.client.responses.create, **params)

    def retrieve_response(self, response_id: str) -> dict[str, Any]:
        return self._call("retrieve", self.client.responses.retrieve, response_id)

    def cancel_response(self, response_id: str) -> dict[str, Any]:
        return self._call("cancel", self.client.responses.cancel, response_id)

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
        import openai

        try:
            stores = []
            for store in self.client.vector_stores.list(limit=limit):
                stores.append(_dump(store))
                if len(stores) >= 1000:  # enough for a picker
                    break
            return stores
        except openai.OpenAIError as exc:
            raise self.error(exc, what="list vector stores") from None

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
        client = self.client if timeout is None else self.client.with_options(timeout=timeout, max_retries=0)
        return self._call("delete conversation", client.conversations.delete, conversation_id)

    def conversation_items(self, conversation_id: str, page_size: int = 100) -> list[dict[str, Any]]:
        """Every item of a conversation, oldest first, following the cursor pages."""
        import openai

        try:
            page = self.client.conversations.items.list(conversation_id, order="asc", limit=page_size)
            return [_dump(item) for item in page]  # the SDK page iterator follows `after` cursors
        except openai.OpenAIError as exc:
            raise self.error(exc, what="list conversation items") from None


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
    try:
        value = exc.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (ValueError, AttributeError):
        return None
