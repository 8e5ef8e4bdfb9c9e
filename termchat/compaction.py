"""Compaction, headless: `/responses/compact` the current window and continue from the result.

`local` and `chain` send the compacted window as the next input; `conversation` moves on to a
new server conversation seeded with it. The full transcript stays in the store either way, with
a marker row where compaction happened. A failed compaction changes nothing.
"""

from __future__ import annotations

from typing import Any, Protocol

from termchat import history
from termchat.api import Api
from termchat.errors import TermchatError
from termchat.pricing import token_count, turn_cost
from termchat.store import ConversationRow, Store


class CompactionContext(Protocol):
    """What compaction needs of the engine (which calls it after a turn, so it cannot import it)."""

    @property
    def store(self) -> Store: ...

    @property
    def api(self) -> Api: ...

    @property
    def instructions(self) -> str | None: ...

    @property
    def pricing(self) -> dict[str, Any] | None: ...


def compact_conversation(engine: CompactionContext, conv: ConversationRow) -> str:
    """Compact a chat; returns a one-line summary for the user."""
    store = engine.store
    messages = [m for m in store.messages(conv) if not (m.role == "assistant" and m.status == "streaming")]
    window = history.window(messages)
    if len(window) < 2:
        raise TermchatError(f"nothing to compact in {conv.id} yet")
    instructions = conv.settings.get("instructions") or engine.instructions
    result = engine.api.compact(model=conv.model, input=window, instructions=instructions)
    output = [item for item in result.get("output") or [] if isinstance(item, dict)]
    if not any(item.get("type") == "compaction" for item in output):
        raise TermchatError("the server's compaction result has no compaction item; nothing changed")
    updates: dict[str, object] = {}
    if conv.mode == "conversation":
        seed = [history.input_item(item) for item in output]
        remote = engine.api.create_conversation(
            metadata={
                "title": conv.title[:512],
                "model": conv.model,
                "client": "termchat",
                "compacted_from": conv.remote_id or conv.id,
            },
            items=seed,
        )
        updates = {"id": remote["id"], "remote_id": remote["id"]}
    elif conv.mode == "chain":
        updates = {"last_response_id": None}
    usage = result.get("usage") if isinstance(result.get("usage"), dict) else None
    kept = sum(1 for item in output if item.get("type") == "message")
    # Billed like a turn of the chat's model (no tool fees): priced, it counts in `usage` and
    # budgets; a model without a price leaves it "priced unknown", never $0.
    cost = turn_cost(conv.model, usage, (), overrides=engine.pricing).total_usd if usage else None
    store.add_message(
        conv,
        history.COMPACTION,
        f"compacted {len(window)} items into {kept} user messages + 1 compaction item",
        items=output,
        usage=usage,
        cost_usd=cost,
    )
    if usage:
        store.add_usage(
            conv,
            input_tokens=token_count(usage.get("input_tokens")),
            output_tokens=token_count(usage.get("output_tokens")),
            cost_usd=cost,
        )
    if updates:
        conv = store.update_conversation(conv, **updates)
    note = f" (now {conv.id})" if "id" in updates else ""
    return f"compacted {len(window)} items of {conv.title or conv.id}{note}"
