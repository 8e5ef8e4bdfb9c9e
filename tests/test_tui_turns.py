"""A turn's worker hands text to the UI through the turn's inbox: one wake-up message at a time,
and every character arrives, in order, however the two threads interleave."""

from __future__ import annotations

import threading

from termchat.tui import frames, turns
from termchat.tui.turns import TextArrived, Turn, TurnUpdate


async def test_one_wake_up_until_the_ui_takes_the_text():
    turn, posted = Turn(1, "hi"), []
    for chunk in ("Hel", "lo", " there"):
        turn.text_arrived(chunk, posted.append)
    assert len(posted) == 1 and isinstance(posted[0], TurnUpdate)
    assert isinstance(posted[0].event, TextArrived)
    await turn.show(posted[0].event)
    assert turn.text == "Hello there"
    turn.text_arrived("!", posted.append)  # taken: the next text wakes the UI again
    assert len(posted) == 2
    await turn.show(posted[1].event)
    assert turn.text == "Hello there!"


async def test_no_text_is_lost_or_reordered_between_the_threads():
    turn, posted = Turn(1, "hi"), []
    chunks = [f"{i:05d} " for i in range(20_000)]
    lock = threading.Lock()  # `post_message` is thread-safe; so is this stand-in

    def post(message: TurnUpdate) -> None:
        with lock:
            posted.append(message)

    def worker() -> None:
        for chunk in chunks:
            turn.text_arrived(chunk, post)

    thread = threading.Thread(target=worker)
    thread.start()
    taken = 0
    while thread.is_alive() or taken < len(posted):
        with lock:
            pending = posted[taken:]
        for message in pending:  # what the UI thread does with each wake-up
            await turn.show(message.event)
        taken += len(pending)
    thread.join()
    assert turn.text == "".join(chunks)
    assert len(posted) <= len(chunks)  # (usually far fewer: one per batch the UI takes)


class _ScreenBehind:
    """Stands in for a reply's view whose stream shows nothing yet: what it is given stays
    its backlog until the test says it is painted (`turn.shown_backlog`)."""

    def __init__(self) -> None:
        self.stream = self  # streaming
        self.written = ""

    async def write(self, text: str) -> None:
        self.written += text


def _worker(turn: Turn, text: str, log: list[str], posted: threading.Event) -> threading.Thread:
    def run() -> None:
        turn.text_arrived(text, lambda message: posted.set())
        log.append("worker went on")

    thread = threading.Thread(target=run)
    thread.start()
    return thread


async def test_the_worker_reads_no_further_while_the_screen_is_behind(monkeypatch):
    monkeypatch.setattr(turns, "FLOW_CHARS", 10)
    turn, log, posted = Turn(1, "hi"), [], threading.Event()
    turn.view = _ScreenBehind()  # type: ignore[assignment]
    thread = _worker(turn, "x" * 30, log, posted)
    posted.wait()
    await turn.show(TextArrived())  # taken, and not shown: still 30 behind
    log.append("painted")
    turn.shown_backlog(0)
    thread.join()
    assert log == ["painted", "worker went on"]
    assert turn.view.written == "x" * 30  # type: ignore[union-attr]


async def test_the_end_is_reported_once_everything_is_on_screen():
    turn, log = Turn(1, "hi"), []
    turn.view = _ScreenBehind()  # type: ignore[assignment]
    turn.text_arrived("short", lambda message: None)  # under FLOW_CHARS: no wait
    await turn.show(TextArrived())

    def end() -> None:
        turn.wait_until_shown()
        log.append("end reported")

    thread = threading.Thread(target=end)
    thread.start()
    log.append("painted")
    turn.shown_backlog(0)
    thread.join()
    assert log == ["painted", "end reported"]


def test_stop_releases_a_waiting_worker(monkeypatch):
    monkeypatch.setattr(turns, "FLOW_CHARS", 10)
    turn, log, posted = Turn(1, "hi"), [], threading.Event()
    thread = _worker(turn, "x" * 30, log, posted)  # the UI never takes it
    posted.wait()
    log.append("stopped")
    turn.stop()
    thread.join()
    assert log == ["stopped", "worker went on"]


def test_a_screen_that_stops_answering_no_longer_holds_the_worker(monkeypatch):
    monkeypatch.setattr(turns, "FLOW_CHARS", 10)
    monkeypatch.setattr(turns, "FLOW_PATIENCE", 0)  # (out of patience at once)
    turn = Turn(1, "hi")
    turn.text_arrived("x" * 30, lambda message: None)  # returns: the UI never took it
    turn.text_arrived("y" * 30, lambda message: None)
    turn.wait_until_shown()
    assert "".join(turn._inbox) == "x" * 30 + "y" * 30


async def test_the_worker_waits_while_a_frame_of_the_reply_is_painted():
    turn, log, posted = Turn(1, "hi"), [], threading.Event()
    turn.view = _ScreenBehind()  # type: ignore[assignment]
    turn.shown_backlog(0, painting=True)  # nothing behind, but a step waits for its frame
    thread = _worker(turn, "short", log, posted)
    posted.wait()
    log.append("painted")
    turn.shown_backlog(0)
    thread.join()
    assert log == ["painted", "worker went on"]


async def test_the_worker_waits_while_the_screen_paints_a_frame():
    turn, log, posted = Turn(1, "hi"), [], threading.Event()
    turn.view = _ScreenBehind()  # type: ignore[assignment]
    frames.frame_started()  # nothing behind, but a frame (any) is being painted
    try:
        thread = _worker(turn, "short", log, posted)
        posted.wait()
        log.append("painted")
    finally:
        frames.frame_ended()
    thread.join()
    assert log == ["painted", "worker went on"]


def test_a_stopped_turn_does_not_wait_for_a_frame():
    turn = Turn(1, "hi")
    turn.stop()
    frames.frame_started()
    try:
        turn.text_arrived("short", lambda message: None)  # returns although a frame is painted
    finally:
        frames.frame_ended()
    assert turn._inbox == ["short"]


def test_a_frame_that_never_ends_no_longer_holds_the_worker(monkeypatch):
    monkeypatch.setattr(turns, "FLOW_PATIENCE", 0)
    turn = Turn(1, "hi")
    frames.frame_started()
    try:
        turn.text_arrived("x", lambda message: None)
        assert turn._flow_off
    finally:
        frames.frame_ended()
