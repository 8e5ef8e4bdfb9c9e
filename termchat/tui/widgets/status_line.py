"""One line at the bottom: model, state mode, chat id, tokens and cost, streaming state."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


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


class StatusLine(Static):
    """Plain text only: every part may come from the user or the server."""

    def show(self, *, model: str, mode: str, conversation_id: str | None, tokens: int,
             cost: float, streaming: bool = False, note: str = "") -> None:
        parts = [model, mode, f"{tokens:,} tokens", format_usd(cost), short_id(conversation_id)]
        if streaming:
            parts.append("streaming… (Esc stops)")
        if note:
            parts.append(note)
        self.update(Content(" " + "  ·  ".join(parts)))
