"""Textual's private API for the app: whether it is closing, routing a key again, waiting for
a widget's queued keys, a CSS file parsed when first needed, the theme set before the first CSS
parse (see `termchat.tui.compat` for the rule this package keeps).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.widget import Widget

# -- App ---------------------------------------------------------------------------------------


def app_is_closing(app: App[Any]) -> bool:
    """Whether `app` is shutting down (its widgets may already be gone).

    Textual 8.2: `App._exit` is set by `exit()`, `_closing` while it closes, `_closed` once
    closed; there is no public flag for the time between `exit()` and the unmount.
    """
    return bool(app._exit or app._closing or app._closed or not app.screen_stack)


async def route_key(app: App[Any], event: events.Key) -> None:
    """Route `event` again as the app routes a key from the terminal: to its priority bindings,
    else to the widget focused now. For a key a widget received after the focus had left it (the
    app routes the keys of one burst before the first of them has been handled).

    Textual 8.2: `App.on_event` takes a key from the driver by awaiting
    `_check_bindings(key, priority=True)` and, if no binding ran, calling
    `_forward_event(event)` on `app.focused` (else the screen); a new `Key` is sent, since the
    one received has already been forwarded and may have been stopped.
    """
    if not await app._check_bindings(event.key, priority=True):
        target: Widget = app.focused or app.screen
        target._forward_event(events.Key(event.key, event.character))


async def handle_queued_first(widget: Widget) -> None:
    """Wait until `widget` has handled the messages already in its queue: the keys the app routed
    to it before the key being handled now (a priority binding runs as the app takes its key,
    which can be before the focused widget has handled the keys typed just before it).

    Only for widgets whose handlers never wait on the app or on another widget (else the two
    would wait on each other). Textual 8.2: `call_later` posts a `Callback` at the end of the
    widget's queue; `textual._context.active_message_pump` is the pump whose task is running:
    from the widget's own task nothing is waited for (its queue cannot move meanwhile).
    """
    from textual._context import active_message_pump

    if active_message_pump.get(None) is widget:
        return
    handled = asyncio.Event()
    if widget.call_later(handled.set):
        await handled.wait()


def parse_css_when_needed(app: App[Any], path: Path, first_frame: Collection[str]) -> None:
    """Add the CSS file at `path` to `app`'s stylesheet only when the first widget or screen whose
    class is not named in `first_frame` is mounted (just before it is styled): the first frame
    does not wait for rules it does not use. No rule in that file may style a widget of a class
    in `first_frame` (those may be styled before it is parsed, and are not restyled by it).

    Textual 8.2: every widget and screen goes through `App._register(parent, *widgets)`, which
    registers each one (recursing into `widget._nodes` through `self._register`) and then applies
    the stylesheet to it; `Stylesheet.add_source` marks the stylesheet for a re-parse, which its
    next `apply` does (sources already parsed come from its parse cache). A theme change re-parses
    every source added so far.
    """
    register = app._register

    def register_then(parent: DOMNode, *widgets: Widget, **kwargs: Any) -> list[Widget]:
        if any(type(widget).__name__ not in first_frame for widget in widgets):
            del app._register  # back to the class's method: this file is added once
            app.stylesheet.add_source(path.read_text(encoding="utf-8"), read_from=(str(path), ""), is_default_css=False)
        return register(parent, *widgets, **kwargs)

    app._register = register_then  # type: ignore[method-assign]


def set_theme_before_first_css(app: App[Any], name: str) -> None:
    """Set `app.theme` to `name` before the stylesheet was first parsed (in `App.__init__`).

    What `app.theme = name` does, minus the full CSS re-parse it schedules: the stylesheet has
    not been parsed yet, so setting its variables is enough. Textual 8.2: a copy of
    `App._watch_theme` (classes, `_refresh_truecolor_filter`), without its `_invalidate_css`
    and `refresh_css`.
    """
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    app.update_classes(
        {
            **{c: False for c in app.classes if c.startswith("-theme-")},
            f"-theme-{theme.name}": True,
            "-dark-mode": theme.dark,
            "-light-mode": not theme.dark,
        },
        update=False,
    )
    app._refresh_truecolor_filter(app.ansi_theme)
    app.stylesheet.set_variables(app.get_css_variables())
