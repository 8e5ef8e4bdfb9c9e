"""`termchat usage`: tokens, tool fees and dollars summed from the stored turns.

A turn whose price was unknown when it ran (a model with no price row) keeps its tokens in the
sums but never adds $0 to the dollars: it is counted apart as "priced unknown". Dollars are
what each turn cost at its time (the stored figure), not today's prices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from termchat.errors import UsageError
from termchat.pricing import PRICES_AS_OF, token_count, turn_cost
from termchat.usd import format_usd

GROUPINGS = ("day", "model", "chat")
STALE_AFTER_DAYS = 90  # the price table's age after which `usage` says to check it


@dataclass
class UsageTotals:
    """Sums over some turns. `cost_usd` sums the priced ones; `unpriced_turns` counts the rest."""

    turns: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    tools_usd: float = 0.0
    cost_usd: float = 0.0
    unpriced_turns: int = 0

    def add(self, turn: Any) -> None:
        """Count one `store.TurnUsageRow`."""
        usage = turn.usage
        details_in = usage.get("input_tokens_details")
        details_out = usage.get("output_tokens_details")
        self.turns += 1
        self.input_tokens += token_count(usage.get("input_tokens"))
        self.cached_tokens += token_count(details_in.get("cached_tokens") if isinstance(details_in, dict) else 0)
        self.output_tokens += token_count(usage.get("output_tokens"))
        self.reasoning_tokens += token_count(
            details_out.get("reasoning_tokens") if isinstance(details_out, dict) else 0
        )
        if turn.cost_usd is None:
            self.unpriced_turns += 1
        else:
            self.cost_usd += turn.cost_usd
            self.tools_usd += _tool_fees(turn)

    @property
    def known_cost_usd(self) -> float | None:
        """The dollars, or None when no turn here had a price (never a made-up $0)."""
        return None if self.turns and self.unpriced_turns == self.turns else self.cost_usd

    def to_json(self) -> dict[str, Any]:
        cost = self.known_cost_usd
        return {
            "turns": self.turns,
            "input_tokens": self.input_tokens,
            "cached_tokens": self.cached_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "tools_usd": round(self.tools_usd, 9),
            "cost_usd": None if cost is None else round(cost, 9),
            "unpriced_turns": self.unpriced_turns,
        }


def _tool_fees(turn: Any) -> float:
    """The tool fees of a priced turn: as stored, else (older rows) from its tool-call items."""
    if turn.tools_usd is not None:
        return float(turn.tools_usd)
    if not turn.items:
        return 0.0
    fees = turn_cost(turn.model, None, turn.items).tools_usd
    return min(fees or 0.0, turn.cost_usd)


@dataclass
class UsageGroup:
    key: str
    title: str = ""  # the chat's title, for --by chat
    deleted: bool = False  # --by chat: the chat was deleted (its spending still counts)
    totals: UsageTotals = field(default_factory=UsageTotals)


@dataclass
class UsageReport:
    total: UsageTotals
    groups: list[UsageGroup]
    by: str | None
    since: str | None


def parse_since(text: str) -> tuple[float, str]:
    """`--since DATE` (YYYY-MM-DD, local midnight, or an ISO date-time) -> (timestamp, as given)."""
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since must be a date like 2026-01-31, got {text!r}") from None
    return when.timestamp(), text.strip()


def build_report(turns: list[Any], by: str | None = None, since: str | None = None) -> UsageReport:
    """Sum `store.turn_usage()` rows, overall and per day (local), model or chat."""
    total = UsageTotals()
    groups: dict[str, UsageGroup] = {}
    for turn in turns:
        total.add(turn)
        if by is None:
            continue
        if by == "day":
            key = dt.datetime.fromtimestamp(turn.created_at).date().isoformat()
        elif by == "model":
            key = turn.model
        else:
            key = turn.conversation_id
        group = groups.setdefault(
            key, UsageGroup(key, turn.title if by == "chat" else "", by == "chat" and turn.deleted)
        )
        group.totals.add(turn)
    ordered = sorted(groups.values(), key=lambda g: g.key) if by != "chat" else list(groups.values())
    return UsageReport(total, ordered, by, since)


def prices_age_days(today: dt.date | None = None) -> int:
    """How many days old the price table is."""
    return ((today or dt.date.today()) - dt.date.fromisoformat(PRICES_AS_OF)).days


def stale_prices_note(today: dt.date | None = None) -> str | None:
    """A one-line note when the price table is older than STALE_AFTER_DAYS, else None."""
    age = prices_age_days(today)
    if age <= STALE_AFTER_DAYS:
        return None
    return (
        f"the price table is from {PRICES_AS_OF} ({age} days old): check "
        "https://openai.com/api/pricing and override changed prices in [pricing]"
    )


def report_json(report: UsageReport, stale: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "since": report.since,
        "by": report.by,
        "prices_as_of": PRICES_AS_OF,
        "prices_stale": stale,
        "total": report.total.to_json(),
    }
    if report.by is not None:
        data["groups"] = [
            {
                "key": g.key,
                **({"title": g.title, "deleted": g.deleted} if report.by == "chat" else {}),
                **g.totals.to_json(),
            }
            for g in report.groups
        ]
    return data


HEADERS = ("turns", "input", "cached", "output", "reasoning", "tools", "cost")


def total_cells(totals: UsageTotals) -> tuple[str, ...]:
    """The cells of one row, in the order of HEADERS: turns, tokens, tool fees, dollars."""
    cost = format_usd(totals.known_cost_usd)
    if totals.unpriced_turns and totals.known_cost_usd is not None:
        cost += "+?"  # some of these turns have no price: the sum is a lower bound
    return (
        f"{totals.turns:,}",
        f"{totals.input_tokens:,}",
        f"{totals.cached_tokens:,}",
        f"{totals.output_tokens:,}",
        f"{totals.reasoning_tokens:,}",
        format_usd(totals.tools_usd),
        cost,
    )


def report_lines(report: UsageReport) -> list[str]:
    """The plain-text table: one row per group, then the total, then the unpriced count."""
    from termchat.sanitize import safe_title

    rows = [
        (
            safe_title(g.key, 40)
            + (f"  {safe_title(g.title, 30)}" if g.title else "")
            + ("  (deleted)" if g.deleted else ""),
            total_cells(g.totals),
        )
        for g in report.groups
    ]
    rows.append(("total", total_cells(report.total)))
    label = {"day": "day", "model": "model", "chat": "chat"}.get(report.by or "", "")
    key_width = max(len(label), *(len(key) for key, _ in rows))
    widths = [max(len(h), *(len(cells[i]) for _, cells in rows)) for i, h in enumerate(HEADERS)]
    lines = ["  ".join([label.ljust(key_width), *(h.rjust(w) for h, w in zip(HEADERS, widths, strict=True))])]
    lines += [
        "  ".join([key.ljust(key_width), *(c.rjust(w) for c, w in zip(cells, widths, strict=True))])
        for key, cells in rows
    ]
    if report.total.unpriced_turns:
        n = report.total.unpriced_turns
        lines.append(
            f"{n} turn{'s' if n != 1 else ''} priced unknown (tokens counted, "
            "not in the dollars; give the model a price in [pricing])"
        )
    return [line.rstrip() for line in lines]
