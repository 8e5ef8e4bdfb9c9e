"""A reply that arrives faster than the screen can show it: each frame shows one more step of it,
the turn's worker reads no further ahead than that, and the reply's end is reported only once all
of it is on screen, so no long frame is left for the end (tui/widgets/reply_stream.py,
tui/turns.py)."""

from __future__ import annotations

from termchat.fake_api import Reply
from termchat.tui import turns
from termchat.tui.app import TermchatApp
from termchat.tui.widgets import reply_stream
from termchat.tui.widgets.message_view import MessageView
from termchat.tui.widgets.reply_stream import ReplyStream

from conftest import TUI_NOW, wait_for

SIZE = (100, 30)
STEP = 500


def _paragraphs(count: int) -> str:
    return "".join(f"P{n:03d} " + "word " * 70 + "\n\n" for n in range(count))


async def test_a_backlog_is_painted_one_step_per_frame(tui_context, monkeypatch):
    monkeypatch.setattr(reply_stream, "STEP_CHARS", STEP)
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = await app.chat_screen.pane.append(MessageView("assistant", streaming=True))
        view.start_stream()
        await pilot.pause()
        painted: list[int] = []  # how much of the reply each frame shows
        display = app._display  # (every frame goes through it: see benchmarks/_common.PaintClock)

        def record(screen, update) -> None:
            painted.append(sum(len(body.source) for body in view.bodies))
            display(screen, update)

        monkeypatch.setattr(app, "_display", record)
        text = _paragraphs(20)
        await view.write(text)  # all at once, as from a fast server or a replayed job
        await wait_for(pilot, lambda: view.stream is not None and view.stream.caught_up)
        await pilot.pause()
        shown = sorted(set(painted))
        growth = [after - before for before, after in zip([0, *shown[:-1]], shown, strict=True)]
        assert shown[-1] == len(text)
        # One step per frame (before, the whole backlog was shown in steps with no frame
        # between them, then painted at once).
        assert len(shown) >= 0.8 * len(text) / STEP
        assert max(growth) <= 2 * STEP


async def test_the_end_of_a_fast_reply_comes_once_all_of_it_is_shown(tui_context, tui_api, monkeypatch):
    monkeypatch.setattr(reply_stream, "STEP_CHARS", STEP)
    monkeypatch.setattr(turns, "FLOW_CHARS", 2 * STEP)
    left_at_end: list[int] = []  # what the stream still held when the reply's end was handled
    stop = ReplyStream.stop

    async def stop_and_note(stream: ReplyStream) -> None:
        left_at_end.append(sum(map(len, stream._pending)))
        await stop(stream)

    monkeypatch.setattr(ReplyStream, "stop", stop_and_note)
    text = _paragraphs(30)
    tui_api.script(Reply.text(text, chunks=[text[i : i + 40] for i in range(0, len(text), 40)]))
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.chat_screen.prompt.insert("a long one please")
        app.chat_screen.prompt.action_submit()
        await wait_for(pilot, lambda: app.chat_screen.current_turn() is None and len(app.chat_screen.pane.views) == 2)
        reply = app.chat_screen.pane.views[-1]
        await wait_for(pilot, lambda: reply.status == "complete")
        assert reply.text == text and "".join(body.source for body in reply.bodies) == text
        assert left_at_end == [0]


def test_a_view_whose_mount_was_cut_short_streams_nothing():
    """The app quitting while a reply's view is being mounted: it has no bodies to stream into
    (an IndexError before); the turn keeps the text and the store has it."""
    view = MessageView("assistant", streaming=True)  # never mounted: no bodies
    view.start_stream()
    assert view.stream is None
