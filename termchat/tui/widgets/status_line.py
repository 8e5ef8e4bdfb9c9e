"""One line at the bottom: model, state mode, tokens, context size, cost, chat id, streaming state."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import Static

from termchat.store import MessageRow

CONTEXT_ROWS = 20  # newest messages searched for the last usage report


def format_usd(value: float) -> str:
    try:
        from termchat.pricing import format_usd as fmt
    except ImportError:  # pragma: no cover - pricing ships with the package
        return f"${value:.4f}"
    return fmt(value)


def short_id(ident: str | None, limit: int = 22) -> str:
    """`conv_0123456789…abcdef`: ids from the server are long; the start and end identify them."""
    if not ident:
        return "new chat"
    return ident if len(ident) <= limit else f"{ident[:13]}…{ident[-6:]}"


def context_used(rows: Sequence[MessageRow]) -> int | None:
    """Tokens in the model's window now: the newest reply's input + output, or, right after a
    compaction, the size of the compacted window (the compact call's output). None: unknown."""
    for row in reversed(rows):
        if not row.usage:
            continue
        if row.role == "compaction":
            return int(row.usage.get("output_tokens") or 0)
        if row.role == "assistant":
            return int(row.usage.get("input_tokens") or 0) + int(row.usage.get("output_tokens") or 0)
    return 0 if not rows else None


def short_tokens(count: int) -> str:
    """850, 1.2k, 12k, 400k, 1.0M: a token count in at most five characters."""
    for limit, unit in ((1_000_000, "M"), (1_000, "k")):
        if count >= limit:
            value = count / limit
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return str(count)


class StatusLine(Static):
    """Plain text only: every part may come from the user or the server.

    When the line is wider than the terminal, the chat id and then the token total are left out
    (in that order) so the context meter, cost and streaming state stay visible.
    """

    _parts: list[tuple[str, int]] = []  # (text, drop order: 0 never, higher first)

    def show(self, *, model: str, mode: str, conversation_id: str | None, tokens: int,
             cost: float | None, streaming: bool = False, note: str = "", context: int | None = None,
             window: int | None = None) -> None:
        ctx = "ctx " + ("?" if context is None else short_tokens(context))
        if window:
            ctx += f"/{short_tokens(window)}"
        shown_cost = "cost unknown" if cost is None else format_usd(cost)
        parts = [(model, 0), (mode, 0), (f"{tokens:,} tokens", 1), (ctx, 0), (shown_cost, 0),
                 (short_id(conversation_id), 2)]
        if streaming:
            parts.append(("streaming… (Esc stops)", 0))
        if note:
            parts.append((note, 0))
        self._parts = parts
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        width = self.size.width or 10_000
        text = ""
        for separator, drop in (("  ·  ", 3), (" · ", 3), (" · ", 2), (" · ", 1)):
            text = " " + separator.join(t for t, order in self._parts if not order or order < drop)
            if cell_len(text) <= width:
                break
        self.update(Content(text))
