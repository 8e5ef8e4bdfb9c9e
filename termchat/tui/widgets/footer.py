"""The footer: the keys worth knowing, as many as fit; never a key cut in half."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer

from termchat.tui.compat.widgets import CoalescedFooterRecompose

KEEP_LONGEST = ("quit", "help")  # actions shown to the last, however narrow the terminal


def _is_key(widget: Widget) -> bool:
    """A footer key (Textual's FooterKey, which has no public name): it shows a key_display."""
    return isinstance(getattr(widget, "key_display", None), str)


def _action(key: Any) -> str:
    """The key's action without its namespace ("app.quit" -> "quit")."""
    return str(key.action).rsplit(".", 1)[-1]


def _cells(key: Any) -> int:
    """Cells a compact footer key takes: key, a space, its description, and a space after it."""
    return cell_len(key.key_display) + (1 + cell_len(key.description) if key.description else 0) + 1


class KeyFooter(CoalescedFooterRecompose, Footer):
    """A compact `Footer` that leaves out keys (from the right, Quit and Help last) until the
    rest fits the terminal's width, instead of letting the palette key cover half a label."""

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        keys = [w for w in widgets if _is_key(w) and not w.has_class("-command-palette")]
        palette = [w for w in widgets if _is_key(w) and w.has_class("-command-palette")]
        room = self.app.size.width - sum(_cells(p) + 1 for p in palette)  # + its left rule
        dropped: set[int] = set()
        kept = [k for k in reversed(keys) if _action(k) in KEEP_LONGEST]
        order = [k for k in reversed(keys) if _action(k) not in KEEP_LONGEST] + kept
        for key in order:
            if sum(_cells(k) for k in keys if id(k) not in dropped) <= room:
                break
            dropped.add(id(key))
        self._fitted_width = self.app.size.width
        yield from (w for w in widgets if id(w) not in dropped)

    def on_resize(self) -> None:
        if self._bindings_ready and getattr(self, "_fitted_width", None) != self.app.size.width:
            self.call_after_refresh(self.recompose)
