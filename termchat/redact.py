"""The one redaction function: every error termchat stores or shows passes through `redact`.

A server can echo what it was sent (`Authorization: Bearer <key>` in an error message, an MCP
server's auth header in a failed job), and an HTTP library can put a URL with its password in an
exception. So the process remembers every secret it holds (the API key, the MCP header values
read from the variables named in `headers_env`, passwords in URLs) as soon as it reads them,
and `redact` removes each of them, and anything shaped like a key or a credential, from a
message. It also strips terminal control sequences: the text is about to be printed or stored.

Standard library only, and cheap: every `termchat: …` line goes through it, the `termchat list`
fast path's included, so `re` is imported only when a message may hold a credential's shape.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from re import Pattern
    from typing import Any

MASK = "***"
MIN_SECRET_LENGTH = 6  # shorter values would blank out ordinary words
# Stand-ins that are not secrets (the SDK insists on some key for local servers and the demo).
NOT_SECRETS = frozenset({"not-needed", "demo", "test"})

_secrets: tuple[str, ...] = ()
# What a credential of unknown value looks like; a message without any of these words skips
# the regular expressions (and importing `re`).
_SHAPE_HINTS = ("sk-", "sess-", "rk-", "bearer", "basic", "token", "://")
_patterns: list[tuple[Pattern[str], str]] = []


def _shapes() -> list[tuple[Pattern[str], str]]:
    if not _patterns:
        import re

        _patterns.extend(
            (
                # API keys and session tokens by their shape, ours or not (the prefix says what it was)
                (re.compile(r"\b(sk-|sess-|rk-)[A-Za-z0-9*_\-]{4,}"), r"\1" + MASK),
                # credentials in an HTTP header echoed back
                (re.compile(r"\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=\-]{6,}", re.IGNORECASE), r"\1\2" + MASK),
                # user:password@ in a URL
                (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]*:)[^/\s@]+@"), r"\1" + MASK + "@"),
            )
        )
    return _patterns


def remember(secret: str | None) -> None:
    """Add a secret the process holds; from now on `redact` removes it from every message."""
    global _secrets
    if not isinstance(secret, str):
        return
    secret = secret.strip()
    if len(secret) < MIN_SECRET_LENGTH or secret in NOT_SECRETS or secret in _secrets:
        return
    # Longest first: a secret that contains another must be replaced whole.
    _secrets = tuple(sorted((*_secrets, secret), key=len, reverse=True))


def remember_url(url: str | None) -> None:
    """Remember the password (and a token-like user name) of a URL such as http://u:pw@host/."""
    if not url or "@" not in url:
        return
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url)
        password, user = parts.password, parts.username
    except ValueError:
        return
    for value in (password, user if password is None else None):
        if value:
            remember(value)
            remember(unquote(value))


def remember_header_values(raw: str | None) -> None:
    """Remember what an MCP `headers_env` variable holds: a token, or a JSON object of headers."""
    if not raw or not raw.strip():
        return
    raw = raw.strip()
    remember(raw)
    values: Iterable[Any] = ()
    if raw.startswith("{"):
        import json

        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            values = parsed.values()
    else:
        values = (raw,)
    for value in values:
        if isinstance(value, str):
            remember(value)
            scheme, _, token = value.strip().partition(" ")
            if token and scheme.lower() in ("bearer", "basic", "token"):
                remember(token)


def remember_config(config: Any, *, api_key: str | None = None, base_url: str | None = None, env: Any = None) -> None:
    """Remember every secret a loaded config gives this process (key, URLs, MCP headers)."""
    import os

    env = os.environ if env is None else env
    remember(api_key)
    remember(getattr(config, "api_key", None))
    for url in (base_url, getattr(config, "base_url", None), env.get("OPENAI_BASE_URL")):
        remember_url(url)
    for server in getattr(config, "mcp_servers", ()) or ():
        remember_url(getattr(server, "url", None))
        name = getattr(server, "headers_env", None)
        if name:
            remember_header_values(env.get(name))


def redact(text: str, *, keep_newlines: bool = False) -> str:
    """`text` without secrets, key- or credential-shaped strings, and terminal controls."""
    text = str(text)
    # isprintable() is False for everything strip_control removes (and for newlines).
    if not text.isprintable():
        from termchat.sanitize import strip_control

        text = strip_control(text, keep_newlines=keep_newlines)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    lowered = text.lower()
    if any(hint in lowered for hint in _SHAPE_HINTS):
        for pattern, replacement in _shapes():
            text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any) -> Any:
    """`redact` applied to every string in a JSON-like value (dicts, lists), newlines kept."""
    if isinstance(value, str):
        return redact(value, keep_newlines=True)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(item) for item in value]
    return value


def forget_all() -> None:
    """Forget every remembered secret (tests run many configurations in one process)."""
    global _secrets
    _secrets = ()
