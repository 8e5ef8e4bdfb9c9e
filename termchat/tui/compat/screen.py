"""Textual's private API for screens: laying a screen out, marking and splitting its frames
(`FramedScreen`), its first resume (see `termchat.tui.compat` for the rule this package keeps).
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import events
from textual.geometry import Size
from textual.screen import Screen

from termchat.tui import frames

# -- Screen ------------------------------------------------------------------------------------


class FramedScreen(Screen[None]):
    """A screen that marks each of its frames (`tui/frames.py`): threads that would compete
    with the frame for the GIL wait while it is painted. While a reply streams, the timer's frame
    lays the screen out and paints `PAINT_AFTER` seconds later, a timer of its own: what the loop
    has due by then (timers, keys read meanwhile) runs between the layout and the paint. Until
    that paint, the screen is not idle: what waits for the refresh waits for the paint.

    Textual 8.2: the screen's update timer calls `Screen._on_timer_update`, which lays out what
    needs it (`_refresh_layout`, which paints at its end with `_compositor_refresh` unless a
    batch is open) and paints the dirty regions, all in that one call. The first frame and a new
    terminal size are laid out and painted by `_refresh_layout(size)` called from elsewhere.
    The callbacks waiting for a refresh (`call_after_refresh`) are in `Screen._callbacks`: the
    timer's frame has `_invoke_and_clear_callbacks` called next, and `Screen._on_idle` calls it
    once nothing is left to lay out or paint; Textual calls each class's `_on_idle` along the
    MRO, subclass first, unless `prevent_default()` stops it. `App._batch_count` is non-zero
    while a `batch_update` is open (Textual paints nothing then).
    """

    PAINT_AFTER = 0.001
    _split_layout = False  # the timer's frame, while a reply streams: paint on a later turn
    _paint_due: asyncio.TimerHandle | None = None

    def _on_timer_update(self) -> None:
        frames.frame_started()
        split = self._split_layout = frames.streaming()
        waiting: list[Any] = []
        if split:  # (the frame would have them called next: they wait for the paint)
            waiting, self._callbacks = self._callbacks, []
        try:
            super()._on_timer_update()
        finally:
            self._split_layout = False
            frames.frame_ended()
            if split:
                self._callbacks[:0] = waiting
                if self._paint_due is None and self._callbacks:  # nothing to paint: no wait
                    self.call_next(self._invoke_and_clear_callbacks)

    def _refresh_layout(self, size: Size | None = None, scroll: bool = False) -> None:
        frames.frame_started()
        try:
            super()._refresh_layout(size, scroll)
        finally:
            frames.frame_ended()

    def _compositor_refresh(self) -> None:
        if not self._split_layout:
            super()._compositor_refresh()
        elif self._paint_due is None:
            self._paint_due = asyncio.get_running_loop().call_later(self.PAINT_AFTER, self._paint_laid_out)

    def _paint_laid_out(self) -> None:
        self._paint_due = None
        if not self.is_attached:
            return
        if self.app._batch_count:  # an update under way: its widgets are painted once it ends
            self._paint_due = asyncio.get_running_loop().call_later(self.PAINT_AFTER, self._paint_laid_out)
            return
        frames.frame_started()
        try:
            super()._compositor_refresh()
        finally:
            frames.frame_ended()
        if self._callbacks:  # as the frame would have done
            self.call_next(self._invoke_and_clear_callbacks)
        self.check_idle()

    async def _on_idle(self, event: events.Idle) -> None:
        if self._paint_due is not None:
            event.prevent_default()  # laid out, not painted yet: not idle


def lay_out_now(screen: Any, *, scroll: bool = False) -> None:
    """Lay `screen` out at once: its widgets' regions and scroll limits are those of the next
    frame. Inside `App.batch_update` nothing is painted until the batch ends, so a widget can
    lay out, place its scroll, and have both painted in one frame. `scroll`: only the scroll
    offsets changed since the last layout.

    Textual 8.2: `Screen._refresh_layout(size=None, scroll=False)` reflows the compositor and
    updates every widget's size; with a batch open it defers the paint (`call_later` of
    `_compositor_refresh`), which then paints what the compositor holds.
    """
    screen._refresh_layout(scroll=scroll)


def keep_styles_on_first_resume(screen: Screen[Any], event: events.ScreenResume) -> None:
    """From the screen's `on_screen_resume`: its first showing does not restyle all its widgets
    again (each was styled when mounted, and each change since restyled what it changed).

    Textual 8.2: `Screen._on_screen_resume` restyles the whole screen if `event.refresh_styles`;
    handlers run subclass first (`_get_dispatch_methods` walks the MRO); `stack_updates` is 0
    until the first `_on_screen_resume`.
    """
    if screen.stack_updates == 0:
        event.refresh_styles = False
