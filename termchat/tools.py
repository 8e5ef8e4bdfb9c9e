"""Tool toggles -> the `tools=[...]` list and `tool_choice` of a Responses request."""

from __future__ import annotations

from termchat.errors import UsageError

# Not typing.TYPE_CHECKING: pricing imports this module, and importing config and pricing
# stays free of `typing` (tests/test_config.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

MEMORY_TIERS = ("1g", "4g", "16g", "64g")  # code_interpreter containers; pricing has a fee per tier
DEFAULT_MEMORY_TIER = MEMORY_TIERS[0]  # what the API gives a container that names none
TOOL_NAMES = ("web_search", "file_search", "code_interpreter", "mcp")
TOOL_CHOICES = ("auto", "none", "required")


def parse_tool(spec: str, mcp_servers: Iterable[Any] = ()) -> dict[str, Any]:
    """`web_search`, `file_search:vs_1,vs_2`, `code_interpreter[:4g]`, `mcp:LABEL` -> a tool dict."""
    name, _, arg = spec.partition(":")
    name = name.strip()
    if name == "web_search":
        return {"type": "web_search"}
    if name == "file_search":
        ids = [v for v in arg.split(",") if v.strip()]
        if not ids:
            raise UsageError("file_search needs vector store ids: --tool file_search:vs_123[,vs_456]")
        return {"type": "file_search", "vector_store_ids": [v.strip() for v in ids]}
    if name == "code_interpreter":
        tier = arg or DEFAULT_MEMORY_TIER
        if tier not in MEMORY_TIERS:
            raise UsageError(f"code_interpreter memory must be one of {', '.join(MEMORY_TIERS)}, got '{tier}'")
        return {"type": "code_interpreter", "container": {"type": "auto", "memory_limit": tier}}
    if name == "mcp":
        known = ", ".join(getattr(s, "label", "?") for s in mcp_servers)
        if not arg.strip():
            where = f"(configured: {known})" if known else "(add one under [[mcp_servers]] in the config)"
            raise UsageError(f"--tool mcp needs a server label: --tool mcp:LABEL {where}")
        for server in mcp_servers:
            if getattr(server, "label", None) == arg:
                return mcp_tool(server)
        raise UsageError(
            f"unknown MCP server '{arg}' (known: {known or 'none configured'}); "
            "add it under [[mcp_servers]] in the config"
        )
    raise UsageError(f"unknown tool '{spec}' (choose from {', '.join(TOOL_NAMES)})")


def memory_tier(tools: Iterable[dict[str, Any]]) -> str:
    """The memory tier of the code_interpreter tool in `tools` (the default if it names none)."""
    for tool in tools:
        if tool.get("type") == "code_interpreter":
            return (tool.get("container") or {}).get("memory_limit") or DEFAULT_MEMORY_TIER
    return DEFAULT_MEMORY_TIER


def tool_label(tool: dict[str, Any]) -> str:
    """A few words for one tool dict: "web", "2 stores", "code 4g", "mcp deepwiki"."""
    kind = tool.get("type", "?")
    if kind == "web_search":
        return "web"
    if kind == "file_search":
        count = len(tool.get("vector_store_ids") or [])
        return f"{count} store{'' if count == 1 else 's'}"
    if kind == "code_interpreter":
        container = tool.get("container")
        tier = container.get("memory_limit") if isinstance(container, dict) else None
        return f"code {tier or DEFAULT_MEMORY_TIER}"
    if kind == "mcp":
        return f"mcp {tool.get('server_label', '?')}"
    return str(tool.get("name") or kind)


def tool_spec(tool: dict[str, Any]) -> str:
    """A tool as `--tool` spells it: `web_search`, `file_search:vs_1,vs_2`, `code_interpreter:4g`..."""
    kind = str(tool.get("type", "?"))
    if kind == "file_search":
        return f"{kind}:{','.join(str(v) for v in tool.get('vector_store_ids') or [])}"
    if kind == "code_interpreter":
        container = tool.get("container")
        tier = container.get("memory_limit") if isinstance(container, dict) else None
        return f"{kind}:{tier}" if tier and tier != DEFAULT_MEMORY_TIER else kind
    if kind == "mcp":
        return f"mcp:{tool.get('server_label', '?')}"
    return kind


def as_toggled(
    tools: list[dict[str, Any]], tool_choice: Any, mcp_servers: Iterable[Any]
) -> tuple[list[dict[str, Any]], str]:
    """What the TUI's tool panel makes of a chat's saved `tools` and `tool_choice` (loaded into
    its toggles, then read back): the settings a send uses while the panel is not mounted yet.
    A file_search without vector stores and unknown tools are left out, a code_interpreter gets a
    known memory tier, the MCP servers are the configured ones of the saved labels."""
    by_type = {tool.get("type"): tool for tool in tools}
    toggled: list[dict[str, Any]] = []
    if "web_search" in by_type:
        toggled.append(parse_tool("web_search"))
    file_search = by_type.get("file_search")
    if file_search is not None and (ids := ",".join(file_search.get("vector_store_ids") or []).strip()):
        toggled.append(parse_tool(f"file_search:{ids}"))
    if "code_interpreter" in by_type:
        tier = memory_tier([by_type["code_interpreter"]])
        toggled.append(parse_tool(f"code_interpreter:{tier if tier in MEMORY_TIERS else DEFAULT_MEMORY_TIER}"))
    labels = {tool.get("server_label") for tool in tools if tool.get("type") == "mcp"}
    toggled += [mcp_tool(server) for server in mcp_servers if server.label in labels]
    return toggled, tool_choice if tool_choice in TOOL_CHOICES else "auto"


def mcp_tool(server: Any) -> dict[str, Any]:
    """The request shape of a configured MCP server; auth headers are resolved at send time."""
    tool: dict[str, Any] = {
        "type": "mcp",
        "server_label": server.label,
        "server_url": server.url,
        "require_approval": getattr(server, "require_approval", "always"),
    }
    if getattr(server, "allowed_tools", None):
        tool["allowed_tools"] = list(server.allowed_tools)
    return tool


def parse_tool_choice(choice: str, tools: list[dict[str, Any]]) -> Any:
    """`auto`, `none`, `required`, or one enabled tool (`web_search`, `mcp:LABEL`, ...)."""
    if choice == "required" and not tools:
        raise UsageError("--tool-choice required needs a tool to require: add --tool NAME")
    if choice in TOOL_CHOICES:
        return choice
    name, _, label = choice.partition(":")
    enabled = [t for t in tools if t.get("type") == name and (not label or t.get("server_label") == label)]
    if not enabled:
        raise UsageError(f"--tool-choice must be auto, none, required or an enabled tool, got '{choice}'")
    if name == "mcp":
        return {"type": "mcp", "server_label": enabled[0]["server_label"]}
    if name in ("file_search", "code_interpreter"):
        return {"type": name}
    # The API's hosted-tool choice names only `web_search_preview`; force the GA web_search tool
    # through the allowed-tools form instead.
    return {"type": "allowed_tools", "mode": "required", "tools": [{"type": name}]}
