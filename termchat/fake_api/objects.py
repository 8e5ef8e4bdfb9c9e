"""The response object skeleton and usage blocks, shaped like the recordings."""

from __future__ import annotations

from typing import Any


def normalize_tools(tools: list[dict] | None) -> list[dict]:
    """Echo request tools with the defaults the real API fills in."""
    out = []
    for tool in tools or []:
        t = dict(tool)
        kind = t.get("type", "")
        if kind.startswith("web_search"):
            t.setdefault("filters", None)
            t.setdefault("search_context_size", "medium")
            t.setdefault(
                "user_location",
                {"type": "approximate", "city": None, "country": "US", "region": None, "timezone": None},
            )
        elif kind == "file_search":
            t.setdefault("filters", None)
            t.setdefault("max_num_results", 20)
            t.setdefault("ranking_options", {"ranker": "auto", "score_threshold": 0.0})
        elif kind == "function":
            t.setdefault("description", None)
            t.setdefault("parameters", {"type": "object", "properties": {}})
            t.setdefault("strict", True)
        out.append(t)
    return out


def base_response(
    request: dict, resp_id: str, created_at: float, *, background: bool, store: bool, conversation_id: str | None
) -> dict:
    """The response object skeleton (status/output/usage filled in later)."""
    from .tools import default_effort

    model = request.get("model") or "gpt-4o"
    reasoning = dict(request.get("reasoning") or {})
    reasoning.setdefault("effort", default_effort(model))
    reasoning.setdefault("summary", None)
    text = dict(request.get("text") or {})
    text.setdefault("format", {"type": "text"})
    text.setdefault("verbosity", "medium")
    resp: dict[str, Any] = {
        "id": resp_id,
        "object": "response",
        "created_at": int(created_at),
        "status": "in_progress",
        "background": background,
        "completed_at": None,
    }
    if conversation_id:
        resp["conversation"] = {"id": conversation_id}
    resp.update(
        {
            "error": None,
            "frequency_penalty": request.get("frequency_penalty", 0.0),
            "incomplete_details": None,
            "instructions": request.get("instructions"),
            "max_output_tokens": request.get("max_output_tokens"),
            "max_tool_calls": request.get("max_tool_calls"),
            "model": model,
            "moderation": None,
            "output": [],
            "parallel_tool_calls": request.get("parallel_tool_calls", True),
            "presence_penalty": request.get("presence_penalty", 0.0),
            "previous_response_id": request.get("previous_response_id"),
            "prompt_cache_key": request.get("prompt_cache_key"),
            "prompt_cache_retention": request.get("prompt_cache_retention"),
            "reasoning": reasoning,
            "safety_identifier": request.get("safety_identifier"),
            "service_tier": request.get("service_tier") or "auto",
            "store": store,
            "temperature": request.get("temperature", 1.0),
            "text": text,
            "tool_choice": request.get("tool_choice", "auto"),
            "tools": normalize_tools(request.get("tools")),
            "top_logprobs": request.get("top_logprobs", 0),
            "top_p": request.get("top_p", 1.0),
            "truncation": request.get("truncation") or "disabled",
            "usage": None,
            "user": request.get("user"),
            "metadata": request.get("metadata") or {},
        }
    )
    return resp


def usage(input_tokens: int, output_tokens: int, reasoning_tokens: int = 0, cached_tokens: int = 0) -> dict:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached_tokens},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }
