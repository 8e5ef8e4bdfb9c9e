"""`termchat usage`: the report a user reads equals the sum of the turns the store holds."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from termchat import usage_report
from termchat.pricing import PRICES_AS_OF


def _stored_turns(env) -> list[tuple]:
    """(usage, cost_usd, tools_usd, model) of every reply with usage, read straight from SQLite."""
    db = sqlite3.connect(env / "data" / "termchat.db")
    try:
        rows = db.execute("SELECT usage, cost_usd, tools_usd, model FROM messages WHERE usage IS NOT NULL").fetchall()
    finally:
        db.close()
    return [(json.loads(u), cost, tools, model) for u, cost, tools, model in rows]


@pytest.fixture
def history(run):
    """Three priced turns (one with a web search) and two on a model with no price."""
    for argv in (
        ("--model", "gpt-4o", "-p", "Hello, I am Ada."),
        ("-c", "-p", "search the web for the latest news"),
        ("--model", "gpt-5-mini", "--state", "local", "-p", "What is 2 + 2?"),
        ("--model", "my-own-model", "-p", "hi there"),
        ("-c", "-p", "and again"),
    ):
        extra = ("--tool", "web_search") if "search" in argv[-1] else ()
        result = run(*argv, *extra)
        assert result.code == 0, result.err
    return run


def test_totals_equal_the_sum_of_stored_turns(history, env):
    result = history("usage", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    turns = _stored_turns(env)
    assert len(turns) == 5
    priced = [t for t in turns if t[1] is not None]
    total = report["total"]
    assert total["turns"] == 5
    assert total["input_tokens"] == sum(u["input_tokens"] for u, *_ in turns)
    assert total["output_tokens"] == sum(u["output_tokens"] for u, *_ in turns)
    assert total["cached_tokens"] == sum(u["input_tokens_details"]["cached_tokens"] for u, *_ in turns)
    assert total["reasoning_tokens"] == sum(u["output_tokens_details"]["reasoning_tokens"] for u, *_ in turns)
    assert total["cost_usd"] == pytest.approx(sum(t[1] for t in priced))
    assert total["tools_usd"] == pytest.approx(sum(t[2] for t in priced)) == pytest.approx(0.01)
    assert total["unpriced_turns"] == 2
    assert report["prices_as_of"] == PRICES_AS_OF


def test_unknown_prices_are_counted_apart_never_as_zero(history):
    by_model = json.loads(history("usage", "--json", "--by", "model").out)
    groups = {g["key"]: g for g in by_model["groups"]}
    assert set(groups) == {"gpt-4o", "gpt-5-mini", "my-own-model"}
    assert groups["my-own-model"]["cost_usd"] is None
    assert groups["my-own-model"]["unpriced_turns"] == 2 and groups["my-own-model"]["turns"] == 2
    assert groups["my-own-model"]["input_tokens"] > 0
    assert groups["gpt-4o"]["cost_usd"] > 0 and groups["gpt-4o"]["unpriced_turns"] == 0
    plain = history("usage", "--by", "model")
    assert plain.code == 0
    assert "2 turns priced unknown" in plain.out
    own = next(line for line in plain.out.splitlines() if line.startswith("my-own-model"))
    assert own.split()[-1] == "?" and "$0.00" not in own.split()[-1]
    total = next(line for line in plain.out.splitlines() if line.startswith("total"))
    assert total.split()[-1].endswith("+?")


def test_grouping_by_day_and_chat(history):
    by_day = json.loads(history("usage", "--json", "--by", "day").out)
    assert [g["key"] for g in by_day["groups"]] == [dt.date.today().isoformat()]
    assert by_day["groups"][0]["turns"] == 5
    by_chat = json.loads(history("usage", "--json", "--by", "chat").out)
    assert sorted(g["turns"] for g in by_chat["groups"]) == [1, 2, 2]
    assert all(g["title"] for g in by_chat["groups"])
    assert sum(g["input_tokens"] for g in by_chat["groups"]) == by_chat["total"]["input_tokens"]


def test_since_filters_and_a_bad_date_is_one_line(history):
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    later = json.loads(history("usage", "--json", "--since", tomorrow).out)
    assert later["total"]["turns"] == 0 and later["since"] == tomorrow
    today = json.loads(history("usage", "--json", "--since", dt.date.today().isoformat()).out)
    assert today["total"]["turns"] == 5
    bad = history("usage", "--since", "last tuesday")
    assert bad.code == 2
    assert "--since must be a date" in bad.one_error_line()


def test_an_empty_store_reports_zero_turns(run):
    result = run("usage")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1].split()[:2] == ["total", "0"]
    assert "priced unknown" not in result.out


def test_old_price_table_is_pointed_out(run, monkeypatch):
    as_of = dt.date.fromisoformat(PRICES_AS_OF)
    assert usage_report.stale_prices_note(as_of + dt.timedelta(days=90)) is None
    note = usage_report.stale_prices_note(as_of + dt.timedelta(days=91))
    assert note is not None and PRICES_AS_OF in note and "91 days old" in note
    monkeypatch.setattr(usage_report, "PRICES_AS_OF", "2020-01-01")
    result = run("usage", "--json")
    assert result.code == 0
    assert "termchat: note: the price table is from 2020-01-01" in result.err
    assert json.loads(result.out)["prices_stale"] is True


def test_replies_stored_before_the_model_column_take_their_chats_model(tmp_path):
    from termchat.store import _MIGRATIONS, Store

    path = tmp_path / "termchat.db"
    db = sqlite3.connect(path)
    for version in (1, 2):
        db.executescript(_MIGRATIONS[version])
    db.execute(
        "INSERT INTO conversations(id, title, mode, model, created_at, updated_at)"
        " VALUES ('tc_old', 'old chat', 'local', 'gpt-4o', 1, 1)"
    )
    db.execute(
        "INSERT INTO messages(conversation_pk, role, content, usage, cost_usd, created_at)"
        " VALUES (1, 'assistant', 'hi', '{\"input_tokens\": 10, \"output_tokens\": 2}', 0.5, 1)"
    )
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with Store(path) as store:
        report = usage_report.build_report(store.turn_usage(), "model")
    assert [(g.key, g.totals.turns, g.totals.cost_usd) for g in report.groups] == [("gpt-4o", 1, 0.5)]
    assert report.total.input_tokens == 10 and report.total.tools_usd == 0.0


def test_a_deleted_chat_keeps_its_turns_in_usage(history):
    before = json.loads(history("usage", "--json", "--by", "chat").out)
    doomed = next(g for g in before["groups"] if g["turns"] == 2 and g["cost_usd"] is not None)
    assert history("rm", doomed["key"]).code == 0
    after = json.loads(history("usage", "--json", "--by", "chat").out)
    assert after["total"] == before["total"]
    kept = next(g for g in after["groups"] if g["key"] == doomed["key"])
    assert kept["deleted"] is True and kept["title"] == doomed["title"]
    assert kept["cost_usd"] == doomed["cost_usd"]
    assert not any(g["deleted"] for g in after["groups"] if g["key"] != doomed["key"])
    plain = history("usage", "--by", "chat").out
    assert any(line.startswith(doomed["key"][:20]) and "(deleted)" in line for line in plain.splitlines())


def test_a_store_from_before_the_ledger_brings_its_spending_along(tmp_path):
    from termchat.store import _MIGRATIONS, SCHEMA_VERSION, Store, _statements

    path = tmp_path / "termchat.db"
    db = sqlite3.connect(path, isolation_level=None)
    for version in sorted(v for v in _MIGRATIONS if v <= 8):
        for statement in _statements(_MIGRATIONS[version]):
            db.execute(statement)
    db.execute("PRAGMA user_version = 8")
    db.execute(
        "INSERT INTO conversations(id, title, mode, model, created_at, updated_at)"
        " VALUES ('tc_old', 'old chat', 'local', 'gpt-4o', 1, 1)"
    )
    db.execute(
        "INSERT INTO messages(conversation_pk, role, content, usage, cost_usd, tools_usd, model,"
        " created_at) VALUES (1, 'assistant', 'hi', '{\"input_tokens\": 10}', 0.5, 0, 'gpt-4o', 5)"
    )
    db.close()
    with Store(path) as store:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.spent_since(0) == (0.5, 0)
        store.delete_conversation(store.get_conversation("tc_old"))
        assert store.spent_since(0) == (0.5, 0)
        [turn] = store.turn_usage()
    assert (turn.conversation_id, turn.title, turn.deleted, turn.model) == ("tc_old", "old chat", True, "gpt-4o")


def test_a_transcript_rebuilt_or_merged_counts_each_turn_once(run, env):
    """Sync moves stored rows (a copy, then a delete) and a re-import replaces the transcript:
    neither may count a turn twice, nor drop one."""
    from termchat.store import Store

    assert run("--model", "gpt-4o", "-p", "Hello, I am Ada.").code == 0
    with Store.in_dir(env / "data") as store:
        spent = store.spent_since(0)
        conv = store.most_recent()
        rows = store.messages(conv)
        store.splice_messages(conv, rows)  # every row moved to the end, as a merge does
        assert store.spent_since(0) == spent
        store.replace_messages(conv, [{"role": "user", "content": "Hello, I am Ada."}])
        assert store.spent_since(0) == spent
        assert len(store.turn_usage()) == 1


def test_a_compaction_is_priced_like_a_turn_of_its_model(run, env):
    """`/responses/compact` bills its tokens at the chat's model price: counted in the dollars
    and the budget, not as a turn priced unknown."""
    assert run("--model", "gpt-4o", "--state", "local", "-p", "Hello, I am Ada.").code == 0
    assert run("-c", "-p", "and a second turn").code == 0
    chat = json.loads(run("list", "--json").out)[0]
    compact = run("compact", chat["id"])
    assert compact.code == 0, compact.err
    report = json.loads(run("usage", "--json").out)["total"]
    assert report["turns"] == 3 and report["unpriced_turns"] == 0
    turns = _stored_turns(env)
    assert report["cost_usd"] == pytest.approx(sum(t[1] for t in turns))
    listed = json.loads(run("list", "--json").out)[0]
    assert listed["cost_usd"] == pytest.approx(report["cost_usd"], abs=1e-6)
