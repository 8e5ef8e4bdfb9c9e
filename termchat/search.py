"""Full-text search over stored chats: message text and titles, newest first.

The FTS5 indexes (`messages_fts`, `titles_fts`) are part of the store's schema and kept in step
by triggers (termchat/store.py); this module only reads them, through any sqlite3 connection.
What the user types is taken literally: whole words (`word*` for words starting so) and
"quoted phrases", never FTS5 syntax, so no input is a syntax error.

`termchat search` is a lookup people run like `list`, so it takes the same kind of fast path
(`fast_search`): its own few flags, SQLite opened read-only, and no argparse, config, store
module or dataclasses (and no `re` unless some text needs the sanitizer). Anything unusual
falls back to the full command (termchat.commands.search_cmd), which reports problems properly.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3

DEFAULT_LIMIT = 50
# Marks around each match in a snippet: private-use characters, which the sanitizer keeps and
# model text practically never holds, so a snippet can be cleaned first and highlighted after.
MATCH_START = "\ue000"
MATCH_END = "\ue001"
SNIPPET_TOKENS = 12  # words of context a snippet shows around its matches
ELLIPSIS = "…"
HIGHLIGHT = ("\x1b[1;4m", "\x1b[22;24m")  # bold and underlined, on a terminal without NO_COLOR
NO_MATCHES = "no matches"


# The indexes (store migration 4). They read their text from the tables themselves (external
# content), so they cost only the index; the triggers keep them in step with every write, the
# cascade of a deleted chat included; `rebuild` indexes what a store already holds.
def _fts_index(name: str, column: str, table: str, rowid: str) -> str:
    """An external-content index of `table.column`, the triggers that keep it in step, its rebuild."""
    return f"""
    CREATE VIRTUAL TABLE {name} USING fts5({column}, content='{table}', content_rowid='{rowid}',
        tokenize='unicode61 remove_diacritics 2');
    CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN
        INSERT INTO {name}(rowid, {column}) VALUES (new.{rowid}, new.{column});
    END;
    CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN
        INSERT INTO {name}({name}, rowid, {column}) VALUES ('delete', old.{rowid}, old.{column});
    END;
    CREATE TRIGGER {name}_update AFTER UPDATE OF {column} ON {table} BEGIN
        INSERT INTO {name}({name}, rowid, {column}) VALUES ('delete', old.{rowid}, old.{column});
        INSERT INTO {name}(rowid, {column}) VALUES (new.{rowid}, new.{column});
    END;
    INSERT INTO {name}({name}) VALUES ('rebuild');
    """


FTS_SCHEMA = _fts_index("messages_fts", "content", "messages", "id") + _fts_index(
    "titles_fts", "title", "conversations", "pk"
)


class SearchHit:
    """A message (or a chat's title) that matches; `snippet` is raw text with marked matches."""

    __slots__ = ("conversation_id", "created_at", "message_id", "role", "snippet", "title", "turn")

    def __init__(
        self,
        conversation_id: str,
        title: str,
        role: str,
        turn: int | None,
        snippet: str,
        created_at: float,
        message_id: int | None = None,
    ) -> None:
        self.conversation_id = conversation_id
        self.title = title
        self.role = role  # "user", "assistant" or "title"
        self.turn = turn  # the 1-based user turn the message belongs to; None for a title
        self.snippet = snippet
        self.created_at = created_at
        self.message_id = message_id

    def __repr__(self) -> str:
        return f"SearchHit({self.conversation_id!r}, {self.role!r}, turn={self.turn}, {self.snippet!r})"

    def to_json(self) -> dict[str, object]:
        """The hit as `search --json` prints it: text cleaned, matches unmarked."""
        return {
            "id": self.conversation_id,
            "title": clean_snippet(self.title),
            "turn": self.turn,
            "role": self.role,
            "snippet": clean_snippet(self.snippet),
        }


def match_expression(text: str, *, prefix_last: bool = False) -> str | None:
    """An FTS5 query that reads `text` literally; None when it holds nothing to search for.

    Words are matched whole (case and accents aside), or as the start of longer words when they
    end in `*` (`deploy*` finds "deployment"); with `prefix_last`, the last word still being
    typed is too (for filtering as one types). Balanced double quotes make a phrase. All must
    occur. FTS5 operators (AND, OR, NOT, NEAR, ^, column filters) are ordinary words here.
    """
    pieces = text.split('"')
    if len(pieces) % 2 == 0:  # an unbalanced quote is just a character
        pieces[-2:] = [pieces[-2] + " " + pieces[-1]]
    terms: list[str] = []
    last_is_word = False  # the last term is a bare word with no space after it
    for index, piece in enumerate(pieces):
        if index % 2 == 1:
            words = [(piece, "")]
        else:
            words = [(word.rstrip("*"), "*" if word.endswith("*") else "") for word in piece.split()]
        for word, star in words:
            if any(ch.isalnum() for ch in word):  # punctuation alone tokenizes to nothing
                terms.append('"' + word.replace('"', '""') + '"' + star)
                last_is_word = index % 2 == 0 and not piece[-1:].isspace()
    if prefix_last and last_is_word and not terms[-1].endswith("*"):
        terms[-1] += "*"
    return " AND ".join(terms) if terms else None


# Exact words and phrases are read lazily from the index in rowid order, newest first, so a
# word in most messages costs no more than a rare one; only `word*` gathers every match first.
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


def search(db: sqlite3.Connection, text: str, *, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
    """Messages and titles matching `text`, newest first (a title counts as new as its chat)."""
    expression = match_expression(text)
    if expression is None or limit <= 0:
        return []
    hits = [
        SearchHit(cid, title or "", role, max(turn, 1), snippet or "", created_at, mid)
        for cid, title, role, turn, snippet, created_at, mid in db.execute(
            _MESSAGE_HITS, (expression, limit)
        ).fetchall()
    ]
    hits += [
        SearchHit(cid, title or "", "title", None, marked or "", updated_at)
        for cid, title, marked, updated_at in db.execute(_TITLE_HITS, (expression, limit)).fetchall()
    ]
    hits.sort(key=lambda hit: (hit.created_at, hit.message_id or 0), reverse=True)
    return hits[:limit]


def clean_snippet(marked: str, start: str = "", end: str = "") -> str:
    """A snippet made safe for a terminal, on one line, its matches wrapped in `start`/`end`."""
    text = " ".join(marked.split())
    # isprintable() is False for every control and format character (and for the marks), so
    # ordinary text skips the sanitizer and the cost of importing `re`.
    if not text.replace(MATCH_START, "").replace(MATCH_END, "").isprintable():
        from termchat.sanitize import strip_control

        text = " ".join(strip_control(text, keep_newlines=False).split())
    return text.replace(MATCH_START, start).replace(MATCH_END, end)


def plain_lines(hits: list[SearchHit], start: str = "", end: str = "") -> str:
    """`ID  TITLE  …snippet…` lines (a title hit shows its marked title alone), one per hit."""
    id_width = max(len(hit.conversation_id) for hit in hits)
    titles = [_shorten(clean_snippet(hit.title)) for hit in hits]
    title_width = max((len(title) for title, hit in zip(titles, hits, strict=True) if hit.role != "title"), default=0)
    lines = []
    for hit, title in zip(hits, titles, strict=True):
        head = f"{hit.conversation_id:<{id_width}}  "
        if hit.role == "title":
            lines.append(head + clean_snippet(hit.snippet, start, end))
        else:
            lines.append(head + f"{title:<{title_width}}  {clean_snippet(hit.snippet, start, end)}")
    return "\n".join(lines) + "\n"


def _shorten(title: str, width: int = 40) -> str:
    return title if len(title) <= width else title[: width - 1] + ELLIPSIS


def write_hits(hits: list[SearchHit], *, as_json: bool, color: bool) -> None:
    """What `termchat search` prints: a JSON array, or plain lines (none: a note on stderr)."""
    if as_json:
        from termchat.sanitize import safe_json

        sys.stdout.write(safe_json([hit.to_json() for hit in hits], indent=2) + "\n")
    elif hits:
        sys.stdout.write(plain_lines(hits, *(HIGHLIGHT if color else ("", ""))))
    else:
        from termchat.output import say

        say(NO_MATCHES)


def fast_search(argv: list[str]) -> int | None:
    """Run `termchat search QUERY... [--json] [--limit N]`; None: "use the full command instead"."""
    as_json, limit, words = False, DEFAULT_LIMIT, []
    args = list(argv)
    while args:
        token = args.pop(0)
        if token == "--json":
            as_json = True
        elif token == "--limit" and args and args[0].isdigit() and int(args[0]) > 0:
            limit = int(args.pop(0))
        elif token == "--":
            words += args
            args = []
        elif token.startswith("-"):
            return None
        else:
            words.append(token)
    query = " ".join(words)
    if match_expression(query) is None:
        return None
    from termchat import store_fast_read

    path = store_fast_read.database_path()
    if path is None:
        return None
    try:
        hits = store_fast_read.read(path, lambda db: search(db, query, limit=limit), timeout=30.0)
    except store_fast_read.sqlite_module().Error:
        return None
    if hits is None:
        return None
    write_hits(hits, as_json=as_json, color=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    return 0


# -- the app's chat list: chats whose messages match what is typed in its filter -------------

_CHAT_SCAN = """
SELECT messages_fts.rowid, m.conversation_pk
FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
WHERE messages_fts MATCH ?
ORDER BY messages_fts.rowid DESC
"""


def chat_hits(
    db: sqlite3.Connection, text: str, *, skip: set[int] | frozenset[int] = frozenset(), limit: int = 60
) -> list[tuple[int, int]]:
    """(chat pk, id of its newest matching message) for up to `limit` chats not in `skip`,
    newest match first; `text` is read as typed so far (its last word may be unfinished).

    The matches are read newest first and the scan stops at `limit` chats, so a word in every
    message costs about as much as a rare one.
    """
    expression = match_expression(text, prefix_last=True)
    if expression is None or limit <= 0:
        return []
    found: dict[int, int] = {}
    cursor = db.execute(_CHAT_SCAN, (expression,))
    try:
        for message_id, pk in cursor:
            if pk not in found and pk not in skip:
                found[pk] = message_id
                if len(found) >= limit:
                    break
    finally:
        cursor.close()
    return list(found.items())


def excerpt(content: str, text: str, *, before: int = 12, length: int = 160) -> str:
    """One clean line of `content` from just before the first word `text` matches, that word
    marked like a snippet's (unmarked from the start, if none is found as written)."""
    from termchat.sanitize import strip_control

    line = " ".join(strip_control(content, keep_newlines=False).split())
    lower = line.lower()
    words = [w.strip("*").lower() for w in text.replace('"', " ").split() if any(c.isalnum() for c in w)]
    best = -1
    if len(lower) == len(line):  # (lower() can change a length; then positions would be off)
        for word in words:
            at = lower.find(word)
            while at > 0 and lower[at - 1].isalnum():  # a word's start, as the index matches it
                at = lower.find(word, at + 1)
            if at >= 0 and (best < 0 or at < best):
                best = at
    if best < 0:
        return line[:length]
    end = best
    while end < len(line) and line[end].isalnum():
        end += 1
    start = max(0, best - before)
    if start:
        space = line.find(" ", start, best)
        start = space + 1 if space >= 0 else start
    head = (ELLIPSIS if start else "") + line[start:best]
    return head + MATCH_START + line[best:end] + MATCH_END + line[end : start + length]
