"""Sampling and reasoning settings of a chat: `--effort`, `-o KEY=VALUE`, and model aliases.

A chat remembers them in its `settings` (one key each, like its tools): a continued chat sends
them again, a flag given with `-c` replaces that one key, and `-o KEY=` (empty) forgets it. The
engine turns them into the request with `apply_to_request`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from termchat.errors import UsageError

EFFORTS = ("minimal", "low", "medium", "high")
VERBOSITIES = ("low", "medium", "high")
MIN_OUTPUT_TOKENS = 16  # the API refuses fewer
# Every key `-o` takes, in the order they are listed and shown.
OPTION_KEYS = ("effort", "temperature", "top_p", "max_output_tokens", "verbosity")


def _number(key: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise UsageError(f"-o {key} must be a number from {low:g} to {high:g}, got {text!r}")
    return value


def _parse_value(key: str, text: str) -> Any:
    if key == "temperature":
        return _number(key, text, 0, 2)
    if key == "top_p":
        return _number(key, text, 0, 1)
    if key == "max_output_tokens":
        if not text.isascii() or not text.isdigit() or int(text) < MIN_OUTPUT_TOKENS:
            raise UsageError(
                f"-o max_output_tokens must be a whole number of at least {MIN_OUTPUT_TOKENS}, got {text!r}"
            )
        return int(text)
    choices = VERBOSITIES if key == "verbosity" else EFFORTS
    if text not in choices:
        raise UsageError(f"-o {key} must be one of {', '.join(choices)}, got {text!r}")
    return text


def parse_options(pairs: Sequence[str], effort: str | None = None) -> dict[str, Any]:
    """The settings `-o KEY=VALUE` flags (and `--effort`) give; None for a key means "forget it".

    A bad key or value is a `UsageError` naming what is allowed.
    """
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key:
            raise UsageError(f"-o must look like KEY=VALUE, got {pair!r}")
        if key not in OPTION_KEYS:
            raise UsageError(f"-o: unknown key {key!r} (choose from {', '.join(OPTION_KEYS)})")
        settings[key] = _parse_value(key, text) if text else None
    if effort is not None:
        if effort not in EFFORTS:
            raise UsageError(f"--effort must be one of {', '.join(EFFORTS)}, got {effort!r}")
        settings["effort"] = effort
    return settings


def apply_to_request(params: dict[str, Any], settings: Mapping[str, Any]) -> None:
    """Add a chat's stored settings to a request (`reasoning.effort`, `text.verbosity`, ...)."""
    for key in ("temperature", "top_p", "max_output_tokens"):
        if settings.get(key) is not None:
            params[key] = settings[key]
    if settings.get("effort"):
        params["reasoning"] = {**(params.get("reasoning") or {}), "effort": settings["effort"]}
    if settings.get("verbosity"):
        params["text"] = {**(params.get("text") or {}), "verbosity": settings["verbosity"]}


def describe(settings: Mapping[str, Any]) -> str:
    """The stored settings in one line ("effort high, temperature 0.2"), "" if none."""
    return ", ".join(
        f"{key} {settings[key]:g}" if isinstance(settings[key], float) else f"{key} {settings[key]}"
        for key in OPTION_KEYS
        if settings.get(key) is not None
    )


def resolve_model(name: str, aliases: Mapping[str, str]) -> str:
    """The model an alias from `[aliases]` stands for; other names as given."""
    return aliases.get(name.strip(), name.strip())
