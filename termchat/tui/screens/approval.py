"""Ask whether an MCP server may run a tool: server, tool and arguments, Approve / Deny.

Everything shown comes from the server, so it is plain `Content` (no markup) with control
characters stripped. Dismisses with True (approve) or False (deny; also Escape).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from termchat.events import ApprovalRequested
from termchat.sanitize import strip_control

ARGUMENTS_LIMIT = 4000  # characters shown; the request itself is not changed


def pretty_arguments(arguments: str) -> str:
    """The call's JSON arguments indented when they parse, else as sent; control chars stripped."""
    try:
        text = json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        text = arguments or ""
    text = strip_control(text)
    if len(text) > ARGUMENTS_LIMIT:
        text = text[:ARGUMENTS_LIMIT] + "\n…"
    return text or "(no arguments)"


class ApprovalScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Approve", id="approval_approve"),
        Binding("n,escape", "answer(False)", "Deny", id="approval_deny"),
    ]

    def __init__(self, request: ApprovalRequested, *, chat: str = "", index: int = 1, count: int = 1) -> None:
        super().__init__(classes="dialog-screen")
        self.request = request
        self.chat = chat
        self.index = index
        self.count = count

    def compose(self) -> ComposeResult:
        request = self.request
        title = "Allow this MCP tool call?"
        if self.count > 1:
            title += f"  ({self.index} of {self.count})"
        rows: list[str | tuple[str, str]] = []
        for name, value in (("server", request.server_label), ("tool", request.tool_name), ("chat", self.chat)):
            if value:
                rows += [(f"{name:<8}", "dim"), strip_control(value, keep_newlines=False)[:200], "\n"]
        with Vertical(classes="dialog approval"):
            yield Label(Content(title), classes="dialog-title")
            yield Static(Content.assemble(*rows[:-1]), id="approval-what")
            yield Label(Content("arguments"), classes="approval-heading")
            with VerticalScroll(id="approval-args-scroll", can_focus=False):
                yield Static(Content(pretty_arguments(request.arguments)), id="approval-args")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Approve (y)", id="approve", variant="success", compact=True)
                yield Button("Deny (n)", id="deny", variant="error", compact=True)
            yield Label(Content("y approve · n or Esc deny · Tab next button"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#deny", Button).focus()  # a stray Enter must not approve

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "approve")

    def action_answer(self, approve: bool) -> None:
        self.dismiss(approve)


def ask_approvals(
    app: App[Any], requests: Sequence[ApprovalRequested], *, chat: str, done: Callable[[dict[str, bool]], Any]
) -> None:
    """One dialog per request, one after the other; then `done(decisions)` (request id ->
    approved), called later on the UI thread."""
    decisions: dict[str, bool] = {}

    def ask(index: int) -> None:
        if index == len(requests):
            app.call_later(done, decisions)
            return
        request = requests[index]

        def answered(approve: bool | None) -> None:
            decisions[request.request_id] = bool(approve)
            ask(index + 1)

        app.push_screen(ApprovalScreen(request, chat=chat, index=index + 1, count=len(requests)), answered)

    ask(0)
