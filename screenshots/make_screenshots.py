"""Render the app running on the fake API, once per built-in theme, into screenshots/*.svg.

    python screenshots/make_screenshots.py [--png]

Each run seeds a throw-away data dir, starts `termchat.fake_api` on loopback and sends real
prompts through the engine (so replies are streamed and stored), then saves an SVG:

- termchat-dark (the README's) and termchat-high-contrast: a table and a code block the fake
  model wrote, the tool panel, and the tools of the next message by the prompt;
- termchat-light: a web search with its sources, and a reply caught while it streams.

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
    store._now = __import__("time").time


async def send(app: Any, pilot: Any, prompt: str, *, until_chars: int | None = None) -> None:
    """Send `prompt`; wait for the reply (or, with `until_chars`, for that much of it)."""
    chat = app.chat_screen
    chat.prompt.insert(prompt)
    chat.prompt.action_submit()
    for _ in range(1500):
        await pilot.pause(0.02)
        turn = chat.current_turn()
        if until_chars is not None and turn is not None and len(turn.text) >= until_chars:
            return
        if (
            until_chars is None
            and not chat.turns
            and chat.pane.last_reply() is not None
            and chat.pane.last_reply().status != "streaming"
            and chat.pane.views[-1].role == "assistant"
        ):
            break
    await app.workers.wait_for_complete()
    await pilot.pause()


async def rendered(app: Any, pilot: Any) -> None:
    await pilot.pause()
    await pilot.pause()


async def table_and_code(app: Any, pilot: Any) -> None:
    await send(app, pilot, "Make a table of tea brewing temperatures")
    await send(app, pilot, "Write a Python function that counts words")
    await app.chat_screen.ensure_tool_panel()
    app.chat_screen.action_focus_prompt()
    app.chat_screen.prompt.insert("and the same in Rust?")


async def search_and_stream(app: Any, pilot: Any) -> None:
    await send(app, pilot, "Search the web for green tea and caffeine")
    await send(app, pilot, "List the steps to brew green tea", until_chars=150)


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
    # Deltas paced like a real model's: the streaming scene is caught mid-reply.
    api = FakeAPI(delay=0.1 if scene is search_and_stream else 0.0)
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
            await scene(app, pilot)
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
