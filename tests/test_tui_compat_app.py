"""termchat.tui.compat.app: each use of Textual's private API for the app still finds what
it relies on.

A failure here after a Textual upgrade names the compat entry to revisit (see its docstring).
"""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App
from textual.widget import Widget
from textual.widgets import Static
from textual_probe import Host, calls_in, parameters

from termchat.tui.compat import WRITTEN_AGAINST
from termchat.tui.compat.app import (
    app_is_closing,
    handle_queued_first,
    parse_css_when_needed,
    route_key,
    set_theme_before_first_css,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_pinned_below_the_next_major_version():
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"textual>=8.2.7,<9"' in pyproject  # WRITTEN_AGAINST is an 8.x release
    assert WRITTEN_AGAINST.startswith("8.")


# -- App ---------------------------------------------------------------------------------------


async def test_app_is_closing_follows_exit():
    app = Host()
    for name in ("_exit", "_closing", "_closed"):
        assert hasattr(app, name), name
    async with app.run_test() as pilot:
        await pilot.pause()
        assert not app_is_closing(app)
        app.exit()
        assert app_is_closing(app)  # at once, before the app has closed
    assert app_is_closing(app)


def test_the_app_routes_a_terminal_key_as_route_key_does():
    from textual.app import App as TextualApp

    assert parameters(TextualApp._check_bindings) == ["self", "key", "priority"]
    assert parameters(Widget._forward_event) == ["self", "event"]
    assert {"_check_bindings", "_forward_event"} <= calls_in(TextualApp.on_event)


class Typed(Static, can_focus=True):
    """Records the keys it receives."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keys: list[str] = []

    def on_key(self, event: events.Key) -> None:
        self.keys.append(event.key)


async def test_route_key_runs_priority_bindings_else_forwards_to_the_focused_widget():
    from textual.binding import Binding

    class Routing(Host):
        BINDINGS = [Binding("ctrl+o", "to_second", priority=True)]

        def action_to_second(self) -> None:
            self.screen.set_focus(self.widgets[1])

    first, second = Typed(id="first"), Typed(id="second")
    app = Routing(first, second)
    async with app.run_test() as pilot:
        app.screen.set_focus(first)
        await pilot.pause()
        await route_key(app, events.Key("a", "a"))
        await pilot.pause()
        assert first.keys == ["a"] and second.keys == []
        await route_key(app, events.Key("ctrl+o", "\x0f"))  # the binding takes it
        assert app.focused is second
        await route_key(app, events.Key("b", "b"))
        await pilot.pause()
        assert first.keys == ["a"] and second.keys == ["b"]


async def test_handle_queued_first_waits_for_what_is_already_queued():
    from textual._context import active_message_pump

    assert active_message_pump.name == "active_message_pump"
    typed = Typed()
    app = Host(typed)
    async with app.run_test() as pilot:
        await pilot.pause()
        for key in "abc":
            typed.post_message(events.Key(key, key))
        assert typed.keys == []
        await handle_queued_first(typed)
        assert typed.keys == ["a", "b", "c"]

        # What tells its own task (where waiting on its own queue would never end) from others:
        running: list[object] = []
        typed.call_later(lambda: running.append(active_message_pump.get(None)))
        await handle_queued_first(typed)
        assert running == [typed] and active_message_pump.get(None) is not typed


def test_set_theme_before_first_css_copies_what_the_theme_watcher_does():
    # The copy leaves out only the CSS re-parse; a new step in Textual's watcher must be
    # reviewed (and copied, or left out on purpose).
    assert calls_in(App._watch_theme) == {
        "update_classes",
        "_refresh_truecolor_filter",
        "_invalidate_css",
        "call_next",
        "partial",
        "startswith",
    }
    assert parameters(App._refresh_truecolor_filter) == ["self", "theme"]


async def test_set_theme_before_first_css_paints_the_theme():
    class Themed(Host):
        def __init__(self) -> None:
            super().__init__(Static("x", id="x"))
            set_theme_before_first_css(self, "textual-light")

    app = Themed()
    assert app.theme == "textual-light" and app.has_class("-theme-textual-light", "-light-mode")
    async with app.run_test() as pilot:
        await pilot.pause()
        theme = app.current_theme
        assert app.screen.styles.background.hex.lower() == theme.background.lower()


def test_register_is_where_every_widget_and_screen_is_styled():
    """parse_css_when_needed relies on `App._register(parent, *widgets)` applying the stylesheet
    to what it registers, and recursing into children through `self._register`."""
    assert parameters(App._register)[:2] == ["self", "parent"]
    assert {"apply_stylesheet", "_register"} <= calls_in(App._register)


class Later(Static):
    pass


async def test_parse_css_when_needed_parses_it_only_when_another_widget_mounts(tmp_path):
    later_css = tmp_path / "later.tcss"
    later_css.write_text("Later { height: 5; }\n")
    app = Host(Static("first"))
    parse_css_when_needed(app, later_css, {"Static", "Screen"})
    async with app.run_test() as pilot:
        await pilot.pause()
        assert not any(str(later_css) in str(key) for key in app.stylesheet.source)
        await app.screen.mount(Static("another of the first frame's"))
        assert not any(str(later_css) in str(key) for key in app.stylesheet.source)
        later = Later("later")
        await app.screen.mount(later)
        await pilot.pause()
        assert any(str(later_css) in str(key) for key in app.stylesheet.source)
        assert later.styles.height is not None and later.styles.height.value == 5
        assert later.size.height == 5
        app.theme = "textual-light"  # a theme change re-parses every source, this one too
        await pilot.pause()
        assert later.size.height == 5
