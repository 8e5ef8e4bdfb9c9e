"""The transcript: the newest messages mounted, older pages loaded when scrolled to the top.

The pane follows the bottom (Textual's anchor) only while the user is at the bottom. The number of
mounted messages stays bounded so long sessions stay fast. It reads the chat it shows from the
store; the screen says which chat and which reply streams into it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from termchat.store import ConversationRow, MessageRow, Store
from termchat.tui.compat.screen import lay_out_now
from termchat.tui.widgets.pane_folding import FoldedSegments
from termchat.tui.widgets.pane_pages import BuiltPages

if TYPE_CHECKING:  # imported when the first message is shown: Markdown is not needed at start-up
    from termchat.tui.turns import Turn
    from termchat.tui.widgets.message_view import MessageView

# A chat opens newest first: its newest message is built and painted, then older ones that
# about fill the rest of the screen (building a message's Markdown is the cost of an open:
# mounting a screenful at once kept the newest off the screen until all of it was built).
# Scrolling to the top loads about a screenful more; a page is at most PAGE messages (each one
# mounted is paid for in the page's paint). A search hit opens with REVEAL_PAGE around it.
FIRST_PAGE = 1
PAGE = 6
REVEAL_PAGE = 12
MAX_MOUNTED = 200
TIME_REFRESH = 30.0  # seconds between two updates of the messages' "5m ago"


def new_chat_hint(model: str, mode: str, *, demo: bool) -> str:
    """What the transcript of a new chat says."""
    lines = [
        f"New chat · {model} · {mode} mode",
        "",
        "Type a message below and press Enter. Ctrl+P lists every command, F1 every key.",
    ]
    if demo:
        lines += ["", "Demo mode: replies come from a built-in fake model; nothing leaves this machine."]
    return "\n".join(lines)


class MessagePane(BuiltPages, FoldedSegments, VerticalScroll):
    """Shows one conversation; the app feeds it rows and streaming events."""

    can_focus = True

    class NeedOlder(Message):
        """(To itself) scrolled to the top while older messages exist, or (`fill`) the page is
        too short: load the page before. A message, so the page mounts after this scroll."""

        def __init__(self, fill: bool = False) -> None:
            super().__init__()
            self.fill = fill

    class NeedLatest(Message):
        """End pressed while the newest messages are not mounted (dropped while reading far back)."""

    def __init__(
        self, store: Store, *, now: Callable[[], float] = time.time, empty_hint: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.conv: ConversationRow | None = None
        self._hint = empty_hint
        self.now = now
        self.has_older = False
        self.loading_older = False
        self.model = ""
        # the chat's alternatives (tui/branches.py): turn -> the chats that hold them, and
        # message id -> (the chat's place, how many) among the alternatives of its turn
        self.alternatives: dict[int, list[ConversationRow]] = {}
        self.branch_marks: dict[int, tuple[int, int]] = {}
        self._following = True  # at the end, or not moved away from it (see watch_scroll_y)
        self._when_shown = []  # see pane_pages
        self._building_pages = []
        self._closed_bodies = []  # see pane_folding
        self._folded_width = 0

    def meta(self, row: MessageRow) -> str:
        from termchat.listing import relative_time

        return relative_time(row.created_at, self.now())

    def view_for(self, row: MessageRow, *, streaming_text: str | None = None) -> MessageView:
        from termchat.attachments import describe as describe_attachment
        from termchat.tui.widgets.message_view import MessageView

        content = row.content if streaming_text is None else streaming_text
        return MessageView(
            row.role,
            content,
            message_id=row.id,
            status=row.status,
            items=row.items,
            error=row.error,
            meta=self.meta(row),
            streaming=streaming_text is not None,
            branch=self.branch_marks.get(row.id),
            created_at=row.created_at,
            attachments=[describe_attachment(a) for a in row.attachments],
        )

    @property
    def views(self) -> list[MessageView]:
        return list(self.query_children("MessageView"))  # by name: see the import above

    async def show_chat(
        self,
        conv: ConversationRow | None,
        *,
        live: Turn | None = None,
        empty_hint: str = "",
        reveal: int | None = None,
        found: bool = True,
    ) -> None:
        """Show `conv` from its newest page (None: a new chat, with `empty_hint`); `live` is the
        reply streaming in it, shown (and then fed) by the view of its message. `reveal`: a
        message to scroll to and select (its page if not the newest), marked as `found` or not."""
        from termchat.tui.branches import alternatives_of

        self.conv = conv
        self.alternatives, self.branch_marks = alternatives_of(self.store, conv)
        if conv is None:
            await self.show([], has_older=False, empty_hint=empty_hint)
            return
        if reveal is not None and (around := self._rows_around(conv, reveal)) is not None:
            rows, has_older, has_newer = around
            await self.show(rows, has_older=has_older)
            self.reveal(reveal, newer_hidden=has_newer, found=found)
            return
        rows = self.store.messages(conv, limit=FIRST_PAGE + 1)
        has_older = len(rows) > FIRST_PAGE
        rows = rows[-FIRST_PAGE:]
        streaming = live is not None and live.reply_id is not None
        await self.show(rows, has_older=has_older, live={live.reply_id: live.text} if streaming else {})
        if streaming:
            for view in self.views:
                if view.message_id == live.reply_id:
                    live.view = view
                    view.start_stream(live.shown_backlog)
        if reveal is not None:
            self.reveal(reveal, found=found)

    def _rows_around(self, conv: ConversationRow, message_id: int) -> tuple[list[MessageRow], bool, bool] | None:
        """A page of `conv` with `message_id` in it, if that is not the newest page: (rows, older
        ones exist, newer ones exist); None when the newest page (shown as usual) has it."""
        rows = self.store.messages(conv)
        index = next((i for i, row in enumerate(rows) if row.id == message_id), None)
        if index is None or index >= len(rows) - FIRST_PAGE:
            return None
        start = max(0, index - REVEAL_PAGE // 2)
        end = min(len(rows), start + REVEAL_PAGE)
        return rows[start:end], start > 0, end < len(rows)

    async def add_reply(self, turn: Turn, *, model: str, items: list[dict[str, Any]] | None) -> None:
        """Show `turn`'s reply, streaming, at the end; the turn feeds it from now on."""
        from termchat.tui.widgets.message_view import MessageView

        reply = await self.append(MessageView("assistant", meta=model, streaming=True, items=items))
        reply.start_stream(turn.shown_backlog)
        turn.view = reply
        self.anchor()

    async def show(
        self, rows: list[MessageRow], *, has_older: bool, live: dict[int, str] | None = None, empty_hint: str = ""
    ) -> None:
        """Replace the transcript with `rows` (the newest page); `live` maps streaming ids to text."""
        live = live or {}
        self.has_older = has_older
        if not rows and empty_hint and self._show_hint(empty_hint):
            self.anchor()
            return
        await self.remove_children()
        self.remove_class("-truncated")
        widgets = [self.view_for(r, streaming_text=live.get(r.id)) for r in rows]
        if not widgets and empty_hint:
            widgets = [Static(empty_hint, classes="empty-hint", markup=False)]
        self._hint = empty_hint if not rows else ""
        with self._one_paint():  # painted once built: no frame of messages half built
            await self.mount_all(widgets)
            if rows:  # (else the hint)
                await self._until_built(widgets)
        self.anchor()
        self.call_after_refresh(self._fill)

    def _show_hint(self, hint: str) -> bool:
        """Show `hint` in the hint already shown (no remount, no new layout); False if none is."""
        children = self.children
        if len(children) != 1 or not children[0].has_class("empty-hint"):
            return False
        if self._hint != hint:
            children[0].update(hint)
            self._hint = hint
        return True

    def compose(self) -> ComposeResult:
        if self._hint:  # a new chat's hint, part of the first frame
            yield Static(self._hint, classes="empty-hint", markup=False)

    def on_mount(self) -> None:
        self.anchor()
        self.set_interval(TIME_REFRESH, self.refresh_times)

    def refresh_times(self) -> None:
        """Move the headers' "5m ago" on with the clock."""
        now = self.now()
        for view in self.views:
            view.refresh_time(now)

    def _fill(self, settled: bool = False) -> None:
        """A first page too short to scroll could never reach the top: load older pages now."""
        if not (self.has_older and not self.loading_older and self.is_mounted):
            return
        if any(self._building(v) for v in self.views):
            self.set_timer(0.05, self._fill)  # Markdown still being built: heights not known yet
        elif not settled:
            self.call_after_refresh(self._fill, True)
        elif self.max_scroll_y == 0:
            self._ask_older(fill=True)

    async def prepend(self, rows: list[MessageRow], *, has_older: bool, keep_place: bool = True) -> None:
        """Mount an older page above the first message, keeping what the user looks at in place
        (`keep_place`), or else following the end (a page too short to scroll being filled)."""
        self.has_older = has_older
        views = self.views
        if not rows:
            return
        first = views[0] if views else None
        widgets = [self.view_for(r) for r in rows]
        # One frame shows the page built and the reader where they were: the page is built and
        # laid out before anything is painted (a frame in between showed the page's top, or
        # its messages not built yet, and the reader jumped, then back).
        with self._one_paint():
            await self.mount_all(widgets, before=first) if first else await self.mount_all(widgets)
            await self._until_built(widgets)
            if first is not None and keep_place:
                lay_out_now(self.screen)
                self._keep_on_top(first)
                lay_out_now(self.screen, scroll=True)
        if first is not None and keep_place:  # (a page whose build outlasted the wait)
            self.call_after_refresh(self._keep_on_top, first)
        self.call_after_refresh(self._fill)
        overflow = len(self.views) - MAX_MOUNTED
        if overflow > 0:  # drop the newest; jumping to the end reloads them
            await self.remove_children(self.views[-overflow:])
            self.add_class("-truncated")

    def _keep_on_top(self, view: MessageView) -> None:
        if view.is_attached:
            self.scroll_to_widget(view, top=True, animate=False, immediate=True)

    async def append_news(self, conv: ConversationRow, added: int) -> bool:
        """Mount the `added` messages a sync put after the last one shown, following them only
        if the reader is at the end; False (nothing done) when they do not follow it."""
        from termchat.tui.branches import alternatives_of

        if self.truncated:  # the newest are not mounted: End loads them, and the news
            self.conv = conv
            return True
        views = self.views
        last = views[-1].message_id if views else None
        rows = self.store.messages(conv, limit=added + 1)
        ids = [row.id for row in rows]
        if last is None or last not in ids:
            return False
        self.conv = conv
        self.alternatives, self.branch_marks = alternatives_of(self.store, conv)
        following = self._following
        if not following:
            self.release_anchor()  # the reader stays on what they read
        await self._mount_at_end([self.view_for(row) for row in rows[ids.index(last) + 1 :]])
        if following:
            self.anchor()
        return True

    async def append(self, view: MessageView) -> MessageView:
        await self._mount_at_end([view])
        return view

    async def _mount_at_end(self, views: list[MessageView]) -> None:
        for hint in self.query(".empty-hint"):
            await hint.remove()
        await self.mount_all(views)
        overflow = len(self.views) - MAX_MOUNTED
        if overflow > 0:  # drop the oldest; scrolling up loads them again
            await self.remove_children(self.views[:overflow])
            self.has_older = True

    def reveal(self, message_id: int, *, newer_hidden: bool = False, found: bool = True) -> None:
        """Scroll to a message and select it, marked as `found` (a search hit: `-found`);
        `newer_hidden`: the page shown is not the newest (End reloads it)."""
        if newer_hidden:
            self.add_class("-truncated")
        for view in self.views:
            if view.message_id == message_id:
                view.set_class(found, "-found")
                self._reveal_when_built(view)
                return

    def _reveal_when_built(self, view: MessageView) -> None:
        if not (view.is_mounted and self.is_mounted):
            return
        if any(self._building(v) for v in self.views):  # heights not known yet: wait for them
            self.set_timer(0.05, lambda: self._reveal_when_built(view))
            return
        view.focus(scroll_visible=False)
        self.scroll_to_widget(view, center=True, animate=False, immediate=True)

    @property
    def truncated(self) -> bool:
        """Whether the newest messages were dropped to keep the mounted count bounded."""
        return self.has_class("-truncated")

    def action_scroll_end(self) -> None:
        """End: to the newest message, reloading it first when it was dropped."""
        if self.truncated:
            self.post_message(self.NeedLatest())
        else:
            self.scroll_end(animate=False, immediate=True)
            self.anchor()

    def _ask_older(self, *, fill: bool = False) -> None:
        """Load the page before the first message shown; `loading_older` until it is mounted."""
        self.loading_older = True
        self.post_message(self.NeedOlder(fill))

    async def on_message_pane_need_older(self, message: NeedOlder) -> None:
        message.stop()
        try:
            if self.conv is not None:
                rows = self.store.messages(self.conv, limit=PAGE + 1, before_id=self.first_message_id())
                room = self.size.height - (self._content_height() if message.fill else 0)
                size = min(PAGE, self._screenful(rows, room))
                await self.prepend(rows[-size:], has_older=len(rows) > size, keep_place=not message.fill)
        finally:
            self.loading_older = False

    def first_message_id(self) -> int | None:
        for view in self.views:
            if view.message_id is not None:
                return view.message_id
        return None

    NEW_BELOW = "↓ new text below · End"

    def _at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y - 1

    def on_message_view_grew(self, message: Message) -> None:
        """A reply grew while the reader is further up: say so on the pane's bottom edge."""
        message.stop()
        if not self._following and self.border_subtitle != self.NEW_BELOW:
            self.border_subtitle = self.NEW_BELOW
        self.fold_far()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.unfold_near(new)
        # Following the end until the reader moves up (growing text only moves the end down);
        # following again once back at the end.
        if self._at_end():
            self._following = True
            if self.border_subtitle:
                self.border_subtitle = ""
        elif new < old:
            self._following = False
        # At the top of content taller than the pane: the reader scrolled up. (Content that fits
        # also puts scroll_y at 0, say while a new page lays out: `_fill` handles that case.)
        if new <= 0 and old > 0 and self.max_scroll_y > 0 and self.has_older and not self.loading_older:
            self._ask_older()

    def last_reply(self) -> MessageView | None:
        for view in reversed(self.views):
            if view.role == "assistant" and view.text.strip():
                return view
        return None

    def shows_newest(self, message_id: int) -> bool:
        """Whether the last message shown is `message_id`."""
        views = self.views
        return bool(views) and views[-1].message_id == message_id

    def copy_target(self, focused: Any) -> tuple[MessageView | None, str]:
        """What Copy takes: the selected message (`focused`), else the last reply; and which."""
        if focused in self.views:
            return focused, "the selected message"
        return self.last_reply(), "the last reply"

    def select_message(self, step: int, focused: Any) -> None:
        """Move the selection `step` messages from `focused` (from elsewhere: the newest)."""
        views = [v for v in self.views if v.role != "compaction"]
        if not views:
            return
        current = views.index(focused) if focused in views else len(views)
        index = min(max(current + step, 0), len(views) - 1)
        views[index].focus()
        views[index].scroll_visible()

    # -- a selected message's branch keys (see tui/branches.py) ----------------------------------

    def on_message_view_edit_requested(self, message: MessageView.EditRequested) -> None:
        from termchat.tui.branches import EditPrompt, turn_of

        message.stop()
        if self.conv is not None and message.view.message_id is not None:
            turn = turn_of(self.store.messages(self.conv), message.view.message_id)
            self.post_message(EditPrompt(self.conv.pk, turn, message.view.text))

    def on_message_view_regenerate_requested(self, message: MessageView.RegenerateRequested) -> None:
        from termchat.tui.branches import Branch, turn_of

        message.stop()
        if self.conv is None or message.view.message_id is None:
            return
        conv = self.store.reload(self.conv)  # (a first reply may have given it a server id)
        messages = self.store.messages(conv)
        turn = turn_of(messages, message.view.message_id)
        prompts = [m for m in messages if m.role == "user"]
        if turn == 0 or not prompts[turn - 1].content.strip():
            self.notify("this reply answers no prompt of yours: nothing to ask again", markup=False)
            return
        self.post_message(Branch(conv, turn, prompts[turn - 1].content))

    def on_message_view_branch_requested(self, message: MessageView.BranchRequested) -> None:
        from termchat.fork import message_at
        from termchat.tui.branches import OpenAlternative, place_in, turn_of

        message.stop()
        view = message.view
        if self.conv is None or view.message_id is None:
            return
        turn = turn_of(self.store.messages(self.conv), view.message_id)
        family = self.alternatives.get(turn) or []
        place = place_in(family, self.conv)
        if place is None or not 0 <= place + message.step < len(family):
            return
        target = self.store.reload(family[place + message.step])
        reveal = message_at(self.store.messages(target), turn, view.role)
        self.post_message(OpenAlternative(target.id, reveal))

    def mark_new_branch(self, fork: ConversationRow) -> None:
        """`fork` was just made and its first new turn sent: its prompt and reply (the last two
        messages) say at once which alternative they are."""
        from termchat.tui.branches import alternatives_of, place_in

        self.alternatives, self.branch_marks = alternatives_of(self.store, fork)
        family = self.alternatives.get((fork.fork_turn or 0) + 1) or []
        place = place_in(family, fork)
        if place is not None:
            for view in self.views[-2:]:
                view.branch = (place + 1, len(family))
                view.refresh_header()
