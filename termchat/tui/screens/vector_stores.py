"""Pick file_search vector stores from the account's list: name, id, file count, size.

The list is loaded by a thread worker that posts `Loaded` / `Failed` back; names come from the
server, so they are shown as plain `Content` with control characters stripped. Dismisses with
the chosen ids (possibly none), or None when cancelled or the list could not be loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len, set_cell_size
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import Button, Label, SelectionList
from textual.widgets.selection_list import Selection

from termchat.sanitize import strip_control
from termchat.tui.compat.widgets import selection_mark_line

NAME_WIDTH = 24
ID_WIDTH = 36  # at most; real ids are `vs_` and 32 hex digits


def human_size(size: int) -> str:
    """`491520` -> `480 KB` (binary units, as the dashboard shows them)."""
    value = float(max(0, size))
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" or value >= 10 else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover - the loop always returns


def _fit(text: str, width: int) -> str:
    """`text` padded or cut (with an ellipsis) to exactly `width` terminal cells."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def store_label(store: dict[str, Any], id_width: int = ID_WIDTH) -> Content:
    """One row of the list: name, id, file count and size, in columns."""
    name = strip_control(str(store.get("name") or ""), keep_newlines=False).strip() or "(unnamed)"
    files = int((store.get("file_counts") or {}).get("total") or 0)
    size = human_size(int(store.get("usage_bytes") or 0))
    return Content.assemble(
        _fit(name, NAME_WIDTH),
        " ",
        (_fit(str(store["id"]), id_width), "dim"),
        f" {files:>5} file{'s' if files != 1 else ' '}  {size:>8}",
    )


def usable(store: dict[str, Any]) -> bool:
    """An id the tool panel can hold: printable, and no comma (the input's separator)."""
    ident = store.get("id")
    return (
        isinstance(ident, str)
        and bool(ident)
        and strip_control(ident) == ident
        and "," not in ident
        and not any(c.isspace() for c in ident)
    )


class Checklist(SelectionList[str]):
    """A SelectionList whose mark says selected (✔) or not (blank), like the tool panel's
    toggles: Textual's shows an X either way, told apart only by colour."""

    def render_line(self, y: int) -> Strip:
        return selection_mark_line(self, super().render_line(y), y)


class VectorStorePicker(ModalScreen[list[str] | None]):
    """Multi-select of the account's vector stores; the ids typed so far start selected."""

    BINDINGS = [
        Binding("enter", "confirm", "Use selected", priority=True, id="vector_stores_confirm"),
        Binding("escape", "cancel", "Cancel", id="dialog_cancel"),
    ]

    class Loaded(Message):
        def __init__(self, stores: list[dict[str, Any]]) -> None:
            super().__init__()
            self.stores = stores

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, api: Any, typed_ids: Iterable[str] = ()) -> None:
        super().__init__(classes="dialog-screen")
        self.api = api
        self.typed_ids = list(dict.fromkeys(typed_ids))
        self.loading_stores = True

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide vector-store-picker"):
            yield Label(Content("Vector stores for file_search"), classes="dialog-title")
            yield Label(Content("Loading the account's vector stores…"), id="vs-status")
            yield Checklist(id="vs-list")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Use selected", id="vs-use", variant="primary", compact=True, disabled=True)
                yield Button("Cancel", id="vs-cancel", compact=True)
            yield Label(Content("Space toggles · Enter uses the selection · Escape cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(SelectionList)
        options.loading = True
        options.focus()
        self._load()

    @work(thread=True, exclusive=True, group="vector-stores", exit_on_error=False)
    def _load(self) -> None:
        from termchat.errors import TermchatError

        try:
            stores = self.api.vector_stores()
        except TermchatError as exc:
            self.post_message(self.Failed(exc.one_line()))
        except Exception as exc:  # noqa: BLE001 - any failure is one line, never a traceback
            self.post_message(self.Failed(f"could not list vector stores: {exc}"))
        else:
            self.post_message(self.Loaded(stores))

    def on_vector_store_picker_failed(self, message: Failed) -> None:
        error = " ".join(strip_control(message.error).split())
        self.app.notify(error, title="vector stores", severity="error", markup=False, timeout=8)
        self.dismiss(None)

    def on_vector_store_picker_loaded(self, message: Loaded) -> None:
        stores = [s for s in message.stores if usable(s)]
        known = {s["id"] for s in stores}
        typed = set(self.typed_ids)
        # Ids typed by hand that the account does not list stay on offer (and selected), so that
        # confirming never drops them silently.
        selections = [
            Selection(
                Content.assemble(_fit("(typed, not listed)", NAME_WIDTH), " ", (strip_control(ident), "dim")),
                ident,
                True,
            )
            for ident in self.typed_ids
            if ident not in known
        ]
        id_width = min(ID_WIDTH, max((len(s["id"]) for s in stores), default=0))
        selections += [Selection(store_label(s, id_width), s["id"], s["id"] in typed) for s in stores]
        options = self.query_one(SelectionList)
        options.add_options(selections)
        if selections:
            options.highlighted = 0
        options.loading = False
        self.loading_stores = False
        self.query_one("#vs-use", Button).disabled = False
        if stores:
            status = f"{len(stores)} vector store{'s' if len(stores) != 1 else ''} in this account"
        else:
            status = "No vector stores in this account: create one on platform.openai.com"
        self.query_one("#vs-status", Label).update(Content(status))
        options.focus()

    def chosen(self) -> list[str]:
        """The selected ids, in list order."""
        options = self.query_one(SelectionList)
        selected = set(options.selected)
        return [
            options.get_option_at_index(i).value
            for i in range(options.option_count)
            if options.get_option_at_index(i).value in selected
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            # Enter on the Cancel button presses it; while loading there is nothing to use.
            return not self.loading_stores and not isinstance(self.focused, Button)
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "vs-use":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        if not self.loading_stores:
            self.dismiss(self.chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)
