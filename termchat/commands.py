"""Subcommands: list, show, export, rm, jobs, compact."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from termchat.errors import NotFoundError, UsageError
from termchat.listing import EMPTY, plain_lines
from termchat.output import say
from termchat.sanitize import safe_json
from termchat.store import ConversationRow, MessageRow, Store


def _clean(text: str) -> str:
    from termchat.sanitize import strip_control

    return strip_control(text)


def find(store: Store, ident: str) -> ConversationRow:
    conv = store.lookup(ident)
    if conv is None:
        raise NotFoundError(f"unknown conversation '{ident}'", hint="see `termchat list`")
    return conv


def list_cmd(ctx: Any, args: argparse.Namespace) -> int:
    rows = ctx.store.list_conversations(limit=args.limit)
    if args.json:
        sys.stdout.write(safe_json([r.to_json() for r in rows], indent=2) + "\n")
        return 0
    if not rows:
        say(EMPTY)
        return 0
    sys.stdout.write(plain_lines([(r.id, r.updated_at, r.mode, r.title) for r in rows], time.time()))
    return 0


def _stamp(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


ROLE_NAMES = {"user": "You", "assistant": "Assistant", "compaction": "Compaction"}


def _status_note(message: MessageRow) -> str:
    if message.role == "assistant" and message.interrupted:
        status = "interrupted" if message.status in ("streaming", "interrupted") else message.status
        error = f": {_clean(message.error)}" if message.error and message.status == "failed" else ""
        return f" ({status}{error})"
    return ""


def show_cmd(ctx: Any, args: argparse.Namespace) -> int:
    conv = find(ctx.store, args.id)
    if args.json:
        return _export_json(ctx.store, conv, sys.stdout)
    out = sys.stdout
    out.write(f"{_clean(conv.title)}\n{conv.id} · {conv.mode} · {_clean(conv.model)} · "
              f"{conv.input_tokens + conv.output_tokens} tokens\n")
    for message in ctx.store.iter_all_messages(conv):
        if message.role == "compaction":
            out.write("\n── context compacted here ──\n")
            continue
        out.write(f"\n── {ROLE_NAMES.get(message.role, message.role)} · {_stamp(message.created_at)}"
                  f"{_status_note(message)}\n")
        if message.items:
            from termchat.render_items import describe_item

            for item in message.items:
                out.write(f"   [{_clean(describe_item(item))}]\n")
        out.write(_clean(message.content).rstrip("\n") + "\n")
    return 0


def export_markdown(store: Store, conv: ConversationRow) -> str:
    """A readable, faithful Markdown transcript: roles, timestamps, items, text verbatim."""
    from termchat.render_items import describe_item

    lines = [f"# {_clean(conv.title) or conv.id}", "",
             f"- id: `{conv.id}`", f"- mode: {conv.mode}", f"- model: {_clean(conv.model)}",
             f"- created: {_stamp(conv.created_at)}", f"- updated: {_stamp(conv.updated_at)}",
             f"- tokens: {conv.input_tokens} in / {conv.output_tokens} out",
             f"- cost: ${conv.cost_usd:.4f}", ""]
    for message in store.iter_all_messages(conv):
        if message.role == "compaction":
            lines += ["---", "", "*Context compacted here: earlier turns were summarised for the model; "
                      "the transcript above is kept.*", "", "---", ""]
            continue
        lines += [f"## {ROLE_NAMES.get(message.role, message.role)} — {_stamp(message.created_at)}"
                  f"{_status_note(message)}", ""]
        for item in message.items:
            lines += [f"> {_clean(describe_item(item))}", ""]
        lines += [_clean(message.content).rstrip("\n"), ""]
    return "\n".join(lines)


def _export_json(store: Store, conv: ConversationRow, out: Any) -> int:
    data = conv.to_json()
    data["aliases"] = store.aliases(conv)
    data["settings"] = conv.settings
    data["messages"] = [m.to_json() for m in store.iter_all_messages(conv)]
    out.write(safe_json(data, indent=2) + "\n")
    return 0


def export_cmd(ctx: Any, args: argparse.Namespace) -> int:
    conv = find(ctx.store, args.id)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        if args.format == "json":
            return _export_json(ctx.store, conv, out)
        out.write(export_markdown(ctx.store, conv) + "\n")
        return 0
    finally:
        if args.output:
            out.close()


def rm_cmd(ctx: Any, args: argparse.Namespace) -> int:
    conv = ctx.store.lookup(args.id)
    if conv is None and args.remote and args.id.startswith("conv_"):
        return _rm_server_only(ctx, args.id)  # deleted here already (say, by the app): the server copy
    if conv is None:
        conv = find(ctx.store, args.id)  # the one "unknown conversation" error
    if args.remote:
        if not conv.remote_id:
            say(f"{conv.id} has no server conversation; deleting locally", level="note")
        else:
            from termchat.errors import ApiError

            try:
                ctx.api.delete_conversation(conv.remote_id)
            except ApiError as exc:
                if exc.status != 404:
                    raise
                say(f"the server no longer has {conv.remote_id}", level="note")
    ctx.store.delete_conversation(conv)
    say(f"deleted {conv.id}")
    return 0


def _rm_server_only(ctx: Any, remote_id: str) -> int:
    """`rm --remote conv_…` for a chat this machine no longer has: delete the server conversation."""
    from termchat.errors import ApiError

    try:
        ctx.api.delete_conversation(remote_id)
    except ApiError as exc:
        if exc.status != 404:
            raise
        raise NotFoundError(f"unknown conversation '{remote_id}'",
                            hint="neither this machine nor the server has it") from None
    say(f"deleted {remote_id} on the server (it was no longer stored here)")
    return 0


def jobs_cmd(ctx: Any, args: argparse.Namespace) -> int:
    from termchat import jobs

    if args.action is None:
        return jobs.list_jobs(ctx, as_json=args.json)
    if not args.id:
        raise UsageError(f"`termchat jobs {args.action}` needs a job id (see `termchat jobs`)")
    if args.action == "wait":
        return jobs.wait_job(ctx, args.id, as_json=args.json)
    return jobs.cancel_job(ctx, args.id)


def compact_cmd(ctx: Any, args: argparse.Namespace) -> int:
    from termchat.compaction import compact_conversation

    conv = find(ctx.store, args.id)
    result = compact_conversation(ctx.engine(), conv)
    say(result)
    return 0
