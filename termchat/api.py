"""The API client: its set-up, retries and calls, plain dicts out (`openai` imported lazily here,
in api_errors, which translates failures, and in api_events, which reads event streams)."""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from termchat import redact as redaction
from termchat.api_errors import NOT_JSON_HINT, retry_reason, retry_wait, sdk_error, seconds
from termchat.api_events import EventStream, abort, check_event_stream, read_events
from termchat.errors import ApiError, BaseUrlError, ConfigError
from termchat.ids import checked_id

if TYPE_CHECKING:  # pragma: no cover
    import openai

DEFAULT_TIMEOUT = 120.0
ITEMS_PER_REQUEST = 20  # conversation items the API takes in one request (create, or add)
DEFAULT_BASE_URL = "https://api.openai.com/v1"  # the SDK's, when neither flag nor env names one
ANNOUNCED_WAIT = 1.0  # seconds; a shorter wait before a retry goes unannounced (nobody notices it)
MAX_PAGES = 1000  # pages of a listing followed at most (100,000 conversation items)
_T = TypeVar("_T")


def _opened(request: Any) -> EventStream:
    """Send a streaming request (the SDK's `with_streaming_response` context, entered: an
    error status raises the SDK's exception here) and read its events ourselves."""
    return EventStream(request.__enter__().http_response)


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
    if (
        isinstance(value, str)
        and 0 < len(value) <= 32
        and value.replace("_", "").isalpha()
        and value.isascii()
        and value.islower()
    ):
        return value
    return default


class Api:
    """A thin wrapper over the SDK client: plain dicts out, `ApiError`s for every failure."""

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        max_retries: int = 2,
        timeout: float = DEFAULT_TIMEOUT,
        on_status: Callable[[str], None] | None = None,
    ) -> None:
        if not api_key:
            if not base_url:
                raise ConfigError(
                    "no API key: set OPENAI_API_KEY (or pass --api-key), point --base-url at a "
                    "Responses-compatible server, or try `termchat --demo`"
                )
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
            self._client = openai.OpenAI(
                api_key=self._api_key,
                base_url=self.base_url,
                max_retries=0,
                timeout=self.timeout,
                http_client=guarded_http_client(openai.DefaultHttpxClient),
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- error translation -----------------------------------------------------------------

    def error(self, exc: BaseException, *, what: str = "request") -> ApiError | BaseUrlError:
        """Turn any SDK/network exception into a one-line `ApiError`."""
        return sdk_error(
            exc,
            what=what,
            where=self._where,
            timeout=self.timeout,
            secrets=(self._api_key,),
            base_url=self.base_url,
            answers_under_v1=self._answers_under_v1,
        )

    def _answers_under_v1(self) -> bool:
        """Whether a base URL without `/v1` got a 404 because the API lives under `<url>/v1`
        (a `GET <url>/v1/models` answers with anything but 404). Asked once per client."""
        if self._v1_answers is None:
            import openai

            self._v1_answers = False
            if self.base_url and not self.base_url.rstrip("/").endswith("/v1"):
                probe = self.client.with_options(
                    base_url=f"{self.base_url}/v1", max_retries=0, timeout=min(self.timeout, 10.0)
                )
                try:
                    probe.models.list()
                    self._v1_answers = True
                except openai.APIStatusError as exc:
                    self._v1_answers = exc.status_code != 404
                except openai.OpenAIError:
                    pass
        return self._v1_answers

    # -- attempts and retries ---------------------------------------------------------------

    def _attempts(
        self, what: str, send: Callable[[], _T], *, retries: int | None = None, stop: threading.Event | None = None
    ) -> _T:
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
                wait = retry_wait(exc, attempt) if attempt < retries else None
                if wait is None or time.monotonic() - started + wait >= self.timeout:
                    raise error from None
                if wait >= ANNOUNCED_WAIT:
                    self.on_status(f"{retry_reason(exc, self._where)}, retrying in {seconds(wait)}")
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

    def stream_response(
        self, params: dict[str, Any], on_open: Callable[[Any], None] | None = None, stop: threading.Event | None = None
    ) -> Iterator[Any]:
        """Iterate the stream's events (dicts, see `EventStream`); `close()` on the iterator stops
        the HTTP stream.

        `on_open` receives the open `EventStream`, whose `close()` may be called from another
        thread to abort a reply that has stalled. `stop`, once set, ends a wait between retries.
        """
        responses = self.client.responses.with_streaming_response
        stream = self._attempts("request", lambda: _opened(responses.create(**params, stream=True)), stop=stop)
        self._check_event_stream(stream, "request")
        if on_open is not None:
            on_open(stream)
        yield from self._events(stream)

    def _check_event_stream(self, stream: Any, what: str) -> None:
        check_event_stream(stream, what, self._where)

    def _events(self, stream: Any) -> Iterator[Any]:
        yield from read_events(
            stream, timeout=self.timeout, where=self._where, error=lambda exc: self.error(exc, what="stream")
        )

    abort = staticmethod(abort)

    def resume_stream(
        self, response_id: str, starting_after: int | None = None, on_open: Callable[[Any], None] | None = None
    ) -> Iterator[Any]:
        """A background response's events, replayed from the start (or after a sequence number);
        `on_open` as for `stream_response`."""
        kwargs: dict[str, Any] = {"stream": True}
        if starting_after is not None:
            kwargs["starting_after"] = starting_after
        responses = self.client.responses.with_streaming_response
        stream = self._attempts("resume", lambda: _opened(responses.retrieve(response_id, **kwargs)))
        self._check_event_stream(stream, "resume")
        if on_open is not None:
            on_open(stream)
        yield from self._events(stream)

    def _call(self, what: str, fn: Any, *args: Any, retries: int | None = None, **kwargs: Any) -> dict[str, Any]:
        result = self._attempts(what, lambda: fn(*args, **kwargs), retries=retries)
        return self._dump(result, what)

    def _dump(self, obj: Any, what: str) -> dict[str, Any]:
        """A JSON object from the server as a dict; anything else (text, a list) is an error."""
        data = obj.model_dump(mode="json", warnings=False) if hasattr(obj, "model_dump") else obj
        if not isinstance(data, dict):
            raise ApiError(f"{what} failed: {self._where} did not answer with the API's JSON", hint=NOT_JSON_HINT)
        return data

    def _response(self, what: str, data: dict[str, Any]) -> dict[str, Any]:
        """A response object: a valid id, and a status that is one plain word."""
        checked_id(data.get("id"), what=f"{what}: the response")
        data["status"] = _plain_word(data.get("status"), "unknown") if data.get("status") else None
        return data

    def create_response(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._response("request", self._call("request", self.client.responses.create, **params))

    def retrieve_response(self, response_id: str) -> dict[str, Any]:
        return self._response("retrieve", self._call("retrieve", self.client.responses.retrieve, response_id))

    def cancel_response(self, response_id: str) -> dict[str, Any]:
        return self._response("cancel", self._call("cancel", self.client.responses.cancel, response_id))

    def compact(self, *, model: str, input: list[dict[str, Any]], instructions: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": model, "input": input}
        if instructions:
            kwargs["instructions"] = instructions
        return self._call("compact", self.client.responses.compact, **kwargs)

    def count_input_tokens(self, params: dict[str, Any], *, timeout: float | None = None) -> int:
        """POST /responses/input_tokens: what `params` would cost in input tokens. `timeout`
        (seconds) bounds one attempt, without retries (the app's estimate while typing)."""
        client = self.client if timeout is None else self.client.with_options(timeout=timeout)
        result = self._call(
            "token count", client.responses.input_tokens.count, retries=0 if timeout is not None else None, **params
        )
        count = result.get("input_tokens")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ApiError("the server's token count has no input_tokens")
        return count

    def upload_file(self, *, name: str, data: bytes, mime: str, purpose: str) -> dict[str, Any]:
        """`POST /v1/files`: upload `data` as file `name`; returns the file object (id, bytes...)."""
        return self._call("upload", self.client.files.create, file=(name, data, mime), purpose=purpose)

    def vector_stores(self, limit: int = 100) -> list[dict[str, Any]]:
        """The account's vector stores (id, name, file counts), following the cursor pages."""
        what = "list vector stores"
        stores = self._pages(
            what, lambda after: self.client.vector_stores.list(limit=limit, **_after(after)), most=1000
        )  # enough for a picker
        for store in stores:
            checked_id(store.get("id"), what=f"{what}: a vector store")
        return stores

    def _pages(self, what: str, fetch: Callable[[str | None], Any], *, most: int | None = None) -> list[dict[str, Any]]:
        """Every item of a cursor-paged listing (at most `most`), see `_page_by_page`."""
        items: list[dict[str, Any]] = []
        for page in self._page_by_page(what, fetch):
            items.extend(page)
            if most is not None and len(items) >= most:
                return items[:most]
        return items

    def _page_by_page(self, what: str, fetch: Callable[[str | None], Any]) -> Iterator[list[dict[str, Any]]]:
        """The pages of a cursor-paged listing, each fetched when the one before has been taken
        (`fetch(cursor)`, None for the first). A server that repeats a cursor (`has_more`
        forever) or pages past `MAX_PAGES` is stopped with an error, never followed forever."""
        seen: set[str] = set()
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = self._attempts(what, functools.partial(fetch, cursor))
            data = getattr(page, "data", None)
            if not isinstance(data, list):
                raise ApiError(f"{what} failed: {self._where} did not answer with the API's JSON", hint=NOT_JSON_HINT)
            items = [self._dump(item, what) for item in data]
            yield items
            last_id = getattr(page, "last_id", None) or (items[-1].get("id") if items else None)
            if getattr(page, "has_more", None) is False or not items or not last_id:
                return
            if not isinstance(last_id, str) or last_id in seen:
                raise ApiError(
                    f"{what} failed: {self._where} sent the same page twice "
                    f"(cursor {redaction.redact(str(last_id))[:60]}); stopped reading"
                )
            seen.add(last_id)
            cursor = last_id
        raise ApiError(f"{what} failed: {self._where} sent more than {MAX_PAGES} pages; stopped reading")

    # -- conversations ------------------------------------------------------------------------

    def create_conversation(
        self, *, metadata: dict[str, str] | None = None, items: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
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
                self._call(
                    "add conversation items",
                    self.client.conversations.items.create,
                    created["id"],
                    items=items[start : start + ITEMS_PER_REQUEST],
                )
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
        return self._call("update conversation", self.client.conversations.update, conversation_id, metadata=metadata)

    def delete_conversation(self, conversation_id: str, *, timeout: float | None = None) -> dict[str, Any]:
        """`timeout` (seconds) bounds one attempt, without retries (say, while a user waits to exit)."""
        client = self.client if timeout is None else self.client.with_options(timeout=timeout)
        return self._call(
            "delete conversation",
            client.conversations.delete,
            conversation_id,
            retries=0 if timeout is not None else None,
        )

    def conversation_items(self, conversation_id: str, page_size: int = 100) -> list[dict[str, Any]]:
        """Every item of a conversation, oldest first, following the cursor pages."""
        return self._pages(
            "list conversation items",
            lambda after: self.client.conversations.items.list(
                conversation_id, order="asc", limit=page_size, **_after(after)
            ),
        )

    def conversation_items_newest_first(
        self, conversation_id: str, first_page: int = 20, page_size: int = 100
    ) -> Iterator[list[dict[str, Any]]]:
        """A conversation's items page by page, newest first (`order="desc"`), each page read
        when the one before has been taken: a reader that stops early sends no more requests.
        The first page is small (`first_page` items): usually the reader needs no more."""
        return self._page_by_page(
            "list conversation items",
            lambda after: self.client.conversations.items.list(
                conversation_id, order="desc", limit=page_size if after else first_page, **_after(after)
            ),
        )


def _after(cursor: str | None) -> dict[str, Any]:
    """The `after` argument of a listing call, when there is a cursor to continue from."""
    return {"after": cursor} if cursor else {}
