"""Checking a config document: each key's type and value, one-line errors naming file and key, warnings."""

from __future__ import annotations

import re
from pathlib import Path

from termchat.config_schema import (
    APPROVAL_MODES,
    ENV_NAME_PATTERN,
    BudgetSettings,
    CompactionSettings,
    McpServer,
    frozen_dict,
)
from termchat.errors import ConfigError
from termchat.state_modes import STATE_MODES

TYPE_CHECKING = False  # `typing` is a start-up cost; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


def _http_url(url: str) -> str | None:
    """`url` normalised (no trailing slash) if it is http(s)://host[:port][/path], else None."""
    if not isinstance(url, str) or not url or any(c.isspace() or not c.isprintable() for c in url):
        return None
    from urllib.parse import urlsplit  # not on the start-up path

    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a bad port
    except ValueError:
        return None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
        or url.endswith(("?", "#"))
        or port == 0
    ):
        return None
    return url.rstrip("/")


def validate_base_url(url: str, *, what: str = "--base-url") -> str:
    """Return `url` (without a trailing slash) if it is http(s)://host[:port][/path].

    Raises ConfigError "<what> must be an http(s) URL, got '...'" otherwise; a URL with
    credentials is refused with the password masked (it would end up in messages and jobs).
    """
    normalised = _http_url(url)
    if normalised is None:
        if _has_userinfo(url):
            raise ConfigError(
                f"{what} must not contain a user name or password, got {masked_url(url)!r}",
                hint="give the API key with OPENAI_API_KEY or --api-key",
            )
        raise ConfigError(f"{what} must be an http(s) URL, got {url!r}")
    return normalised


def _has_userinfo(url: object) -> bool:
    if not isinstance(url, str):
        return False
    rest = url.partition("://")[2] or url
    return "@" in rest.split("/", 1)[0]


def masked_url(url: str) -> str:
    """`url` fit to print: what stands before '@' (a password, or a token as user name) is ***."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    netloc, slash, path = rest.partition("/")
    if "@" not in netloc:
        return url
    userinfo, _, host = netloc.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    shown = f"{user}:***" if colon else "***"
    return f"{scheme}{sep}{shown}@{host}{slash}{path}"


def _type_name(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array", dict: "a table"}
    return names.get(type(value), "a date/time")


class _Reader:
    """Checks one parsed TOML document, collecting warnings; errors name the file and key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.warnings: list[str] = []

    def fail(self, key: str, expected: str, value: object | None = None, *, show_value: bool = True) -> ConfigError:
        got = ""
        if value is not None:
            shown = f" {value!r}" if show_value and isinstance(value, (str, int, float)) else ""
            got = f", got {_type_name(value)}{shown}"
        return ConfigError(f"config error: {self.path}: {key} must be {expected}{got}")

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.path}: {message}")

    def unknown(self, table: Mapping[str, Any], known: tuple[str, ...], prefix: str = "") -> None:
        for key in table:
            if key == "api_key" or key in _SECRET_KEYS and prefix.startswith("mcp_servers"):
                self.warn(
                    f"{prefix}{key} ignored: secrets are never read from the config file"
                    + (
                        " (set OPENAI_API_KEY)"
                        if key == "api_key"
                        else " (name an environment variable in headers_env)"
                    )
                )
            elif key not in known:
                self.warn(f"unknown key {prefix}{key} ignored")

    def string(self, value: object, key: str, *, choices: tuple[str, ...] = ()) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "a non-empty string", value)
        if choices and value not in choices:
            raise self.fail(key, " or ".join(repr(c) for c in choices), value)
        return value

    def strings(self, value: object, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, "an array of strings", value)
        return tuple(self.string(item, f"{key}[{i}]") for i, item in enumerate(value))

    def table(self, value: object, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "a table", value)
        return value

    def number(self, value: object, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.fail(key, "a non-negative number", value)
        return float(value)


_TOP_KEYS = (
    "model",
    "state",
    "instructions",
    "tools",
    "tool_choice",
    "theme",
    "keymap",
    "compaction",
    "mcp_servers",
    "pricing",
    "budget",
    "base_url",
    "notify",
    "aliases",
)
_MCP_KEYS = ("label", "url", "allowed_tools", "require_approval", "headers_env")
_SECRET_KEYS = ("api_key", "headers", "authorization", "token")
_PRICE_KEYS = ("input", "cached_input", "output")
_TOOL_PRICE_KEYS = ("web_search", "file_search", "code_interpreter")


def settings_from_document(doc: Mapping[str, Any], path: Path) -> tuple[dict[str, Any], list[str]]:
    """Turn a parsed config document into `Config` keyword arguments (and warnings)."""
    r = _Reader(path)
    r.unknown(doc, _TOP_KEYS)
    out: dict[str, Any] = {}
    if "model" in doc:
        out["model"] = r.string(doc["model"], "model").strip()
    if "state" in doc:
        out["state"] = r.string(doc["state"], "state", choices=STATE_MODES)
    if "instructions" in doc:
        if not isinstance(doc["instructions"], str):
            raise r.fail("instructions", "a string", doc["instructions"])
        out["instructions"] = doc["instructions"] or None
    if "tools" in doc:
        out["tools"] = r.strings(doc["tools"], "tools")
    if "tool_choice" in doc:
        out["tool_choice"] = r.string(doc["tool_choice"], "tool_choice")
    if "theme" in doc:
        out["theme"] = r.string(doc["theme"], "theme")
    if "base_url" in doc:
        url = doc["base_url"]
        normalised = _http_url(url) if isinstance(url, str) else None
        if normalised is None:
            if _has_userinfo(url):
                raise r.fail("base_url", "an http(s) URL without a user name or password", masked_url(url))
            raise r.fail("base_url", "an http(s) URL", url)
        out["base_url"] = normalised
    if "keymap" in doc:
        keymap = r.table(doc["keymap"], "keymap")
        out["keymap"] = frozen_dict({k: r.string(v, f"keymap.{k}").strip() for k, v in keymap.items()})
    if "aliases" in doc:
        aliases = r.table(doc["aliases"], "aliases")
        out["aliases"] = frozen_dict({k: r.string(v, f"aliases.{k}").strip() for k, v in aliases.items()})
    if "compaction" in doc:
        out["compaction"] = _compaction(r, r.table(doc["compaction"], "compaction"))
    if "mcp_servers" in doc:
        out["mcp_servers"] = _mcp_servers(r, doc["mcp_servers"])
    if "pricing" in doc:
        out["pricing"] = frozen_dict(_pricing(r, r.table(doc["pricing"], "pricing")))
    if "budget" in doc:
        budget = r.table(doc["budget"], "budget")
        r.unknown(budget, ("daily_usd", "monthly_usd"), "budget.")
        limits = {key: r.number(budget[key], f"budget.{key}") for key in ("daily_usd", "monthly_usd") if key in budget}
        if any(usd == 0 for usd in limits.values()):
            key = next(k for k, usd in limits.items() if usd == 0)
            raise r.fail(f"budget.{key}", "a positive number of USD", budget[key])
        out["budget"] = BudgetSettings(**limits)
    if "notify" in doc:
        notify = r.table(doc["notify"], "notify")
        r.unknown(notify, ("bell",), "notify.")
        if "bell" in notify:
            if not isinstance(notify["bell"], bool):
                raise r.fail("notify.bell", "true or false", notify["bell"])
            out["bell"] = notify["bell"]
    return out, r.warnings


def _compaction(r: _Reader, table: dict[str, Any]) -> CompactionSettings:
    r.unknown(table, ("enabled", "threshold", "mode"), "compaction.")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise r.fail("compaction.enabled", "true or false", enabled)
    threshold = table.get("threshold", 0.8)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise r.fail("compaction.threshold", "a number in (0, 1]", threshold)
    mode = table.get("mode", "client")
    if mode not in ("client", "server"):
        raise r.fail("compaction.mode", '"client" or "server"', mode)
    return CompactionSettings(enabled=enabled, threshold=float(threshold), mode=mode)


def _mcp_servers(r: _Reader, value: object) -> tuple[McpServer, ...]:
    if not isinstance(value, list):
        raise r.fail("mcp_servers", "an array of tables ([[mcp_servers]])", value)
    servers: list[McpServer] = []
    for i, raw in enumerate(value):
        key = f"mcp_servers[{i}]"
        table = r.table(raw, key)
        r.unknown(table, _MCP_KEYS, f"{key}.")
        for required in ("label", "url"):
            if required not in table:
                raise ConfigError(f"config error: {r.path}: {key}.{required} is missing")
        label = r.string(table["label"], f"{key}.label").strip()
        if any(s.label == label for s in servers):
            raise ConfigError(f"config error: {r.path}: {key}.label {label!r} is used twice")
        url = _http_url(table["url"])
        if url is None:
            shown = masked_url(table["url"]) if _has_userinfo(table["url"]) else table["url"]
            raise r.fail(
                f"{key}.url",
                "an http(s) URL without a user name or password" if _has_userinfo(table["url"]) else "an http(s) URL",
                shown,
            )
        allowed = table.get("allowed_tools")
        headers_env = table.get("headers_env")
        if headers_env is not None and (
            not isinstance(headers_env, str) or not re.match(ENV_NAME_PATTERN, headers_env)
        ):
            # Never echo it: someone may have pasted the secret itself here.
            raise r.fail(
                f"{key}.headers_env",
                "the NAME of an environment variable (e.g. MY_MCP_TOKEN), not its value",
                headers_env,
                show_value=False,
            )
        servers.append(
            McpServer(
                label=label,
                url=url,
                allowed_tools=None if allowed is None else r.strings(allowed, f"{key}.allowed_tools"),
                require_approval=r.string(
                    table.get("require_approval", "always"),  # type: ignore[arg-type]
                    f"{key}.require_approval",
                    choices=APPROVAL_MODES,
                ),
                headers_env=headers_env,
            )
        )
    return tuple(servers)


def _pricing(r: _Reader, table: dict[str, Any]) -> dict[str, Any]:
    """Check `[pricing]`: `models.<name>` = {input, output, cached_input?} in USD per 1M tokens;
    `tools` = {web_search, file_search (USD per 1k calls), code_interpreter = {tier = USD}}."""
    r.unknown(table, ("models", "tools"), "pricing.")
    out: dict[str, Any] = {}
    if "models" in table:
        models: dict[str, dict[str, float]] = {}
        for name, row in r.table(table["models"], "pricing.models").items():
            key = f"pricing.models.{name}"
            row = r.table(row, key)
            r.unknown(row, _PRICE_KEYS, f"{key}.")
            for required in ("input", "output"):
                if required not in row:
                    raise ConfigError(f"config error: {r.path}: {key}.{required} is missing (USD per 1M tokens)")
            models[name] = {k: r.number(row[k], f"{key}.{k}") for k in _PRICE_KEYS if k in row}
        out["models"] = models
    if "tools" in table:
        tools = r.table(table["tools"], "pricing.tools")
        r.unknown(tools, _TOOL_PRICE_KEYS, "pricing.tools.")
        checked: dict[str, Any] = {}
        for name in ("web_search", "file_search"):
            if name in tools:
                checked[name] = r.number(tools[name], f"pricing.tools.{name}")
        if "code_interpreter" in tools:
            tiers = r.table(tools["code_interpreter"], "pricing.tools.code_interpreter")
            checked["code_interpreter"] = {
                tier: r.number(v, f"pricing.tools.code_interpreter.{tier}") for tier, v in tiers.items()
            }
        out["tools"] = checked
    return out
