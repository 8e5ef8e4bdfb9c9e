"""Chat operations that are not UI: rename, delete with an undo window, delete on the server.

Headless (no Textual): the app drives `Deletions` with its timers and workers, and runs what
is left of it once it has closed (`termchat.tui.launch`); `termchat rm` calls
`delete_server_conversation` directly.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from termchat.sanitize import safe_title, strip_control
from termchat.store import ConversationRow, Store

if TYPE_CHECKING:
    from termchat.app_context import AppContext

UNDO_SECONDS = 10.0  # a deleted chat can be brought back this long
EXIT_DELETE_TIMEOUT = 10.0  # a server delete left for after the app closed waits this long at most
TITLE_LIMIT = 120  # characters of a title given by the user


def config_tools(config: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The config's `tools` for a new chat, parsed; and one line per spec that does not parse."""
    from termchat.errors import TermchatError
    from termchat.tools import parse_tool

    tools, problems = [], []
    for spec in config.tools:
        try:
            tools.append(parse_tool(spec, config.mcp_servers))
        except TermchatError as exc:
            problems.append(f"config tools: {exc.one_line()}")
    return tools, problems


def rename(store: Store, conv: ConversationRow, title: str) -> ConversationRow:
    """Give `conv` the title `title` (made safe: one line, no control characters)."""
    return store.update_conversation(conv, title=safe_title(title, max_len=TITLE_LIMIT))


def rename_on_server(api: Any, remote_id: str, title: str) -> None:
    """Copy a new title to the server conversation; best effort (the local title is the one shown)."""
    from termchat.errors import TermchatError

    try:
        api.update_conversation(remote_id, {"title": title[:512]})
    except TermchatError:
        pass


def delete_server_conversation(api: Any, remote_id: str, *, timeout: float | None = None) -> bool:
    """Delete the server conversation `remote_id`; False when the server no longer has it.

    Other failures raise `TermchatError`. `timeout` bounds one attempt, without retries.
    """
    from termchat.errors import ApiError

    try:
        api.delete_conversation(remote_id, timeout=timeout)
    except ApiError as exc:
        if exc.status == 404:
            return False
        raise
    return True


# Not dataclasses: the app imports this module at start-up, where a dataclass costs more to
# define than the first frame can spare.


class PendingDelete(NamedTuple):
    """A chat deleted from view, kept in the store until its undo window passes."""

    conv: ConversationRow
    remote: bool = False  # also delete its server conversation when committed


class ServerDelete:
    """The server side of a committed "delete with its server conversation", and its outcome."""

    __slots__ = ("title", "remote_id", "note", "severity", "shown")

    def __init__(self, title: str, remote_id: str) -> None:
        self.title = title  # already made safe (safe_title)
        self.remote_id = remote_id
        self.note = ""  # the outcome, one line, once known
        self.severity = "information"
        self.shown = False  # told the user (in the app, or printed once it has closed)

    def __repr__(self) -> str:
        return f"ServerDelete({self.title!r}, {self.remote_id!r}, note={self.note!r})"


def _kept_on_server(job: ServerDelete, why: str) -> str:
    remote_id = strip_control(job.remote_id)
    return (
        f"“{job.title}” was deleted here, but its server conversation {remote_id} was not: "
        f"{why} · to retry: termchat rm --remote {remote_id}"
    )


class Deletions:
    """Chats waiting for their undo window to pass, and the server deletes that follow them.

    A delete hides a chat; `commit` deletes it from the store (when the window has passed, or at
    quit) and, for a delete "with its server conversation", queues a `ServerDelete`, which the
    app runs in a worker (`delete_on_server`) or, once it has closed, `finish` runs and reports.
    """

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self.pending: dict[int, PendingDelete] = {}
        self.server_deletes: list[ServerDelete] = []  # committed, their outcome not yet told

    def delete(self, conv: ConversationRow, *, remote: bool = False) -> None:
        """Start `conv`'s undo window (the caller hides it and commits it when the window ends)."""
        self.pending[conv.pk] = PendingDelete(conv, remote=remote)

    def undo(self) -> PendingDelete | None:
        """Take back the newest delete still in its undo window (None: nothing to undo)."""
        if not self.pending:
            return None
        return self.pending.pop(next(reversed(self.pending)))

    def commit(self, pk: int) -> ServerDelete | None:
        """Delete chat `pk` from the store now; returns the server delete it queued, if any."""
        entry = self.pending.pop(pk, None)
        if entry is None:
            return None
        conv, store = entry.conv, self._ctx.store
        try:
            remote_id = store.reload(conv).remote_id  # a reply stopped by the delete may have set it
        except Exception:
            remote_id = conv.remote_id
        store.delete_conversation(conv)
        if not (entry.remote and remote_id):
            return None
        job = ServerDelete(safe_title(conv.title or conv.id, 60), remote_id)
        self.server_deletes.append(job)
        return job

    def commit_all(self) -> None:
        """Delete every chat still in its undo window (quitting); server deletes stay queued."""
        for pk in list(self.pending):
            self.commit(pk)

    def delete_on_server(self, job: ServerDelete, timeout: float | None = None) -> None:
        """Delete `job`'s server conversation (blocking: in a worker, or after the app closed)
        and set its outcome. The local chat is already gone, whatever happens here."""
        from termchat.errors import TermchatError

        remote_id = strip_control(job.remote_id)
        try:
            if not self._ctx.has_credentials:
                raise TermchatError("no API configured")
            deleted = delete_server_conversation(self._ctx.api, job.remote_id, timeout=timeout)
        except TermchatError as exc:
            job.note, job.severity = _kept_on_server(job, exc.one_line()), "error"
        except Exception as exc:  # never a traceback, never an exception's text (it may hold a key)
            job.note, job.severity = _kept_on_server(job, type(exc).__name__), "error"
        else:
            job.note = (
                f"deleted “{job.title}” on the server too ({remote_id})"
                if deleted
                else f"note: the server no longer has {remote_id} (“{job.title}”); nothing left to delete"
            )

    def told(self, job: ServerDelete) -> bool:
        """Mark `job`'s outcome as told to the user; False if it was already."""
        if job.shown:
            return False
        job.shown = True
        if job in self.server_deletes:
            self.server_deletes.remove(job)
        return True

    def finish(self, write: Callable[[str], Any]) -> None:
        """Once the app has closed: run the server deletes it left (deleted at quit), and `write`
        every outcome it could not show, one `termchat: …` line each (`output.say`). Each waits
        `EXIT_DELETE_TIMEOUT` at most; Ctrl+C skips the rest."""
        interrupted = False
        for job in list(self.server_deletes):
            if job.shown:
                continue
            if not job.note and not interrupted:
                write(_line(f"deleting the server conversation {strip_control(job.remote_id)} (“{job.title}”)…"))
                try:
                    self.delete_on_server(job, timeout=EXIT_DELETE_TIMEOUT)
                except KeyboardInterrupt:
                    interrupted = True
            if not job.note:
                job.note, job.severity = _kept_on_server(job, "interrupted"), "error"
            job.shown = True
            write(_line(strip_control(job.note), "error" if job.severity == "error" else None))
        self.server_deletes.clear()


def _line(message: str, level: str | None = None) -> str:
    """`message` as the `termchat: …` line `output.say` writes."""
    from termchat.output import say

    buffer = io.StringIO()
    say(message, level=level, stream=buffer)
    return buffer.getvalue()
