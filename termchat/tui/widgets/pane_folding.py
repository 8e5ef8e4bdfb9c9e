"""Folding the closed segments of long replies while they are far off screen (a mixin of
`MessagePane`).

Every layout of the screen visits each widget it shows, on screen or not: while a long reply
streams, the transcript is laid out at every update, and a reply of a few hundred paragraphs
made each of those frames walk a few hundred blocks. A closed segment (see `reply_stream`)
that is more than `FOLD_AT` windows away from what the pane shows is folded (`MessageBody.fold`:
its blocks hidden, its height kept, so nothing moves); one that comes within `UNFOLD_AT`
windows is unfolded before it is drawn. A new width changes every height: all unfold. A
folded body that is drawn all the same unfolds itself (`MessageBody.render_lines`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from termchat.tui.widgets.message_body import MessageBody

FOLD_AT = 2  # windows between a closed segment and what is shown before it folds
UNFOLD_AT = 1  # ... and before a folded one unfolds (less: no fold and unfold back and forth)


class FoldedSegments:
    """For `MessagePane` (a mixin before the container class in its bases; the pane sets
    `_closed_bodies` to [] and `_folded_width` to 0)."""

    _closed_bodies: list[MessageBody]
    _folded_width: int  # the width the folded heights were taken at
    scroll_y: float
    scrollable_content_region: Any
    size: Any

    def on_message_body_closed(self, message: MessageBody.Closed) -> None:
        message.stop()
        self._closed_bodies.append(message.body)

    def _bodies(self) -> list[MessageBody]:
        """The closed bodies still in the transcript."""
        bodies = [body for body in self._closed_bodies if body.is_attached]
        self._closed_bodies = bodies
        return bodies

    def _place(self, body: MessageBody) -> tuple[int, int] | None:
        """`body`'s top and bottom in the pane's content (as of the last layout), or None."""
        view = body.parent
        if view is None or view.parent is not self:
            return None
        outer, inner = view.virtual_region, body.virtual_region
        if not outer.height or not inner.height:
            return None  # not laid out yet
        top = outer.y + view.styles.gutter.top + inner.y
        return top, top + inner.height

    def _window(self, scroll_y: float | None = None) -> tuple[float, float]:
        top = self.scroll_y if scroll_y is None else scroll_y
        return top, top + self.scrollable_content_region.height

    def fold_far(self) -> None:
        """Fold the closed segments far from what is shown."""
        top, bottom = self._window()
        margin = FOLD_AT * (bottom - top)
        for body in self._bodies():
            if not body.folded and (place := self._place(body)) is not None:
                if place[1] < top - margin or place[0] > bottom + margin:
                    body.fold()

    def unfold_near(self, scroll_y: float) -> None:
        """Unfold the folded segments near what is shown at `scroll_y`."""
        top, bottom = self._window(scroll_y)
        margin = UNFOLD_AT * (bottom - top)
        for body in self._bodies():
            if body.folded:
                place = self._place(body)
                if place is None or (place[1] >= top - margin and place[0] <= bottom + margin):
                    body.unfold()

    def on_resize(self) -> None:
        width = self.size.width
        if width != self._folded_width:
            for body in self._bodies():
                body.unfold()
        self._folded_width = width
