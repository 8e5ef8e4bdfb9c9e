"""Turn costs checked by hand: token rates, cached input, tool fees, unknown models, overrides."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from termchat.config import MODELS
from termchat.pricing import (
    DEFAULT_PRICES,
    FILE_SEARCH_STORAGE_NOTE,
    PRICES_AS_OF,
    Cost,
    apply_overrides,
    container_price,
    model_price,
    token_count,
    turn_cost,
)
from termchat.tools import DEFAULT_MEMORY_TIER, MEMORY_TIERS
from termchat.usd import format_usd


def usage(input_tokens: int, output_tokens: int, cached: int = 0) -> dict:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def test_every_model_in_the_model_table_has_a_price() -> None:
    assert PRICES_AS_OF == "2026-11-01"
    for model in MODELS:
        assert model_price(model.name) is not None, model.name


def test_gpt_5_2_turn_with_cached_input() -> None:
    # gpt-5.2: $1.75 in / $0.175 cached / $14.00 out per 1M tokens.
    # 10,000 input of which 4,000 cached, 2,000 output:
    #   uncached 6,000 * 1.75 / 1e6  = 0.0105
    #   cached   4,000 * 0.175 / 1e6 = 0.0007
    #   output   2,000 * 14.00 / 1e6 = 0.028
    #   total                          0.0392
    cost = turn_cost("gpt-5.2", usage(10_000, 2_000, cached=4_000), [])
    assert cost.input_usd == pytest.approx(0.0112)
    assert cost.output_usd == pytest.approx(0.028)
    assert cost.tools_usd == 0
    assert cost.total_usd == pytest.approx(0.0392)
    assert cost.known
    assert format_usd(cost.total_usd) == "$0.0392"


def test_gpt_5_mini_turn() -> None:
    # gpt-5-mini: $0.25 in / $2.00 out. 1,000,000 in + 500,000 out = 0.25 + 1.00 = $1.25
    cost = turn_cost("gpt-5-mini", usage(1_000_000, 500_000), [])
    assert cost.total_usd == pytest.approx(1.25)
    assert format_usd(cost.total_usd) == "$1.25"


def test_gpt_4o_all_cached() -> None:
    # gpt-4o: cached $1.25 per 1M. 2,048 input all cached, 0 output: 2,048 * 1.25 / 1e6 = 0.00256
    cost = turn_cost("gpt-4o", usage(2_048, 0, cached=2_048), [])
    assert cost.total_usd == pytest.approx(0.00256)


def test_cached_tokens_never_exceed_input_tokens() -> None:
    # A buggy server reports more cached than input: bill at most the input, all cached.
    # o4-mini cached $0.275: 100 * 0.275 / 1e6 = 0.0000275
    cost = turn_cost("o4-mini", usage(100, 0, cached=500), [])
    assert cost.input_usd == pytest.approx(0.0000275)


def test_tool_fees() -> None:
    items = [
        {"type": "web_search_call", "id": "ws_1", "status": "completed"},
        {"type": "web_search_call", "id": "ws_2", "status": "completed"},
        {"type": "file_search_call", "id": "fs_1", "queries": ["x"]},
        {"type": "code_interpreter_call", "id": "ci_1", "container_id": "cntr_a"},
        {"type": "code_interpreter_call", "id": "ci_2", "container_id": "cntr_a"},
        {"type": "code_interpreter_call", "id": "ci_3", "container_id": "cntr_b"},
        {"type": "message", "id": "msg_1", "content": []},
    ]
    # web_search 2 * $10/1k = 0.02; file_search 1 * $2.50/1k = 0.0025
    # containers: cntr_a at 4g = 0.12, cntr_b at the default 1g = 0.03   -> tools 0.1725
    cost = turn_cost("gpt-5-nano", usage(0, 0), items, containers={"cntr_a": "4g"})
    assert cost.tools_usd == pytest.approx(0.1725)
    assert cost.total_usd == pytest.approx(0.1725)

    # A container already billed earlier in the session is not billed again: 0.1725 - 0.12
    again = turn_cost("gpt-5-nano", usage(0, 0), items, containers={"cntr_a": "4g"}, billed_containers={"cntr_a"})
    assert again.tools_usd == pytest.approx(0.0525)

    # default tier argument: both containers at 16g = 2 * 0.48 + 0.0225
    big = turn_cost("gpt-5-nano", usage(0, 0), items, default_tier="16g")
    assert big.tools_usd == pytest.approx(0.9825)


def test_tool_fees_from_sdk_like_objects() -> None:
    items = [SimpleNamespace(type="web_search_call", id="ws_1")]
    u = SimpleNamespace(input_tokens=1_000, output_tokens=0, input_tokens_details=SimpleNamespace(cached_tokens=0))
    # gpt-4.1: 1,000 * 2.00 / 1e6 = 0.002, plus one search 0.01 = 0.012
    assert turn_cost("gpt-4.1", u, items).total_usd == pytest.approx(0.012)


def test_unknown_model_costs_question_mark_not_a_crash() -> None:
    cost = turn_cost("llama-3.1-8b-instruct", usage(1_000, 1_000), [{"type": "web_search_call"}])
    assert cost.input_usd is None and cost.output_usd is None
    assert cost.tools_usd == pytest.approx(0.01)
    assert cost.total_usd is None and not cost.known
    assert format_usd(cost.total_usd) == "?"


def test_missing_usage_is_unknown() -> None:
    assert not turn_cost("gpt-5.2", None, []).known


def test_unknown_container_tier_is_unknown() -> None:
    cost = turn_cost(
        "gpt-5.2", usage(0, 0), [{"type": "code_interpreter_call", "container_id": "c"}], default_tier="2g"
    )
    assert cost.tools_usd is None and not cost.known


def test_snapshot_names_use_their_base_model() -> None:
    assert model_price("gpt-4o-2024-08-06") == DEFAULT_PRICES.models["gpt-4o"]
    assert model_price("gpt-5.2-2025-12-11") == DEFAULT_PRICES.models["gpt-5.2"]
    # a different model is not a snapshot
    assert model_price("gpt-4o-mini") is None
    # gpt-4o snapshot: 1,000,000 output * $10 = $10.00
    assert turn_cost("gpt-4o-2024-08-06", usage(0, 1_000_000), []).total_usd == 10.0


def test_overrides() -> None:
    overrides = {
        "models": {
            "gpt-5.2": {"input": 2.0, "output": 16.0},  # cached keeps its table rate, 0.175
            "my-local-model": {"input": 0.1, "output": 0.2},  # cached defaults to input
        },
        "tools": {"web_search": 25.0, "code_interpreter": {"1g": 0.05}},
    }
    table = apply_overrides(overrides)
    assert table.models["gpt-5.2"].cached_input == 0.175
    assert table.models["my-local-model"].cached_input == 0.1
    assert DEFAULT_PRICES.models["gpt-5.2"].input == 1.75  # the default table is unchanged

    # gpt-5.2 overridden: 1,000 in * 2.0 + 1,000 out * 16.0 = 0.002 + 0.016 = 0.018
    # one web search at $25/1k = 0.025, one 1g container at 0.05            -> 0.093
    items = [{"type": "web_search_call"}, {"type": "code_interpreter_call", "container_id": "c"}]
    cost = turn_cost("gpt-5.2", usage(1_000, 1_000), items, overrides=overrides)
    assert cost.total_usd == pytest.approx(0.093)

    # my-local-model: 1,000,000 in * 0.1 + 1,000,000 out * 0.2 = 0.30
    local = turn_cost("my-local-model", usage(1_000_000, 1_000_000), [], overrides=overrides)
    assert local.total_usd == pytest.approx(0.30)


def test_override_for_a_snapshot_applies_to_that_snapshot_only() -> None:
    table = apply_overrides({"models": {"gpt-4o-2024-05-13": {"input": 5.0, "output": 15.0}}})
    assert model_price("gpt-4o-2024-05-13", table).input == 5.0
    assert model_price("gpt-4o-2024-08-06", table).input == 2.5


def test_costs_add_up_across_turns() -> None:
    total = Cost() + turn_cost("gpt-5.2", usage(1_000, 0), []) + turn_cost("gpt-5.2", usage(1_000, 0), [])
    assert total.total_usd == pytest.approx(0.0035)  # 2 * 1,000 * 1.75 / 1e6
    assert not (total + turn_cost("unknown", usage(1, 1), [])).known


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0.0042, "$0.0042"),
        (1.234, "$1.23"),
        (0.00001, "<$0.0001"),
        (0, "$0.00"),
        (0.5, "$0.50"),
        (0.042, "$0.042"),
        (1234.5, "$1,234.50"),
        (0.99999, "$1.00"),
        (None, "?"),
    ],
)
def test_format_usd(amount: float | None, text: str) -> None:
    assert format_usd(amount) == text


def test_storage_note_is_a_note() -> None:
    assert "$0.10/GB/day" in FILE_SEARCH_STORAGE_NOTE


def test_container_price_is_the_table_with_the_configs_overrides() -> None:
    assert set(DEFAULT_PRICES.container_per_session) == set(MEMORY_TIERS)
    assert container_price(DEFAULT_MEMORY_TIER) == 0.03 and container_price("4g") == 0.12
    assert container_price("4g", {"tools": {"code_interpreter": {"4g": 0.2}}}) == 0.2
    assert container_price("8g") is None


@pytest.mark.parametrize(
    "value,count",
    [
        (120, 120),
        (0, 0),
        (None, 0),
        (-5, 0),
        (True, 0),
        ("12", 12),
        (12.0, 12),
        ("many", 0),
        (float("nan"), 0),
        (float("inf"), 0),
        ([], 0),
    ],
)
def test_token_count_reads_anything_that_is_not_a_count_as_zero(value, count) -> None:
    assert token_count(value) == count
