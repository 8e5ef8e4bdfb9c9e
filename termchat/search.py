"""Full-text search over stored chats: message text and titles, newest first.

The FTS5 indexes (`messages_fts`, `titles_fts`) are part of the store's schema and kept in step
by triggers (termchat/store.py, migration 3); this module only reads them, through any sqlite3
connection, so `termchat search` needs neither the store module nor the API. What the user types
is taken literally: words (each also matching longer words it starts) and "quoted phrases",
never FTS5 syntax, so no input is a syntax error.
"""

from __future__ import annotations

from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3

# Marks around each match in a snippet: private-use characters, which the sanitizer keeps and
# model text practically never holds, so a snippet can be cleaned first and highlighted after.
MATCH_START = "\ue000"
MATCH_END = "\ue001"
SNIPPET_TOKENS = 12  # words of context a snippet shows around its matches
ELLIPSIS = "…"


@dataclass(frozen=True)
class SearchHit:
    """A message (or a chat's title) that matches; `snippet` is raw text with marked matches."""

    conversation_id: str
    title: str
    role: str  # "user", "assistant" or "title"
    turn: int | None  # 1-based user turn the message belongs to; None for a title
    snippet: str
    created_at: float
    message_id: int | None = None

    def to_json(self) -> dict[str, object]:
        """The hit as `search --json` prints it (the caller cleans the text)."""
        return {"id": self.conversation_id, "title": self.title, "turn": self.turn,
                "role": self.role, "snippet": self.snippet}


def match_expression(text: str) -> str | None:
    """An FTS5 query that reads `text` literally; None when it holds nothing to search for.

    Balanced double quotes make a phrase; every other word is a term that also matches words it
    starts (`deploy` finds "deployment"); all must occur. FTS5 operators (AND, OR, NOT, NEAR, *,
    ^, column filters) are ordinary words here.
    """
    pieces = text.split('"')
    if len(pieces) % 2 == 0:  # an unbalanced quote is just a character
        pieces[-2:] = [pieces[-2] + " " + pieces[-1]]
    terms: list[str] = []
    for index, piece in enumerate(pieces):
        quoted = index % 2 == 1
        for term in [piece] if quoted else piece.split():
            if any(ch.isalnum() for ch in term):  # punctuation alone tokenizes to nothing
                terms.append('"' + term.replace('"', '""') + '"' + ("" if quoted else "*"))
    return " AND ".join(terms) if terms else None


_MESSAGE_HITS = f"""
SELECT c.id, c.title, m.role,
       (SELECT COUNT(*) FROM messages u WHERE u.conversation_pk = m.conversation_pk
          AND u.role = 'user' AND u.id <= m.id),
       snippet(messages_fts, 0, '{MATCH_START}', '{MATCH_END}', '{ELLIPSIS}', {SNIPPET_TOKENS}),
       m.created_at, m.id
FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.pk = m.conversation_pk
WHERE messages_fts MATCH ?
ORDER BY messages_fts.rowid DESC
LIMIT ?
"""

_TITLE_HITS = f"""
SELECT c.id, c.title, highlight(titles_fts, 0, '{MATCH_START}', '{MATCH_END}'), c.updated_at
FROM titles_fts
JOIN conversations c ON c.pk = titles_fts.rowid
WHERE titles_fts MATCH ?
ORDER BY c.updated_at DESC, c.pk DESC
LIMIT ?
"""


def search(db: sqlite3.Connection, text: str, *, limit: int = 50) -> list[SearchHit]:
    """Messages and titles matching `text`, newest first (a title counts as new as its chat)."""
    expression = match_expression(text)
    if expression is None or limit <= 0:
        return []
    hits = [SearchHit(cid, title or "", role, max(turn, 1), snippet or "", created_at, mid)
            for cid, title, role, turn, snippet, created_at, mid
            in db.execute(_MESSAGE_HITS, (expression, limit)).fetchall()]
    hits += [SearchHit(cid, title or "", "title", None, marked or "", updated_at)
             for cid, title, marked, updated_at in db.execute(_TITLE_HITS, (expression, limit)).fetchall()]
    hits.sort(key=lambda hit: (hit.created_at, hit.message_id or 0), reverse=True)
    return hits[:limit]
