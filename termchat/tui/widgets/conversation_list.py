"""The chat list: newest activity first, type-to-filter, paged so 10,000 chats stay fast; and
what its keys do to a chat: rename, delete with undo (`termchat.chats` keeps the state).

Only `store.list_conversations(limit=, offset=, search=)` is called for the list itself:
listing never loads messages. A filter also looks for the typed words in the messages: once the
chats whose title matches are all listed, the chats whose messages match follow (each with an
excerpt of its newest matching message under the title), searched in a worker thread so typing
never waits on it. Rows are `Content` (never markup), so a title cannot inject styles.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from termchat import chats
from termchat.listing import relative_time
from termchat.sanitize import safe_title, strip_control
from termchat.store import ConversationRow, Store
from termchat.tui.bindings import key_label
from termchat.tui.compat.app import app_is_closing
from termchat.tui.messages import ServerDeleted
from termchat.tui.widgets.chat_filter import FilterInput
from termchat.tui.widgets.chat_options import ChatOption, ChatOptions

if TYPE_CHECKING:
    from textual.timer import Timer

PAGE = 60  # rows per query: a screenful or two; more load as the user scrolls
TITLE_WIDTH = 28  # one line in the default list width
SLOW_FILTER = 0.030  # seconds; a store whose filter takes longer gets its keys coalesced
SLOW_FILTER_DELAY = 0.15  # seconds of quiet typing before a slow store's filter runs
TEXT_SEARCH_DELAY = 0.15  # seconds of quiet typing before the messages are searched
TIME_REFRESH = 30.0  # seconds between two updates of the "5m ago" times


class ConversationList(Vertical):
    """Filter input above a paged OptionList of chats; posts `Selected(pk)` on Enter/click.

    Renames and deletes chats (its own keys, and the screen's for the open chat): a deleted chat
    is hidden at once and deleted from the store when its undo window has passed.
    """

    class Selected(Message):
        """A chat picked; `message_id`: the matching message, for a chat found by its messages."""

        def __init__(self, pk: int, message_id: int | None = None) -> None:
            super().__init__()
            self.pk = pk
            self.message_id = message_id

    class MessageHits(Message):
        """Chats whose messages match `search` (from the worker): (chat, message id, excerpt)."""

        def __init__(self, search: str, found: list[tuple[ConversationRow, int, str]], limit: int) -> None:
            super().__init__()
            self.search = search
            self.found = found
            self.limit = limit

    class Renamed(Message):
        """A chat has a new title; `conv` is the row as stored."""

        def __init__(self, conv: ConversationRow) -> None:
            super().__init__()
            self.conv = conv

    class Deleted(Message):
        """A chat was deleted from view (its undo window runs): stop its reply, leave it if open."""

        def __init__(self, conv: ConversationRow) -> None:
            super().__init__()
            self.conv = conv

    def __init__(
        self,
        store: Store,
        deletions: chats.Deletions,
        *,
        keymap: Mapping[str, str] | None = None,
        now: Callable[[], float] = time.time,
        on_pick: Callable[[], None] | None = None,
        **kwargs,
    ) -> None:
        """`on_pick`: called as a chat is picked (before `Selected` is handled), to move the focus."""
        super().__init__(**kwargs)
        self.store = store
        self.on_pick = on_pick  # (handed to the ChatOptions)
        self.deletions = deletions
        self.keymap = keymap or {}
        self.now = now
        self.search = ""
        self.loaded = 0
        self.exhausted = False
        self.current_pk: int | None = None
        self.rows: dict[int, ConversationRow] = {}
        self.running: set[int] = set()  # chats with a pending background job
        self._undo_timers: dict[int, Timer] = {}
        self._filter_timer: Timer | None = None
        self._filter_cost = 0.0  # seconds the last filter query and rebuild took
        self._listed: set[int] = set()  # chats on the (unfiltered) list so far
        # chats found by their messages, listed after every chat whose title matches
        self.found_in_text: dict[int, int] = {}  # pk -> the matching message's id
        self.text_limit = 0  # how many such chats were asked for (0: not searched yet)
        self.text_more = False  # the last search found as many as it asked for: maybe more
        self._text_timer: Timer | None = None
        self.border_title = "Chats"

    @property
    def hidden(self) -> set[int]:
        """Chats deleted from view, waiting for their undo window to pass."""
        return set(self.deletions.pending)

    def compose(self) -> ComposeResult:
        yield FilterInput(
            self._filter_typed, self._leave_filter, placeholder="Filter chats…", id="filter", compact=True
        )
        yield ChatOptions(on_pick=self.on_pick, on_type=self._typed_in_list, id="chats")

    @property
    def options(self) -> ChatOptions:
        return self.query_one(ChatOptions)

    def on_mount(self) -> None:
        self.reload()  # in the first frame: one indexed query, one page of rows
        self.set_interval(TIME_REFRESH, self.refresh_times)

    def _meta(self, conv: ConversationRow, now: float) -> str:
        meta = f"{relative_time(conv.updated_at, now)} · {conv.mode}"
        return "◷ job running · " + meta if conv.pk in self.running else meta

    def refresh_times(self) -> None:
        """Move the rows' "5m ago" on with the clock (the rows are drawn from `ChatOption.lines`)."""
        now = self.now()
        options = self.options
        changed = False
        for index in range(options.option_count):
            option = options.get_option_at_index(index)
            conv = self.rows.get(int(option.id)) if isinstance(option, ChatOption) and option.id else None
            if conv is not None and option.lines[1] != (meta := self._meta(conv, now)):
                option.lines = (option.lines[0], meta)
                changed = True
        if changed:
            options.refresh()

    def _option(self, conv: ConversationRow, now: float, depth: int = 0) -> Option:
        indent = "  " * (depth - 1) + "↳ " if depth else ""  # a fork, under the chat it came from
        title = indent + safe_title(conv.title or conv.id, max_len=max(8, TITLE_WIDTH - len(indent)))
        return ChatOption(title, self._meta(conv, now), id=str(conv.pk))

    def _page(self, rows: list[ConversationRow], now: float) -> list[Option]:
        """A page of the list; unfiltered, each chat with its forks under it (see with_forks)."""
        hidden = self.hidden
        if self.search:
            return [self._option(c, now) for c in rows if c.pk not in hidden]
        from termchat.fork import with_forks

        listed = with_forks(self.store, rows, self._listed)
        self.rows.update((c.pk, c) for c, _ in listed)
        return [self._option(c, now, depth) for c, depth in listed if c.pk not in hidden]

    def reload(self, *, keep_highlight: bool = True) -> None:
        """Re-read the first page (after a send, rename, delete or filter change)."""
        options = self.options
        highlighted = options.highlighted_option.id if keep_highlight and options.highlighted_option else None
        rows = self.store.list_conversations(limit=PAGE, search=self.search or None)
        now = self.now()
        self.rows = {c.pk: c for c in rows}
        self._listed = set()
        options.set_options(self._page(rows, now))
        self.loaded = len(rows)
        self.exhausted = len(rows) < PAGE
        self.found_in_text, self.text_limit, self.text_more = {}, 0, False
        self._search_messages_soon()
        target = highlighted or (str(self.current_pk) if self.current_pk else None)
        if target is not None:
            try:
                options.highlighted = options.get_option_index(target)
            except Exception:  # the row scrolled out of the first page or was deleted
                pass
        count = self.store.count_conversations() - len(self.hidden)
        noun = "chat" if count == 1 else "chats"
        self.query_one("#filter", Input).placeholder = f"Filter {count:,} {noun}…  (Ctrl+F)"

    def load_more(self) -> None:
        if self.exhausted:
            if self.text_more:  # the next page of chats found by their messages
                self.text_more = False
                self._start_message_search(self.search, self._title_pks(), self.text_limit + PAGE)
            return
        rows = self.store.list_conversations(limit=PAGE, offset=self.loaded, search=self.search or None)
        now = self.now()
        self.rows.update((c.pk, c) for c in rows)
        self.options.add_options(self._page(rows, now))
        self.loaded += len(rows)
        self.exhausted = len(rows) < PAGE
        self._search_messages_soon()

    # -- chats found by their messages ---------------------------------------------------------

    def _title_pks(self) -> frozenset[int]:
        return frozenset(pk for pk in self.rows if pk not in self.found_in_text)

    def _search_messages_soon(self) -> None:
        """Once every chat whose title matches is listed, look for the filter in the messages
        (after a pause in typing: a search of every message is not per-key work)."""
        if self._text_timer is not None:
            self._text_timer.stop()
            self._text_timer = None
        from termchat.search import match_expression

        if not self.exhausted or self.text_limit or match_expression(self.search, prefix_last=True) is None:
            return
        search, skip = self.search, self._title_pks()
        self._text_timer = self.set_timer(TEXT_SEARCH_DELAY, lambda: self._start_message_search(search, skip, PAGE))

    def _start_message_search(self, search: str, skip: frozenset[int], limit: int) -> None:
        self._text_timer = None
        if search == self.search:
            self.text_limit = limit
            self._search_messages(search, skip, limit)

    @work(thread=True, exclusive=True, group="chat-filter", exit_on_error=False)
    def _search_messages(self, search: str, skip: frozenset[int], limit: int) -> None:
        from termchat.errors import TermchatError

        try:
            with Store(self.store.path) as store:  # this thread's own connection
                found = store.search_chats(search, skip=skip, limit=limit)
        except TermchatError:
            return  # the list by title still stands; the next filter tries again
        self.post_message(self.MessageHits(search, found, limit))

    def on_conversation_list_message_hits(self, message: MessageHits) -> None:
        from termchat.search import MATCH_END, MATCH_START

        message.stop()
        if message.search != self.search:
            return  # typed on meanwhile
        self.text_more = len(message.found) >= message.limit
        options = []
        for conv, message_id, marked in message.found:
            if conv.pk in self.rows or conv.pk in self.hidden:
                continue
            self.rows[conv.pk] = conv
            self.found_in_text[conv.pk] = message_id
            start = marked.find(MATCH_START)
            plain = marked.replace(MATCH_START, "").replace(MATCH_END, "")
            end = marked.find(MATCH_END) - 1 if start >= 0 else -1
            options.append(
                ChatOption(
                    safe_title(conv.title or conv.id, max_len=TITLE_WIDTH),
                    plain,
                    id=str(conv.pk),
                    message_id=message_id,
                    match=(start, end) if 0 <= start <= end else None,
                )
            )
        if options:
            self.options.add_options(options)

    def on_chat_options_near_end(self, event: ChatOptions.NearEnd) -> None:
        event.stop()
        self.load_more()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()  # the filter box has already filtered: see FilterInput

    def _filter_typed(self, value: str) -> None:
        """Filter as you type, with no debounce delay: the query and the rebuild take a few ms.

        On a store where one filter took longer than SLOW_FILTER, keys typed in a burst are
        coalesced instead (one query SLOW_FILTER_DELAY after the last of them), so typing never
        queues up behind queries.
        """
        value = value.strip()
        self._cancel_pending_filter()
        if value == self.search:
            return
        if self._filter_cost > SLOW_FILTER:
            self._filter_timer = self.set_timer(SLOW_FILTER_DELAY, lambda: self.apply_filter(value))
        else:
            self.apply_filter(value)

    def _cancel_pending_filter(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None

    def apply_filter(self, value: str) -> None:
        started = time.perf_counter()
        self.search = value
        self.reload(keep_highlight=False)
        if self.options.option_count:
            self.options.highlighted = 0
        self._filter_cost = time.perf_counter() - started

    def _leave_filter(self, submitted: bool) -> None:
        """Down or Enter in the filter: into the list, now (Enter: with the filter as typed)."""
        options = self.options
        if submitted:
            self._cancel_pending_filter()
            value = self.query_one(FilterInput).value.strip()
            if value != self.search:  # (else the list, and its message hits, stand)
                self.apply_filter(value)
        elif not options.option_count:
            return
        if options.highlighted is None and options.option_count:
            options.highlighted = 0
        self.screen.set_focus(options)

    def _typed_in_list(self, character: str) -> None:
        """A letter typed in the list goes on the end of the filter, which takes the keyboard."""
        self.query_one(FilterInput).type_on(character)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            message_id = event.option.message_id if isinstance(event.option, ChatOption) else None
            self.post_message(self.Selected(int(event.option.id), message_id))

    def mark_current(self, pk: int | None) -> None:
        self.current_pk = pk
        if pk is None:
            return
        try:
            self.options.highlighted = self.options.get_option_index(str(pk))
        except Exception:
            pass

    def row(self, pk: int) -> ConversationRow | None:
        """Chat `pk` as stored now; None when it is gone (deleted by another termchat, say)."""
        row = self.rows.get(pk)
        try:
            return self.store.reload(row) if row is not None else None
        except Exception:
            return None

    # -- rename and delete ------------------------------------------------------------------

    def on_chat_options_rename_requested(self, message: ChatOptions.RenameRequested) -> None:
        message.stop()
        conv = self._requested(message.pk)
        if conv is not None:
            self.rename(conv)

    def on_chat_options_delete_requested(self, message: ChatOptions.DeleteRequested) -> None:
        message.stop()
        conv = self._requested(message.pk)
        if conv is not None:
            self.delete(conv, remote=message.remote)

    def _requested(self, pk: int) -> ConversationRow | None:
        conv = self.row(pk)
        if conv is None:
            self.notify("no chat selected: this is a new chat", severity="warning", markup=False)
        return conv

    def rename(self, conv: ConversationRow) -> None:
        """Ask for a new title; posts `Renamed` once saved."""
        from termchat.tui.screens.dialogs import TextPrompt

        def done(value: str | None) -> None:
            if value is None or not value.strip():
                return
            row = chats.rename(self.store, conv, value)
            self.reload()
            self.notify(f"renamed to “{row.title}”", markup=False)
            self.post_message(self.Renamed(row))

        self.app.push_screen(TextPrompt("Rename chat", conv.title), done)

    def delete(self, conv: ConversationRow, *, remote: bool = False) -> None:
        """Hide `conv` now and delete it when the undo window has passed; with `remote`, its
        server conversation too (in a worker, once committed). Posts `Deleted`."""
        self.deletions.delete(conv, remote=remote)
        self._undo_timers[conv.pk] = self.set_timer(chats.UNDO_SECONDS, partial(self._commit_delete, conv.pk))
        self.reload()
        self.notify(self._deleted_note(conv, remote), markup=False, timeout=chats.UNDO_SECONDS)
        self.post_message(self.Deleted(conv))

    def _deleted_note(self, conv: ConversationRow, remote: bool) -> str:
        title = safe_title(conv.title or conv.id, 60)
        undo = f"undo: {key_label(self.keymap, 'undo_delete')} or Ctrl+P → Undo delete ({int(chats.UNDO_SECONDS)} s)"
        if not conv.remote_id:
            return f"deleted “{title}”{' (it has no server conversation)' if remote else ''} · {undo}"
        if remote:
            return f"deleted “{title}”; its server conversation goes too when the undo time is up · {undo}"
        return (
            f"deleted “{title}” here; its server conversation is kept · {undo}\n"
            f"to delete that too: undo, then {key_label(self.keymap, 'delete_remote')}; "
            f"later: termchat rm --remote {strip_control(conv.remote_id)}"
        )

    def undo_delete(self) -> ConversationRow | None:
        """Bring back the chat deleted last; returns it (None: nothing to undo)."""
        entry = self.deletions.undo()
        if entry is None:
            self.notify("nothing to undo", markup=False)
            return None
        timer = self._undo_timers.pop(entry.conv.pk, None)
        if timer is not None:
            timer.stop()
        self.reload()
        conv = entry.conv
        untouched = "; its server conversation was not touched" if entry.remote and conv.remote_id else ""
        self.notify(f"restored “{safe_title(conv.title or conv.id, 60)}”{untouched}", markup=False)
        return conv

    def commit_pending_deletes(self) -> None:
        """Delete now every chat still in its undo window (what the undo timers do)."""
        for pk in list(self.deletions.pending):
            self._commit_delete(pk)

    def _commit_delete(self, pk: int) -> None:
        timer = self._undo_timers.pop(pk, None)
        if timer is not None:
            timer.stop()
        job = self.deletions.commit(pk)
        if job is not None and not app_is_closing(self.app):
            self._server_delete_worker(job)
        # else, closing: `Deletions.finish` runs it once the app has closed (termchat.tui.launch)

    @work(thread=True, group="delete-remote", exit_on_error=False)
    def _server_delete_worker(self, job: chats.ServerDelete) -> None:
        self.deletions.delete_on_server(job)
        self.post_message(ServerDeleted(job))

    def on_server_deleted(self, message: ServerDeleted) -> None:
        message.stop()
        job = message.job
        if self.deletions.told(job):
            self.notify(strip_control(job.note), severity=job.severity, markup=False, timeout=8)
