"""A turn's worker hands text to the UI through the turn's inbox: one wake-up message at a time,
and every character arrives, in order, however the two threads interleave."""

from __future__ import annotations

import threading

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
