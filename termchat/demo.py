"""`--demo`: an in-process fake API and a throw-away data dir, so termchat runs with no key."""

from __future__ import annotations

import argparse
import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

WELCOME = """\
Welcome to **termchat**. This is the demo: replies come from a small deterministic fake model
running inside termchat, so nothing leaves your machine and no API key is needed.

Try:

- tell it your name, then ask for it two turns later (state is real: `conversation` mode)
- ask it to *search* something with web_search on, or to *run* `print(2 + 2)` with code_interpreter
- `termchat --demo --json -p hi` for JSON Lines events

```sh
export OPENAI_API_KEY=sk-...   # then plain `termchat` talks to OpenAI
```
"""

SAMPLES = (
    ("Welcome to termchat", "What is this?", WELCOME),
    (
        "Shell one-liners",
        "How do I count lines in all .py files?",
        "Use `find` and `wc`:\n\n```sh\nfind . -name '*.py' -print0 | xargs -0 wc -l | tail -1\n```\n",
    ),
)


def start_demo(args: argparse.Namespace, *, seed: bool = True) -> tuple[Any, str, Path]:
    """Start the fake API on loopback; returns (server, base_url, data dir)."""
    from termchat.fake_api import FakeAPI

    # No warm-up thread: importing the SDK's types holds the GIL for much of the app's start and
    # delayed its first frame; the first request imports them instead (the app's own client
    # imports the SDK by then anyway).
    fake = FakeAPI(delay=0.02, warm_up=False)
    base_url = fake.start()
    data_dir = Path(tempfile.mkdtemp(prefix="termchat-demo-"))
    atexit.register(shutil.rmtree, data_dir, True)
    if seed:
        _seed(data_dir)
    return fake, base_url, data_dir


def _seed(data_dir: Path) -> None:
    from termchat.store import Store

    with Store.in_dir(data_dir) as store:
        for title, question, answer in reversed(SAMPLES):
            conv = store.create_conversation(mode="local", model="gpt-5.2", title=title)
            store.add_message(conv, "user", question)
            store.add_message(conv, "assistant", answer)
