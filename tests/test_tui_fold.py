"""Closed segments of a long reply fold while far off screen, and unfold before they are seen
(tui/widgets/pane_folding.py): the transcript looks and scrolls the same, it only skips work."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

from termchat.tui.app import TermchatApp

from conftest import TUI_NOW, shown_text

SIZE = (100, 30)
PARAGRAPHS = 120


def _reply_text() -> str:
    return "".join(f"P{n:03d} " + "word " * 60 + "\n\n" for n in range(PARAGRAPHS))


def _shown(app) -> set[str]:
    """The paragraph marks (P000...) on the screen as a terminal would show it."""
    return set(re.findall(r"P\d{3}", shown_text(app)))


@asynccontextmanager
async def long_reply(tui_context, *, final_text: str | None = None):
    """The app, with a long reply streamed in (in writes, laid out between them) and its far
    segments folded: yields (app, pilot, pane, view, text)."""
    app = TermchatApp(tui_context(), now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane, view, text = await _stream_long_reply(app, pilot, final_text=final_text)
        yield app, pilot, pane, view, text


async def _stream_long_reply(app, pilot, *, final_text: str | None):
    from termchat.tui.widgets.message_view import MessageView

    pane = app.chat_screen.pane
    view = await pane.append(MessageView("assistant", streaming=True))
    view.start_stream()
    text = _reply_text()
    for start in range(0, len(text), 3000):  # as a stream brings it: laid out between writes
        await view.write(text[start : start + 3000])
        await pilot.pause()
    pane.fold_far()
    await pilot.pause()
    assert view.bodies[0].folded
    await view.finish(status="complete", final_text=final_text)
    if final_text is not None:  # rebuilt into one body: unfolded before its new blocks came
        assert not view.bodies[0].folded and view.bodies[0].styles.height.is_auto  # type: ignore[union-attr]
    await pilot.pause()
    pane.fold_far()
    await pilot.pause()
    return pane, view, text


async def test_far_segments_fold_and_nothing_of_the_reply_is_lost(tui_context):
    async with long_reply(tui_context) as (app, pilot, pane, view, text):
        bodies = view.bodies
        folded = [body for body in bodies if body.folded]
        assert len(folded) >= len(bodies) // 2  # most of a reply this long is far above
        assert not bodies[-1].folded and not bodies[-2].folded  # what is shown is not
        assert view.text == text and "".join(body.source for body in bodies) == text
        assert len(view.query("MarkdownParagraph")) == PARAGRAPHS  # folded blocks are kept, hidden
        assert f"P{PARAGRAPHS - 1:03d}" in _shown(app)


async def test_folding_moves_nothing(tui_context):
    async with long_reply(tui_context) as (app, pilot, pane, view, _):
        for body in view.bodies:
            body.unfold()
        await pilot.pause()
        height, scroll, shown = pane.virtual_size.height, pane.scroll_y, _shown(app)
        pane.fold_far()
        await pilot.pause()
        assert any(body.folded for body in view.bodies)
        assert (pane.virtual_size.height, pane.scroll_y, _shown(app)) == (height, scroll, shown)


async def test_scrolling_to_folded_text_shows_it(tui_context):
    async with long_reply(tui_context) as (app, pilot, pane, view, _):
        assert view.bodies[0].folded
        pane.scroll_home(animate=False)
        await pilot.pause()
        await pilot.pause()
        assert not view.bodies[0].folded
        assert "P000" in _shown(app)
        pane.scroll_to(y=pane.max_scroll_y // 2, animate=False)  # a jump into the middle
        await pilot.pause()
        await pilot.pause()
        middle = _shown(app)
        assert middle and "P000" not in middle and f"P{PARAGRAPHS - 1:03d}" not in middle


async def test_a_new_width_unfolds_every_segment(tui_context):
    async with long_reply(tui_context) as (app, pilot, pane, view, _):
        assert any(body.folded for body in view.bodies)
        await pilot.resize_terminal(70, 30)  # every paragraph wraps anew: no kept height holds
        await pilot.pause()
        assert not any(body.folded for body in view.bodies)
        pane.scroll_end(animate=False)
        await pilot.pause()
        assert f"P{PARAGRAPHS - 1:03d}" in _shown(app)


async def test_a_folded_body_drawn_all_the_same_unfolds(tui_context):
    async with long_reply(tui_context) as (app, pilot, pane, view, _):
        shown = next(body for body in view.bodies if body.region.overlaps(pane.region))
        assert shown.fold()  # on screen: only a jump the pane did not foresee does this
        await pilot.pause()
        await pilot.pause()
        assert not shown.folded


async def test_a_final_text_that_differs_rebuilds_the_folded_reply_whole(tui_context):
    final = _reply_text() + "THE END\n"
    async with long_reply(tui_context, final_text=final) as (app, pilot, pane, view, _):
        assert view.text == final and len(view.bodies) == 1
        pane.scroll_end(animate=False)
        await pilot.pause()
        assert "THE END" in shown_text(app)
        pane.scroll_home(animate=False)
        await pilot.pause()
        assert "P000" in _shown(app)
