"""The transcript's roles, and conversions between the stored transcript and Responses API items."""

from __future__ import annotations

from typing import Any

from termchat.store import MessageRow

COMPACTION = "compaction"  # role of the transcript marker that holds a compacted window
# How each role is named to a reader (the app's message headers, `show`, exports).
ROLE_NAMES = {"user": "You", "assistant": "Assistant", COMPACTION: "Compaction"}
_APPROVAL_ITEMS = ("mcp_list_tools", "mcp_approval_request", "mcp_approval_response")


def message_text(item: dict[str, Any]) -> str:
    """Concatenate the text parts of a message item (input_text, output_text, refusal)."""
    content = item.get("content")
    if isinstance(content, str):
        return content
    parts = []
    for part in content or []:
        if isinstance(part, dict):
            text = part.get("text")
            if text is None:
                text = part.get("refusal")
            if isinstance(text, str):
                parts.append(text)
    return "".join(parts)


def window(messages: list[MessageRow]) -> list[dict[str, Any]]:
    """The input items that carry a chat's context: everything since the last compaction."""
    from termchat.attachments import message_content  # not at import: the chat list (fork) needs none of it

    start = 0
    for index, row in enumerate(messages):
        if row.role == COMPACTION:
            start = index
    items: list[dict[str, Any]] = []
    for row in messages[start:]:
        if row.role == COMPACTION:
            items.extend(input_item(item) for item in row.items)
        elif row.role == "user":
            # Files sent with the prompt go again with it (see termchat.attachments).
            items.append({"role": "user", "content": message_content(row.content, row.attachments)})
        elif row.role == "assistant":
            # MCP approval round-trips must stay in context for a stateless server to continue them.
            items.extend(input_item(item) for item in row.items if item.get("type") in _APPROVAL_ITEMS)
            if row.content:
                items.append({"role": "assistant", "content": row.content})
    return items


def input_item(item: dict[str, Any]) -> dict[str, Any]:
    """Keep only the fields an input item may carry (the server adds status, ids...)."""
    if item.get("type") == "message":
        return {"role": item.get("role", "user"), "content": message_text(item)}
    if item.get("type") == "compaction":
        return {k: item[k] for k in ("type", "id", "encrypted_content") if k in item}
    return {k: v for k, v in item.items() if v is not None and k != "status"}


def starts_a_row(items: list[dict[str, Any]]) -> bool:
    """Whether `rows_from_items(items)` starts with a row of its own: its first item (system
    and developer messages aside, which make no row) is a user message or a compaction, not
    the rest of a reply whose start came before."""
    for item in items:
        if item.get("type") == "message" and item.get("role") in ("system", "developer"):
            continue
        return item.get("type") == "compaction" or (item.get("type") == "message" and item.get("role") == "user")
    return True


def rows_from_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rebuild transcript rows from server conversation items (oldest first)."""
    from termchat.attachments import records_from_parts

    rows: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for item in items:
        kind = item.get("type")
        if kind == "message" and item.get("role") in ("user", "system", "developer"):
            if item.get("role") != "user":
                continue
            current = None
            content = item.get("content")
            prompt, attachments = records_from_parts(content) if isinstance(content, list) else ("", [])
            if attachments:  # a prompt sent with files reads back as termchat stored it
                rows.append({"role": "user", "content": prompt, "attachments": attachments})
            else:
                rows.append({"role": "user", "content": message_text(item)})
            continue
        if kind == "compaction":
            current = None
            rows.append({"role": COMPACTION, "content": "", "items": [item]})
            continue
        if current is None:
            current = {"role": "assistant", "content": "", "items": []}
            rows.append(current)
        if kind == "message":
            current["content"] += message_text(item)
            if item.get("status") == "incomplete":
                current["status"] = "incomplete"
        else:
            current["items"].append(item)
    return rows
