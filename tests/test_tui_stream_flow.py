"""A reply that arrives faster than the screen can show it: each frame shows one more step of it,
the turn's worker reads no further ahead than that, and the reply's end is reported only once all
of it is on screen, so no long frame is left for the end (tui/widgets/reply_stream.py,
tui/turns.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Static

from termchat.fake_api import Reply
from termchat.tui import frames, turns
from termchat.tui.app import TermchatApp
from termchat.tui.widgets import reply_stream
from termchat.tui.widgets.message_view import MessageView
from termchat.tui.widgets.reply_stream import ReplyStream

from conftest import TUI_NOW, wait_for

SIZE = (100, 30)
STEP = 500


def _paragraphs(count: int) -> str:
    return "".join(f"P{n:03d} " + "word " * 70 + "\n\n" for n in range(count))


@asynccontextmanager
async def _streaming_view(tui_context, monkeypatch) -> AsyncIterator[tuple[TermchatApp, Pilot, MessageView]]:
    """An app showing an empty streaming reply, its stream shown in steps of `STEP`."""
    monkeypatch.setattr(reply_stream, "STEP_CHARS", STEP)
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = await app.chat_screen.pane.append(MessageView("assistant", streaming=True))
        view.start_stream()
        yield app, pilot, view


async def test_a_backlog_is_painted_one_step_per_frame(tui_context, monkeypatch):
    async with _streaming_view(tui_context, monkeypatch) as (app, pilot, view):
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


async def test_a_step_measures_its_new_blocks_before_its_frame(tui_context, monkeypatch):
    """The frame that shows a step wraps its new text once (to paint it), not twice: the
    blocks' heights were worked out in the step, at the width the frame lays them out at.
    The reply is long enough to open a second segment (measured before its first layout)."""
    async with _streaming_view(tui_context, monkeypatch) as (_app, pilot, view):
        text = _paragraphs(20)
        # The transcript overflows first: the scrollbar that then appears narrows every block,
        # and a new width is worked out in the frame that has it.
        await view.write(text[: len(text) // 3])
        await wait_for(pilot, lambda: view.stream is not None and view.stream.caught_up)
        await pilot.pause()
        in_frames: list[Content] = []  # the texts whose height a frame had to work out
        get_height = Content.get_height

        def watch(content: Content, rules, width: int) -> int:
            known = content._height_cache
            height = get_height(content, rules, width)
            if content._height_cache is not known and not frames.wait_while_painting(0):
                in_frames.append(content)  # (kept: an id could be reused)
            return height

        monkeypatch.setattr(Content, "get_height", watch)
        await view.write(text[len(text) // 3 :])
        await wait_for(pilot, lambda: view.stream is not None and view.stream.caught_up)
        await pilot.pause()
        assert len(view.bodies) >= 2
        blocks = [block for body in view.bodies for block in body.children if isinstance(block, Static)]
        assert len(blocks) == 20
        assert all(block.size.height for block in blocks)  # laid out
        measured = {id(block.visual) for block in blocks[8:]}  # those of the second write
        assert not {id(content) for content in in_frames} & measured


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
