"""The transcript: the newest messages mounted, older pages loaded when scrolled to the top.

The pane follows the bottom (Textual's anchor) only while the user is at the bottom. The number of
mounted messages stays bounded so long sessions stay fast.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from termchat.store import MessageRow

if TYPE_CHECKING:  # imported when the first message is shown: Markdown is not needed at start-up
    from termchat.tui.widgets.message_view import MessageView

FIRST_PAGE = 12  # shown when a chat opens: enough to fill a screen, quick to paint
PAGE = 25  # loaded each time the reader reaches the top
MAX_MOUNTED = 200


class MessagePane(VerticalScroll):
    """Shows one conversation; the app feeds it rows and streaming events."""

    can_focus = True

    class NeedOlder(Message):
        """Scrolled to the top while older messages exist, or (`fill`) the page is too short."""

        def __init__(self, fill: bool = False) -> None:
            super().__init__()
            self.fill = fill

    class NeedLatest(Message):
        """End pressed while the newest messages are not mounted (dropped while reading far back)."""

    def __init__(self, *, now: Callable[[], float] = time.time, empty_hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._hint = empty_hint
        self.now = now
        self.has_older = False
        self.loading_older = False
        self.model = ""
        # message id -> (the chat's place, how many) among the alternatives of its turn
        self.branches: dict[int, tuple[int, int]] = {}

    def meta(self, row: MessageRow) -> str:
        from termchat.listing import relative_time

        return relative_time(row.created_at, self.now())

    def view_for(self, row: MessageRow, *, streaming_text: str | None = None) -> MessageView:
        from termchat.tui.widgets.message_view import MessageView

        content = row.content if streaming_text is None else streaming_text
        return MessageView(row.role, content, message_id=row.id, status=row.status, items=row.items,
                           error=row.error, meta=self.meta(row), streaming=streaming_text is not None,
                           branch=self.branches.get(row.id))

    @property
    def views(self) -> list[MessageView]:
        return list(self.query_children("MessageView"))  # by name: see the import above

    async def show(self, rows: list[MessageRow], *, has_older: bool,
                   live: dict[int, str] | None = None, empty_hint: str = "") -> None:
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
        await self.mount_all(widgets)
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

    def _fill(self, settled: bool = False) -> None:
        """A first page too short to scroll could never reach the top: load older pages now."""
        if not (self.has_older and not self.loading_older and self.is_mounted):
            return
        if any(self._building(v) for v in self.views):
            self.set_timer(0.05, self._fill)  # Markdown still being built: heights not known yet
        elif not settled:
            self.call_after_refresh(self._fill, True)
        elif self.max_scroll_y == 0:
            self.post_message(self.NeedOlder(fill=True))

    @staticmethod
    def _building(view: MessageView) -> bool:
        """Whether `view`'s Markdown is still being built (its height is not known yet)."""
        if view.role == "compaction" or not view.text.strip():
            return False
        bodies = view.query(".message-body")  # none yet: the view itself is not composed yet
        return not bodies or not bodies.first().children

    async def prepend(self, rows: list[MessageRow], *, has_older: bool, keep_place: bool = True) -> None:
        """Mount an older page above the first message, keeping what the user looks at in place
        (`keep_place`), or else following the end (a page too short to scroll being filled)."""
        self.has_older = has_older
        views = self.views
        if not rows:
            return
        first = views[0] if views else None
        widgets = [self.view_for(r) for r in rows]
        await self.mount_all(widgets, before=first) if first else await self.mount_all(widgets)
        if first is not None and keep_place:
            self.scroll_to_widget(first, top=True, animate=False, immediate=True)
        self.call_after_refresh(self._fill)
        overflow = len(self.views) - MAX_MOUNTED
        if overflow > 0:  # drop the newest; jumping to the end reloads them
            await self.remove_children(self.views[-overflow:])
            self.add_class("-truncated")

    async def append(self, view: MessageView) -> MessageView:
        for hint in self.query(".empty-hint"):
            await hint.remove()
        await self.mount(view)
        overflow = len(self.views) - MAX_MOUNTED
        if overflow > 0:  # drop the oldest; scrolling up loads them again
            await self.remove_children(self.views[:overflow])
            self.has_older = True
        return view

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

    def first_message_id(self) -> int | None:
        for view in self.views:
            if view.message_id is not None:
                return view.message_id
        return None

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        # At the top of content taller than the pane: the reader scrolled up. (Content that fits
        # also puts scroll_y at 0, say while a new page lays out: `_fill` handles that case.)
        if new <= 0 and old > 0 and self.max_scroll_y > 0 and self.has_older and not self.loading_older:
            self.post_message(self.NeedOlder())

    def last_reply(self) -> MessageView | None:
        for view in reversed(self.views):
            if view.role == "assistant" and view.text.strip():
                return view
        return None
