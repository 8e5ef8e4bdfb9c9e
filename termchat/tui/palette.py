"""Command palette entries of the chat screen: every action of the command table, plus the
models, state modes and themes to switch to."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from termchat.tui.bindings import COMMANDS


def without_ours(system_commands: Iterable[Any]) -> Iterator[Any]:
    """Textual's own palette commands minus those termchat lists itself (Quit, Theme): each
    command once in the palette."""
    ours = {command.description for command in COMMANDS if command.palette}
    return (command for command in system_commands if command.title not in ours)


@runtime_checkable
class PaletteHost(Protocol):
    """What the palette needs of the screen it is opened on (the chat screen)."""

    theme_names: Sequence[str]

    def set_model(self, name: str) -> None: ...

    def set_mode(self, mode: str) -> None: ...


def _set_theme(app: Any, name: str) -> None:
    app.theme = name


class ChatCommands(Provider):
    def _entries(self) -> list[tuple[str, str, Callable[[], Any]]]:
        from termchat.config import MODELS, STATE_MODES

        app, screen = self.app, self.screen
        if not isinstance(screen, PaletteHost):
            return []
        entries: list[tuple[str, str, Callable[[], Any]]] = []
        for command in COMMANDS:
            if command.palette:
                target = app if command.app else screen
                if target.check_action(command.action.split("(")[0], ()) is False:
                    continue  # not now (Stop with no reply streaming): the keys say the same
                entries.append(
                    (
                        command.description if command.id != "stop" else "Stop reply",
                        command.help,
                        partial(app.run_action, command.action, target),
                    )
                )
        for model in MODELS:
            entries.append((f"Model: {model.name}", model.summary, partial(screen.set_model, model.name)))
        for mode in STATE_MODES:
            entries.append((f"State mode: {mode}", "How context is kept between turns", partial(screen.set_mode, mode)))
        for name in screen.theme_names:
            entries.append(
                (f"Theme: {name}", "Switch the colour theme (saved to the config)", partial(_set_theme, app, name))
            )
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
