"""What a turn cost: the one price table, tool fees and `turn_cost`.

Prices are list prices in USD as published by OpenAI, checked on `PRICES_AS_OF`: per 1M tokens
for models, per 1k calls for hosted search tools, per container (session) for code interpreter.
They change; check them against https://openai.com/api/pricing and override them in the config
file (`[pricing.models."<name>"]`, `[pricing.tools]`) rather than trusting this table forever.
An unknown model costs "?" (None), never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from termchat.config import base_model_name
from termchat.tools import DEFAULT_MEMORY_TIER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping
    from typing import Any

__all__ = [
    "DEFAULT_PRICES",
    "FILE_SEARCH_STORAGE_NOTE",
    "PRICES_AS_OF",
    "Cost",
    "ModelPrice",
    "PriceTable",
    "apply_overrides",
    "container_price",
    "model_price",
    "token_count",
    "turn_cost",
]

PRICES_AS_OF = "2026-11-01"


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1M tokens."""

    input: float
    cached_input: float
    output: float


@dataclass(frozen=True)
class PriceTable:
    """Model prices by base model name, and hosted tool fees."""

    models: Mapping[str, ModelPrice]
    web_search_per_1k: float  # USD per 1,000 web_search calls
    file_search_per_1k: float  # USD per 1,000 file_search calls
    container_per_session: Mapping[str, float]  # code_interpreter: tools.MEMORY_TIERS -> USD
    as_of: str = PRICES_AS_OF


# List prices per 1M tokens (input / cached input / output) as published by OpenAI, to be
# checked against the pricing page and overridden in config when they change. One row per
# model in termchat.config.MODELS; dated snapshots ("gpt-4o-2024-08-06") use their base row.
DEFAULT_PRICES = PriceTable(
    models=MappingProxyType(
        {
            "gpt-5.2": ModelPrice(1.75, 0.175, 14.00),
            "gpt-5-mini": ModelPrice(0.25, 0.025, 2.00),
            "gpt-5-nano": ModelPrice(0.05, 0.005, 0.40),
            "gpt-4.1": ModelPrice(2.00, 0.50, 8.00),
            "gpt-4o": ModelPrice(2.50, 1.25, 10.00),
            "o4-mini": ModelPrice(1.10, 0.275, 4.40),
        }
    ),
    web_search_per_1k=10.00,
    file_search_per_1k=2.50,
    container_per_session=MappingProxyType({"1g": 0.03, "4g": 0.12, "16g": 0.48, "64g": 1.92}),
)

# Storage is billed per day by the vector store, not per turn: shown as a note, never added.
FILE_SEARCH_STORAGE_NOTE = "file_search storage: $0.10/GB/day after the first GB free"


@dataclass(frozen=True)
class Cost:
    """The cost of one turn (or a sum of turns) in USD; None where a price is unknown."""

    input_usd: float | None = 0.0  # cached and uncached input tokens
    output_usd: float | None = 0.0  # output tokens, reasoning included
    tools_usd: float | None = 0.0  # hosted tool calls and containers

    @property
    def total_usd(self) -> float | None:
        """The sum, or None if any part is unknown."""
        parts = (self.input_usd, self.output_usd, self.tools_usd)
        return None if None in parts else sum(parts)  # type: ignore[arg-type]

    @property
    def known(self) -> bool:
        """True if every part of the cost is known."""
        return self.total_usd is not None

    def __add__(self, other: Cost) -> Cost:
        def add(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else a + b

        return Cost(
            add(self.input_usd, other.input_usd),
            add(self.output_usd, other.output_usd),
            add(self.tools_usd, other.tools_usd),
        )


def apply_overrides(overrides: Mapping[str, Any] | None, base: PriceTable = DEFAULT_PRICES) -> PriceTable:
    """`base` with the config file's `[pricing]` overrides applied (as checked by config).

    `models.<name>` = {input, output, cached_input?} (USD per 1M tokens; cached_input defaults
    to the base row's cached rate, else to input); `tools` = {web_search, file_search (USD per
    1k calls), code_interpreter = {tier: USD per container}}.
    """
    if not overrides:
        return base
    models = dict(base.models)
    for name, row in (overrides.get("models") or {}).items():
        # An override for a dated snapshot applies to that snapshot only.
        old = models.get(name) or models.get(base_model_name(name))
        cached = row.get("cached_input", old.cached_input if old else row["input"])
        models[name] = ModelPrice(float(row["input"]), float(cached), float(row["output"]))
    tools = overrides.get("tools") or {}
    containers = dict(base.container_per_session)
    containers.update({tier: float(usd) for tier, usd in (tools.get("code_interpreter") or {}).items()})
    return PriceTable(
        models=MappingProxyType(models),
        web_search_per_1k=float(tools.get("web_search", base.web_search_per_1k)),
        file_search_per_1k=float(tools.get("file_search", base.file_search_per_1k)),
        container_per_session=MappingProxyType(containers),
        as_of=base.as_of,
    )


def model_price(model: str, prices: PriceTable = DEFAULT_PRICES) -> ModelPrice | None:
    """The price row of a model or of its dated snapshot; None if unknown."""
    return prices.models.get(model) or prices.models.get(base_model_name(model))


def _field(obj: Any, name: str) -> Any:
    """`obj[name]` for dicts, `obj.name` for SDK objects; None if absent."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def token_count(value: Any) -> int:
    """A token count from the server's usage; anything that is not a count reads as 0."""
    if isinstance(value, bool):
        return 0
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def container_price(tier: str, overrides: Mapping[str, Any] | None = None) -> float | None:
    """USD per code_interpreter container of a memory tier, with the config's `[pricing]`
    overrides applied; None for a tier with no price."""
    return apply_overrides(overrides).container_per_session.get(tier)


def turn_cost(
    model: str,
    usage: Mapping[str, Any] | None,
    output_items: Iterable[Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    containers: Mapping[str, str] | None = None,
    default_tier: str = DEFAULT_MEMORY_TIER,
    billed_containers: Collection[str] = (),
    prices: PriceTable | None = None,
) -> Cost:
    """The cost of one response from its `usage` and `output` items.

    Cached input tokens (usage.input_tokens_details.cached_tokens) are billed at the cached
    rate, the rest of the input at the input rate. Each `web_search_call` and `file_search_call`
    item is one call; each distinct `container_id` of `code_interpreter_call` items is one
    container at its tier (`containers[id]`, else `default_tier`), except ids listed in
    `billed_containers` (already paid for by an earlier turn of the same session). Items and
    usage may be dicts or SDK objects. Unknown model or missing usage: token costs are None.
    """
    table = prices or (apply_overrides(overrides) if overrides else DEFAULT_PRICES)
    price = model_price(model, table)

    input_usd: float | None = None
    output_usd: float | None = None
    if price is not None and usage is not None:
        input_tokens = token_count(_field(usage, "input_tokens"))
        cached = min(token_count(_field(_field(usage, "input_tokens_details"), "cached_tokens")), input_tokens)
        input_usd = ((input_tokens - cached) * price.input + cached * price.cached_input) / 1e6
        output_usd = token_count(_field(usage, "output_tokens")) * price.output / 1e6

    searches = file_searches = 0
    used_containers: dict[str | None, None] = {}
    for item in output_items or ():
        kind = _field(item, "type")
        if kind == "web_search_call":
            searches += 1
        elif kind == "file_search_call":
            file_searches += 1
        elif kind == "code_interpreter_call":
            container_id = _field(item, "container_id")
            if container_id not in billed_containers:
                used_containers[container_id] = None

    tools_usd: float | None = (searches * table.web_search_per_1k + file_searches * table.file_search_per_1k) / 1000
    for container_id in used_containers:
        tier = (containers or {}).get(container_id or "", default_tier)
        fee = table.container_per_session.get(tier)
        tools_usd = None if fee is None or tools_usd is None else tools_usd + fee
    return Cost(input_usd, output_usd, tools_usd)
