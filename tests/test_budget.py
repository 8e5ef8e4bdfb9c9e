"""`[budget]`: a warning at 80% of a limit, a refused turn at 100%, `--force` to send anyway."""

from __future__ import annotations

import json

import pytest

from termchat.budget import period_starts


def _spent(env) -> float:
    """The exact USD the store holds (the report rounds)."""
    from termchat.store import Store

    with Store.in_dir(env / "data") as store:
        return store.spent_since(0)[0]


def _budget(env, **limits: float) -> None:
    lines = ["[budget]", *(f"{key} = {usd!r}" for key, usd in limits.items())]
    (env / "config.toml").write_text("\n".join(lines) + "\n")


def _turns(run) -> int:
    return json.loads(run("usage", "--json").out)["total"]["turns"]


@pytest.fixture
def spent(run, env):
    """One priced turn already sent; its cost in USD."""
    result = run("--model", "gpt-4o", "-p", "Hello, I am Ada.")
    assert result.code == 0, result.err
    usd = _spent(env)
    assert usd > 0
    return usd


def test_below_80_percent_says_nothing(run, env, spent):
    _budget(env, daily_usd=spent * 4)
    result = run("-c", "-p", "and now?")
    assert result.code == 0 and "budget" not in result.err


def test_at_80_percent_a_warning_line_and_the_turn_goes(run, env, spent):
    _budget(env, daily_usd=spent / 0.9)
    result = run("-c", "-p", "and now?")
    assert result.code == 0, result.err
    warning = [line for line in result.err.splitlines() if "budget" in line]
    assert len(warning) == 1
    assert warning[0].startswith("termchat: warning: ") and "daily budget" in warning[0]
    assert "(90%)" in warning[0]
    assert _turns(run) == 2


def test_at_100_percent_the_turn_is_refused_and_nothing_is_stored(run, env, spent):
    _budget(env, daily_usd=spent)
    before = run("list", "--json").out
    result = run("-c", "-p", "one more?")
    assert result.code == 1
    line = result.one_error_line()
    assert "daily budget" in line and "not sent" in line and "--force" in line
    assert result.out == ""
    assert run("list", "--json").out == before
    assert _turns(run) == 1


def test_the_monthly_limit_counts_too(run, env, spent):
    _budget(env, daily_usd=spent * 100, monthly_usd=spent)
    result = run("-p", "a new chat")
    assert result.code == 1 and "monthly budget" in result.one_error_line()


def test_force_sends_over_budget_with_a_warning(run, env, spent):
    _budget(env, daily_usd=spent)
    result = run("-c", "--force", "-p", "one more?")
    assert result.code == 0, result.err
    assert result.out.strip()
    assert "sending anyway (--force)" in result.err
    assert _turns(run) == 2


def test_background_jobs_count_and_are_refused_too(run, env):
    job = run("--model", "gpt-4o", "--background", "--wait", "-p", "write a long report")
    assert job.code == 0, job.err
    usd = _spent(env)
    assert usd > 0 and _turns(run) == 1  # the background reply's cost is in the spending
    _budget(env, daily_usd=usd)
    refused = run("--background", "-p", "another report")
    assert refused.code == 1 and "daily budget" in refused.one_error_line()


@pytest.mark.parametrize("value", ['"ten"', "-1", "0", "true"])
def test_a_bad_budget_is_one_config_line(run, env, value):
    (env / "config.toml").write_text(f"[budget]\ndaily_usd = {value}\n")
    result = run("-p", "hi")
    assert result.code == 2
    line = result.one_error_line()
    assert str(env / "config.toml") in line and "budget.daily_usd" in line


def test_a_day_starts_at_local_midnight_and_a_month_on_the_first():
    import datetime as dt

    now = dt.datetime(2026, 3, 17, 15, 30).timestamp()
    starts = period_starts(now)
    assert dt.datetime.fromtimestamp(starts["daily"]) == dt.datetime(2026, 3, 17)
    assert dt.datetime.fromtimestamp(starts["monthly"]) == dt.datetime(2026, 3, 1)
