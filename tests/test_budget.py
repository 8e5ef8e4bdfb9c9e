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


def test_at_100_percent_the_turn_is_refused_and_nothing_is_sent(run, env, spent, server):
    _budget(env, daily_usd=spent)
    requests = len(_turn_requests(server))
    result = run("-c", "-p", "one more?")
    assert result.code == 1
    line = result.one_error_line()
    assert "daily budget" in line and "not sent" in line and "--force" in line
    assert result.out == ""
    assert len(_turn_requests(server)) == requests
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


def test_deleting_a_chat_keeps_its_spend_against_the_budget(run, env, spent):
    """`rm` must not raise what is left of a budget: spending is kept in a ledger that outlives
    the chat (it was summed from the messages, which a delete removes)."""
    _budget(env, daily_usd=spent)
    chat = json.loads(run("list", "--json").out)[0]["id"]
    assert run("rm", chat).code == 0
    assert _spent(env) == pytest.approx(spent)
    refused = run("-p", "a new chat after the delete")
    assert refused.code == 1 and "daily budget" in refused.err


def test_a_refused_prompt_is_kept_as_an_unsent_turn_and_resent_with_force(run, env, spent):
    """A piped prompt refused by the budget is stored in its chat (as a turn the API refused
    would be), said so, and `--resend --force` sends it without piping it again."""
    _budget(env, daily_usd=spent)
    piped = "diff --git a/x b/x\n+a line only stdin had\n"
    refused = run("-c", "-p", "review this", stdin=piped)
    assert refused.code == 1 and refused.out == ""
    assert "daily budget" in refused.err and "not sent" in refused.err
    assert "--resend --force" in refused.err
    shown = json.loads(run("export", _last_id(run), "--format", "json").out)
    user, reply = shown["messages"][-2:]
    assert user["role"] == "user" and user["content"] == "review this\n\n" + piped
    assert reply["status"] == "failed" and "not sent" in reply["error"]
    assert _turns(run) == 1  # nothing was sent, nothing spent
    again = run("-c", "--resend")
    assert again.code == 1 and "daily budget" in again.err  # still refused without --force
    sent = run("-c", "--resend", "--force")
    assert sent.code == 0, sent.err
    assert "got no reply" not in sent.err  # it is being sent now
    assert sent.out.strip()
    assert _turns(run) == 2
    after = json.loads(run("export", _last_id(run), "--format", "json").out)["messages"]
    prompts = [m for m in after if m["role"] == "user" and m["content"].startswith("review this")]
    assert len(prompts) == 1  # resent, not stored twice
    assert after[-1]["role"] == "assistant" and after[-1]["status"] == "complete"
    assert not any(m.get("error", "").startswith("not sent") for m in after)


def test_resend_needs_a_prompt_that_was_not_sent(run, env, spent):
    result = run("-c", "--resend")
    assert result.code == 2 and "nothing to resend" in result.one_error_line()


def _last_id(run) -> str:
    return json.loads(run("list", "--json").out)[0]["id"]


def _turn_requests(server) -> list:
    """The requests that would send a turn (POST /v1/responses)."""
    return [r for r in server.requests if r.method == "POST" and r.endpoint == "responses"]


def test_continuing_past_an_unsent_prompt_says_it_got_no_reply(run, env, spent):
    _budget(env, daily_usd=spent)
    assert run("-c", "-p", "one more?").code == 1
    result = run("-c", "--force", "-p", "something else then")
    assert result.code == 0, result.err
    assert "termchat: note: the last prompt got no reply (not sent: " in result.err
    assert "interrupted" not in result.err
    resent = run("-c", "--resend", "--force")
    assert resent.code == 2 and "nothing to resend" in resent.one_error_line()


def test_a_refused_prompt_keeps_its_files_named_and_resend_asks_for_them(run, env, spent):
    _budget(env, daily_usd=spent)
    notes = env / "notes.txt"
    notes.write_text("the meeting notes\n")
    refused = run("-c", "-a", str(notes), "-p", "summarise the notes")
    assert refused.code == 1 and "not sent" in refused.err
    user = json.loads(run("export", _last_id(run), "--format", "json").out)["messages"][-2]
    assert user["content"] == "summarise the notes" and user["attachments"][0]["name"] == "notes.txt"
    without = run("-c", "--resend", "--force")
    assert without.code == 2 and "notes.txt" in without.one_error_line()
    sent = run("-c", "--resend", "--force", "-a", str(notes))
    assert sent.code == 0, sent.err
    assert _turns(run) == 2
