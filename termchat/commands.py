"""What each subcommand does: list, show, export, rm, jobs, compact, usage, search, fork (declared in
cli_subcommands.SUBCOMMANDS)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from termchat.errors import NotFoundError, UsageError
from termchat.export import export_json, export_markdown, write_transcript
from termchat.listing import EMPTY, plain_lines
from termchat.output import say
from termchat.sanitize import safe_json
from termchat.store import ConversationRow, Store

LAST = "last"  # names the most recently active chat wherever an id goes


def find(store: Store, ident: str) -> ConversationRow:
    conv = _most_recent(store) if ident == LAST else store.lookup(ident)
    if conv is None:
        raise NotFoundError(f"unknown conversation '{ident}'", hint="see `termchat list`")
    return conv


def find_or_import(ctx: Any, ident: str) -> ConversationRow:
    """`find`, but a `conv_…` id this machine has never seen is imported from the server, as
    `--conversation` does."""
    if ident == LAST:
        return _most_recent(ctx.store)
    conv = ctx.store.lookup(ident)
    if conv is None and ident.startswith("conv_") and ctx.has_credentials:
        conv, notices = ctx.engine().open(ident, sync=False)
        for notice in notices:
            say(notice.message, level="note")
    return conv or find(ctx.store, ident)


def _most_recent(store: Store) -> ConversationRow:
    conv = store.most_recent()
    if conv is None:
        raise NotFoundError("no chats yet, so no last one", hint='start one with termchat "TEXT"')
    return conv


def list_cmd(ctx: Any, args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit must be at least 1, got {args.limit}")
    rows = ctx.store.list_conversations(limit=args.limit)
    if args.json:
        sys.stdout.write(safe_json([r.to_json() for r in rows], indent=2) + "\n")
        return 0
    if not rows:
        say(EMPTY)
        return 0
    sys.stdout.write(plain_lines([(r.id, r.updated_at, r.mode, r.title) for r in rows], time.time()))
    return 0


def show_cmd(ctx: Any, args: argparse.Namespace) -> int:
    conv = find_or_import(ctx, args.id)
    if args.json:
        sys.stdout.write(safe_json(export_json(ctx.store, conv), indent=2) + "\n")
    else:
        write_transcript(ctx.store, conv, sys.stdout)
    return 0


def export_cmd(ctx: Any, args: argparse.Namespace) -> int:
    conv = find_or_import(ctx, args.id)
    if args.format == "json":
        text = safe_json(export_json(ctx.store, conv), indent=2)
    else:
        text = export_markdown(ctx.store, conv)
    if not args.output:
        sys.stdout.write(text + "\n")
        return 0
    from termchat.paths import open_private_text

    try:
        with open_private_text(args.output) as out:  # 0600: an export holds the chat's history
            out.write(text + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return 0


def rm_cmd(ctx: Any, args: argparse.Namespace) -> int:
    """Delete every chat named; all ids are checked first, so an unknown one deletes nothing."""
    chats: list[ConversationRow] = []
    server_only: list[str] = []
    for ident in args.id:
        conv = _most_recent(ctx.store) if ident == LAST else ctx.store.lookup(ident)
        if conv is None and args.remote and ident.startswith("conv_"):
            server_only.append(ident)  # deleted here already (say, by the app): the server copy
            continue
        if conv is None:
            raise NotFoundError(
                f"unknown conversation '{ident}'" + ("; nothing was deleted" if len(args.id) > 1 else ""),
                hint="see `termchat list`",
            )
        if all(conv.pk != seen.pk for seen in chats):
            chats.append(conv)
    for conv in chats:
        _rm_one(ctx, conv, remote=args.remote)
    for remote_id in dict.fromkeys(server_only):
        _rm_server_only(ctx, remote_id)
    return 0


def _rm_one(ctx: Any, conv: ConversationRow, *, remote: bool) -> None:
    if remote:
        from termchat.chats import delete_server_conversation

        if not conv.remote_id:
            say(f"{conv.id} has no server conversation; deleting locally", level="note")
        elif not delete_server_conversation(ctx.api, conv.remote_id):
            say(f"the server no longer has {conv.remote_id}", level="note")
    ctx.store.delete_conversation(conv)
    say(f"deleted {conv.id}")


def _rm_server_only(ctx: Any, remote_id: str) -> int:
    """`rm --remote conv_…` for a chat this machine no longer has: delete the server conversation."""
    from termchat.chats import delete_server_conversation

    if not delete_server_conversation(ctx.api, remote_id):
        raise NotFoundError(f"unknown conversation '{remote_id}'", hint="neither this machine nor the server has it")
    say(f"deleted {remote_id} on the server (it was no longer stored here)")
    return 0


def jobs_cmd(ctx: Any, args: argparse.Namespace) -> int:
    from termchat import jobs

    if args.action is None:
        if args.all:
            raise UsageError("--all goes with `termchat jobs wait`")
        return jobs.list_jobs(ctx, as_json=args.json)
    if args.action == "wait":
        return jobs.wait_job(ctx, args.id, as_json=args.json, every=args.all)
    if not args.id:
        raise UsageError(f"`termchat jobs {args.action}` needs a job id (see `termchat jobs`)")
    return jobs.cancel_job(ctx, args.id)


def compact_cmd(ctx: Any, args: argparse.Namespace) -> int:
    from termchat.compaction import compact_conversation

    conv = find(ctx.store, args.id)
    result = compact_conversation(ctx.engine(), conv)
    say(result)
    return 0


def usage_cmd(ctx: Any, args: argparse.Namespace) -> int:
    from termchat.usage_report import build_report, parse_since, report_json, report_lines, stale_prices_note

    since, since_text = parse_since(args.since) if args.since else (None, None)
    report = build_report(ctx.store.turn_usage(since), args.by, since_text)
    stale = stale_prices_note()
    if stale:
        say(stale, level="note")
    if args.json:
        sys.stdout.write(safe_json(report_json(report, stale is not None), indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(report_lines(report)) + "\n")
    return 0


def search_cmd(ctx: Any, args: argparse.Namespace) -> int:
    """`termchat search` when its fast path (termchat.search.fast_search) stands aside."""
    from termchat import search

    query = " ".join(args.query)
    if search.match_expression(query) is None:
        raise UsageError('nothing to search for: give a word or a "phrase"')
    if args.limit < 1:
        raise UsageError(f"--limit must be at least 1, got {args.limit}")
    hits = ctx.store.search(query, limit=args.limit)
    search.write_hits(hits, as_json=args.json, color=sys.stdout.isatty() and not ctx.config.no_color)
    return 0


def fork_cmd(ctx: Any, args: argparse.Namespace) -> int:
    """Print the new chat's id; with -p, then send TEXT as its next turn, as `-p` does."""
    from termchat.fork import fork_chat

    prompt = None
    if args.prompt is not None:
        from termchat.cli import build_prompt, read_stdin

        prompt = build_prompt(args.prompt, read_stdin(say_when_slow=True))
        if prompt is None or not prompt.strip():
            raise UsageError("empty prompt: give -p TEXT or pipe some text")
    conv = find(ctx.store, args.id)
    fork = fork_chat(ctx.engine(), conv, args.at)
    sys.stdout.write(fork.id + "\n")
    sys.stdout.flush()
    say(f"forked {conv.id} at turn {fork.fork_turn} as {fork.id}")
    if prompt is None:
        return 0
    from termchat.cli import _root_parser
    from termchat.oneshot import run_one_shot

    turn_args = _root_parser().parse_args(["--conversation", fork.id])
    return run_one_shot(ctx, turn_args, prompt)
