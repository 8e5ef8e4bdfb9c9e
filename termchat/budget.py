"""Spending limits: `[budget] daily_usd` and `monthly_usd`, checked before a turn is sent.

Spending is what the stored replies cost (`Store.spent_since`), background jobs included once
their reply is stored. At WARN_SHARE of a limit a turn goes ahead with a warning; at the limit
it is refused unless forced. A day and a month are local time. Turns priced unknown cannot be
counted and are named in the message instead.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from termchat.errors import EXIT_API, TermchatError
from termchat.usd import format_usd

WARN_SHARE = 0.8


class BudgetExceeded(TermchatError):
    """A turn would go over a spent budget (exit 1, like a refusal by the API)."""

    exit_code = EXIT_API

    def __init__(self, message: str, *, period: str) -> None:
        super().__init__(message, hint=f"pass --force to send it anyway, or raise [budget] {period}_usd")
        self.period = period

    def kept_in(self, chat_id: str) -> BudgetExceeded:
        """The same refusal, saying where the prompt is kept and how to send it from there."""
        kept = BudgetExceeded(self.message, period=self.period)
        kept.hint = (
            f"the prompt is kept in {chat_id}: `termchat --conversation {chat_id} --resend "
            f"--force` sends it, or raise [budget] {self.period}_usd"
        )
        return kept


@dataclass(frozen=True)
class BudgetState:
    """One limit and what has been spent against it."""

    period: str  # "daily" or "monthly"
    limit_usd: float
    spent_usd: float
    unpriced_turns: int

    @property
    def share(self) -> float:
        return self.spent_usd / self.limit_usd

    @property
    def spent(self) -> bool:
        """The limit is reached: a turn is refused (or, in the app, asked about)."""
        return self.share >= 1

    def short(self) -> str:
        """For the app's status line: "daily budget 85%", "monthly budget spent"."""
        return f"{self.period} budget " + ("spent" if self.spent else f"{self.share:.0%}")

    def describe(self) -> str:
        since = "today" if self.period == "daily" else "this month"
        text = (
            f"{format_usd(self.spent_usd)} of the {self.period} budget of "
            f"{format_usd(self.limit_usd)} spent {since} ({self.share:.0%})"
        )
        if self.unpriced_turns:
            text += f"; {self.unpriced_turns} turns priced unknown are not counted"
        return text


def period_starts(now: float) -> dict[str, float]:
    """The local midnight starting today and the first of this month, as timestamps."""
    today = dt.datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"daily": today.timestamp(), "monthly": today.replace(day=1).timestamp()}


def budget_states(store: Any, budget: Any, now: float | None = None) -> list[BudgetState]:
    """The configured limits (`config.BudgetSettings`) with today's and this month's spending."""
    starts = period_starts(time.time() if now is None else now)
    states = []
    for period, limit in (("daily", budget.daily_usd), ("monthly", budget.monthly_usd)):
        if limit:
            spent, unpriced = store.spent_since(starts[period])
            states.append(BudgetState(period, limit, spent, unpriced))
    return states


def nearest_limit(store: Any, budget: Any, now: float | None = None) -> BudgetState | None:
    """The limit most spent, once at WARN_SHARE of it or more (what the app's status line
    warns of, and at 100% asks about before sending); None below that or with no limits."""
    near = [s for s in budget_states(store, budget, now) if s.share >= WARN_SHARE]
    return max(near, key=lambda s: s.share) if near else None


def check_budget(store: Any, budget: Any, *, force: bool = False, now: float | None = None) -> str | None:
    """Before a turn: raise BudgetExceeded if a limit is spent (unless `force`); return a
    warning line when one is at WARN_SHARE or more (or spent and forced), else None."""
    states = budget_states(store, budget, now)
    over = [s for s in states if s.share >= 1]
    if over and not force:
        state = over[0]
        raise BudgetExceeded(f"{state.describe()}; the turn was not sent", period=state.period)
    near = [s for s in states if s.share >= WARN_SHARE]
    if not near:
        return None
    state = max(near, key=lambda s: s.share)
    return state.describe() + ("; sending anyway (--force)" if state.share >= 1 else "")
