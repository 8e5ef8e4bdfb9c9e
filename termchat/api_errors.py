"""What an SDK or network failure becomes: the one-line `ApiError`, the server's message, when to retry."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from termchat import redact as redaction
from termchat.errors import ApiError, BaseUrlError, NotSupportedError

MAX_RETRY_AFTER = 120.0  # seconds; a server asking for a longer wait gets no automatic retry
NOT_JSON_HINT = "is the base URL right? It usually ends in /v1"


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`termchat.redact.redact`, after remembering `secrets` (kept for older callers)."""
    for secret in secrets:
        redaction.remember(secret)
    return redaction.redact(text)


def sdk_error(
    exc: BaseException,
    *,
    what: str,
    where: str,
    timeout: float,
    secrets: tuple[str, ...],
    base_url: str | None,
    answers_under_v1: Callable[[], bool],
) -> ApiError | BaseUrlError:
    """Turn any SDK/network exception into a one-line `ApiError` (`where`: the server as shown;
    `answers_under_v1` asks whether a 404 came from a base URL that lacks `/v1`)."""
    import openai

    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return ApiError(
            f"{what} timed out: no answer from {where} in {timeout:g} s", hint="try again, or raise --timeout"
        )
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
            hint = f"retry after {retry_after:g} s" if retry_after is not None else "slow down and retry"
        elif status >= 500:
            hint = "server error; try again"
        if status == 404 and code is None and answers_under_v1():
            return BaseUrlError(
                redact(f"{what} failed: HTTP 404: {message}", secrets),
                hint=f"did you mean {base_url}/v1? The API answers there",
            )
        cls = NotSupportedError if status in (404, 405) and code is None else ApiError
        return cls(
            redact(f"{what} failed: HTTP {status}: {message}", secrets),
            status=status,
            code=code,
            retry_after=retry_after,
            hint=hint,
        )
    if isinstance(exc, openai.APIError):
        body = exc.body if isinstance(exc.body, dict) else {}
        code = body.get("code") or body.get("type")
        message = body.get("message") or str(exc) or "the server reported an error"
        return ApiError(redact(f"{what} failed: {message}" + (f" ({code})" if code else ""), secrets), code=code)
    if isinstance(exc, openai.OpenAIError):
        return ApiError(redact(f"{what} failed: {exc}", secrets))
    if isinstance(exc, (ValueError, TypeError, AttributeError, KeyError, LookupError)):
        # A 200 whose body is not the JSON the API sends: a captive portal's HTML page,
        # a wrong base URL, a proxy's error page (json.JSONDecodeError is a ValueError).
        return ApiError(f"{what} failed: {where} did not answer with the API's JSON", hint=NOT_JSON_HINT)
    return ApiError(redact(f"{what} failed: {type(exc).__name__}: {exc}", secrets))


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
        message = (
            text[:200]
            if text
            else {
                400: "bad request",
                401: "unauthorized",
                403: "forbidden",
                404: "not found",
                429: "too many requests",
            }.get(exc.status_code, "error")
        )
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


def retry_wait(exc: Any, attempt: int) -> float | None:
    """Seconds to wait before retrying `exc`, or None if it is not worth a retry."""
    import random

    import openai

    if isinstance(exc, openai.APIStatusError):
        should = exc.response.headers.get("x-should-retry")
        if should == "false" or (should != "true" and exc.status_code not in (408, 409, 429) and exc.status_code < 500):
            return None
        retry_after = _retry_after(exc)
        if retry_after is not None:
            return retry_after if retry_after <= MAX_RETRY_AFTER else None
    return min(0.5 * 2**attempt, 8.0) * (1 - 0.25 * random.random())


def retry_reason(exc: Any, where: str) -> str:
    status = getattr(exc, "status_code", None)
    if status == 429:
        return "rate limited"
    if status is not None:
        return f"server error (HTTP {status})"
    return f"cannot reach {where}"


def seconds(wait: float) -> str:
    return f"{max(1, round(wait))} s"
