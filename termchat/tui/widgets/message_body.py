"""The Markdown body of a message, shared by the message view and the reply stream."""

from __future__ import annotations

from typing import Any

from textual.await_complete import AwaitComplete
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Markdown

from termchat.sanitize import strip_control
from termchat.tui.compat.widgets import EmptyMarkdownMount
from termchat.tui.widgets.code_fence import CodeFence


def markdown_link_text(text: str) -> str:
    """`text` safe as the text of a Markdown link: one line, brackets escaped."""
    return strip_control(text, keep_newlines=False).replace("[", "\\[").replace("]", "\\]")


class MessageBody(EmptyMarkdownMount, Markdown):
    """Markdown without the bottom margin of its last block (the message adds its own spacing).

    Done with an inline style after each update: a `:last-child` rule (or a class) would make
    Textual restyle blocks and their subtrees after every mount, quadratic while a reply streams.
    A streaming reply has several bodies (see `reply_stream`); only the last one is trimmed. An
    empty body (a streamed reply's new segment) builds nothing when mounted (see compat).

    A closed body (a finished segment of a long reply) can be folded while it is far off
    screen: its blocks are hidden and its height kept, so the screen's layout, which visits
    every widget shown, skips them (see `pane_folding`).
    """

    class Closed(Message):
        """A segment of a streamed reply is complete: it may be folded while far off screen."""

        def __init__(self, body: MessageBody) -> None:
            super().__init__()
            self.body = body

    _last: Widget | None = None
    folded = False
    BLOCKS = {**Markdown.BLOCKS, "fence": CodeFence, "code_block": CodeFence}  # labelled code

    def __init__(self, markdown: str | None = None, *, trim: bool = True, **kwargs: Any) -> None:
        super().__init__(markdown, **kwargs)
        self._trim = trim

    def update(self, markdown: str) -> AwaitComplete:
        self.unfold()  # new blocks, new height
        return AwaitComplete(self._trim_after(super().update(markdown)))

    def append(self, markdown: str) -> AwaitComplete:
        return AwaitComplete(self._measure_after(super().append(markdown)))

    async def _trim_after(self, pending: AwaitComplete) -> None:
        await pending
        self.trim_last_margin()

    async def _measure_after(self, pending: AwaitComplete) -> None:
        await self._trim_after(pending)
        self.measure_blocks()

    def measure_blocks(self) -> None:
        """Work out each text block's height now, at the width the next layout gives it (a
        block measured before and unchanged since finds its height at once).

        A block's height is its text wrapped to the width, and its paint wraps the text again:
        for a streamed step, both were done in the one frame that shows it. The text keeps the
        height it worked out for a width (Textual's `Content` does), so that frame's layout
        finds it, and the wrapping for the heights runs here, in the step, a callback of its own.
        Nested blocks (lists, quotes, tables, code) are left to the layout.
        """
        width = self.size.width
        view = self.parent
        if not width and isinstance(view, Widget):  # a new segment, not laid out yet
            width = view.content_size.width - self.styles.margin.width - self.styles.gutter.width
        if width <= 0:
            return
        viewport = self.app.size
        for block in self.children:
            if block.is_container or not block.display:
                continue
            block_width = width - block.styles.margin.width - block.styles.gutter.width
            if block_width > 0:
                block.get_content_height(Size(width, 0), viewport, block_width)

    def close(self) -> None:
        """No more text comes: keep its layout cached while the reply below it grows.

        Textual lays out a container whose children all have `height: auto` against its
        parent's height, which changes with every streamed line; one fixed-height child (the
        empty end mark) makes the layout independent of it.
        """
        if not self.query_children(".segment-end"):
            self.mount(Widget(classes="segment-end"))
            self.post_message(self.Closed(self))

    def fold(self) -> bool:
        """Hide the blocks, keeping the height they take (the same layout, nothing painted but
        blank lines); returns whether it folded. Only for a body laid out and not shown."""
        height = self.outer_size.height
        if self.folded or not self.is_attached or height <= 0:
            return False
        self.folded = True
        self.styles.height = height
        for child in self.children:
            child.display = False
        return True

    def unfold(self) -> None:
        """Show the blocks again (their height may differ now: the width may have changed)."""
        if not self.folded:
            return
        self.folded = False
        for child in self.children:
            child.display = True
        self.styles.clear_rule("height")

    def render_lines(self, crop: Region) -> list[Strip]:
        if self.folded:  # on screen after all (a jump the pane did not see coming): unfold now
            self.call_later(self.unfold)
        return super().render_lines(crop)

    def set_trim(self, trim: bool) -> None:
        self._trim = trim
        self.trim_last_margin()

    def trim_last_margin(self) -> None:
        children = self.children
        last = children[-1] if children and self._trim else None
        if last is self._last:
            return
        if self._last is not None and self._last.parent is self:
            if self._last.styles.clear_rule("margin"):
                self._last.refresh(layout=True)
        self._last = last
        if last is not None:
            margin = last.styles.margin
            if margin.bottom:
                last.styles.margin = (margin.top, margin.right, 0, margin.left)
