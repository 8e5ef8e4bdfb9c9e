"""Settings: the model table, the TOML config file and environment overrides.

`load_config()` reads `config.toml` (tomllib), applies environment variables and returns a frozen
`Config`. `save_config()` merges changes into the file (tomli-w), atomically and with mode 0600.

This module is on the start-up path of `termchat --help` and `termchat list`: it imports only
the standard library; tomllib, tomli-w and platformdirs are imported inside the functions that
need them. The API key comes from the environment only: it is never read from, nor written to,
the config file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from termchat.errors import ConfigError
from termchat.paths import config_path as _default_config_path
from termchat.paths import data_dir as _default_data_dir
from termchat.paths import ensure_data_dir, read_toml, write_toml
from termchat.state_modes import DEFAULT_STATE_MODE, STATE_MODES

TYPE_CHECKING = False  # `typing` is a start-up cost; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Literal

    from termchat.state_modes import StateMode
else:
    StateMode = str

__all__ = [
    "DEFAULT_MODEL", "MODELS", "STATE_MODES", "BudgetSettings", "CompactionSettings", "Config",
    "McpServer", "ModelInfo", "base_model_name", "ensure_data_dir", "load_config", "model_info",
    "save_config", "validate_base_url",
]


# --- models -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelInfo:
    """One row of the model table."""

    name: str
    context_window: int  # tokens the model can attend to (input + output)
    max_output_tokens: int
    reasoning: bool  # accepts `reasoning={"effort": ...}`
    summary: str  # one line for the model picker


# The one model table: the model picker, the compaction threshold and the pricing table
# (termchat/pricing.py has a price row for each name) all read it. The first row is the default.
MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("gpt-5.2", 400_000, 128_000, True, "flagship GPT-5 model, best quality"),
    ModelInfo("gpt-5-mini", 400_000, 128_000, True, "faster, cheaper GPT-5"),
    ModelInfo("gpt-5-nano", 400_000, 128_000, True, "fastest, cheapest GPT-5"),
    ModelInfo("gpt-4.1", 1_047_576, 32_768, False, "long context, no reasoning"),
    ModelInfo("gpt-4o", 128_000, 16_384, False, "fast multimodal, no reasoning"),
    ModelInfo("o4-mini", 200_000, 100_000, True, "small reasoning model"),
)
DEFAULT_MODEL: str = MODELS[0].name
_MODELS_BY_NAME = {m.name: m for m in MODELS}
# Patterns are compiled on first use (re caches them): compiling costs start-up time.
_SNAPSHOT_SUFFIX = r"-\d{4}-\d{2}-\d{2}$"


def base_model_name(name: str) -> str:
    """Strip a dated snapshot suffix: "gpt-4o-2024-08-06" -> "gpt-4o"."""
    return re.sub(_SNAPSHOT_SUFFIX, "", name.strip())


def model_info(name: str) -> ModelInfo | None:
    """The table row for a model or one of its dated snapshots; None for other models."""
    return _MODELS_BY_NAME.get(name) or _MODELS_BY_NAME.get(base_model_name(name))


# --- settings ---------------------------------------------------------------------------------

APPROVAL_MODES: tuple[str, ...] = ("always", "never")
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*\Z"


@dataclass(frozen=True)
class CompactionSettings:
    """When to compact automatically: at `threshold` share of the model's context window."""

    enabled: bool = True
    threshold: float = 0.8
    # "client": termchat calls /responses/compact past the threshold; "server": it asks the
    # server to compact in-line with `context_management` (OpenAI's server-side compaction).
    mode: str = "client"


@dataclass(frozen=True)
class BudgetSettings:
    """Spending limits in USD (None: no limit); see termchat/budget.py."""

    daily_usd: float | None = None
    monthly_usd: float | None = None


@dataclass(frozen=True)
class McpServer:
    """A remote MCP server offered to the model as an `mcp` tool.

    `headers_env` is the NAME of an environment variable holding the credentials, never the
    credentials themselves: a JSON object of headers, or a token sent as `Authorization: Bearer`.
    """

    label: str
    url: str
    allowed_tools: tuple[str, ...] | None = None
    require_approval: Literal["always", "never"] = "always"
    headers_env: str | None = None

    def headers(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The HTTP headers to send, read from the `headers_env` variable ({} if unset)."""
        env = os.environ if env is None else env
        raw = env.get(self.headers_env, "").strip() if self.headers_env else ""
        if not raw:
            return {}
        from termchat.redact import remember_header_values

        remember_header_values(raw)  # a server may echo them in an error
        if raw.startswith("{"):
            import json

            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()):
                # The value is a secret: name the variable, never echo its content.
                raise ConfigError(f"${self.headers_env} (MCP server '{self.label}') must be "
                                  "a token or a JSON object of string headers")
            return dict(parsed)
        token = raw if raw.lower().startswith("bearer ") else f"Bearer {raw}"
        return {"Authorization": token}


def _frozen_dict(value: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class Config:
    """Effective settings: defaults, then the config file, then environment variables.

    `keymap` maps a binding id (e.g. "send") to a key string (e.g. "ctrl+j"); `pricing` holds
    the raw `[pricing]` overrides for `termchat.pricing.apply_overrides`. `warnings` are
    one-line notes about ignored keys, for the caller to show once. Loading creates nothing:
    call `ensure_data_dir(config.data_dir)` before writing there.
    """

    config_path: Path
    data_dir: Path
    model: str = DEFAULT_MODEL
    state: StateMode = DEFAULT_STATE_MODE
    instructions: str | None = None
    tools: tuple[str, ...] = ()
    tool_choice: str = "auto"
    theme: str = "termchat-dark"
    keymap: Mapping[str, str] = field(default_factory=_frozen_dict)
    compaction: CompactionSettings = field(default_factory=CompactionSettings)
    mcp_servers: tuple[McpServer, ...] = ()
    pricing: Mapping[str, Any] = field(default_factory=_frozen_dict)
    budget: BudgetSettings = field(default_factory=BudgetSettings)
    base_url: str | None = None
    bell: bool = True  # `[notify] bell`: the terminal bell when a background job ends
    api_key: str | None = field(default=None, repr=False)  # from OPENAI_API_KEY only
    no_color: bool = False
    warnings: tuple[str, ...] = ()


# --- validation -------------------------------------------------------------------------------

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
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc
            or parts.query or parts.fragment or url.endswith(("?", "#")) or port == 0):
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
            raise ConfigError(f"{what} must not contain a user name or password, got "
                              f"{masked_url(url)!r}", hint="give the API key with OPENAI_API_KEY or --api-key")
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
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string",
             list: "an array", dict: "a table"}
    return names.get(type(value), "a date/time")


class _Reader:
    """Checks one parsed TOML document, collecting warnings; errors name the file and key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.warnings: list[str] = []

    def fail(self, key: str, expected: str, value: object | None = None, *,
             show_value: bool = True) -> ConfigError:
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
                self.warn(f"{prefix}{key} ignored: secrets are never read from the config file"
                          + (" (set OPENAI_API_KEY)" if key == "api_key" else
                             " (name an environment variable in headers_env)"))
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


_TOP_KEYS = ("model", "state", "instructions", "tools", "tool_choice", "theme", "keymap",
             "compaction", "mcp_servers", "pricing", "budget", "base_url", "notify")
_MCP_KEYS = ("label", "url", "allowed_tools", "require_approval", "headers_env")
_SECRET_KEYS = ("api_key", "headers", "authorization", "token")
_PRICE_KEYS = ("input", "cached_input", "output")
_TOOL_PRICE_KEYS = ("web_search", "file_search", "code_interpreter")


def _settings_from_document(doc: Mapping[str, Any], path: Path) -> tuple[dict[str, Any], list[str]]:
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
                raise r.fail("base_url", "an http(s) URL without a user name or password",
                             masked_url(url))
            raise r.fail("base_url", "an http(s) URL", url)
        out["base_url"] = normalised
    if "keymap" in doc:
        keymap = r.table(doc["keymap"], "keymap")
        out["keymap"] = _frozen_dict(
            {k: r.string(v, f"keymap.{k}").strip() for k, v in keymap.items()})
    if "compaction" in doc:
        out["compaction"] = _compaction(r, r.table(doc["compaction"], "compaction"))
    if "mcp_servers" in doc:
        out["mcp_servers"] = _mcp_servers(r, doc["mcp_servers"])
    if "pricing" in doc:
        out["pricing"] = _frozen_dict(_pricing(r, r.table(doc["pricing"], "pricing")))
    if "budget" in doc:
        budget = r.table(doc["budget"], "budget")
        r.unknown(budget, ("daily_usd", "monthly_usd"), "budget.")
        limits = {key: r.number(budget[key], f"budget.{key}") for key in ("daily_usd", "monthly_usd")
                  if key in budget}
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
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) \
            or not 0 < threshold <= 1:
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
            raise r.fail(f"{key}.url", "an http(s) URL without a user name or password"
                         if _has_userinfo(table["url"]) else "an http(s) URL", shown)
        allowed = table.get("allowed_tools")
        headers_env = table.get("headers_env")
        if headers_env is not None and (not isinstance(headers_env, str)
                                        or not re.match(_ENV_NAME, headers_env)):
            # Never echo it: someone may have pasted the secret itself here.
            raise r.fail(f"{key}.headers_env", "the NAME of an environment variable "
                         "(e.g. MY_MCP_TOKEN), not its value", headers_env, show_value=False)
        servers.append(McpServer(
            label=label,
            url=url,
            allowed_tools=None if allowed is None else r.strings(allowed, f"{key}.allowed_tools"),
            require_approval=r.string(table.get("require_approval", "always"),  # type: ignore[arg-type]
                                      f"{key}.require_approval", choices=APPROVAL_MODES),
            headers_env=headers_env,
        ))
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
                    raise ConfigError(f"config error: {r.path}: {key}.{required} is missing "
                                      "(USD per 1M tokens)")
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
                tier: r.number(v, f"pricing.tools.code_interpreter.{tier}")
                for tier, v in tiers.items()}
        out["tools"] = checked
    return out


# --- reading and writing ----------------------------------------------------------------------

def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (missing = defaults) and apply environment overrides.

    Path: `path`, else `$TERMCHAT_CONFIG`, else `<user config dir>/termchat/config.toml`.
    Environment: OPENAI_API_KEY, OPENAI_BASE_URL, TERMCHAT_MODEL, TERMCHAT_DATA_DIR, NO_COLOR.
    Raises ConfigError (one line naming the file, and line or key) for unreadable or invalid
    files and bad environment values. Unknown keys only produce `Config.warnings`.
    """
    env = os.environ if env is None else env
    config_path = Path(path).expanduser() if path is not None else _default_config_path(env)
    try:
        doc = read_toml(config_path)
    except RecursionError:  # tomllib recurses per nesting level: `x = [[[[...` thousands deep
        raise ConfigError(f"config error: {config_path}: values are nested too deeply") from None
    settings, warnings = _settings_from_document(doc or {}, config_path)

    model = env.get("TERMCHAT_MODEL", "").strip()
    if model:
        settings["model"] = model
    base_url = env.get("OPENAI_BASE_URL", "").strip()
    if base_url:
        settings["base_url"] = validate_base_url(base_url, what="OPENAI_BASE_URL")
    return Config(
        config_path=config_path,
        data_dir=_default_data_dir(env),
        api_key=env.get("OPENAI_API_KEY", "").strip() or None,
        no_color=bool(env.get("NO_COLOR", "")),
        warnings=tuple(warnings),
        **settings,
    )


def _merge(base: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `updates` into a copy of `base`; a None value removes the key."""
    merged = dict(base)
    for key, value in updates.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k != "api_key"}
    if isinstance(value, (list, tuple)):
        return [_without_secrets(v) for v in value]
    return value


def save_config(config_path: Path, updates: Mapping[str, Any]) -> None:
    """Merge `updates` into the config file, e.g. {"theme": "x"} or {"keymap": {"send": "..."}}.

    Tables merge key by key; a None value removes a key. The merged document is checked like
    `load_config` would check it (ConfigError, file untouched, if invalid), then written
    atomically with mode 0600 (parent created 0700), through a symlink if the path is one.
    `api_key` is never written. A top-level setting is changed by editing its one line, so
    comments and layout stay; a change that needs a rewrite (tomli-w writes plain TOML) is
    refused when the file has comments, rather than dropping them.
    """
    config_path = Path(config_path).expanduser()
    target = Path(os.path.realpath(config_path))  # a symlinked config is written through the link
    current = read_toml(target) or {}
    merged = _without_secrets(_merge(current, _without_secrets(dict(updates))))
    _settings_from_document(merged, config_path)
    text = _existing_text(target)
    if text is not None:
        import tomllib

        from termchat.config_lines import edit_top_level
        from termchat.paths import write_private_file

        edited = edit_top_level(text, dict(updates))
        try:
            fits = edited is not None and tomllib.loads(edited) == merged
        except tomllib.TOMLDecodeError:
            fits = False
        if fits:
            try:
                write_private_file(target, edited.encode("utf-8"))  # type: ignore[union-attr]
            except OSError as exc:
                raise ConfigError(f"config error: cannot write {config_path}: {exc.strerror or exc}") from None
            return
        if "#" in text:
            keys = ", ".join(sorted(updates))
            raise ConfigError(f"config error: {config_path} was not changed: setting {keys} would "
                              "rewrite it and lose its comments; set it there by hand")
    write_toml(target, merged)


def _existing_text(path: Path) -> str | None:
    from termchat.paths import read_settings_file

    data = read_settings_file(path)
    return data.decode("utf-8") if data is not None else None
