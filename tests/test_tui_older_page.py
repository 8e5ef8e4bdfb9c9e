"""Scrolling to the top of a long chat loads the page before: about a screenful of messages,
painted built and with the reader where they were, in the first frame that shows it (issue 18)."""

from __future__ import annotations

import pytest

from termchat.tui.app import TermchatApp
from termchat.tui.widgets.message_pane import PAGE

from conftest import TUI_NOW, wait_for

SIZE = (120, 40)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def message(index: int) -> str:
    return f"**message {index}**\n\n" + "\n".join(f"- point {n} of message {index}" for n in range(8))


async def settled(app, pilot):
    pane = app.chat_screen.pane
    await wait_for(pilot, lambda: pane.views and pane.max_scroll_y > 0 and not pane.loading_older)
    await wait_for(pilot, lambda: not any(pane._building(view) for view in pane.views))
    await pilot.pause()
    return pane


async def test_an_older_page_is_a_screenful_painted_with_the_reader_in_place(tui_context, tui_seed):
    ctx = tui_context()
    messages = [("user" if i % 2 == 0 else "assistant", message(i)) for i in range(60)]
    (conv,) = tui_seed(ctx.store, [("Long", "local", messages)])
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    async with app.run_test(size=SIZE) as pilot:
        pane = await settled(app, pilot)
        for _ in range(3):
            reading = pane.views[0]  # what the reader looks at once at the top
            mounted = len(pane.views)
            frames: list[tuple[int, float, int, bool]] = []
            display = app._display

            def timed(screen, update, display=display, reading=reading, frames=frames):
                display(screen, update)
                views = pane.views
                built = not any(pane._building(view) for view in views)
                frames.append((len(views), pane.scroll_y, reading.virtual_region.y, built))

            app._display = timed
            pane.scroll_home(animate=False, immediate=True)
            await wait_for(pilot, lambda mounted=mounted: not pane.loading_older and len(pane.views) > mounted)
            await pilot.pause()
            app._display = display
            shown = [frame for frame in frames if frame[0] > mounted]  # frames with the page in
            assert shown
            assert all(scroll == top and built for _, scroll, top, built in shown)  # in place, built
            added = len(pane.views) - mounted
            assert 1 < added < PAGE  # about a screen of these 10-line messages, not a fixed page
            assert pane.views[added] is reading
            await settled(app, pilot)


async def test_the_collector_held_for_a_page_runs_again_once_it_is_painted(tui_context, tui_seed, monkeypatch):
    import gc

    from termchat import perf

    ctx = tui_context()
    messages = [("user" if i % 2 == 0 else "assistant", message(i)) for i in range(30)]
    (conv,) = tui_seed(ctx.store, [("Long", "local", messages)])
    monkeypatch.setattr(perf, "_active", True)  # the launcher's policy, as after the first frame
    monkeypatch.setattr(perf, "_held", False)
    was_enabled = gc.isenabled()
    gc.enable()
    app = TermchatApp(ctx, open_id=conv.id, now=lambda: TUI_NOW)
    try:
        async with app.run_test(size=SIZE) as pilot:
            pane = await settled(app, pilot)
            held_while_painted: list[bool] = []
            display = app._display

            def timed(screen, update):
                held_while_painted.append(not gc.isenabled())
                display(screen, update)

            app._display = timed
            mounted = len(pane.views)
            pane.scroll_home(animate=False, immediate=True)
            await wait_for(pilot, lambda: not pane.loading_older and len(pane.views) > mounted)
            await wait_for(pilot, gc.isenabled)  # released after its paint
            app._display = display
            assert any(held_while_painted)  # the page's paint came while it was held
    finally:
        gc.enable() if was_enabled else gc.disable()
