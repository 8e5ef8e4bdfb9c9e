"""Small modal dialogs: a text prompt and a picker (and the model and state mode pickers).
Each returns its answer via `dismiss`."""

from __future__ import annotations

from collections.abc import Sequence

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

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self.title_text), classes="dialog-title")
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
    """Choose one of `choices` ((value, label) pairs); the current one is highlighted."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], current: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.choices = list(choices)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self.title_text), classes="dialog-title")
            yield OptionList(*[Option(Content(label), id=value) for value, label in self.choices],
                             id="picker")
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


def model_picker(current: str) -> Picker:
    """Pick the chat's model from the model table (a model not in it stays on offer)."""
    from termchat.config import MODELS

    choices = [(m.name, f"{m.name:<12} {m.summary}") for m in MODELS]
    if current not in {m.name for m in MODELS}:
        choices.insert(0, (current, f"{current:<12} (current)"))
    return Picker("Model for this chat", choices, current)


STATE_MODE_LABELS = {"conversation": "server keeps the conversation (Conversations API)",
                     "chain": "previous_response_id chain, stored responses",
                     "local": "full history sent each turn (stateless)"}


def mode_picker(current: str) -> Picker:
    """Pick how the chat's context is kept between turns."""
    from termchat.config import STATE_MODES

    choices = [(m, f"{m:<13} {STATE_MODE_LABELS.get(m, '')}") for m in STATE_MODES]
    return Picker("State mode for this chat", choices, current)
