"""Background jobs: status and age of each, cancel one, or open its chat."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from termchat.sanitize import safe_title
from termchat.store import JobRow, Store
from termchat.tui.job_watch import elapsed


def short_id(ident: str, keep: int = 10) -> str:
    """`resp_0123456789…abcdef`: ids are long, the start and the end tell them apart."""
    return ident if len(ident) <= 2 * keep + 1 else f"{ident[: keep + 5]}…{ident[-keep:]}"


class JobsScreen(ModalScreen[str | None]):
    """Dismisses with a conversation id to open, or None. `engine()` gives a worker thread an
    engine with its own store connection."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="jobs_close"),
        Binding("c", "cancel_job", "Cancel job", id="jobs_cancel"),
        Binding("r", "refresh", "Refresh", id="jobs_refresh"),
        Binding("o", "open_job", "Open chat", id="jobs_open"),
    ]

    class Refreshed(Message):
        """A worker asked the server about the jobs (the store has their status); `notes`: what
        to say, one line each."""

        def __init__(self, notes: list[str], severity: str = "warning") -> None:
            super().__init__()
            self.notes = notes
            self.severity = severity

    def __init__(
        self, store: Store, engine: Callable[[], Any], *, api: Any = None, now: Callable[[], float] = time.time
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.store = store
        self.engine = engine
        self.api = api  # the API this app talks to (None: none configured)
        self.now = now
        self.jobs: list[JobRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label(Content("Background jobs"), classes="dialog-title")
            yield DataTable(id="jobs-table", cursor_type="row")
            yield Label(Content("Enter/o open chat · c cancel · r refresh · Escape close"), classes="dialog-hint")
            yield Static(
                Content(
                    "Background jobs are stored on the server (store=true), so they are not "
                    "Zero Data Retention compatible; results are kept about 10 minutes."
                ),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("status", "elapsed", "chat", "job")
        self.show_jobs()
        table.focus()
        self.action_refresh()

    def show_jobs(self) -> None:
        self.jobs = self.store.jobs()
        table = self.query_one(DataTable)
        table.clear()
        now = self.now()
        store = self.store
        from termchat.background import on_this_server

        for job in self.jobs:
            conv = store.get_conversation(job.conversation_id) if job.conversation_id else None
            chat = safe_title(conv.title or conv.id, 40) if conv else "(deleted)"
            # Status and id came from a server: shown without their escape sequences.
            status = safe_title(job.status, 20)
            if self.api is not None and not on_this_server(self.api, job):
                status += " (other server)"
            table.add_row(
                Text(status),
                Text(elapsed(now - job.created_at)),
                Text(chat),
                Text(short_id(safe_title(job.response_id, 200))),
                key=job.response_id,
            )
        if not self.jobs:
            table.add_row(Text("no background jobs yet: Ctrl+G sends the prompt as one"), "", "", "")

    def _selected(self) -> JobRow | None:
        table = self.query_one(DataTable)
        if not self.jobs or table.cursor_row is None or table.cursor_row >= len(self.jobs):
            return None
        return self.jobs[table.cursor_row]

    @work(thread=True, exclusive=True, group="jobs-refresh")
    def action_refresh(self) -> None:
        from termchat import background

        engine = self.engine()
        try:
            problems = background.refresh(engine)
        except Exception as exc:  # the list still shows what the store knows
            from termchat.redact import redact

            problems = [f"could not refresh jobs: {redact(str(exc))}"]
        finally:
            engine.store.close()
        self.post_message(self.Refreshed(list(problems)))

    def on_jobs_screen_refreshed(self, message: Refreshed) -> None:
        for note in message.notes:
            self.notify(note, severity=message.severity, markup=False)
        self.show_jobs()

    def action_cancel_job(self) -> None:
        job = self._selected()
        if job is not None:
            self._cancel(job.response_id)

    @work(thread=True, group="jobs-cancel")
    def _cancel(self, job_id: str) -> None:
        from termchat import background
        from termchat.errors import TermchatError

        engine = self.engine()
        try:
            status = background.cancel(engine, job_id)
            note, severity = safe_title(f"job {job_id}: {status}", 200), "information"
        except TermchatError as exc:
            note, severity = exc.one_line(), "error"
        finally:
            engine.store.close()
        self.post_message(self.Refreshed([note], severity))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_job()

    def action_open_job(self) -> None:
        job = self._selected()
        if job is not None and job.conversation_id:
            self.dismiss(job.conversation_id)

    def action_close(self) -> None:
        self.dismiss(None)
