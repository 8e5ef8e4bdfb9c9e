"""Command palette entries: every action of the bindings table, plus models, modes and themes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from termchat.tui.bindings import COMMANDS


class TermchatCommands(Provider):
    def _entries(self) -> list[tuple[str, str, Callable[[], Any]]]:
        from termchat.config import MODELS, STATE_MODES

        app: Any = self.app
        entries: list[tuple[str, str, Callable[[], Any]]] = []
        for command in COMMANDS:
            if command.palette:
                entries.append((command.description if command.id != "stop" else "Stop reply",
                                command.help, partial(app.run_action, command.action)))
        entries.append(("Undo delete", "Bring back the chat deleted last", partial(app.run_action, "undo_delete")))
        for model in MODELS:
            entries.append((f"Model: {model.name}", model.summary, partial(app.set_model, model.name)))
        for mode in STATE_MODES:
            entries.append((f"State mode: {mode}", "How context is kept between turns",
                            partial(app.set_mode, mode)))
        for name in app.termchat_theme_names:
            entries.append((f"Theme: {name}", "Switch the colour theme (saved to the config)",
                            partial(app.set_theme, name)))
        return entries

    async def discover(self) -> Hits:
        for name, help_text, callback in self._entries():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
