"""A 2,000-message chat (mixed Markdown and code) opened in the headless TUI.

Measures the time from starting the app with `--conversation ID` until the transcript is
painted (baseline: the same for a 20-message chat), how many widgets are mounted (the pane keeps
a bounded page, not 2,000 messages), and that scrolling to the top loads an older page.
Budget: first paint under 0.5 s, at most ~200 message widgets mounted.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, app_context, log, median, ms, parse_args, report, seed_long_conversation, temp_home  # noqa: E402

PAINT_TARGET = 0.5
WIDGET_TARGET = 200


async def open_chat(ctx, conv_id: str, *, scroll: bool, pages_wanted: int = 3) -> dict:
    from termchat.tui import app_class

    started = time.perf_counter()
    app = app_class()(ctx, open_id=conv_id)  # as `termchat` starts it (termchat.tui.launch)
    result: dict = {}
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        deadline = time.perf_counter() + 60
        while not (chat.conv is not None and chat.pane.views):
            if time.perf_counter() > deadline:
                raise RuntimeError("the chat never opened")
            await asyncio.sleep(0.001)
        await pilot.pause()  # the refresh that paints the mounted page
        result["paint"] = time.perf_counter() - started
        result["views"] = len(chat.pane.views)
        result["widgets"] = len(list(app.screen.walk_children()))
        if scroll:
            await app.workers.wait_for_complete()  # the open has fully finished
            await pilot.pause()
            await pilot.pause()
            first = chat.pane.first_message_id()
            pages = 0
            load_times = []
            for _ in range(pages_wanted):
                before = chat.pane.first_message_id()
                chat.pane.scroll_end(animate=False, immediate=True)  # from the bottom, like a reader
                await pilot.pause()
                t0 = time.perf_counter()
                chat.pane.scroll_home(animate=False, immediate=True)
                until = time.perf_counter() + 30  # mounting a page of Markdown can take seconds
                while time.perf_counter() < until:
                    await asyncio.sleep(0.001)
                    if chat.pane.first_message_id() != before and not chat.pane.loading_older:
                        break
                if chat.pane.first_message_id() == before:
                    break
                load_times.append(time.perf_counter() - t0)
                pages += 1
                await pilot.pause()
            result.update(first_before=first, first_after=chat.pane.first_message_id(), pages=pages,
                          page_load=median(load_times) if load_times else None,
                          views_after=len(chat.pane.views), widgets_after=len(list(app.screen.walk_children())))
        await app.workers.wait_for_complete()  # let the open finish before the app shuts down
        await pilot.pause()
        await pilot.pause()
    return result


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    size = 120 if args.quick else 2000
    runs = 1 if args.quick else 5
    with temp_home() as home:
        long_id = seed_long_conversation(home / "data", size)
        short_id = seed_long_conversation(home / "data", 20)
        ctx = app_context(home, base_url="http://127.0.0.1:9/v1")  # never contacted: local chats
        try:
            asyncio.run(open_chat(ctx, short_id, scroll=False))  # warm imports and caches
            base, ours, last = [], [], {}
            for _ in range(runs):
                base.append(asyncio.run(open_chat(ctx, short_id, scroll=False))["paint"])
                last = asyncio.run(open_chat(ctx, long_id, scroll=False))
                ours.append(last["paint"])
            scrolled = asyncio.run(open_chat(ctx, long_id, scroll=True, pages_wanted=1 if args.quick else 3))
        finally:
            ctx.close()
    b, m = median(base), median(ours)
    log(f"open 20-message chat: {ms(b)}; open {size:,}-message chat: {ms(m)} (median of {runs})")
    log(f"mounted: {last['views']} message views, {last['widgets']} widgets in the screen")
    log(f"scroll to top: {scrolled['pages']} older pages loaded (median {ms(scrolled['page_load'] or 0)} each), "
        f"first message id {scrolled['first_before']} -> {scrolled['first_after']}; now {scrolled['views_after']} "
        f"message views, {scrolled['widgets_after']} widgets")
    loads = scrolled["pages"] > 0 and scrolled["first_after"] < scrolled["first_before"]
    peak_views = max(last["views"], scrolled["views_after"])
    rows = [
        Row(f"long chat: first paint, {size:,} messages", ms(m), f"{ms(b)} 20-message chat", m / b,
            f"< {PAINT_TARGET} s", m < PAINT_TARGET, value=m),
        Row("long chat: message widgets mounted (max)",
            f"{peak_views} ({max(last['widgets'], scrolled['widgets_after'])} DOM nodes)", f"{size:,} messages",
            None, f"<= ~{WIDGET_TARGET}", peak_views <= WIDGET_TARGET, value=peak_views),
        Row("long chat: scroll to top loads older pages", f"{scrolled['pages']} pages, {ms(scrolled['page_load'] or 0)}"
            " each", "-", None, "loads", loads, value=scrolled["page_load"]),
    ]
    return report("bench_long_conversation", rows, args)


if __name__ == "__main__":
    raise SystemExit(main())
