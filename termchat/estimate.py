"""`termchat --estimate -p TEXT`: the input tokens and input cost of a turn, before sending it.

The request is built as the turn would send it in the chat's state mode (its history in
`local` mode, the server conversation or previous response otherwise, plus instructions and
tools) and counted by `POST /responses/input_tokens`. No turn is sent and nothing is stored:
the chat is looked up locally only (never imported or synced), and flags that would change
it (--model, --state, --tool) apply to the estimate alone.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from termchat.errors import NotFoundError, UsageError
from termchat.pricing import apply_overrides, model_price
from termchat.usd import format_usd

# The request fields /responses/input_tokens takes; the rest (store, include, stream…) do not
# change what the input costs.
COUNTED_FIELDS = (
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "conversation",
    "previous_response_id",
    "reasoning",
    "text",
    "parallel_tool_calls",
    "truncation",
)


@dataclass(frozen=True)
class Estimate:
    model: str
    mode: str
    input_tokens: int
    input_usd: float | None  # at the uncached input price; None if the model has no price

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "estimate",
            "model": self.model,
            "mode": self.mode,
            "input_tokens": self.input_tokens,
            "input_usd": None if self.input_usd is None else round(self.input_usd, 9),
        }

    def line(self) -> str:
        cost = (
            f"{format_usd(self.input_usd)} input"
            if self.input_usd is not None
            else f"input cost unknown (no price for {self.model})"
        )
        return f"{self.input_tokens:,} input tokens, {cost} ({self.model}, {self.mode} mode)"


def counted_request(params: dict[str, Any]) -> dict[str, Any]:
    """A turn's request reduced to what the token count endpoint takes."""
    return {key: value for key, value in params.items() if key in COUNTED_FIELDS}


def estimate_turn(ctx: Any, args: argparse.Namespace, prompt: str) -> Estimate:
    from termchat.engine import TurnOptions
    from termchat.oneshot import _tool_settings, load_schema

    engine = ctx.engine(model=args.model, mode=args.state)
    conv = None
    if args.conversation:
        conv = ctx.store.lookup(args.conversation)
        if conv is None:
            raise NotFoundError(
                f"unknown conversation '{args.conversation}'",
                hint="--estimate counts chats this machine has; see `termchat list`",
            )
    elif args.continue_:
        conv = ctx.store.most_recent()
        if conv is None:
            raise UsageError("no chat to continue yet: start one with -p TEXT")
    session = engine.session(conv)  # no overrides here: they would be written to the chat
    session.mode = args.state or session.mode
    session.model = args.model or session.model
    session.settings.update(_tool_settings(ctx, args))
    options = TurnOptions()
    if args.schema:
        options.text_format = load_schema(args.schema)
    return estimate_session(ctx.api, session, prompt, options, ctx.config.pricing)


def estimate_session(
    api: Any,
    session: Any,
    prompt: str,
    options: Any = None,
    pricing: dict[str, Any] | None = None,
    *,
    timeout: float | None = None,
) -> Estimate:
    """Count `prompt` as `session` (an `engine.Session`, as the turn would run) would send it
    next, priced with the config's `[pricing]` overrides; nothing is saved or sent. `timeout`:
    one attempt bounded so (see `Api.count_input_tokens`)."""
    params = counted_request(session.estimate_request(prompt, options))
    tokens = api.count_input_tokens(params, timeout=timeout)
    price = model_price(session.model, apply_overrides(pricing))
    usd = tokens * price.input / 1e6 if price is not None else None
    return Estimate(session.model, session.mode, tokens, usd)


def run_estimate(ctx: Any, args: argparse.Namespace, prompt: str) -> int:
    """Print the estimate: one line on stdout, or a JSON object with --json."""
    estimate = estimate_turn(ctx, args, prompt)
    if args.json:
        from termchat.sanitize import safe_json

        sys.stdout.write(safe_json(estimate.to_json()) + "\n")
    else:
        from termchat.sanitize import strip_control

        sys.stdout.write(strip_control(estimate.line()) + "\n")
    return 0
