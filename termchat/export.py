"""A chat written out for reading outside the app: the `show` transcript, Markdown and JSON.

Used by `termchat show` / `termchat export` and by the app's export key. Titles, model names,
errors and reply text are stripped of terminal control sequences; the JSON keeps the text as
stored (JSON escaping makes it inert).
"""

from __future__ import annotations

import time
from typing import Any, TextIO

from termchat.attachments import describe as describe_attachment
from termchat.history import COMPACTION, ROLE_NAMES
from termchat.request_settings import describe
from termchat.sanitize import strip_control
from termchat.store import ConversationRow, MessageRow, Store


def _stamp(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def _status_note(message: MessageRow) -> str:
    """ " (interrupted)", " (failed: why)", " (incomplete)" after an unfinished reply's heading."""
    if message.role == "assistant" and message.interrupted:
        status = "interrupted" if message.status in ("streaming", "interrupted") else message.status
        error = f": {strip_control(message.error)}" if message.error and message.status == "failed" else ""
        return f" ({status}{error})"
    return ""


def write_transcript(store: Store, conv: ConversationRow, out: TextIO) -> None:
    """The plain-text transcript of `termchat show`: a heading per message, then its text."""
    from termchat.render_items import describe_item

    out.write(
        f"{strip_control(conv.title)}\n{strip_control(conv.id)} · {strip_control(conv.mode)} · "
        f"{strip_control(conv.model)} · "
        f"{conv.input_tokens + conv.output_tokens} tokens\n"
    )
    settings = describe(conv.settings)
    if settings:
        out.write(f"settings: {strip_control(settings)}\n")
    for message in store.iter_all_messages(conv):
        if message.role == COMPACTION:
            out.write("\n── context compacted here ──\n")
            continue
        out.write(
            f"\n── {ROLE_NAMES.get(message.role, message.role)} · {_stamp(message.created_at)}{_status_note(message)}\n"
        )
        for item in message.items:
            out.write(f"   [{strip_control(describe_item(item))}]\n")
        out.write(strip_control(message.content).rstrip("\n") + "\n")
        for record in message.attachments:
            out.write(f"   [attached: {describe_attachment(record)}]\n")


def export_markdown(store: Store, conv: ConversationRow) -> str:
    """A readable, faithful Markdown transcript: roles, timestamps, items, text verbatim."""
    from termchat.render_items import describe_item

    lines = [
        f"# {strip_control(conv.title) or strip_control(conv.id)}",
        "",
        f"- id: `{strip_control(conv.id)}`",
        f"- mode: {strip_control(conv.mode)}",
        f"- model: {strip_control(conv.model)}",
        *([f"- settings: {strip_control(describe(conv.settings))}"] if describe(conv.settings) else []),
        f"- created: {_stamp(conv.created_at)}",
        f"- updated: {_stamp(conv.updated_at)}",
        f"- tokens: {conv.input_tokens} in / {conv.output_tokens} out",
        "- cost: unknown" if conv.cost_usd is None else f"- cost: ${conv.cost_usd:.4f}",
        "",
    ]
    if conv.parent_id:
        lines[-1:] = [f"- forked from: `{conv.parent_id}` at turn {conv.fork_turn}", ""]
    for message in store.iter_all_messages(conv):
        if message.role == COMPACTION:
            lines += [
                "---",
                "",
                "*Context compacted here: earlier turns were summarised for the model; the transcript above is kept.*",
                "",
                "---",
                "",
            ]
            continue
        lines += [
            f"## {ROLE_NAMES.get(message.role, message.role)} — {_stamp(message.created_at)}{_status_note(message)}",
            "",
        ]
        for item in message.items:
            lines += [f"> {strip_control(describe_item(item))}", ""]
        lines += [strip_control(message.content).rstrip("\n"), ""]
        if message.attachments:
            lines += [*(f"> attached: {describe_attachment(r)}  " for r in message.attachments), ""]
    return "\n".join(lines)


def export_json(store: Store, conv: ConversationRow) -> dict[str, Any]:
    """`export --format json` (and `show --json`): the listed fields, aliases, settings, messages."""
    data = conv.to_json()
    data["aliases"] = store.aliases(conv)
    data["settings"] = conv.settings
    if conv.parent_id:
        data["forked_from"] = {"id": conv.parent_id, "turn": conv.fork_turn}
    data["messages"] = [m.to_json() for m in store.iter_all_messages(conv)]
    return data
