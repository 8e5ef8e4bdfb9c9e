"""One-line, view-neutral descriptions of non-text output items (tool calls, reasoning, ...)."""

from __future__ import annotations

import json
from typing import Any

MAX_ARG = 120


def _short(text: Any, limit: int = MAX_ARG) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(number: int, noun: str) -> str:
    """1 tool, 2 tools."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def describe_item(item: dict[str, Any]) -> str:
    """A short line for any output item; unknown types get a neutral line, never an error."""
    kind = item.get("type", "unknown")
    if kind == "web_search_call":
        action = item.get("action") or {}
        query = action.get("query") or ", ".join(action.get("queries") or []) or action.get("url") or ""
        return f"web search: {_short(query)}" if query else "web search"
    if kind == "file_search_call":
        results = item.get("results") or []
        queries = ", ".join(item.get("queries") or [])
        line = f"file search: {_short(queries)}" if queries else "file search"
        if results:
            top = results[0]
            line += f" ({_count(len(results), 'result')}; top: {top.get('filename') or top.get('file_id')}"
            if top.get("score") is not None:
                line += f" {float(top['score']):.2f}"
            line += ")"
        return line
    if kind == "code_interpreter_call":
        code = (item.get("code") or "").strip().splitlines()
        logs = [o.get("logs", "") for o in item.get("outputs") or [] if o.get("type") == "logs"]
        line = f"code interpreter: {_short(code[0]) if code else ''}"
        if logs:
            line += f" -> {_short(logs[-1], 60)}"
        return line
    if kind == "mcp_list_tools":
        tools = [t.get("name", "?") for t in item.get("tools") or []]
        return f"mcp {item.get('server_label', '')}: {_count(len(tools), 'tool')} ({_short(', '.join(tools), 60)})"
    if kind == "mcp_call":
        line = f"mcp {item.get('server_label', '')}.{item.get('name', '')}({_short(item.get('arguments') or '', 60)})"
        if item.get("error"):
            return line + f" failed: {_short(_text(item['error']), 60)}"
        return line + (f" -> {_short(item.get('output') or '', 60)}" if item.get("output") else "")
    if kind == "mcp_approval_request":
        return (
            f"mcp {item.get('server_label', '')} asks approval to run {item.get('name', '')}"
            f"({_short(item.get('arguments') or '', 60)})"
        )
    if kind == "mcp_approval_response":
        return "MCP tool call approved" if item.get("approve") else "MCP tool call denied"
    if kind == "reasoning":
        summary = " ".join(s.get("text", "") for s in item.get("summary") or [])
        return f"reasoning: {_short(summary)}" if summary else "reasoning"
    if kind == "compaction":
        return "context compacted"
    if kind in ("computer_call", "computer_call_output"):
        return "computer use requested: termchat has no local computer-use harness, so it was not run"
    if kind == "function_call":
        return f"function call {item.get('name', '')}({_short(item.get('arguments') or '', 60)}) (not run)"
    return f"{_short(kind, 40)} item"


def is_silent(item: dict[str, Any]) -> bool:
    """Items with nothing to show (a reasoning item without a summary)."""
    return item.get("type") == "reasoning" and not item.get("summary")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)
