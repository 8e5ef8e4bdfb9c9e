"""`termchat` on a terminal: build the app from the CLI context and flags, run it, return a code."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from termchat.tui.app import TermchatApp


def build_app(ctx: Any, args: argparse.Namespace) -> TermchatApp:
    from termchat.errors import UsageError
    from termchat.tools import TOOL_CHOICES, parse_tool
    from termchat.tui import app_class

    tools = None
    specs = getattr(args, "tool", None) or []
    if getattr(args, "no_tools", False) or "none" in specs:
        if [spec for spec in specs if spec != "none"]:
            raise UsageError("--no-tools (--tool none) turns tools off; it cannot go with other --tool flags")
        tools = []
    elif specs:
        tools = [parse_tool(spec, ctx.config.mcp_servers) for spec in specs]
    choice = getattr(args, "tool_choice", None)
    if choice is not None and choice not in TOOL_CHOICES:  # tools can change in the app's panel
        raise UsageError("in the app, --tool-choice must be auto, none or required")
    from termchat.request_settings import parse_options

    settings = parse_options(getattr(args, "options", None) or [], getattr(args, "effort", None))
    TermchatApp = app_class()  # noqa: N806 (a class)
    return TermchatApp(
        ctx,
        open_id=getattr(args, "conversation", None),
        continue_last=bool(getattr(args, "continue_", False)),
        model=getattr(args, "model", None),
        mode=getattr(args, "state", None),
        tools=tools,
        tool_choice=choice,
        settings=settings or None,
    )


def run_app(ctx: Any, args: argparse.Namespace) -> int:
    from termchat.tui.compat.terminal import install_terminal_parser

    app = build_app(ctx, args)
    _ = ctx.store  # opened before the screen is taken: a data dir it cannot use is one line, exit 2
    install_terminal_parser()  # Alt+Enter and pastes as the user meant them
    result = app.run()
    if app.background_jobs is not None:
        app.background_jobs.finish_sending(sys.stderr.write)
    # Chats deleted in their undo window at quit, and their server conversations: now.
    app.deletions.commit_all()
    app.deletions.finish(sys.stderr.write)
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)
