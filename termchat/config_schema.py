"""What a config holds: the frozen `Config` and its tables (compaction, budget, MCP servers)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from termchat.errors import ConfigError
from termchat.model_table import DEFAULT_MODEL
from termchat.state_modes import DEFAULT_STATE_MODE

TYPE_CHECKING = False  # `typing` is a start-up cost; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Literal

    from termchat.state_modes import StateMode
else:
    StateMode = str

APPROVAL_MODES: tuple[str, ...] = ("always", "never")
ENV_NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*\Z"


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
                isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
            ):
                # The value is a secret: name the variable, never echo its content.
                raise ConfigError(
                    f"${self.headers_env} (MCP server '{self.label}') must be "
                    "a token or a JSON object of string headers"
                )
            return dict(parsed)
        token = raw if raw.lower().startswith("bearer ") else f"Bearer {raw}"
        return {"Authorization": token}


def frozen_dict(value: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
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
    keymap: Mapping[str, str] = field(default_factory=frozen_dict)
    aliases: Mapping[str, str] = field(default_factory=frozen_dict)  # `-m NAME` -> a model
    compaction: CompactionSettings = field(default_factory=CompactionSettings)
    mcp_servers: tuple[McpServer, ...] = ()
    pricing: Mapping[str, Any] = field(default_factory=frozen_dict)
    budget: BudgetSettings = field(default_factory=BudgetSettings)
    base_url: str | None = None
    bell: bool = True  # `[notify] bell`: the terminal bell when a background job ends
    api_key: str | None = field(default=None, repr=False)  # from OPENAI_API_KEY only
    no_color: bool = False
    warnings: tuple[str, ...] = ()
