"""Render the app running on the fake API, once per built-in theme, into screenshots/*.svg.

    python screenshots/make_screenshots.py [--png]

Each run seeds a throw-away data dir, starts `termchat.fake_api` on loopback and sends real
prompts through the engine (so replies are streamed and stored), then saves an SVG:

- termchat-dark (the README's) and termchat-high-contrast: a table and a code block the fake
  model wrote, the tool panel, and the tools of the next message by the prompt;
- termchat-light: a web search with its sources, and a reply caught while it streams (the fake
  holds that reply after a fixed number of deltas, and the shot waits until exactly that text
  is on screen, so every run shows the same cut).

With --png the SVGs are also converted to PNG next to them: with headless chromium if it is
installed, else with the system's librsvg (through ctypes; no Python package needed).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZE = (130, 44)
PNG_WIDTH = 1560
NOW = 1_767_225_600.0


def seed(store: Any) -> None:
    chats = [
        ("Tea brewing temperatures", "chain", "green tea?", "Around **80 °C**; boiling water makes it bitter."),
        (
            "TCP slow start, explained",
            "conversation",
            "explain TCP slow start",
            "The sender starts with a small congestion window and doubles it every round trip…",
        ),
        (
            "Shell one-liners",
            "local",
            "count lines in all .py files",
            "```sh\nfind . -name '*.py' -print0 | xargs -0 wc -l | tail -1\n```",
        ),
    ]
    for index, (title, mode, question, answer) in enumerate(chats):
        stamp = NOW - 3600 * (index + 2) * 3
        store._now = lambda stamp=stamp: stamp
        conv = store.create_conversation(mode=mode, model="gpt-5.2", title=title, created_at=stamp)
        store.add_message(conv, "user", question, created_at=stamp)
        store.add_message(conv, "assistant", answer, created_at=stamp)
    store._now = time.time


async def until(pilot: Any, done: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Let the app run until `done()` holds: it is checked after every pause of the app, so the
    shot waits for the event itself; `timeout` only keeps a broken run from hanging."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"screenshot: timed out waiting for {what}")
        await pilot.pause(0.02)


def submit(app: Any, prompt: str) -> Callable[[], Any]:
    """Send `prompt` from the prompt box; returns a function giving the view of its reply once
    that view is there (None before: right after Enter the views are still the earlier ones)."""
    chat = app.chat_screen
    before = len(chat.pane.views)
    chat.prompt.insert(prompt)
    chat.prompt.action_submit()

    def reply() -> Any:
        views = chat.pane.views
        if len(views) < before + 2 or views[before].role != "user" or views[-1].role != "assistant":
            return None
        return views[-1]

    return reply


async def send(app: Any, pilot: Any, prompt: str) -> None:
    """Send `prompt` and wait until its reply is complete and shown."""
    reply = submit(app, prompt)

    def replied() -> bool:
        view = reply()
        done = view is not None and not view.streaming and view.status == "complete"
        return done and not app.chat_screen.turns

    await until(pilot, replied, f"the reply to {prompt!r}")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def send_and_hold(app: Any, pilot: Any, api: Any, prompt: str, deltas: int) -> None:
    """Send `prompt`; the fake model's answer to it streams `deltas` deltas and then holds (until
    the fake stops): wait until exactly that much of the reply is on screen."""
    from termchat.fake_api import Reply
    from termchat.fake_api.model import chunk_text
    from termchat.fake_api.showcase import showcase_reply

    answer = showcase_reply(prompt)
    assert answer is not None, prompt
    chunks = chunk_text(answer)
    shown = "".join(chunks[:deltas])
    api.script(Reply.text(answer, chunks=chunks, hold_after=deltas))
    reply = submit(app, prompt)

    def painted() -> bool:
        view = reply()
        if view is None or not view.streaming or view.stream is None:
            return False
        return view.text == shown and view.stream.caught_up

    await until(pilot, painted, f"{shown!r} on screen")


async def rendered(app: Any, pilot: Any) -> None:
    """What a snapshot test does before its screenshot: let layout, refreshes and animations
    scheduled by the scene run."""
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def table_and_code(app: Any, pilot: Any, api: Any) -> None:
    await send(app, pilot, "Make a table of tea brewing temperatures")
    await send(app, pilot, "Write a Python function that counts words")
    await app.chat_screen.ensure_tool_panel()
    app.chat_screen.action_focus_prompt()
    app.chat_screen.prompt.insert("and the same in Rust?")


# Where the streaming reply is caught: inside its third step ("3. Steep for **2-3 minutes**, then
# take"), so the shot shows a list growing, with its bold text already closed.
HELD_AFTER_DELTAS = 50


async def search_and_stream(app: Any, pilot: Any, api: Any) -> None:
    await send(app, pilot, "Search the web for green tea and caffeine")
    await send_and_hold(app, pilot, api, "List the steps to brew green tea", HELD_AFTER_DELTAS)


SCENES = {
    "termchat-dark": table_and_code,
    "termchat-high-contrast": table_and_code,
    "termchat-light": search_and_stream,
}


async def shoot(theme: str, out: Path) -> None:
    from termchat.app_context import AppContext
    from termchat.config import Config
    from termchat.fake_api import FakeAPI
    from termchat.tui.app import TermchatApp

    scene = SCENES[theme]
    api = FakeAPI()
    base_url = api.start()
    tmp = Path(tempfile.mkdtemp(prefix="termchat-shot-"))
    try:
        config = Config(config_path=tmp / "config.toml", data_dir=tmp / "data", theme=theme, tools=("web_search",))
        ctx = AppContext(config, base_url=base_url, api_key="demo", data_dir=tmp / "data", demo=True)
        seed(ctx.store)
        app = TermchatApp(ctx, now=lambda: NOW + 30)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.chat_screen.action_new_chat()
            await scene(app, pilot, api)
            app.chat_screen.prompt.cursor_blink = False
            app.clear_notifications()
            await rendered(app, pilot)
            app.save_screenshot(str(out))
            app.chat_screen.stop_replies()
        ctx.close()
    finally:
        api.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# -- PNG ------------------------------------------------------------------------------------------


def to_png(svg: Path) -> Path | None:
    png = svg.with_suffix(".png")
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is not None:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1560,960",
                f"--screenshot={png}",
                svg.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return png
    try:
        rsvg_to_png(svg, png, PNG_WIDTH)
    except OSError as exc:
        print(f"no chromium and no librsvg ({exc}): skipping PNG", file=sys.stderr)
        return None
    return png


_TEXT = re.compile(r'(<text\b[^>]*?\bx=")([\d.]+)("[^>]*?\btextLength=")([\d.]+)("[^>]*>)([^<]*)(</text>)')


def _pin_spaces(svg: str) -> str:
    """librsvg drops the spaces at the ends of a <text> run, which moves Textual's runs (each
    placed with x and textLength per cell): keep the ends by moving x and shortening the run."""

    def fix(match: re.Match[str]) -> str:
        head, x, middle, length, tail, body, close = match.groups()
        text = html.unescape(body)
        if not text:
            return match.group(0)
        cell = float(length) / len(text)
        stripped = text.lstrip("\xa0 ")
        lead = len(text) - len(stripped)
        stripped = stripped.rstrip("\xa0 ")
        trail = len(text) - lead - len(stripped)
        if not stripped:
            return f"{head}{x}{middle}{length}{tail}{close}"
        return (
            f"{head}{float(x) + lead * cell:.1f}{middle}{float(length) - (lead + trail) * cell:.1f}"
            f"{tail}{html.escape(stripped, quote=False)}{close}"
        )

    return _TEXT.sub(fix, svg)


def rsvg_to_png(svg: Path, png: Path, width: int) -> None:
    """Render `svg` into `png`, `width` pixels wide, with librsvg and cairo (ctypes)."""
    import ctypes
    import os

    rsvg = ctypes.CDLL("librsvg-2.so.2")
    cairo = ctypes.CDLL("libcairo.so.2")
    rsvg.rsvg_handle_new_from_data.restype = ctypes.c_void_p
    rsvg.rsvg_handle_new_from_data.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
    cairo.cairo_image_surface_create.restype = ctypes.c_void_p
    cairo.cairo_create.restype = ctypes.c_void_p
    cairo.cairo_create.argtypes = [ctypes.c_void_p]
    cairo.cairo_surface_write_to_png.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    cairo.cairo_destroy.argtypes = [ctypes.c_void_p]
    cairo.cairo_surface_destroy.argtypes = [ctypes.c_void_p]

    class Rect(ctypes.Structure):
        _fields_ = [
            ("x", ctypes.c_double),
            ("y", ctypes.c_double),
            ("width", ctypes.c_double),
            ("height", ctypes.c_double),
        ]

    rsvg.rsvg_handle_render_document.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.POINTER(Rect),
        ctypes.c_void_p,
    ]
    text = svg.read_text(encoding="utf-8")
    box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text)
    if box is None:
        raise OSError("the SVG has no viewBox")
    height = int(float(box.group(2)) * width / float(box.group(1)))
    data = _pin_spaces(text).encode("utf-8")
    handle = rsvg.rsvg_handle_new_from_data(data, len(data), None)
    if not handle:
        raise OSError("librsvg could not read the SVG")
    surface = cairo.cairo_image_surface_create(0, width, height)  # 0: ARGB32
    context = cairo.cairo_create(surface)
    rsvg.rsvg_handle_render_document(handle, context, ctypes.byref(Rect(0, 0, width, height)), None)
    if cairo.cairo_surface_write_to_png(surface, os.fsencode(png)) != 0:
        raise OSError(f"cannot write {png}")
    cairo.cairo_destroy(context)
    cairo.cairo_surface_destroy(surface)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", action="store_true", help="also convert to PNG (chromium or librsvg)")
    args = parser.parse_args()
    from termchat.tui.themes import BUILTIN_THEMES

    for theme in BUILTIN_THEMES:
        out = HERE / f"{theme}.svg"
        asyncio.run(shoot(theme, out))
        print(out)
        if args.png:
            png = to_png(out)
            if png:
                print(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
