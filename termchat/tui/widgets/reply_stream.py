"""Streaming a reply into the transcript: batched updates, and the text split into segments.

`Markdown.append` re-parses and re-lays-out one growing document, so a long reply gets slower
with every token and keys wait behind it. Here the text goes out at most once every `INTERVAL`
seconds, and once a segment holds `SEGMENT_CHARS` the next paragraph that starts at a closed
block boundary (outside code fences, not a list, quote, table or heading) opens a new Markdown
widget: appends only touch the small tail, and the closed segments keep their cached layout.
An update is one batch (`App.batch_update`): its appends and mounts are painted in one frame.
Splitting only before plain paragraphs (top margin 0) keeps the spacing of one document.

An update shows at most `STEP_CHARS` of new text: a reply that arrives faster than that (a fast
server, a replayed job) is shown in steps, one frame painted between two of them. Without that
wait the steps followed each other with one loop turn between them, Textual skipped its frames
while a step held the batch, and the text of many steps landed in one long frame.

The stream reports how much text it holds back and whether a step waits for its frame
(`on_backlog`): the turn's worker reads no further ahead than the screen can follow, and not
while a frame is due (see tui/turns.py). While a stream runs, the cyclic collector
makes no full collection (`perf.stream_started`); the one put off runs a second after the last
stream ends. And while it streams, a frame that lays the screen out paints on a later loop turn
(`frames.stream_began`, see `compat.screen.FramedScreen`): the keys and timers due meanwhile run
between the layout and the paint.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import TYPE_CHECKING

from termchat import perf
from termchat.tui import frames

if TYPE_CHECKING:
    from termchat.tui.widgets.message_body import MessageBody

# Seconds between two updates of a streaming reply's widget: the one throttle between the model's
# deltas and the screen (the turn's worker hands text over as it comes, see tui/turns.py). Fewer
# updates leave the UI thread more time for keys; benchmarks/README.md has the trade-off.
INTERVAL = 0.1
SEGMENT_CHARS = 4000  # a segment closes at the first safe boundary after this many characters
# Characters shown in one update at most: the blocks of new text are parsed, built and styled in
# one go and painted in the next frame, so a larger step holds the UI thread (and the keys) for
# longer, and a smaller one makes more frames (each repaints the scrolled transcript).
STEP_CHARS = 3000
AFTER_FRAME = 0.001  # seconds from a step's frame to the next step (the loop runs what is due)

_BLANK_LINE = re.compile(r"\n(?:[ \t]*\n)+(?=\S)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)
# Lines that start something other than a plain paragraph (or may, once more text arrives).
_NOT_PARAGRAPH = re.compile(
    r"[\s#>|<]|[-*+](\s|$)|\d{1,9}[.)](\s|$)|([-*_])(\s*\3){2,}\s*(\n|$)"
    r"|`{3,}|~{3,}|\[[^\]\n]*\]:"
)


def _fence_open(text: str) -> bool:
    """Whether `text` ends inside a fenced code block."""
    opener = ""
    for match in _FENCE.finditer(text):
        fence = match.group(1)
        if not opener:
            opener = fence
        elif fence[0] == opener[0] and len(fence) >= len(opener):
            opener = ""
    return bool(opener)


def find_split(text: str, start: int, minimum: int = SEGMENT_CHARS) -> int | None:
    """The offset (>= `start` and >= `minimum`) where a new segment may begin, or None."""
    if len(text) < minimum:
        return None
    found = None
    for match in _BLANK_LINE.finditer(text, max(0, start - 8, minimum - 8)):
        split = match.end()
        if split < start or split < minimum:
            continue
        head = text[split : split + 12]
        if "\n" not in head and len(head) < 12:
            break  # the line is too short yet to tell what it starts
        if _NOT_PARAGRAPH.match(head):
            continue
        if _fence_open(text[:split]):
            continue
        found = split
        break
    return found


def split_segments(text: str, minimum: int = SEGMENT_CHARS) -> Iterator[str]:
    """`text` cut the way a stream of it would have been cut."""
    while True:
        split = find_split(text, 0, minimum)
        if split is None:
            yield text
            return
        yield text[:split]
        text = text[split:]


class ReplyStream:
    """Feeds one streaming reply into its tail `MessageBody`, opening new segments as it grows.

    `open_segment(text, after)` mounts a new segment after `after` and returns it;
    `on_backlog(chars, painting)` is told how many characters are written and not shown yet, and
    whether a step shown waits for its frame, each time either changes.
    """

    def __init__(
        self,
        tail: MessageBody,
        tail_text: str,
        open_segment: Callable[[str, MessageBody], asyncio.Future | object],
        on_backlog: Callable[[int, bool], None] | None = None,
    ) -> None:
        self._tail = tail
        self._tail_text = tail_text
        self._open_segment = open_segment
        self._on_backlog = on_backlog
        self._backlog = 0  # characters in `_pending`
        self._ended = False  # stopped or abandoned: `perf.stream_ended` was called
        perf.stream_started()
        frames.stream_began()
        self._pending: list[str] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self._flushing = False
        self._task: asyncio.Task | None = None

    @property
    def caught_up(self) -> bool:
        """Whether all text written so far is in the Markdown widgets (none queued, no update
        under way): what a screenshot of a reply caught mid-stream waits for."""
        return not self._pending and not self._flushing

    def write(self, text: str) -> None:
        """Queue `text`; it is shown at the next update (at most INTERVAL from now)."""
        if not text:
            return
        self._pending.append(text)
        self._set_backlog(self._backlog + len(text))
        if self._task is None and not self._stopping:
            self._task = asyncio.create_task(self._run())
        self._wake.set()

    async def stop(self) -> None:
        """Show everything written so far and end the stream."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            if self._flushing:
                self._wake.set()
                await task  # ends after this update, before sleeping
            else:
                task.cancel()  # waiting or sleeping: nothing half done
                with suppress(asyncio.CancelledError):
                    await task
        # The rest in steps; no frame is waited for: this runs in the screen's handler of the
        # reply's end, and the screen paints only once that returns. The turn's worker waits
        # until the stream has caught up before it reports the end, so little is left here.
        while self._pending:
            await self._flush()
            if self._pending:
                await asyncio.sleep(0)  # between two steps, the loop is free for keys
        self._end()

    def abandon(self) -> None:
        """The widgets are going away (the app quits): end the stream without showing the rest.
        (The text is not lost: the turn keeps it and the store has it.)"""
        self._stopping = True
        self._pending.clear()
        self._set_backlog(0)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        self._end()

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            frames.stream_done()
            if perf.stream_ended():
                try:
                    asyncio.get_running_loop().call_later(perf.COLLECT_AFTER, perf.collect_put_off)
                except RuntimeError:  # no loop any more: nothing to stall
                    perf.collect_put_off()

    def _set_backlog(self, chars: int, *, painting: bool = False) -> None:
        self._backlog = chars
        if self._on_backlog is not None:
            self._on_backlog(chars, painting)

    async def _run(self) -> None:
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            self._flushing = True
            try:
                await self._flush()
            finally:
                self._flushing = False
            if self._stopping:
                break
            if self._pending:  # a backlog: its next step once this one is painted
                await self._painted()
                self._wake.set()
            else:
                await asyncio.sleep(INTERVAL)

    async def _painted(self) -> None:
        """Wait for the frame that shows the step just made (the tail's screen repaints, or has
        nothing to repaint)."""
        if not self._tail.is_attached:
            await asyncio.sleep(0)
            return
        self._set_backlog(self._backlog, painting=True)
        try:
            await self._tail.wait_for_refresh()
        finally:
            self._set_backlog(self._backlog)
        # What came during the frame (keys, timers due) before the next step's parse: a timer,
        # not `sleep(0)`, which would put the parse ahead of the timers that fell due meanwhile.
        await asyncio.sleep(AFTER_FRAME)

    async def _flush(self) -> None:
        if not self._pending:
            return
        if not self._tail.is_attached:  # unmounted meanwhile (the app is quitting)
            self._pending.clear()
            self._set_backlog(0)
            return
        # One frame per update: without the batch, each append and each new segment's mount
        # below would be laid out and painted on its own (several frames per update).
        with self._tail.app.batch_update():
            await self._flush_pending()

    async def _flush_pending(self) -> None:
        chunk = "".join(self._pending)
        self._pending.clear()
        if len(chunk) > STEP_CHARS:
            chunk, rest = chunk[:STEP_CHARS], chunk[STEP_CHARS:]
            self._pending.append(rest)
        self._set_backlog(self._backlog - len(chunk))
        text = self._tail_text + chunk
        start = len(self._tail_text)
        split = find_split(text, start)
        while split is not None:
            if split > start:
                await self._tail.append(text[start:split])
            if not self._tail.is_attached:  # removed while the append ran
                return
            self._tail = await self._open_segment("", self._tail)
            text, start = text[split:], 0
            split = find_split(text, 0)
        self._tail_text = text
        if len(text) > start:
            await self._tail.append(text[start:])
