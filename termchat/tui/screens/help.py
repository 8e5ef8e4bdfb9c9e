"""Every key binding, as currently mapped (after `[keymap]`), with its id for remapping."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from termchat.tui.bindings import ALL_COMMANDS, display_keys

KEY_WIDTH = 14
ACTION_WIDTH = 34


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "close", "Close", id="help_close")]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__(classes="dialog-screen")
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label(Content("Key bindings"), classes="dialog-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Label(
                Content('Remap in config.toml:  [keymap]  new_chat = "f12"  ·  Escape closes'), classes="dialog-hint"
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Actions first after the key (what a reader scans for); long key lists wrap in their
        # column instead of pushing the action off an 80-column screen.
        table.add_column("key", width=KEY_WIDTH)
        table.add_column("action", width=ACTION_WIDTH)
        table.add_column("id")
        for command in ALL_COMMANDS:
            keys = self.keymap.get(command.id, command.key)
            table.add_row(Text(display_keys(keys)), Text(command.help), Text(command.id), height=None)
        table.add_row(
            Text(display_keys("ctrl+p")),
            Text("Command palette: every action by name"),
            Text("command_palette"),
            height=None,
        )
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
