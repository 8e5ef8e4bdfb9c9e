"""Reading Textual's own code (a function's parameters, the names it calls) and a bare app to
mount widgets in: for the tests of termchat.tui.compat (tests/test_tui_compat_*.py)."""

from __future__ import annotations

import ast
import inspect
import textwrap

from textual.app import App, ComposeResult
from textual.widget import Widget


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def calls_in(function) -> set[str]:
    """The names of the methods and functions `function` calls (from its source)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = node.func
            names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


class Host(App[None]):
    """A bare app to mount one widget in."""

    def __init__(self, *widgets: Widget) -> None:
        super().__init__()
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self.widgets
