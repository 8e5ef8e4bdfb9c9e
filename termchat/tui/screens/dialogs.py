"""Small modal dialogs: a text prompt and a picker (and the model and state mode pickers).
Each returns its answer via `dismiss`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text (e.g. a new title); Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "", note: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.note = note  # a line of context under the title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self.title_text), classes="dialog-title")
            if self.note:
                yield Label(Content(self.note), classes="dialog-note")
            yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
            yield Label(Content("Enter to save · Escape to cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Picker(ModalScreen[str | None]):
    """Choose one of `choices`: (value, label) or (value, label, description) tuples; the
    current one is highlighted. Descriptions stand in a column of their own and wrap in it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel")]

    def __init__(
        self, title: str, choices: Sequence[tuple[str, str] | tuple[str, str, str]], current: str | None = None
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.choices = list(choices)
        self.current = current

    def _prompt(self, choice: tuple[str, ...]) -> Table | Content:
        if len(choice) < 3:
            return Content(choice[1])
        label_width = max(cell_len(c[1]) for c in self.choices)
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(width=label_width, no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(Text(choice[1]), Text(choice[2], style="dim"))
        return grid

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self.title_text), classes="dialog-title")
            yield OptionList(*[Option(self._prompt(choice), id=choice[0]) for choice in self.choices], id="picker")
            yield Label(Content("Enter to choose · Escape to cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current is not None:
            try:
                options.highlighted = options.get_option_index(self.current)
            except Exception:
                pass
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


CUSTOM_MODEL = "\x00custom"  # the picker's "Other model…" row (no model name starts with NUL)


def model_picker(current: str, served: Sequence[str] | None = None) -> Picker:
    """Pick the chat's model: from the server's list (`served`, as `termchat models` caches it),
    else the model table; the current one stays on offer, and the last row asks for any name
    (for servers whose models the table does not know)."""
    from termchat.config import MODELS, model_info

    if served:
        choices: list[tuple[str, str, str]] = []
        for name in served:
            info = model_info(name)
            choices.append((name, name, info.summary if info else ""))
    else:
        choices = [(m.name, m.name, m.summary) for m in MODELS]
    if current not in {choice[0] for choice in choices}:
        choices.insert(0, (current, current, "(current)"))
    else:
        choices = [(v, label, f"(current) {note}".strip() if v == current else note) for v, label, note in choices]
    choices.append((CUSTOM_MODEL, "Other model…", "type a model name or an alias"))
    return Picker("Model for this chat", choices, current)


EFFORT_LABELS = {
    "default": "the model's own (none sent)",
    "minimal": "fastest: little or no reasoning",
    "low": "quick answers",
    "medium": "balanced",
    "high": "most thorough, slowest",
}


def effort_picker(current: str | None) -> Picker:
    """Pick the chat's reasoning effort ("default": the model's own, none sent)."""
    from termchat.request_settings import EFFORTS

    choices = [(effort, effort, EFFORT_LABELS.get(effort, "")) for effort in ("default", *EFFORTS)]
    return Picker("Reasoning effort for this chat", choices, current or "default")


STATE_MODE_LABELS = {
    "conversation": "server keeps the conversation (Conversations API)",
    "chain": "previous_response_id chain, stored responses",
    "local": "full history sent each turn (stateless)",
}


def mode_picker(current: str) -> Picker:
    """Pick how the chat's context is kept between turns."""
    from termchat.config import STATE_MODES

    choices = [(m, m, STATE_MODE_LABELS.get(m, "")) for m in STATE_MODES]
    return Picker("State mode for this chat", choices, current)
