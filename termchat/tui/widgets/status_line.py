"""One line at the bottom, in words: model, reasoning effort (when set), state mode, context in
use (a bar), cost, a reply coming. The chat's ids and token totals are in its info (Shift+F2), not here."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from termchat.store import ConversationRow, MessageRow, Store
from termchat.usd import format_usd

CONTEXT_ROWS = 20  # newest messages searched for the last usage report


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


BAR_CELLS = 10
FULL_CONTEXT = 0.8  # from this share of the window on, the context bar is shown as a warning


def context_bar(used: int, window: int, cells: int = BAR_CELLS) -> str:
    """`███░░░░░░░`: the share of the model's context window in use."""
    filled = min(cells, int(cells * used / window + 0.5)) if window else 0
    if used and not filled:
        filled = 1  # something is in use: show it
    return "█" * filled + "░" * (cells - filled)


class StatusLine(Static):
    """The state of the chat in words: model, state mode, context in use, cost, and whether a
    reply is coming. Plain text only: every part may come from the user or the server.

    When the line is wider than the terminal, the parts take their short forms ("local" for
    "local mode", "ctx 12k/400k" without the bar), then a note, the mode and the model go (in
    that order): the context, the cost and "replying…" stay.
    """

    _parts: list[tuple[str | Content, str | Content, int]] = []  # (full, short, drop order: 0 never)
    _line: Content | None = None  # what the line shows now

    def show_chat(
        self,
        store: Store,
        conv: ConversationRow | None,
        *,
        model: str,
        mode: str,
        streaming: bool = False,
        note: str = "",
        effort: str | None = None,
        warning: str = "",
    ) -> None:
        """Show the figures of `conv` (None: a new chat) with `model`, `effort` and `mode`; `warning`
        (a budget nearly or wholly spent) stays on the line however narrow."""
        from termchat.config import model_info

        info = model_info(model)
        used = context_used(store.messages(conv, limit=CONTEXT_ROWS)) if conv else 0
        self.show(
            model=model,
            mode=mode,
            tokens=(conv.input_tokens + conv.output_tokens) if conv else 0,
            cost=conv.cost_usd if conv else 0.0,
            streaming=streaming,
            note=note,
            context=used,
            window=info.context_window if info else None,
            effort=effort,
            warning=warning,
        )

    def show(
        self,
        *,
        model: str,
        mode: str,
        tokens: int,
        cost: float | None,
        streaming: bool = False,
        note: str = "",
        context: int | None = None,
        window: int | None = None,
        conversation_id: str | None = None,
        effort: str | None = None,
        warning: str = "",
    ) -> None:
        """`conversation_id` and `tokens` are not shown (the chat's info has them, Shift+F2)."""
        if context is None:
            full_context = short_context = "context ?"
        else:
            amount = f"{short_tokens(context)} of {short_tokens(window)}" if window else short_tokens(context)
            full_context = Content(f"context {amount}")
            short_context = f"ctx {short_tokens(context)}" + (f"/{short_tokens(window)}" if window else "")
            if window:
                warn = context >= FULL_CONTEXT * window
                full_context = Content.assemble(
                    f"context {amount} ", (context_bar(context, window), "$warning" if warn else "$primary")
                )
        shown_cost = "cost unknown" if cost is None else format_usd(cost)
        parts: list[tuple[str | Content, str | Content, int]] = [(model, model, 3)]
        if effort:
            parts.append((f"{effort} effort", effort, 3))
        parts += [(f"{mode} mode", mode, 2), (full_context, short_context, 0), (shown_cost, shown_cost, 0)]
        if warning:
            styled = Content.assemble((warning, "$warning"))
            parts.append((styled, styled, 0))
        if streaming:
            parts.append(("replying… Esc stops", "replying…", 0))
        if note:
            parts.append((note, note, 1))
        self._parts = parts
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        width = self.size.width or 10_000
        line = Content("")
        for separator, short, dropped in (
            ("  ·  ", False, 0),
            (" · ", False, 0),
            (" · ", True, 0),
            (" · ", True, 1),
            (" · ", True, 2),
            (" · ", True, 3),
        ):
            texts = [s if short else f for f, s, order in self._parts if not order or order > dropped]
            line = Content(" ").append(
                Content(separator).join(t if isinstance(t, Content) else Content(t) for t in texts)
            )
            if line.cell_length <= width:
                break
        if self._line is not None and line.is_same(self._line):
            return  # a resize that changes nothing: no repaint, no layout
        self._line = line
        self.update(line, layout=False)  # one line high (app.tcss), whatever it says
