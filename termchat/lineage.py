"""How a fork names its parent in a server conversation's metadata, written and read back.

termchat.fork writes these keys when it creates a fork's conversation; the engine reads them
when it imports a conversation, so every machine sees which chat a fork came from.
"""

from __future__ import annotations

import re
from typing import Any

PARENT_KEY = "termchat_parent"  # the id of the chat forked from
TURN_KEY = "termchat_turn"  # the user turn it was forked at, as a decimal string
_CHAT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}")


def lineage_metadata(parent_id: str, turn: int) -> dict[str, str]:
    return {PARENT_KEY: parent_id[:512], TURN_KEY: str(turn)}


def read_lineage(metadata: dict[str, Any]) -> tuple[str | None, int | None]:
    """(parent id, turn) from conversation metadata; (None, None) unless both look sound."""
    parent, turn = str(metadata.get(PARENT_KEY) or ""), str(metadata.get(TURN_KEY) or "")
    if not _CHAT_ID.fullmatch(parent) or not turn.isdigit() or not 0 < int(turn) < 1_000_000:
        return None, None
    return parent, int(turn)
