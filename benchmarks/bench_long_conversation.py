"""Opening a chat: a 2,000-message chat (mixed Markdown and code), in local and conversation mode.

Every sample is a fresh interpreter (or a fresh `termchat` process), timed from its start to the
screen update that shows what the user waits for:
* newest message: the app started with `--conversation ID` on the 2,000-message local chat, until
  the screen shows the newest message; baseline: a new chat's first frame (the app started
  without a chat, until its first screen update). Paired: each open runs next to a new chat
  (which goes first every other pair), and the ratio is the median of the pairs' ratios, as in
  the other benchmarks; the times shown are the medians of each. Budget: at most 1.5x.
* message widgets mounted: the pane keeps a bounded page, not 2,000 messages (at most ~200).
* older page: from scrolling to the top until the screen update that shows the older page
  mounted (median of 3 pages), under 150 ms.
* conversation mode: the same chat in conversation mode, against the loopback fake API which
  holds the same messages and two more (the sync adds them): the newest cached message on screen,
  against the local-mode open (at most 1.2x), and, reported, when the server's two new messages
  are on screen. The chat was synced here once before the two came (as after any open), so the
  sync reads the server newest first back to there; logged: the same for a chat never synced
  here (the sync reads the whole conversation, 21 requests).
* `termchat -c`, the whole process: `termchat -c` in a pseudo-terminal (120x40), from the spawn
  until the terminal has been sent the newest message, conversation mode (with its sync) against
  local mode: at most 1.2x.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Row,
    bench_env,
    log,
    median,
    ms,
    parse_args,
    report,
    run_child,
    seed_long_conversation,
    temp_home,
    termchat_command,
    time_in_terminal,
)

NEWEST_TARGET = 1.5  # newest message painted, against a new chat's first frame
PAIRS_PER_ROUND = 2  # (open, new chat) pairs in each round; the row's ratio: the median of theirs
PAGE_TARGET = 0.150  # seconds: an older page painted
SYNC_TARGET = 1.2  # conversation mode open, against the local mode open
WIDGET_TARGET = 200
NEWEST = "Zqxnewestmark"
NEWS = ("what did I miss", "Zqxservernews from another machine")
NEWS_SHOWN = NEWS[1][:12]  # a part a terminal is sent unbroken


def transcript_end(text: str) -> bool:
    """Whether a screen update shows the end of the chat: its newest cached message, or the
    server's news after it (a sync that ran before the paint scrolled the cached one away)."""
    return NEWEST in text or NEWS_SHOWN in text


def child(kind: str, home: str, conv_id: str, base_url: str, pages_wanted: int = 0) -> None:
    """Runs in a fresh interpreter: start the app (`new`: no chat; `open`: `--conversation ID`),
    time the screen updates and print them as JSON (seconds from before `import termchat`)."""
    started = time.perf_counter()
    import asyncio
    import json

    from termchat.tui import app_class

    TermchatApp = app_class()  # as `termchat` imports it (termchat.tui.launch)
    from _common import PaintClock, app_context, chat_of

    ctx = app_context(Path(home), base_url=base_url)

    async def run() -> dict:
        app = TermchatApp(ctx, open_id=conv_id) if kind == "open" else TermchatApp(ctx)
        clock = PaintClock(app)
        out: dict = {}
        clock.expect(transcript_end if kind == "open" else (lambda text: True))
        async with app.run_test(size=(120, 40)) as pilot:
            out["paint"] = await clock.painted() - started
            if kind != "open":
                await pilot.pause()
                return out
            chat = chat_of(app)
            if chat.conv is not None and chat.conv.mode == "conversation":
                if NEWS_SHOWN in clock.text:  # synced before the first paint
                    out["news"] = out["paint"]
                else:
                    clock.expect(lambda text: NEWS_SHOWN in text)
                    out["news"] = await clock.painted() - started
            await app.workers.wait_for_complete()  # the open (and its sync) has finished
            await pilot.pause()
            out["views"] = len(chat.pane.views)
            out["widgets"] = len(list(app.screen.walk_children()))
            loads = []
            pane = chat.pane
            for _ in range(pages_wanted):
                before = pane.first_message_id()
                pane.scroll_end(animate=False, immediate=True)  # from the bottom, like a reader
                await pilot.pause()
                clock.expect(lambda text, before=before: pane.first_message_id() != before and not pane.loading_older)
                t0 = time.perf_counter()
                pane.scroll_home(animate=False, immediate=True)
                try:
                    loads.append(await clock.painted(30) - t0)
                except TimeoutError:
                    break
                await pilot.pause()
            out.update(
                pages=loads, views_after=len(chat.pane.views), widgets_after=len(list(app.screen.walk_children()))
            )
        return out

    try:
        print(json.dumps(asyncio.run(run())))
    finally:
        ctx.close()


def fresh_copy(seeded: Path, into: Path) -> Path:
    """A copy of a seeded home (the sync writes the server's news into the store: every run
    starts from the same store)."""
    shutil.copytree(seeded / "data", into / "data", dirs_exist_ok=True)
    return into


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    size = 120 if args.quick else 2000
    runs = 1 if args.quick else 5
    pages_wanted = 1 if args.quick else 3

    from termchat.fake_api import FakeAPI

    api = FakeAPI()
    base_url = api.start()
    kinds = ("new", "local", "conv", "news", "unsynced_news", "c_local", "c_conv", "c_news")
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    try:
        with temp_home() as local_home, temp_home() as conv_home, temp_home() as unsynced_home:
            local_id = seed_long_conversation(local_home / "data", size, newest=NEWEST)
            conv_id = seed_long_conversation(conv_home / "data", size, newest=NEWEST, api=api, news=NEWS)
            unsynced_id = seed_long_conversation(
                unsynced_home / "data", size, newest=NEWEST, api=api, news=NEWS, synced=False
            )
            code = "import bench_long_conversation as b; b.child({kind!r}, {home!r}, {conv!r}, {url!r}, {pages})"

            def in_app(kind: str, home: Path, conv: str, pages: int = 0) -> dict:
                return run_child(
                    code.format(kind=kind, home=str(home), conv=conv, url=base_url, pages=pages), bench_env(home)
                )

            def whole(home: Path, markers: dict[str, tuple[str, ...]]) -> dict[str, float]:
                cmd = [*termchat_command(), "--base-url", base_url, "--api-key", "bench", "-c"]
                return time_in_terminal(cmd, bench_env(home), markers)

            if not args.quick:  # (the quick mode only checks that it runs)
                in_app("new", local_home, ""), in_app("open", local_home, local_id)  # warm the caches
            last: dict = {}
            pairs: list[float] = []  # the newest message painted / a new chat's first frame, per pair
            for round_ in range(runs):  # interleaved, so machine noise hits every case alike
                for pair in range(PAIRS_PER_ROUND):
                    # each open next to its baseline, which goes first every other pair
                    if (round_ * PAIRS_PER_ROUND + pair) % 2 == 0:
                        new = in_app("new", local_home, "")["paint"]
                        last = in_app("open", local_home, local_id)
                    else:
                        last = in_app("open", local_home, local_id)
                        new = in_app("new", local_home, "")["paint"]
                    samples["new"].append(new)
                    samples["local"].append(last["paint"])
                    pairs.append(last["paint"] / new)
                with temp_home() as copy:
                    opened = in_app("open", fresh_copy(conv_home, copy), conv_id)
                samples["conv"].append(opened["paint"])
                samples["news"].append(opened["news"])
                with temp_home() as copy:
                    samples["unsynced_news"].append(
                        in_app("open", fresh_copy(unsynced_home, copy), unsynced_id)["news"]
                    )
                with temp_home() as copy:
                    samples["c_local"].append(whole(fresh_copy(local_home, copy), {"end": (NEWEST,)})["end"])
                with temp_home() as copy:
                    seen = whole(fresh_copy(conv_home, copy), {"end": (NEWEST, NEWS_SHOWN), "news": (NEWS_SHOWN,)})
                samples["c_conv"].append(seen["end"])
                samples["c_news"].append(seen["news"])
            scrolled = in_app("open", local_home, local_id, pages_wanted)
    finally:
        api.stop()
    m = {k: median(v) for k, v in samples.items()}
    newest_ratio = median(pairs)
    log(
        f"new chat first frame {ms(m['new'])}; {size:,}-message chat newest message painted {ms(m['local'])} "
        f"(medians of {len(pairs)}, from interpreter start); median of the pairs' ratios {newest_ratio:.2f}x "
        f"({', '.join(f'{r:.2f}' for r in pairs)})"
    )
    log(
        f"conversation mode: newest cached message painted {ms(m['conv'])}, server news painted {ms(m['news'])} "
        f"(a chat never synced here: {ms(m['unsynced_news'])})"
    )
    log(
        f"termchat -c in a terminal: local mode {ms(m['c_local'])}, conversation mode {ms(m['c_conv'])}, "
        f"news {ms(m['c_news'])}"
    )
    log(f"mounted: {last['views']} message views, {last['widgets']} widgets in the screen")
    pages = scrolled["pages"]
    page = median(pages) if pages else float("nan")
    log(
        f"scroll to top: {len(pages)} older pages painted, {', '.join(ms(p) for p in pages)}; now "
        f"{scrolled['views_after']} message views, {scrolled['widgets_after']} widgets"
    )
    peak_views = max(last["views"], scrolled["views_after"])
    conv_ratio = m["conv"] / m["local"]
    c_ratio = m["c_conv"] / m["c_local"]
    rows = [
        Row(
            f"long chat: newest of {size:,} messages painted",
            ms(m["local"]),
            f"{ms(m['new'])} new chat's first frame",
            newest_ratio,
            f"<= {NEWEST_TARGET}x (paired)",
            newest_ratio <= NEWEST_TARGET,
            value=m["local"],
        ),
        Row(
            "long chat: message widgets mounted (max)",
            f"{peak_views} ({max(last['widgets'], scrolled['widgets_after'])} DOM nodes)",
            f"{size:,} messages",
            None,
            f"<= ~{WIDGET_TARGET}",
            peak_views <= WIDGET_TARGET,
            value=peak_views,
        ),
        Row(
            "long chat: older page painted",
            f"{ms(page)} median of {len(pages)}",
            "-",
            None,
            f"< {PAGE_TARGET * 1000:.0f} ms",
            len(pages) == pages_wanted and page < PAGE_TARGET,
            value=page,
        ),
        Row(
            "open chat: conversation mode, newest painted",
            ms(m["conv"]),
            f"{ms(m['local'])} local mode",
            conv_ratio,
            f"<= {SYNC_TARGET}x",
            conv_ratio <= SYNC_TARGET,
            value=m["conv"],
        ),
        Row(
            "open chat: conversation mode, synced news painted",
            ms(m["news"]),
            f"{ms(m['local'])} local mode",
            m["news"] / m["local"],
            "shown",
            True,
            value=m["news"],
        ),
        Row(
            "termchat -c (process): conversation mode painted",
            ms(m["c_conv"]),
            f"{ms(m['c_local'])} local mode",
            c_ratio,
            f"<= {SYNC_TARGET}x",
            c_ratio <= SYNC_TARGET,
            value=m["c_conv"],
        ),
    ]
    return report("bench_long_conversation", rows, args)


if __name__ == "__main__":
    raise SystemExit(main())
