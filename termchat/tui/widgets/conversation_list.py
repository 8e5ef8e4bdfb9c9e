"""The chat list: newest activity first, type-to-filter, paged so 10,000 chats stay fast.

Only `store.list_conversations(limit=, offset=, search=)` is called for the list itself:
listing never loads messages. A filter also looks for the typed words in the messages: once the
chats whose title matches are all listed, the chats whose messages match follow (each with an
excerpt of its newest matching message under the title), searched in a worker thread so typing
never waits on it. Rows are `Content` (never markup), so a title cannot inject styles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import work
from textual.app import ComposeResult
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from termchat.listing import relative_time
from termchat.sanitize import safe_title
from termchat.store import ConversationRow, Store
from termchat.tui.bindings import LIST_COMMANDS, to_bindings
from termchat.tui.compat import FixedHeightOptionList, RepaintOnlyInput

if TYPE_CHECKING:
    from textual.timer import Timer

PAGE = 60  # rows per query: a screenful or two; more load as the user scrolls
TITLE_WIDTH = 28  # one line in the default list width
LOAD_MORE_MARGIN = 20  # rows from the end at which the next page is fetched
SLOW_FILTER = 0.030  # seconds; a store whose filter takes longer gets its keys coalesced
SLOW_FILTER_DELAY = 0.15  # seconds of quiet typing before a slow store's filter runs
TEXT_SEARCH_DELAY = 0.15  # seconds of quiet typing before the messages are searched


ROW_HEIGHT = 2  # a title line and a meta line, cropped (never wrapped) to the list width
_BOLD = RichStyle(bold=True)
_DIM = RichStyle(dim=True)
_MATCH = RichStyle(bold=True, underline=True)


class ChatOption(Option):
    """One chat row: its two lines are kept as plain text so the list can draw them cheaply.

    A chat found by its messages has `message_id` (the matching message) and an excerpt of it as
    its second line, the match between `match` = (start, end) offsets.
    """

    def __init__(self, title: str, meta: str, id: str, *, message_id: int | None = None,
                 match: tuple[int, int] | None = None) -> None:
        super().__init__(Content.assemble((title, "bold"), "\n", (meta, "dim")), id=id)
        self.lines = (title, meta)
        self.message_id = message_id
        self.match = match


class ChatOptions(FixedHeightOptionList):
    """An OptionList of fixed two-line `ChatOption` rows that asks for the next page as the user
    nears its end.

    Every row is `ROW_HEIGHT` lines, so the line index is built without measuring any row, and a
    row is drawn straight from its two strings into strips cached by (text, style, width, index):
    a filter that replaces the options redraws only the visible rows, and rows it has drawn before
    (the same chat at the same place) come from the cache.
    """

    BINDINGS = to_bindings(LIST_COMMANDS)
    OPTION_HEIGHT = ROW_HEIGHT

    class NearEnd(Message):
        pass

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._row_cache: LRUCache[tuple, list[Strip]] = LRUCache(1024)

    def render_option(self, option: Option, style: RichStyle) -> list[Strip] | None:
        if not isinstance(option, ChatOption) or option.id is None:
            return None
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width
        index = self.get_option_index(option.id)
        key = (option.lines, style, padding, width, index)
        strips = self._row_cache.get(key)
        if strips is None:
            base = style + RichStyle.from_meta({"option": index})
            inner = max(0, width - padding.left - padding.right)
            strips = []
            for line, (text, extra) in enumerate(zip(option.lines, (_BOLD, _DIM), strict=False)):
                parts = [(text, base + extra)]
                if line == 1 and option.match is not None:
                    start, end = option.match
                    parts = [(text[:start], base + extra), (text[start:end], base + _MATCH),
                             (text[end:], base + extra)]
                segments = [Segment(" " * padding.left, base)]
                room = inner
                for part, part_style in parts:
                    if room <= 0 or not part:
                        continue
                    if cell_len(part) > room:
                        part = set_cell_size(part, room)
                    segments.append(Segment(part, part_style))
                    room -= cell_len(part)
                segments.append(Segment(" " * (width - padding.left - (inner - max(room, 0))), base))
                strips.append(Strip([s for s in segments if s.text], width))
            self._row_cache[key] = strips
        return strips

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.max_scroll_y and new >= self.max_scroll_y - LOAD_MORE_MARGIN:
            self.post_message(self.NearEnd())

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        if highlighted is not None and highlighted >= self.option_count - LOAD_MORE_MARGIN:
            self.post_message(self.NearEnd())

    def action_delete_highlighted(self) -> None:
        if self.highlighted is not None:
            self.post_message(ConversationList.Action("delete", self.get_option_at_index(self.highlighted).id))

    def action_delete_remote_highlighted(self) -> None:
        if self.highlighted is not None:
            self.post_message(ConversationList.Action("delete_remote",
                                                      self.get_option_at_index(self.highlighted).id))

    def action_rename_highlighted(self) -> None:
        if self.highlighted is not None:
            self.post_message(ConversationList.Action("rename", self.get_option_at_index(self.highlighted).id))


class FilterInput(RepaintOnlyInput):
    """The filter box. Its text growing changes only its own scroll range, never its size, so it
    repaints itself instead of asking for a layout of the whole screen (an `Input` does that on
    every key: its virtual size is a layout reactive).

    It filters as you type, within the key's own handling: the list then asks for its repaint
    before this box asks for the echo, so both are in one frame. Filtering from the `Changed`
    message instead paints the echo alone first and the list one frame later (17-33 ms: Textual's
    screen timer skips a tick after an idle one)."""

    def __init__(self, on_value: Callable[[str], None], **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_value = on_value

    def watch_value(self, value: str) -> None:
        self._on_value(value)


class ConversationList(Vertical):
    """Filter input above a paged OptionList of chats; posts `Selected(pk)` on Enter/click."""

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

    class Action(Message):
        """A list-local action ("delete" / "delete_remote" / "rename") on the chat with option
        id `ident`."""

        def __init__(self, action: str, ident: str | None) -> None:
            super().__init__()
            self.action = action
            self.pk = int(ident) if ident else None

    def __init__(self, store: Store, *, now: Callable[[], float] = time.time, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.now = now
        self.search = ""
        self.loaded = 0
        self.exhausted = False
        self.current_pk: int | None = None
        self.rows: dict[int, ConversationRow] = {}
        self.hidden: set[int] = set()  # deleted, waiting for the undo window to pass
        self.running: set[int] = set()  # chats with a pending background job
        self._filter_timer: Timer | None = None
        self._filter_cost = 0.0  # seconds the last filter query and rebuild took
        self._listed: set[int] = set()  # chats on the (unfiltered) list so far
        # chats found by their messages, listed after every chat whose title matches
        self.found_in_text: dict[int, int] = {}  # pk -> the matching message's id
        self.text_limit = 0  # how many such chats were asked for (0: not searched yet)
        self.text_more = False  # the last search found as many as it asked for: maybe more
        self._text_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield FilterInput(self._filter_typed, placeholder="Filter chats…", id="filter", compact=True)
        yield ChatOptions(id="chats")

    @property
    def options(self) -> ChatOptions:
        return self.query_one(ChatOptions)

    def on_mount(self) -> None:
        self.reload()  # in the first frame: the query and 60 rows cost ~1 ms

    def _option(self, conv: ConversationRow, now: float, depth: int = 0) -> Option:
        indent = "  " * (depth - 1) + "↳ " if depth else ""  # a fork, under the chat it came from
        title = indent + safe_title(conv.title or conv.id, max_len=max(8, TITLE_WIDTH - len(indent)))
        meta = f"{relative_time(conv.updated_at, now)} · {conv.mode}"
        if conv.pk in self.running:
            meta = "◷ job running · " + meta
        return ChatOption(title, meta, id=str(conv.pk))

    def _page(self, rows: list[ConversationRow], now: float) -> list[Option]:
        """A page of the list; unfiltered, each chat with its forks under it (see with_forks)."""
        if self.search:
            return [self._option(c, now) for c in rows if c.pk not in self.hidden]
        from termchat.fork import with_forks

        listed = with_forks(self.store, rows, self._listed)
        self.rows.update((c.pk, c) for c, _ in listed)
        return [self._option(c, now, depth) for c, depth in listed if c.pk not in self.hidden]

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
        self.query_one("#filter", Input).placeholder = f"Filter {count:,} chats…  (Ctrl+F)"

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
        self._text_timer = self.set_timer(TEXT_SEARCH_DELAY,
                                          lambda: self._start_message_search(search, skip, PAGE))

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
            options.append(ChatOption(safe_title(conv.title or conv.id, max_len=TITLE_WIDTH), plain,
                                      id=str(conv.pk), message_id=message_id,
                                      match=(start, end) if 0 <= start <= end else None))
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

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._cancel_pending_filter()
        if event.value.strip() != self.search:  # (else the list, and its message hits, stand)
            self.apply_filter(event.value.strip())
        elif self.options.highlighted is None and self.options.option_count:
            self.options.highlighted = 0
        self.options.focus()

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
