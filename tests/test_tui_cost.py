"""The app's cost guards (#21): the live estimate by the prompt, the budget in the status line
and its question before a send, and the usage screen; against a real FakeAPI on loopback."""

from __future__ import annotations

from termchat.tui.cost_watch import PROMPT_TITLE, UNAVAILABLE, EstimateCounted, LiveEstimate


class _Prompt:
    def __init__(self) -> None:
        self.text = ""
        self.border_title = PROMPT_TITLE


class _Timers:
    """`set_timer` that runs nothing by itself: the test fires the timers it wants."""

    def __init__(self) -> None:
        self.live: list[_Timers.Timer] = []

    class Timer:
        def __init__(self, callback) -> None:
            self.callback = callback
            self.stopped = False

        def stop(self) -> None:
            self.stopped = True

    def __call__(self, delay, callback):
        timer = self.Timer(callback)
        self.live.append(timer)
        return timer


def test_the_estimate_waits_for_typing_to_pause_and_counts_only_the_latest_text():
    prompt, timers, started = _Prompt(), _Timers(), []
    estimate = LiveEstimate(prompt, timers, started.append)
    for text in ("h", "he", "hel", "hello"):
        prompt.text = text
        estimate.changed(text)
    assert [t.stopped for t in timers.live] == [True, True, True, False]  # one count pending
    timers.live[-1].callback()
    assert started == ["hello"]
    estimate.counted(EstimateCounted("hel", "≈3 tokens in · $0.00"))  # an older text's count
    assert prompt.border_title == PROMPT_TITLE
    estimate.counted(EstimateCounted("hello", "≈5 tokens in · $0.0001"))
    assert str(prompt.border_title) == f"{PROMPT_TITLE} · ≈5 tokens in · $0.0001"
    prompt.text = ""
    estimate.changed("")  # sent, or cleared: no estimate, no count
    assert prompt.border_title == PROMPT_TITLE or str(prompt.border_title) == PROMPT_TITLE
    assert len(timers.live) == 4


def test_a_timer_for_text_since_changed_starts_no_count():
    prompt, timers, started = _Prompt(), _Timers(), []
    estimate = LiveEstimate(prompt, timers, started.append)
    prompt.text = "abc"
    estimate.changed("abc")
    prompt.text = "abcd"  # changed, its own event not yet handled
    timers.live[-1].callback()
    assert started == []
    estimate.counted(EstimateCounted("abcd", UNAVAILABLE))
    assert str(prompt.border_title) == f"{PROMPT_TITLE} · {UNAVAILABLE}"


# -- in the app, against the fake API ------------------------------------------------------------

import threading  # noqa: E402

from termchat.config import BudgetSettings  # noqa: E402
from termchat.fake_api import Reply  # noqa: E402
from termchat.tui.app import TermchatApp  # noqa: E402

from conftest import TUI_NOW  # noqa: E402

SIZE = (120, 40)
WAIT = 60.0  # seconds: a safety net for a hung test, never a timing assert


def make_app(ctx, **kwargs) -> TermchatApp:
    return TermchatApp(ctx, now=lambda: TUI_NOW, **kwargs)


async def wait_for(pilot, predicate, tries: int = 3000) -> None:
    """Let the app run until `predicate()` holds (bounded; no fixed sleeps)."""
    for _ in range(tries):
        try:
            if predicate():
                return
        except (IndexError, AttributeError):  # not mounted yet
            pass
        await pilot.pause(0.01)
    raise AssertionError("condition not reached")


def title(app) -> str:
    return str(app.chat_screen.prompt.border_title)


def counts(api) -> list:
    return [r for r in api.requests if r.endpoint == "input_tokens"]


def turns_sent(api) -> list:
    return [r for r in api.requests if r.endpoint == "responses"]


def spend(ctx, usd: float | None, *, created_at: float | None = None, model: str = "gpt-5.2") -> None:
    """A stored reply that cost `usd` (a chat of its own)."""
    conv = ctx.store.create_conversation(mode="local", model=model, title="spent")
    ctx.store.add_message(conv, "user", "q", created_at=created_at)
    ctx.store.add_message(
        conv, "assistant", "a", usage={"input_tokens": 1000, "output_tokens": 100}, cost_usd=usd, created_at=created_at
    )


async def test_the_estimate_counts_the_prompt_as_the_turn_would_send_it(tui_context, tui_api, tui_seed):
    ctx = tui_context()
    (conv,) = tui_seed(ctx.store, [("History", "local", [("user", "my name is Ada"), ("assistant", "Hi Ada")])])
    app = make_app(ctx, open_id=conv.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.chat_screen.conv is not None and app.chat_screen.pane.views)
        app.chat_screen.prompt.insert("what is my name?")
        await wait_for(pilot, lambda: "tokens in" in title(app))
        body = counts(tui_api)[-1].body
        assert body["model"] == "gpt-5.2"
        assert body["input"] == [
            {"role": "user", "content": "my name is Ada"},
            {"role": "assistant", "content": "Hi Ada"},
            {"role": "user", "content": "what is my name?"},
        ]
        assert "stream" not in body and "store" not in body
        assert title(app).startswith("Message · ≈") and "$" in title(app)
        assert turns_sent(tui_api) == []  # counted, never sent
        assert app.chat_screen.prompt.text == "what is my name?"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat_screen.prompt.text == "" and title(app) == "Message")
    assert [m.content for m in ctx.store.messages(ctx.store.reload(conv))][-2] == "what is my name?"


def fake_count(api, body) -> int:
    """What the fake answers /responses/input_tokens with for `body`."""
    store = api.store
    base, _ = store.base_context(body)
    return store.count_tokens(base + store.normalize_input(body.get("input")), body.get("instructions"))


async def test_typing_goes_on_while_an_estimate_is_held_and_a_stale_count_is_dropped(tui_context, tui_api):
    release, reached = threading.Event(), threading.Event()
    tui_api.script(Reply.waiting(release, "input_tokens", reached))
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"first")
        await wait_for(pilot, reached.is_set)
        await pilot.press(*" and a few more words")  # the held count is still on its way
        text = "first and a few more words"
        assert app.chat_screen.prompt.text == text
        release.set()

        def latest() -> dict:
            return counts(tui_api)[-1].body["input"][-1]

        await wait_for(
            pilot, lambda: latest() == {"role": "user", "content": text} and counts(tui_api)[-1].answered.is_set()
        )
        expected = f"≈{fake_count(tui_api, counts(tui_api)[-1].body):,} tokens in"
        await wait_for(pilot, lambda: expected in title(app))
        held = counts(tui_api)[0]
        assert held.body["input"][-1]["content"] != text and held.answered.is_set()
        assert fake_count(tui_api, held.body) != fake_count(tui_api, counts(tui_api)[-1].body)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert expected in title(app)  # the held count, answered meanwhile, did not replace it


async def test_a_failing_estimate_says_unavailable_and_nothing_else(tui_context, tui_api):
    tui_api.script(Reply.error(500, "boom", type="server_error", endpoint="input_tokens"))
    app = make_app(tui_context())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello")
        await wait_for(pilot, lambda: "estimate unavailable" in title(app))
        assert [n for n in app._notifications if n.severity == "error"] == []
        assert app.screen is app.chat_screen  # no dialog
        await pilot.press(*" there")  # the next pause counts again
        await wait_for(pilot, lambda: "tokens in" in title(app))


async def test_the_status_line_warns_from_80_percent_of_a_budget(tui_context):
    ctx = tui_context(budget=BudgetSettings(daily_usd=1.0))
    spend(ctx, 0.85)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "daily budget 85%" in str(app.chat_screen.query_one("#status").render()))


async def test_at_a_spent_budget_the_app_asks_and_keeps_the_prompt(tui_context, tui_api):
    from termchat.tui.screens.dialogs import Picker

    ctx = tui_context(budget=BudgetSettings(daily_usd=1.0))
    spend(ctx, 1.0)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "daily budget spent" in str(app.chat_screen.query_one("#status").render()))
        app.chat_screen.prompt.insert("one more question")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker))
        assert "daily budget" in app.screen.title_text and "Send anyway?" in app.screen.title_text
        await pilot.press("escape")  # cancel
        await wait_for(pilot, lambda: app.screen is app.chat_screen)
        assert app.chat_screen.prompt.text == "one more question"
        assert turns_sent(tui_api) == []
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker))
        await pilot.press("up", "enter")  # "Send anyway"
        await wait_for(
            pilot,
            lambda: (
                len(turns_sent(tui_api)) == 1
                and app.chat_screen.current_turn() is None
                and app.chat_screen.conv is not None
            ),
        )
        await app.workers.wait_for_complete()
        assert turns_sent(tui_api)[0].body["input"][-1]["content"] == "one more question"
        assert app.chat_screen.prompt.text == ""


async def test_a_background_send_at_a_spent_budget_is_asked_about_too(tui_context, tui_api):
    from termchat.tui.screens.dialogs import Picker

    ctx = tui_context(budget=BudgetSettings(monthly_usd=1.0))
    spend(ctx, 2.0)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        app.chat_screen.prompt.insert("a long report")
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker))
        assert "monthly budget" in app.screen.title_text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.chat_screen)
        assert app.chat_screen.prompt.text == "a long report" and turns_sent(tui_api) == []


async def test_the_usage_screen_shows_what_termchat_usage_shows_with_a_bar_per_day(tui_context):
    import datetime as dt

    from textual.widgets import DataTable

    from termchat.tui.screens.usage import BAR_CELLS, UsageScreen
    from termchat.usage_report import build_report, total_cells

    ctx = tui_context(budget=BudgetSettings(daily_usd=5.0))
    day1 = dt.datetime(2026, 1, 10, 12).timestamp()
    day2 = dt.datetime(2026, 1, 11, 12).timestamp()
    spend(ctx, 0.50, created_at=day1)
    spend(ctx, 0.25, created_at=day2)
    spend(ctx, None, created_at=day2, model="my-own-model")  # no price: never in the dollars
    with_unknown = ctx.store.turn_usage()
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("shift+f9")
        await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen))
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        notes = str(app.screen.query_one("#usage-notes").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.chat_screen)
    report = build_report(with_unknown, "day")
    assert [r[0] for r in rows] == ["2026-01-10", "2026-01-11", "total"]
    assert [tuple(r[1:-1]) for r in rows] == [total_cells(g.totals) for g in report.groups] + [
        total_cells(report.total)
    ]
    assert rows[0][-1] == "█" * BAR_CELLS  # the day that cost most
    assert rows[1][-1] == "█" * (BAR_CELLS // 2) + "░" * (BAR_CELLS // 2)
    assert rows[2][-1] == ""
    assert rows[1][-2].endswith("+?")  # the unpriced turn makes that day's sum a lower bound
    assert "1 turn priced unknown" in notes and "daily budget" in notes
