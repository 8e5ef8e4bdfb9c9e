"""What a turn sends: the Responses request built from a chat's state mode, settings and per-turn options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from termchat import history
from termchat.attachments import Attachment
from termchat.request_settings import apply_to_request
from termchat.store import STREAMING, ConversationRow, MessageRow

# Ask for the tool details termchat shows (search results, interpreter logs).
INCLUDES = {"file_search": "file_search_call.results", "code_interpreter": "code_interpreter_call.outputs"}


@dataclass
class TurnOptions:
    """Per-turn request settings beyond the chat's stored ones."""

    background: bool = False
    text_format: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)  # files sent with the prompt


@dataclass(frozen=True)
class RequestDefaults:
    """What the engine adds to every request: the config's instructions, MCP secrets, the
    model's reasoning summary and server-side compaction (its threshold in tokens, or None)."""

    instructions: str | None
    with_secrets: Callable[[dict[str, Any]], dict[str, Any]]
    reasoning: bool
    compact_threshold: int | None


def build_request(
    *,
    mode: str,
    model: str | None,
    settings: dict[str, Any],
    conv: ConversationRow | None,
    transcript: Callable[[], list[MessageRow]],
    new_items: list[dict[str, Any]],
    options: TurnOptions,
    defaults: RequestDefaults,
    unsaved: bool,
) -> dict[str, Any]:
    """The request of a turn sending `new_items` (`model` None: a stored prompt chooses it).
    `transcript` reads the chat's stored messages, for the modes that send the history."""
    params: dict[str, Any] = {}
    # A stored prompt brings its own model and instructions: only those the user gave on the
    # command line override them, never the config's defaults.
    prompt = settings.get("prompt")
    if model is not None:
        params["model"] = model
    instructions = settings.get("instructions") or (None if prompt else defaults.instructions)
    if instructions:
        params["instructions"] = instructions
    if mode == "conversation" and conv is not None and (conv.remote_id or not unsaved):
        params["conversation"] = conv.remote_id
        params["input"] = new_items
    elif mode == "chain" and conv is not None and conv.last_response_id:
        params["previous_response_id"] = conv.last_response_id
        params["input"] = new_items
        params["store"] = True
    else:
        messages = [m for m in transcript() if not (m.role == "assistant" and m.status == STREAMING)] if conv else []
        params["input"] = history.window(messages)
        if unsaved or new_items and new_items[0].get("type") == "mcp_approval_response":
            params["input"] += new_items
        params["store"] = mode == "chain" or options.background
    tools = settings.get("tools")
    if tools:
        params["tools"] = [defaults.with_secrets(tool) for tool in tools]
        include = [INCLUDES[t["type"]] for t in tools if t.get("type") in INCLUDES]
        if include:
            params["include"] = include
        if settings.get("tool_choice"):
            params["tool_choice"] = settings["tool_choice"]
    if settings.get("prompt"):
        params["prompt"] = settings["prompt"]
    if defaults.reasoning:
        params["reasoning"] = {"summary": "auto"}  # shown collapsed; never the raw chain
    if defaults.compact_threshold is not None:
        params["context_management"] = [{"type": "compaction", "compact_threshold": defaults.compact_threshold}]
    if options.text_format:
        params["text"] = {"format": options.text_format}
    apply_to_request(params, settings)  # effort, temperature, verbosity, ...
    if options.background:
        params["background"] = True
        params["store"] = True
    params.update(options.extra)
    return params
