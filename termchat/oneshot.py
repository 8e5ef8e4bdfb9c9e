"""One-shot mode: send one prompt, stream the reply to stdout as plain text or JSON Lines."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from termchat import events as ev
from termchat.errors import EXIT_INTERRUPTED, UsageError
from termchat.output import JsonWriter, PlainWriter, say, silence_stdout


def resolve_session(ctx: Any, args: argparse.Namespace) -> tuple[Any, list[ev.Notice]]:
    """The chat a command continues (-c / --conversation) or a new one, with flag overrides."""
    engine = ctx.engine(model=args.model, mode=args.state)
    conv = None
    notices: list[ev.Notice] = []
    if args.conversation:
        conv, notices = engine.open(args.conversation)
    elif args.continue_:
        recent = ctx.store.most_recent()
        if recent is None:
            raise UsageError("no chat to continue yet: start one with -p TEXT")
        conv, notices = engine.open(recent.id)
    settings = _tool_settings(ctx, args)
    if args.tool_choice:  # checked against the tools this turn will have, given or stored
        from termchat.tools import parse_tool_choice

        tools = settings["tools"] if "tools" in settings else (conv.settings.get("tools") or [] if conv else [])
        settings["tool_choice"] = parse_tool_choice(args.tool_choice, tools)
    if args.model and conv is not None and conv.settings.get("prompt"):
        settings["prompt_model"] = True  # from now on this chat's prompt runs on the given model
    if conv is not None and "tools" not in settings and conv.settings.get("tools"):
        from termchat.sanitize import strip_control
        from termchat.tools import tool_spec

        kept = ", ".join(strip_control(tool_spec(t)) for t in conv.settings["tools"])
        notices.append(ev.Notice(f"tools: {kept} (from this chat; --no-tools turns them off)"))
    if conv is not None:
        from termchat.request_settings import describe

        kept = describe({k: v for k, v in conv.settings.items() if k not in settings})
        if kept:
            notices.append(ev.Notice(f"settings: {kept} (from this chat; -o KEY= forgets one)"))
    session = engine.session(conv, mode=args.state, model=args.model, settings=settings)
    return session, notices


def _tool_settings(ctx: Any, args: argparse.Namespace) -> dict[str, Any]:
    from termchat.tools import parse_tool

    settings: dict[str, Any] = {}
    if getattr(args, "no_tools", False) or "none" in args.tool:
        if [spec for spec in args.tool if spec != "none"]:
            raise UsageError("--no-tools (--tool none) turns tools off; it cannot go with other --tool flags")
        settings["tools"] = []  # clears what a continued chat has stored
        settings["tool_choice"] = None
    elif args.tool:
        if "file_search" in args.tool:
            raise UsageError(
                "file_search needs vector store ids: --tool file_search:VS_ID[,VS_ID]"
                f" (this account has: {_vector_store_names(ctx)})"
            )
        tools = [parse_tool(spec, ctx.config.mcp_servers) for spec in args.tool]
        settings["tools"] = tools
    if args.instructions:
        settings["instructions"] = args.instructions
    from termchat.request_settings import parse_options

    settings.update(parse_options(getattr(args, "options", None) or [], getattr(args, "effort", None)))
    prompt_id = getattr(args, "prompt_id", None)
    if prompt_id:
        prompt: dict[str, Any] = {"id": prompt_id}
        if args.prompt_version:
            prompt["version"] = args.prompt_version
        variables = {}
        for pair in args.var or []:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"--var must look like key=value, got '{pair}'")
            variables[key.strip()] = value
        if variables:
            prompt["variables"] = variables
        settings["prompt"] = prompt
        settings["prompt_model"] = bool(args.model)  # else the stored prompt's model is used
    elif getattr(args, "var", None) or getattr(args, "prompt_version", None):
        raise UsageError("--var and --prompt-version need --prompt-id")
    return settings


def _vector_store_names(ctx: Any) -> str:
    from termchat.errors import TermchatError
    from termchat.sanitize import safe_title

    try:
        stores = ctx.api.vector_stores(limit=20)
    except TermchatError as exc:
        return f"could not list them: {exc.one_line()}"
    return ", ".join(f"{s['id']} ({safe_title(s.get('name') or '', 40)})" for s in stores[:10]) or "none"


def load_schema(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            schema = json.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read schema file {path}: {exc.strerror}") from None
    except ValueError as exc:  # includes UnicodeDecodeError
        raise UsageError(f"schema file {path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise UsageError(f"schema file {path} is nested too deeply to be a JSON Schema") from None
    if not isinstance(schema, dict) or not ({"type", "properties", "$ref", "anyOf"} & set(schema)):
        raise UsageError(f"schema file {path} is not a JSON Schema object")
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in str(schema.get("title") or "reply"))[:64]
    return {"type": "json_schema", "name": name or "reply", "schema": schema, "strict": True}


def run_one_shot(ctx: Any, args: argparse.Namespace, prompt: str) -> int:
    from termchat.budget import BudgetExceeded, check_budget

    try:
        warning = check_budget(ctx.store, ctx.config.budget, force=args.force)
    except BudgetExceeded as refused:
        # Nothing is sent, but the prompt (piped stdin included) is kept in its chat as a turn
        # the server never answered, the way a refused request keeps it; --resend sends it.
        session, _ = resolve_session(ctx, args)
        session.keep_unsent(
            prompt, f"not sent: {refused.message}", [a.record() for a in getattr(args, "attachments", [])]
        )
        raise refused.kept_in(session.conv.id) from None
    if warning:
        say(warning, level="warning")
    session, notices = resolve_session(ctx, args)
    return _send(ctx, args, session, notices, prompt)


def resend_one_shot(ctx: Any, args: argparse.Namespace) -> int:
    """`--resend`: send a chat's last prompt again when the server never answered it."""
    from termchat.budget import BudgetExceeded, check_budget
    from termchat.chat_open import UNANSWERED_NOTE

    if not (args.conversation or args.continue_):
        raise UsageError("--resend needs the chat: -c or --conversation ID")
    session, notices = resolve_session(ctx, args)
    conv = session.conv
    unsent = session.unsent_prompt()
    if conv is None or unsent is None:
        raise UsageError(
            f"nothing to resend in {conv.id if conv else 'this chat'}: its last prompt was answered",
            hint="give a new prompt with -p TEXT",
        )
    prompt, saved_id, failed_reply = unsent
    files = (ctx.store.message(saved_id).attachments or []) if not getattr(args, "attachments", []) else []
    if files:  # their content is not kept for a later send: the files must be given again
        names = ", ".join(str(f.get("name") or "file") for f in files)
        raise UsageError(
            f"the prompt to resend had files attached ({names})", hint="give them again: --resend -a FILE for each"
        )
    notices = [n for n in notices if not n.message.startswith(UNANSWERED_NOTE)]  # being resent now
    try:
        warning = check_budget(ctx.store, ctx.config.budget, force=args.force)
    except BudgetExceeded as refused:
        raise refused.kept_in(conv.id) from None  # still stored as it was
    if warning:
        say(warning, level="warning")
    if failed_reply is not None:  # the prompt becomes the newest message again, then is sent
        ctx.store.drop_reply(conv, failed_reply)
    return _send(ctx, args, session, notices, prompt, saved_id=saved_id)


def _send(
    ctx: Any, args: argparse.Namespace, session: Any, notices: list[ev.Notice], prompt: str, saved_id: int | None = None
) -> int:
    from termchat.engine import TurnOptions

    options = TurnOptions(background=args.background, attachments=getattr(args, "attachments", []))
    if args.schema:
        options.text_format = load_schema(args.schema)
    if args.json:
        writer: PlainWriter | JsonWriter = JsonWriter(sys.stdout)
    else:
        writer = PlainWriter(sys.stdout, sys.stderr, structured=options.text_format is not None)
    for notice in notices:
        writer.handle(notice)
    if args.background:
        from termchat.jobs import start_background

        return start_background(ctx, session, prompt, options, writer, wait=args.wait, saved_id=saved_id)
    code, finished = _stream(session, session.send(prompt, options, saved_id=saved_id), writer, options)
    while code == 0 and finished is not None and finished.approvals:
        decisions = decide_approvals(finished.approvals, getattr(args, "approve_mcp", None), writer)
        code, finished = _stream(session, session.answer_approvals(decisions, options), writer, options)
    if code == 0 and finished is not None and options.text_format:
        code = _structured_exit(finished)
    return code


def _stream(session: Any, turn: Any, writer: Any, options: Any) -> tuple[int, ev.Finished | None]:
    """Write a turn's events; returns (exit code, the Finished event if any)."""
    code = 0
    finished = None
    try:
        with _ctrl_c_stops(session) as pressed:
            for event in turn:
                if isinstance(event, ev.Finished):
                    if options.text_format and event.text and not event.refusal:
                        event = _with_parsed(event, options.text_format)
                    finished = event
                try:
                    writer.handle(event)
                except BrokenPipeError:
                    session.stop()
                    turn.close()  # marks the partial reply as interrupted
                    silence_stdout()
                    return 0, None
                if isinstance(event, ev.Failed) and not pressed.is_set():
                    say(event.message, level="error")
                    code = event.exit_code
        if not pressed.is_set() or finished is not None:
            return code, finished
    except KeyboardInterrupt:  # a second Ctrl+C, or one before the handler was in place
        turn.close()
    if isinstance(writer, PlainWriter):
        writer.end_line()  # the note goes on a line of its own, not glued to the partial reply
    say("interrupted; the partial reply was saved", level="error")
    return EXIT_INTERRUPTED, None


@contextmanager
def _ctrl_c_stops(session: Any) -> Iterator[threading.Event]:
    """While a reply streams, Ctrl+C stops it like the app's Stop does (the partial text is kept).

    The default KeyboardInterrupt is raised wherever the interpreter happens to be; raised in
    a callback of the SDK's compiled code it is swallowed ("Exception ignored in ...") and the
    reply runs on to its end. A second Ctrl+C raises KeyboardInterrupt as usual.
    """
    pressed = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()
        session.stop()

    try:
        previous = signal.signal(signal.SIGINT, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield pressed
        return
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)


def decide_approvals(requests: list[ev.ApprovalRequested], policy: str | None, writer: Any) -> dict[str, bool]:
    """Approve or deny MCP tool calls: by --approve-mcp, else by asking on the terminal."""
    from termchat.sanitize import strip_control

    decisions: dict[str, bool] = {}
    tty = None
    if policy is None and os.isatty(2):
        try:
            # Unbuffered bytes: a terminal cannot seek, so a buffered "r+" text stream refuses it.
            tty = open("/dev/tty", "r+b", buffering=0)
        except OSError:
            tty = None
    try:
        for request in requests:
            what = (
                f"MCP server '{strip_control(request.server_label)}' wants to run "
                f"{strip_control(request.tool_name)}({strip_control(request.arguments)[:200]})"
            )
            if policy in ("always", "never"):
                decisions[request.request_id] = policy == "always"
            elif tty is not None:
                tty.write(f"{what}. Allow? [y/N] ".encode("utf-8", "replace"))
                answer = tty.readline().decode("utf-8", "replace")
                decisions[request.request_id] = answer.strip().lower() in ("y", "yes")
            else:
                decisions[request.request_id] = False
            verdict = "approved" if decisions[request.request_id] else "denied"
            if policy is None and tty is None:
                verdict += " (not interactive; pass --approve-mcp always to allow)"
            if isinstance(writer, PlainWriter):
                writer.status(f"{what}: {verdict}")
    finally:
        if tty is not None:
            tty.close()
    return decisions


def _structured_exit(finished: ev.Finished) -> int:
    if finished.refusal:
        say(f"the model refused: {finished.text.strip()}", level="error")
        return 1
    if finished.parsed is None:
        say("the reply is not valid JSON", level="error")
        return 1
    errors = getattr(finished, "schema_errors", None)
    return 1 if errors else 0


def _with_parsed(event: ev.Finished, text_format: dict[str, Any]) -> ev.Finished:
    from dataclasses import replace

    from termchat.schema_check import check

    try:
        parsed = json.loads(event.text)
    except ValueError:
        return event
    errors = check(parsed, text_format.get("schema") or {})
    if errors:
        say("the reply does not match the schema: " + "; ".join(errors[:3]), level="error")
    return replace(event, parsed=parsed, schema_errors=errors)
