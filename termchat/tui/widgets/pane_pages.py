"""How the transcript's pages are sized and when they are built (a mixin of `MessagePane`).

A message's Markdown is built after it is mounted (Textual parses it in a thread, then mounts
its blocks); until then its height is not known. The pane waits for that (on the message
Markdown posts when built, never by polling) before it paints a page or lets an open go on.
A page is painted in one screen update, with the garbage collector held until then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from termchat import perf

if TYPE_CHECKING:
    from termchat.store import MessageRow
    from termchat.tui.widgets.message_view import MessageView

SHOWN_AT_THE_LATEST = 2.0  # seconds: waits for a build end then even if a build never ends


class BuiltPages:
    """For `MessagePane` (first in its bases): its views, what is built, and page sizes."""

    _when_shown: list[Callable[[], object]]
    _building_pages: list[tuple[list[MessageView], asyncio.Event]]
    views: list[MessageView]
    children: Any
    size: Any
    set_timer: Any
    call_after_refresh: Any
    app: Any

    def when_shown(self, callback: Callable[[], object]) -> None:
        """Call `callback` once the messages shown are built and painted: what would compete
        with that paint waits for it (say, an open's sync with the server)."""
        self._when_shown.append(callback)
        self._call_when_shown()
        self.set_timer(SHOWN_AT_THE_LATEST, lambda: self._call_when_shown(at_the_latest=True))

    def _call_when_shown(self, *, at_the_latest: bool = False) -> None:
        if not self._when_shown or (not at_the_latest and any(self._building(v) for v in self.views)):
            return
        callbacks, self._when_shown = self._when_shown, []
        for callback in callbacks:
            self.call_after_refresh(callback)

    @contextmanager
    def _one_paint(self) -> Iterator[None]:
        """What is mounted inside is painted in one screen update, once the block is done (a
        batch); and no garbage collection meanwhile, until that update: one in the middle (a
        full one walks every widget made since the first frame) delayed the paint."""
        perf.hold_collection()
        try:
            with self.app.batch_update():
                yield
        finally:
            self.app.call_after_refresh(perf.release_collection)

    def on_markdown_table_of_contents_updated(self) -> None:
        """(Posted by a message's Markdown once it is built.)"""
        self._call_when_shown()
        for views, built in self._building_pages:
            if not any(self._building(v) for v in views):
                built.set()

    async def _until_built(self, views: list[MessageView]) -> None:
        """Wait until the Markdown of `views` is built (heights known), SHOWN_AT_THE_LATEST at most."""
        if not any(self._building(v) for v in views):
            return
        built = asyncio.Event()
        waiting = (views, built)
        self._building_pages.append(waiting)
        try:
            await asyncio.wait_for(built.wait(), SHOWN_AT_THE_LATEST)
        except TimeoutError:
            pass
        finally:
            self._building_pages.remove(waiting)

    @staticmethod
    def _building(view: MessageView) -> bool:
        """Whether `view`'s Markdown is still being built (its height is not known yet)."""
        if view.role in ("compaction", "user") or not view.text.strip():
            return False  # no Markdown to build (a user's message is shown as typed)
        bodies = view.query(".message-body")  # none yet: the view itself is not composed yet
        return not bodies or not bodies.first().children

    def _content_height(self) -> int:
        """Lines the messages shown take (the virtual size is at least the pane's height)."""
        return max((child.virtual_region_with_margin.bottom for child in self.children), default=0)

    def _screenful(self, rows: list[MessageRow], room: int) -> int:
        """How many of `rows` (oldest first), from the newest back, about fill `room` lines
        (at least one): estimated from their text, a line per line of text as wrapped."""
        width = max(self.size.width - 6, 20)  # less the message's padding
        lines = count = 0
        for row in reversed(rows):
            count += 1
            lines += 2 + sum(len(line) // width + 1 for line in row.content.split("\n"))  # + header, margin
            if lines >= room:
                break
        return count
