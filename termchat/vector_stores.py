"""`termchat stores`: list, create and delete vector stores, and add files to one for file_search.

`stores add STORE_ID FILE...` uploads each file (`purpose: assistants`), attaches it to the
store and polls until the server has processed it. Progress goes to stderr: one line rewritten
in place on a terminal, plain lines otherwise; stdout gets `FILE_ID  NAME` for each file added,
so a script can keep the ids. A file that fails is reported and the others go on; the exit code
is 1 if any failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any

from termchat.errors import ApiError, NotFoundError, TermchatError, UsageError
from termchat.ids import is_valid_id
from termchat.output import say
from termchat.sanitize import safe_json, safe_title, strip_control
from termchat.store_format import iso

FILE_PURPOSE = "assistants"  # what file_search reads
FIRST_POLL = 0.5  # seconds before the first look at a file being processed; doubles each look
LONGEST_POLL = 5.0  # seconds between looks at most
PROCESSING_LIMIT = 600.0  # seconds a file may stay in processing before termchat stops waiting
ACTIONS = ("list", "create", "add", "rm")


def stores_cmd(ctx: Any, args: argparse.Namespace) -> int:
    action = args.action or "list"
    words = list(args.args)
    if action == "list":
        _no_more(words, "stores list takes no arguments")
        return _list(ctx, args.json)
    if args.json:
        raise UsageError("--json goes with `stores list`")
    if action == "create":
        if len(words) != 1 or not words[0].strip():
            raise UsageError("stores create takes one NAME (quote a name with spaces)")
        try:
            words[0].encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError("the store's NAME is not valid UTF-8 text") from None
        return _create(ctx, words[0])
    if not words:
        raise UsageError(f"stores {action} needs a STORE_ID (see `termchat stores list`)")
    store_id = _store_id(words[0])
    if action == "rm":
        _no_more(words[1:], "stores rm takes one STORE_ID")
        return _remove(ctx, store_id)
    if len(words) < 2:
        raise UsageError("stores add needs at least one FILE after the STORE_ID")
    return add_files(ctx, store_id, words[1:])


def _no_more(words: list[str], message: str) -> None:
    if words:
        raise UsageError(message)


def _store_id(text: str) -> str:
    if not is_valid_id(text):
        raise UsageError(f"not a vector store id: {strip_control(text)[:60]!r} (ids look like vs_…)")
    return text


def _list(ctx: Any, as_json: bool) -> int:
    stores = ctx.api.vector_stores()
    if as_json:
        rows = []
        for s in stores:
            counts = s.get("file_counts") if isinstance(s.get("file_counts"), dict) else {}
            created = s.get("created_at")
            rows.append(
                {
                    "id": s["id"],
                    "name": safe_title(str(s.get("name") or ""), 200),
                    "status": s.get("status"),
                    "files": counts,
                    "usage_bytes": s.get("usage_bytes"),
                    "created_at": iso(created) if isinstance(created, (int, float)) else None,
                }
            )
        sys.stdout.write(safe_json(rows, indent=2) + "\n")
        return 0
    if not stores:
        say("no vector stores yet; make one with `termchat stores create NAME`")
        return 0
    width = max(len(s["id"]) for s in stores)
    for s in stores:
        counts = s.get("file_counts") if isinstance(s.get("file_counts"), dict) else {}
        files = f"{counts.get('completed', 0)}/{counts.get('total', 0)} files"
        if counts.get("in_progress"):
            files += f", {counts['in_progress']} processing"
        if counts.get("failed"):
            files += f", {counts['failed']} failed"
        name = safe_title(str(s.get("name") or ""), 60) or "(no name)"
        sys.stdout.write(f"{s['id']:<{width}}  {name}  ({files})\n")
    return 0


def _create(ctx: Any, name: str) -> int:
    from termchat.api_resources import create_vector_store

    created = create_vector_store(ctx.api, name)
    sys.stdout.write(created["id"] + "\n")
    say(f"created vector store {safe_title(name, 60)}; add files with `termchat stores add {created['id']} FILE...`")
    return 0


def _remove(ctx: Any, store_id: str) -> int:
    from termchat.api_resources import delete_vector_store

    try:
        delete_vector_store(ctx.api, store_id)
    except ApiError as exc:
        if exc.status == 404:
            raise NotFoundError(f"unknown vector store '{store_id}'", hint="see `termchat stores list`") from None
        raise
    say(f"deleted vector store {store_id}")
    return 0


def add_files(ctx: Any, store_id: str, paths: list[str]) -> int:
    """Upload, attach and wait for each file; returns 0, or 1 if any file failed."""
    from termchat.api_resources import MAX_UPLOAD_BYTES, retrieve_vector_store

    for path in paths:  # every file is checked before anything is sent
        shown = strip_control(path.encode("utf-8", "replace").decode("utf-8"))
        if not os.path.exists(path):
            raise UsageError(f"cannot add {shown}: no such file")
        if not os.path.isfile(path):
            raise UsageError(f"cannot add {shown}: not a file")
        if not os.access(path, os.R_OK):
            raise UsageError(f"cannot add {shown}: permission denied")
        if os.path.getsize(path) > MAX_UPLOAD_BYTES:
            raise UsageError(f"{shown} is larger than the API's {MAX_UPLOAD_BYTES // 2**20} MB limit")
    try:
        retrieve_vector_store(ctx.api, store_id)
    except ApiError as exc:
        if exc.status == 404:
            raise NotFoundError(f"unknown vector store '{store_id}'", hint="see `termchat stores list`") from None
        raise
    progress = Progress(sys.stderr)
    failed = 0
    for number, path in enumerate(paths, 1):
        label = f"{_shown_name(path)} ({number}/{len(paths)})"
        try:
            file_id = _add_one(ctx, store_id, path, label, progress)
        except TermchatError as exc:
            failed += 1
            progress.clear()
            say(f"{label}: {exc.one_line()}", level="error")
            continue
        progress.clear()
        sys.stdout.write(f"{file_id}  {_shown_name(path)}\n")
        sys.stdout.flush()
        say(f"{label}: added to {store_id}")
    if failed:
        say(f"{failed} of {len(paths)} files were not added", level="error")
    return 1 if failed else 0


def _shown_name(path: str) -> str:
    """A file's name fit to print: odd bytes (not UTF-8) replaced, control characters removed."""
    return strip_control(os.path.basename(path).encode("utf-8", "replace").decode("utf-8"))


def _add_one(ctx: Any, store_id: str, path: str, label: str, progress: Progress) -> str:
    from termchat.api_resources import attach_file, discard_file, store_file_status, upload_file

    progress.show(f"{label}: uploading")
    uploaded = upload_file(ctx.api, path, purpose=FILE_PURPOSE)
    file_id = uploaded["id"]
    attached_to = None
    try:
        progress.show(f"{label}: attaching {file_id}")
        state = attach_file(ctx.api, store_id, file_id)
        attached_to = store_id
        wait = FIRST_POLL
        started = time.monotonic()
        while state.get("status") == "in_progress":
            if time.monotonic() - started > PROCESSING_LIMIT:
                raise ApiError(
                    f"still processing after {PROCESSING_LIMIT / 60:g} min; see `termchat stores list` later"
                )
            progress.show(f"{label}: processing")
            threading.Event().wait(wait)
            wait = min(wait * 2, LONGEST_POLL)
            state = store_file_status(ctx.api, store_id, file_id)
    except (TermchatError, KeyboardInterrupt):
        discard_file(ctx.api, file_id, attached_to)
        raise
    status = state.get("status")
    if status == "completed":
        return file_id
    error = state.get("last_error")
    if not isinstance(error, dict):
        error = {}
    why = ": ".join(str(part) for part in (error.get("code"), error.get("message")) if part)
    discard_file(ctx.api, file_id, store_id)
    raise ApiError(
        f"processing {status if isinstance(status, str) else 'ended'}" + (f": {ctx.api.clean(why)}" if why else "")
    )


class Progress:
    """A status line on stderr: rewritten in place on a terminal, a plain line per step otherwise."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        try:
            self.tty = stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self._shown = ""

    def show(self, text: str) -> None:
        if text == self._shown:
            return
        self._shown = text
        try:
            if self.tty:
                self.stream.write(f"\r\x1b[2Ktermchat: {text}…")
                self.stream.flush()
            else:
                say(text)
        except (OSError, ValueError):
            pass

    def clear(self) -> None:
        if self.tty and self._shown:
            try:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
        self._shown = ""
