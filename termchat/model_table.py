"""The model table: each model's context window, output limit, reasoning and one-line summary."""

from __future__ import annotations

import re
from dataclasses import dataclass


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
