"""Whether the screen paints a frame right now, for threads that must not compete with it.

A frame (the layout and paint of the chat screen) holds the UI thread for tens of milliseconds
while a long reply streams. A worker thread that runs meanwhile takes the GIL from it in slices
of the interpreter's switch interval, so the frame's wall time grows by whatever the worker
does: the keys and timers that wait for the frame wait that much longer. The chat screen marks
each frame (`frame_started` / `frame_ended`, see `compat.screen.FramedScreen`); a streaming turn's
worker waits between two text deltas while one is painted (`wait_while_painting`, see
tui/turns.py). The mark is process-wide, as the GIL is.

While a reply streams (`stream_began` / `stream_done`, from its `ReplyStream`), a frame that lays
the screen out paints on a later loop turn (`compat.screen.FramedScreen`): the layout and the paint
are each about half of a frame, and the timers and keys that came during the layout run
between the two instead of waiting for both.
"""

from __future__ import annotations

import threading

_idle = threading.Event()  # set: no frame is being painted
_idle.set()
_depth = 0  # frames begun and not ended (a layout that paints runs inside the timer's frame)
_streams = 0  # replies streaming on screen


def stream_began() -> None:
    """(UI thread) a reply starts streaming onto the screen."""
    global _streams
    _streams += 1


def stream_done() -> None:
    """(UI thread) a reply stopped streaming (ended, or its widgets went away)."""
    global _streams
    _streams = max(0, _streams - 1)


def streaming() -> bool:
    """Whether a reply streams onto the screen: frames split their layout and paint."""
    return bool(_streams)


def frame_started() -> None:
    """(UI thread) a frame's layout and paint begin."""
    global _depth
    _depth += 1
    _idle.clear()


def frame_ended() -> None:
    """(UI thread) the frame is painted."""
    global _depth
    _depth = max(0, _depth - 1)
    if not _depth:
        _idle.set()


def wait_while_painting(timeout: float) -> bool:
    """(A worker thread) return once no frame is being painted; False if one still is after
    `timeout` seconds."""
    return _idle.wait(timeout)
