"""The chat's model (F4) and reasoning effort (Shift+F4), picked in dialogs.

The model picker lists the server's models as `termchat models` caches them
(termchat.model_catalog); when the cache is missing or stale it is fetched first in a thread,
and when the server cannot list its models the model table stands in. Its last row takes any
name (or an `[aliases]` name), for servers whose models the table does not know.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from termchat.errors import TermchatError
from termchat.sanitize import safe_title


def pick_model(view: Any) -> None:
    """Open the model picker for the chat on `view` (a ChatView)."""
    from termchat.model_catalog import cached_models

    try:
        server = view.ctx.api.server
    except TermchatError:  # no server set up yet: the model table it is
        _show_model_picker(view, None)
        return
    served = cached_models(Path(view.ctx.data_dir), server)
    if served is not None:
        _show_model_picker(view, served)
        return
    view.run_worker(partial(_fetch_then_pick, view), thread=True, group="models", exclusive=True, exit_on_error=False)


def _fetch_then_pick(view: Any) -> None:
    from termchat.model_catalog import fetch_models

    served: list[str] | None
    try:
        served = [model["id"] for model in fetch_models(view.ctx)]
    except TermchatError as exc:
        served = None
        view.app.call_from_thread(
            view.notify, f"could not list the server's models: {exc.one_line()}", severity="warning", markup=False
        )
    view.app.call_from_thread(_show_model_picker, view, served)


def _show_model_picker(view: Any, served: list[str] | None) -> None:
    from termchat.tui.screens.dialogs import model_picker

    if not view.closing:
        view.app.push_screen(model_picker(view.model, served), partial(_model_chosen, view))


def _model_chosen(view: Any, name: str | None) -> None:
    from termchat.tui.screens.dialogs import CUSTOM_MODEL, TextPrompt

    if not name:
        return
    if name != CUSTOM_MODEL:
        view.set_model(name)
        return
    view.app.push_screen(
        TextPrompt(
            "Model for this chat",
            value=view.model,
            placeholder="a model name, or an alias from [aliases]",
            note="any model the server has, by the name it uses",
        ),
        partial(_custom_model, view),
    )


def _custom_model(view: Any, text: str | None) -> None:
    from termchat.api_resources import MODEL_NAME
    from termchat.request_settings import resolve_model

    if text is None or not text.strip():
        return
    name = resolve_model(text, view.config.aliases)
    if not MODEL_NAME.fullmatch(name):
        view.notify(
            f"not a model name: {safe_title(text, 60)!r} (letters, digits and . _ : / -)",
            severity="error",
            markup=False,
        )
        return
    view.set_model(name)


def pick_effort(view: Any) -> None:
    """Open the reasoning effort picker for the chat on `view`."""
    from termchat.tui.screens.dialogs import effort_picker

    view.app.push_screen(effort_picker(view.request_settings.get("effort")), partial(_effort_chosen, view))


def _effort_chosen(view: Any, value: str | None) -> None:
    if value is not None:
        view.set_request_setting("effort", None if value == "default" else value)
