"""`termchat` on a terminal: build the app from the CLI context and flags, run it, return a code."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from termchat.tui.app import TermchatApp


def build_app(ctx: Any, args: argparse.Namespace) -> TermchatApp:
    from termchat.errors import UsageError
    from termchat.tools import parse_tool, parse_tool_choice
    from termchat.tui import app_class

    tools = None
    if getattr(args, "tool", None):
        tools = [parse_tool(spec, ctx.config.mcp_servers) for spec in args.tool]
    choice = getattr(args, "tool_choice", None)
    if choice is not None:
        parsed = parse_tool_choice(choice, tools or [])
        if not isinstance(parsed, str):
            raise UsageError("in the app, --tool-choice must be auto, none or required")
    TermchatApp = app_class()  # noqa: N806 (a class)
    return TermchatApp(ctx, open_id=getattr(args, "conversation", None),
                       continue_last=bool(getattr(args, "continue_", False)),
                       model=getattr(args, "model", None), mode=getattr(args, "state", None),
                       tools=tools, tool_choice=choice)


def run_app(ctx: Any, args: argparse.Namespace) -> int:
    from termchat.tui.compat import install_terminal_parser

    app = build_app(ctx, args)
    install_terminal_parser()  # Alt+Enter and pastes as the user meant them
    result = app.run()
    if app.background_jobs is not None:
        app.background_jobs.finish_sending(sys.stderr.write)
    # Chats deleted in their undo window at quit, and their server conversations: now.
    app.deletions.commit_all()
    app.deletions.finish(sys.stderr.write)
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)
