"""A finished response's usage and what it cost, as a reply records them."""

from __future__ import annotations

import re
from typing import Any

from termchat import events as ev
from termchat.pricing import token_count, turn_cost

# A model name as a server or a chat's metadata may report it; anything else is not shown.
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}")


def price(
    response: dict[str, Any], model: str, *, prompt_chooses_model: bool, overrides: dict[str, Any] | None, tier: str
) -> tuple[ev.Usage, dict[str, Any]] | None:
    """A response's usage with its cost (None: the price is unknown), and the reply's fields
    that record them; None if the server reported no usage. `model` is the chat's; the one the
    response ran on counts instead when a stored prompt chose it."""
    usage = _usage(response.get("usage"))
    if usage is None:
        return None
    raw_output = response.get("output")
    output = [i for i in raw_output if isinstance(i, dict)] if isinstance(raw_output, list) else []
    ran_on = response.get("model")
    if prompt_chooses_model and isinstance(ran_on, str) and MODEL_NAME.fullmatch(ran_on):
        model = ran_on
    cost, tools_usd = _turn_cost(model, response.get("usage"), output, overrides, tier)
    fields = {"usage": response.get("usage"), "cost_usd": cost, "model": model, "tools_usd": tools_usd}
    return ev.Usage(usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.reasoning_tokens, cost), fields


def _usage(raw: Any) -> ev.Usage | None:
    if not raw or not isinstance(raw, dict):
        return None
    details_in = raw.get("input_tokens_details")
    details_out = raw.get("output_tokens_details")
    details_in = details_in if isinstance(details_in, dict) else {}
    details_out = details_out if isinstance(details_out, dict) else {}
    return ev.Usage(
        token_count(raw.get("input_tokens")),
        token_count(raw.get("output_tokens")),
        token_count(details_in.get("cached_tokens")),
        token_count(details_out.get("reasoning_tokens")),
    )


def _turn_cost(
    model: str, usage: dict[str, Any] | None, output: list[dict[str, Any]], overrides: dict[str, Any] | None, tier: str
) -> tuple[float | None, float | None]:
    """The turn's total cost and its tool fees (each None if unknown)."""
    try:
        cost = turn_cost(model, usage, output, overrides=overrides, default_tier=tier)
    except (TypeError, ValueError, AttributeError):  # a usage object of the wrong shape
        return None, None
    return cost.total_usd, cost.tools_usd
