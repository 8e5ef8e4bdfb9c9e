"""termchat.tui.compat.screen: each use of Textual's private API for screens still finds what
it relies on.

A failure here after a Textual upgrade names the compat entry to revisit (see its docstring).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Static
from textual_probe import Host, calls_in, parameters

from termchat.tui import frames
from termchat.tui.compat.screen import FramedScreen, keep_styles_on_first_resume, lay_out_now

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- Screen ------------------------------------------------------------------------------------


def test_refresh_layout_is_there_and_defers_its_paint_in_a_batch():
    from textual.screen import Screen

    assert parameters(Screen._refresh_layout) == ["self", "size", "scroll"]
    assert "_compositor_refresh" in calls_in(Screen._refresh_layout)


async def test_lay_out_now_places_widgets_and_paints_once_the_batch_ends():
    from textual.containers import VerticalScroll

    scroller = VerticalScroll(*(Static(f"line {n}") for n in range(30)))
    app = Host(scroller)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        painted: list[int] = []
        display = app._display
        app._display = lambda screen, update: (painted.append(scroller.scroll_y), display(screen, update))
        top = scroller.children[0]
        with app.batch_update():
            await scroller.mount_all([Static(f"new {n}") for n in range(5)], before=top)
            lay_out_now(app.screen)
            assert top.virtual_region.y == 5 and scroller.max_scroll_y == 25  # laid out
            scroller.scroll_to(y=5, animate=False, immediate=True)
            lay_out_now(app.screen, scroll=True)
            assert not painted  # nothing painted inside the batch
        await pilot.pause()
        assert painted and set(painted) == {5}  # the first frame already scrolled


def test_the_update_timer_lays_out_and_paints_in_one_call():
    assert parameters(Screen._on_timer_update) == ["self"]
    assert {"_refresh_layout", "_compositor_refresh"} <= calls_in(Screen._on_timer_update)


class PaintWatch(Static):
    """Notes, each time it is painted, whether a frame was marked as being painted."""

    marked: list[bool]

    def render_line(self, y: int) -> Strip:
        self.marked.append(not frames.wait_while_painting(0))
        return super().render_line(y)


class FramedHost(App[None]):
    def __init__(self, watch: PaintWatch) -> None:
        super().__init__()
        self.watch = watch

    def get_default_screen(self) -> Screen[None]:
        screen = FramedScreen()
        screen.compose_add_child(self.watch)
        return screen


async def test_a_framed_screen_marks_its_frames():
    watch = PaintWatch("hello")
    watch.marked = []
    async with FramedHost(watch).run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        watch.update("hello again")  # a frame that repaints it
        await pilot.pause()
        assert watch.marked and all(watch.marked)  # every paint, inside a marked frame
        assert frames.wait_while_painting(0)  # and the mark ends with the frame


@asynccontextmanager
async def _framed_app(order: list[str]) -> AsyncIterator[tuple[FramedHost, Pilot, PaintWatch]]:
    """A framed screen's app, each of its paints noted in `order` ("painted")."""
    watch = PaintWatch("hello")
    watch.marked = []
    app = FramedHost(watch)
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        display = app._display
        app._display = lambda screen, update: (order.append("painted"), display(screen, update))
        yield app, pilot, watch


async def _order_of_a_layout_frame(streaming: bool) -> list[str]:
    """What happens, in order, around a frame that lays the screen out."""
    order: list[str] = []
    async with _framed_app(order) as (app, pilot, watch):

        def laid_out(screen: Screen[None]) -> None:
            order.append("laid out")
            asyncio.get_running_loop().call_soon(order.append, "loop ran")
            screen.call_after_refresh(order.append, "after the refresh")

        app.screen.screen_layout_refresh_signal.subscribe(watch, laid_out)
        if streaming:
            frames.stream_began()
        try:
            await app.screen.mount(Static("new"))
            await pilot.pause()
        finally:
            if streaming:
                frames.stream_done()
        assert all(watch.marked)  # the paint that comes later is marked too
    first = order.index("laid out")
    return [order[first - 1] if first else "", *order[first : first + 4]]  # (what came just before)


async def test_while_a_reply_streams_a_layout_frame_paints_on_a_later_loop_turn():
    assert (await _order_of_a_layout_frame(streaming=True))[1:] == [
        "laid out",
        "loop ran",  # (timers and keys due by then too)
        "painted",
        "after the refresh",  # what waits for the refresh waits for the paint
    ]
    assert (await _order_of_a_layout_frame(streaming=False))[:3] == ["painted", "laid out", "loop ran"]


async def test_a_split_frame_is_not_painted_inside_a_batch_update():
    order: list[str] = []
    async with _framed_app(order) as (app, pilot, watch):
        batch = app.batch_update()
        batch_ended = asyncio.Event()

        def laid_out(screen: Screen[None]) -> None:
            if "laid out" not in order:
                order.append("laid out")
                batch.__enter__()  # an update starts before the paint comes

                def end() -> None:
                    order.append("batch ended")
                    batch.__exit__(None, None, None)
                    batch_ended.set()

                asyncio.get_running_loop().call_later(0.01, end)

        app.screen.screen_layout_refresh_signal.subscribe(watch, laid_out)
        frames.stream_began()
        try:
            await app.screen.mount(Static("new"))
            await batch_ended.wait()
            await pilot.pause()
        finally:
            frames.stream_done()
    assert order[:3] == ["laid out", "batch ended", "painted"]


class StyledScreen(Screen[None]):
    keep_first_styles = True

    def compose(self) -> ComposeResult:
        yield Static("hello", id="hello")

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if self.keep_first_styles:
            keep_styles_on_first_resume(self, event)


class ScreenHost(App[None]):
    """An app whose default screen is `screen`, recording the screens restyled as a whole."""

    CSS = "#hello { color: red; }"

    def __init__(self, screen: Screen[None]) -> None:
        super().__init__()
        self.first_screen = screen
        self.restyled: list[Screen[None]] = []
        update_nodes = self.stylesheet.update_nodes

        def recording(nodes, animate=False):
            nodes = list(nodes)
            self.restyled += [node for node in nodes if isinstance(node, Screen)]
            return update_nodes(nodes, animate=animate)

        self.stylesheet.update_nodes = recording

    def get_default_screen(self) -> Screen[None]:
        return self.first_screen


@pytest.mark.parametrize("keep", [True, False])
async def test_a_screens_first_resume_keeps_the_styles_its_widgets_were_mounted_with(keep):
    screen = StyledScreen()
    screen.keep_first_styles = keep
    app = ScreenHost(screen)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert screen.query_one("#hello").styles.color.rgb == (255, 0, 0)
        assert app.restyled == ([] if keep else [screen])  # Textual restyles the whole screen
        app.restyled.clear()
        screen.post_message(events.ScreenResume())  # a later resume still restyles
        await pilot.pause()
        assert app.restyled == [screen]
