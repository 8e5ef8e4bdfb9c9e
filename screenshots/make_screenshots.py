"""Render the app running on the fake API, once per built-in theme, into screenshots/*.svg.

    python screenshots/make_screenshots.py [--png]

Each run seeds a throw-away data dir, starts `termchat.fake_api` on loopback, sends a real
prompt through the engine (so the reply is streamed), and saves an SVG. With --png, headless
chromium (if installed) converts the SVGs to PNG next to them.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (120, 34)
NOW = 1_767_225_600.0


def seed(store) -> None:
    chats = [
        ("Tea brewing temperatures", "chain", "green tea?", "Around **80 °C**; boiling water makes it bitter."),
        ("TCP slow start, explained", "conversation", "explain TCP slow start",
         "The sender starts with a small congestion window and doubles it every round trip…"),
    ]
    for index, (title, mode, question, answer) in enumerate(chats):
        stamp = NOW - 3600 * (index + 2) * 3
        store._now = lambda stamp=stamp: stamp
        conv = store.create_conversation(mode=mode, model="gpt-5.2", title=title, created_at=stamp)
        store.add_message(conv, "user", question, created_at=stamp)
        store.add_message(conv, "assistant", answer, created_at=stamp)
    store._now = __import__("time").time


async def shoot(theme: str, out: Path) -> None:
    from termchat.app_context import AppContext
    from termchat.config import Config
    from termchat.fake_api import FakeAPI
    from termchat.tui.app import TermchatApp

    api = FakeAPI()
    base_url = api.start()
    tmp = Path(tempfile.mkdtemp(prefix="termchat-shot-"))
    try:
        config = Config(config_path=tmp / "config.toml", data_dir=tmp / "data", theme=theme,
                        tools=("web_search",))
        ctx = AppContext(config, base_url=base_url, api_key="demo", data_dir=tmp / "data", demo=True)
        seed(ctx.store)
        app = TermchatApp(ctx, now=lambda: NOW + 30)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.chat_screen.action_new_chat()
            app.chat_screen.prompt.insert("Search the web for Textual MarkdownStream and summarise it")
            app.chat_screen.prompt.action_submit()
            for _ in range(500):
                await pilot.pause(0.02)
                if not app.chat_screen.turns and app.chat_screen.pane.last_reply() is not None:
                    break
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.chat_screen.action_toggle_tools()  # shows the panel and moves into it
            app.chat_screen.action_focus_prompt()
            app.chat_screen.prompt.insert("my name is Ada")
            app.chat_screen.prompt.cursor_blink = False
            app.clear_notifications()
            await pilot.pause()
            app.save_screenshot(str(out))
        ctx.close()
    finally:
        api.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def to_png(svg: Path) -> Path | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        print("no chromium found: skipping PNG", file=sys.stderr)
        return None
    png = svg.with_suffix(".png")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1560,960", f"--screenshot={png}", svg.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return png


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", action="store_true", help="also convert to PNG with headless chromium")
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
