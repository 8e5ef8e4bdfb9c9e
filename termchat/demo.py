"""`--demo`: an in-process fake API and a throw-away data dir, so termchat runs with no key."""

from __future__ import annotations

import argparse
import atexit
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from termchat.store import Store

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


def start_demo(args: argparse.Namespace, *, seed: bool = True) -> tuple[DemoServer, str, Path]:
    """Bind the fake API's socket on loopback (served from when first needed: `DemoServer`);
    returns (server, base_url, data dir)."""
    server = DemoServer()
    data_dir = Path(tempfile.mkdtemp(prefix="termchat-demo-"))
    atexit.register(shutil.rmtree, data_dir, True)
    if seed:
        seed_samples(data_dir).close()
    return server, server.base_url, data_dir


class DemoServer:
    """The demo's in-process fake API, on a loopback socket bound and listening at once (so its
    base URL is known) and served once it is needed: when `serve()` is called (the app calls it
    after its first frame) or when a client connects, whichever comes first.

    Importing and starting the fake is a good part of `--demo`'s start: before the app it
    delayed the first frame; in a thread from the start it competes with the frame for the GIL
    (benchmarks/README.md, "`--demo`", has both measured). A connection made before the fake
    serves waits in the socket's queue and is answered then: nothing is lost, nothing fails.
    """

    def __init__(self) -> None:
        import socket
        import threading

        self._listening = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.base_url = f"http://127.0.0.1:{self._listening.getsockname()[1]}/v1"
        self._wake = threading.Event()
        self._wake_read, self._wake_write = socket.socketpair()
        self._served = threading.Event()  # the fake serves (or failed to start: `_failure`)
        self._fake: Any = None
        self._failure: BaseException | None = None
        self._stopped = False
        threading.Thread(target=self._wait_then_serve, name="demo-fake-api", daemon=True).start()

    def serve(self) -> None:
        """Start serving now (in the background; returns at once)."""
        if not self._wake.is_set():
            self._wake.set()
            self._wake_write.send(b"!")

    @property
    def serving(self) -> bool:
        """The fake is up (until then connections wait in the socket's queue)."""
        return self._fake is not None

    def started(self, timeout: float = 30.0) -> Any:
        """The running `FakeAPI` (serving it first if need be), e.g. to script its replies."""
        self.serve()
        if not self._served.wait(timeout) or self._fake is None:
            raise RuntimeError(f"the demo's fake API did not start: {self._failure!r}")
        return self._fake

    def _wait_then_serve(self) -> None:
        import selectors

        with selectors.DefaultSelector() as waiting:  # a blocked select holds no GIL
            waiting.register(self._listening, selectors.EVENT_READ)
            waiting.register(self._wake_read, selectors.EVENT_READ)
            waiting.select()
        try:
            if not self._stopped:
                from termchat.fake_api import FakeAPI

                # No warm-up thread: the first request imports the SDK's types (the app's
                # own client imports the SDK by then anyway).
                fake = FakeAPI(delay=0.02, warm_up=False)
                fake.start(self._listening)
                self._fake = fake
        except BaseException as exc:  # the clients waiting get a closed socket, not a hang
            self._failure = exc
            self._listening.close()
        finally:
            self._served.set()

    def stop(self) -> None:
        self._stopped = True
        self.serve()
        self._served.wait(5)
        if self._fake is not None:
            self._fake.stop()
        else:
            self._listening.close()
        self._wake_read.close()
        self._wake_write.close()


def seed_samples(data_dir: Path) -> Store:
    """A new store in `data_dir` with the sample chats, returned open: `--demo` keeps it as the
    app's store (closing it checkpoints it, and the app would only open it again)."""
    from termchat.store import Store

    store = Store.in_dir(data_dir)
    for title, question, answer in reversed(SAMPLES):
        conv = store.create_conversation(mode="local", model="gpt-5.2", title=title)
        store.add_message(conv, "user", question)
        store.add_message(conv, "assistant", answer)
    return store
