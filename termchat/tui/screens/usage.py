"""The usage screen: what `termchat usage --by day` prints, with a bar per day, and the budgets.

Figures come from `usage_report` (the same sums as the command, from the store's spend ledger,
deleted chats included); a day whose turns all lack a price shows "?" and no bar, never $0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from termchat.usage_report import HEADERS, UsageReport, UsageTotals, build_report, stale_prices_note, total_cells

BAR_CELLS = 20


def day_bar(totals: UsageTotals, most_usd: float, cells: int = BAR_CELLS) -> str:
    """`████████░░░░`: a day's dollars against the most spent on one day; "" when unpriced."""
    cost = totals.known_cost_usd
    if cost is None or most_usd <= 0:
        return ""
    filled = min(cells, round(cells * cost / most_usd))
    if cost > 0 and not filled:
        filled = 1  # something was spent: show it
    return "█" * filled + "░" * (cells - filled)


def table_rows(report: UsageReport) -> list[tuple[str, ...]]:
    """A row per day as `termchat usage --by day` prints it, with its bar; the total last."""
    most = max((g.totals.known_cost_usd or 0.0 for g in report.groups), default=0.0)
    rows = [(g.key, *total_cells(g.totals), day_bar(g.totals, most)) for g in report.groups]
    return [*rows, ("total", *total_cells(report.total), "")]


class UsageScreen(ModalScreen[None]):
    """Tokens, tool fees and dollars by day, the turns priced unknown, and the budgets' state."""

    BINDINGS = [Binding("escape", "close", "Close", id="usage_close")]

    def __init__(self, store: Any, budget: Any, *, now: Callable[[], float] = time.time) -> None:
        super().__init__(classes="dialog-screen")
        self.store = store
        self.budget = budget  # config.BudgetSettings
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label(Content("Usage by day"), classes="dialog-title")
            yield DataTable(id="usage-table", cursor_type="row", zebra_stripes=False)
            yield Static(id="usage-notes", classes="dialog-note")
            yield Label(Content("Escape close · termchat usage --by model|chat for more"), classes="dialog-hint")

    def on_mount(self) -> None:
        from termchat.budget import budget_states

        report = build_report(self.store.turn_usage(), "day")
        table = self.query_one(DataTable)
        table.add_columns("day", *HEADERS, "")
        for day, *figures, bar in table_rows(report):
            table.add_row(Text(day), *(Text(cell, justify="right") for cell in figures), Text(bar))
        notes = []
        if report.total.unpriced_turns:
            count = report.total.unpriced_turns
            notes.append(
                f"{count} turn{'s' if count != 1 else ''} priced unknown: their tokens are "
                "counted, not their dollars (give the model a price in [pricing])"
            )
        notes += [state.describe() for state in budget_states(self.store, self.budget, self.now())]
        stale = stale_prices_note()
        if stale:
            notes.append(stale)
        if not self.budget.daily_usd and not self.budget.monthly_usd:
            notes.append("no budget set ([budget] daily_usd, monthly_usd in the config)")
        self.query_one("#usage-notes", Static).update(Content("\n".join(notes)))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
