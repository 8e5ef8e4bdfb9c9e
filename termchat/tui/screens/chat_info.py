"""A chat's particulars: its ids (to resume it anywhere), mode, model, tokens, cost, tools."""

from __future__ import annotations

import time
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from termchat.sanitize import safe_title, strip_control


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def info_rows(conv: Any, *, context: int | None, window: int | None) -> list[tuple[str, str]]:
    """(label, value) lines for `conv` (a ConversationRow); every value made safe to show."""
    from termchat.tools import tool_label
    from termchat.usd import format_usd

    tools = conv.settings.get("tools") or []
    rows = [
        ("title", safe_title(conv.title or "(untitled)", 200)),
        ("id", strip_control(conv.id, keep_newlines=False)),
    ]
    if conv.remote_id and conv.remote_id != conv.id:
        rows.append(("server conversation", strip_control(conv.remote_id, keep_newlines=False)))
    rows += [
        ("state mode", conv.mode),
        ("model", conv.model),
        ("started", _when(conv.created_at)),
        ("last activity", _when(conv.updated_at)),
        ("tokens", f"{conv.input_tokens:,} in · {conv.output_tokens:,} out"),
        ("context", "?" if context is None else f"{context:,}" + (f" of {window:,}" if window else "")),
        ("cost", "unknown (a model without a price)" if conv.cost_usd is None else format_usd(conv.cost_usd)),
        ("tools", strip_control(" · ".join(tool_label(t) for t in tools), keep_newlines=False) or "none"),
    ]
    return rows


class ChatInfo(ModalScreen[None]):
    """Escape (or Enter) closes."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="info_close")]

    def __init__(self, rows: list[tuple[str, str]], ident: str) -> None:
        super().__init__(classes="dialog-screen")
        self.rows = rows
        self.ident = strip_control(ident, keep_newlines=False)

    def compose(self) -> ComposeResult:
        width = max(len(label) for label, _ in self.rows)
        with Vertical(classes="dialog chat-info"):
            yield Label(Content("This chat"), classes="dialog-title")
            for label, value in self.rows:
                yield Static(Content.assemble((f"{label:<{width}}  ", "dim"), value), classes="info-row")
            yield Label(
                Content(
                    f"termchat --conversation {self.ident}   resumes it from any terminal\n"
                    f"termchat show {self.ident}   prints it · Escape closes"
                ),
                classes="dialog-hint",
            )

    def action_close(self) -> None:
        self.dismiss(None)


def show_chat_info(screen: Any, conv: Any) -> None:
    """Open the info dialog of `conv` (a ConversationRow) over `screen`."""
    from termchat.config import model_info
    from termchat.tui.widgets.status_line import CONTEXT_ROWS, context_used

    conv = screen.store.reload(conv)
    used = context_used(screen.store.messages(conv, limit=CONTEXT_ROWS))
    info = model_info(conv.model)
    screen.app.push_screen(
        ChatInfo(info_rows(conv, context=used, window=info.context_window if info else None), conv.id)
    )
