"""Shared helpers for the benchmarks: timing statistics, temp stores, result rows and output.

Every benchmark script measures a termchat path and a baseline in the same run, and reports rows
``{"name", "measured", "baseline", "ratio", "target", "ok"}``. Run alone, a script prints ONE
summary line (details go to stderr); with ``--json`` it prints its rows as one JSON line instead
(that is how ``run_all.py`` collects them). ``--quick`` uses small sizes: it checks that the
benchmark runs and produces numbers, not that the budget is met.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable
# The environment may set PYTHONDONTWRITEBYTECODE, which makes every run recompile termchat's sources:
# not what an installed termchat does. Cache bytecode in a private dir (never in the source tree).
PYCACHE = Path(tempfile.gettempdir()) / "termchat-bench-pycache"
sys.dont_write_bytecode = False
sys.pycache_prefix = str(PYCACHE)
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE)


@dataclass
class Row:
    name: str
    measured: str
    baseline: str
    ratio: float | None
    target: str
    ok: bool
    value: float | None = None  # the raw measured number (seconds, ms, MB or a count)

    def line(self) -> str:
        ratio = f"{self.ratio:.2f}x" if self.ratio is not None else "-"
        return (
            f"{self.name}: {self.measured} (baseline {self.baseline}, ratio {ratio}, target {self.target})"
            f" {'PASS' if self.ok else 'FAIL'}"
        )


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (CI smoke run)")
    parser.add_argument("--json", action="store_true", help="print the result rows as one JSON line")
    return parser.parse_args()


def report(bench: str, rows: list[Row], args: argparse.Namespace, extra: str = "") -> int:
    """Print the result: one JSON line (--json) or one human summary line; details to stderr."""
    for row in rows:
        log(row.line())
    if args.json:
        print(json.dumps({"bench": bench, "rows": [asdict(r) for r in rows], "extra": extra}))
    else:
        worst = max((r.ratio for r in rows if r.ratio is not None), default=None)
        failed = [r.name for r in rows if not r.ok]
        parts = "; ".join(
            f"{r.name} {r.measured}" + (f" = {r.ratio:.2f}x" if r.ratio is not None else "") for r in rows
        )
        verdict = "PASS" if not failed else f"FAIL ({', '.join(failed)})"
        worst_text = f"worst ratio {worst:.2f}x; " if worst is not None else ""
        print(f"{bench}: {verdict}: {worst_text}{parts}{'; ' + extra if extra else ''}")
    return 0


def log(message: str) -> None:
    sys.stderr.write(f"  {message}\n")
    sys.stderr.flush()


# -- statistics ------------------------------------------------------------------------------


def best(samples: Sequence[float]) -> float:
    return min(samples)


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(0.95 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.3f} s"


# -- environment -----------------------------------------------------------------------------


@contextmanager
def temp_home(prefix: str = "termchat-bench-") -> Iterator[Path]:
    """A temp dir with `data/` and a (missing) `config.toml`; removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    (path / "data").mkdir(mode=0o700)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def bench_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a termchat subprocess: store and config in `home`, no real API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TERMCHAT_")) and k != "NO_COLOR"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        TERMCHAT_DATA_DIR=str(home / "data"),
        TERMCHAT_CONFIG=str(home / "config.toml"),
        PYTHONPYCACHEPREFIX=str(PYCACHE),
    )
    env.update(extra)
    return env


def termchat_command() -> list[str]:
    """How a user runs termchat: the console script next to this interpreter, else `-m termchat`."""
    script = Path(PYTHON).parent / "termchat"
    if script.exists():
        return [PYTHON, str(script)]
    return [PYTHON, "-m", "termchat"]


def time_command(
    cmd: list[str], env: dict[str, str], runs: int, *, stdin: Any = subprocess.DEVNULL, check: bool = True
) -> list[float]:
    """Wall times (s) of `runs` runs of `cmd`, stdout to a pipe read to its end (as a shell's
    `| less` would: not a TTY, and not /dev/null, which takes writes for free)."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdin=stdin, capture_output=True)
        samples.append(time.perf_counter() - started)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return samples


def interleaved(commands: dict[str, Callable[[], float]], runs: int) -> dict[str, list[float]]:
    """Run each measurement `runs` times, interleaved so machine noise hits all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, measure in commands.items():
            samples[name].append(measure())
    return samples


# -- data ------------------------------------------------------------------------------------

WORDS = (
    "the quick brown fox jumps over a lazy dog while termchat streams tokens into the pane "
    "latency budget sqlite index widget markdown render scroll page conversation"
).split()

CODE = '''```python
def fib(n: int) -> int:
    """Return the n-th Fibonacci number."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
```'''


def sentence(rng: random.Random, words: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def message_text(rng: random.Random, index: int) -> str:
    """Mixed Markdown: paragraphs, lists, emphasis, and a code block every few messages."""
    kind = index % 4
    if kind == 0:
        return sentence(rng)
    if kind == 1:
        return (
            f"## Answer {index}\n\n{sentence(rng, 20)} **{rng.choice(WORDS)}** and `{rng.choice(WORDS)}`."
            f"\n\n- {sentence(rng, 6)}\n- {sentence(rng, 6)}\n- {sentence(rng, 6)}"
        )
    if kind == 2:
        return f"{sentence(rng, 8)}\n\n{CODE}\n\n{sentence(rng, 10)}"
    return f"{sentence(rng, 25)}\n\n> {sentence(rng, 8)}\n\n1. one\n2. two"


def seed_store(
    data_dir: Path, conversations: int, messages_per_conversation: int = 0, *, now: float | None = None, seed: int = 7
) -> list[int]:
    """Write chats straight through termchat.store.Store (its schema, one bulk transaction).

    Returns the conversation pks, oldest first. Titles are varied words so filtering is realistic.
    """
    from termchat.store import Store

    rng = random.Random(seed)
    now = now or time.time()
    store = Store.in_dir(data_dir)
    db = store._db
    try:
        db.execute("BEGIN IMMEDIATE")
        conv_rows = []
        for i in range(conversations):
            stamp = now - (conversations - i) * 60.0
            title = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize() + f" #{i}"
            conv_rows.append(
                (f"tc_bench{i:07d}", title, "local", "gpt-5.2", "{}", stamp, stamp, messages_per_conversation)
            )
        db.executemany(
            "INSERT INTO conversations(id, title, mode, model, settings, created_at, updated_at,"
            " message_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            conv_rows,
        )
        pks = [r[0] for r in db.execute("SELECT pk FROM conversations ORDER BY pk")]
        if messages_per_conversation:
            texts = [message_text(rng, i) for i in range(64)]

            def messages() -> Iterator[tuple]:
                for pk, conv in zip(pks, conv_rows, strict=True):
                    for j in range(messages_per_conversation):
                        role = "user" if j % 2 == 0 else "assistant"
                        yield (pk, role, texts[(pk + j) % len(texts)], "complete", conv[5] - 1 + j * 0.001)

            db.executemany(
                "INSERT INTO messages(conversation_pk, role, content, status, created_at) VALUES (?, ?, ?, ?, ?)",
                messages(),
            )
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return pks
    finally:
        store.close()


def seed_long_conversation(
    data_dir: Path,
    messages: int,
    *,
    now: float | None = None,
    newest: str = "",
    api: Any = None,
    news: Sequence[str] = (),
    synced: bool = True,
) -> str:
    """One chat with `messages` mixed Markdown/code messages; returns its id.

    `newest`: a word the newest message ends with (so a benchmark can see it on screen). With a
    fake `api`, the chat is in conversation mode: the fake holds the same messages plus `news`
    (user and assistant texts only the server has, which a sync adds). `synced`: the chat was
    synced here before the news came (as after any open of it), so a sync reads the server back
    to where that one left off; otherwise it was never synced here and a sync reads all of it."""
    from termchat.store import Store

    rng = random.Random(11)
    now = now or time.time()
    rows = [
        {
            "role": "user" if i % 2 == 0 else "assistant",
            "content": message_text(rng, i),
            "created_at": now - messages + i,
        }
        for i in range(messages)
    ]
    if newest:
        rows[-1]["content"] += f"\n\n{newest}"
    remote_id = None
    news_items = [{"role": "user" if i % 2 == 0 else "assistant", "content": text} for i, text in enumerate(news)]
    if api is not None:
        items = [{"role": r["role"], "content": r["content"]} for r in rows]
        remote_id = api.store.create_conversation(items + ([] if synced else news_items), None).id
    store = Store.in_dir(data_dir)
    try:
        store._now = lambda: now
        conv = store.create_conversation(
            mode="conversation" if remote_id else "local",
            model="gpt-5.2",
            title=f"Long chat ({messages})",
            created_at=now - messages,
            remote_id=remote_id,
        )
        store.replace_messages(conv, rows)
        if remote_id and synced:
            from termchat.api import Api
            from termchat.chat_open import sync_chat

            client = Api(base_url=api.base_url, api_key="bench", max_retries=0)
            try:
                sync_chat(store, client, store.reload(conv))
            finally:
                client.close()
            with api.store.lock:
                api.store.conversations[remote_id].items.extend(api.store.normalize_input(news_items))
        return conv.id
    finally:
        store.close()


def rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB, from /proc/self/status (peak via getrusage elsewhere)."""
    values = {}
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    values[key] = int(value.split()[0]) / 1024
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def run_child(code: str, env: dict[str, str] | None = None, timeout: float = 300) -> dict[str, Any]:
    """Run `code` in a fresh interpreter (cwd = repo root, benchmarks importable); it must print one
    JSON object as its last stdout line, which is returned."""
    env = dict(env or os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(BENCH_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run(
        [PYTHON, "-c", code],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])


def app_context(home: Path, base_url: str | None = None) -> Any:
    """An AppContext on `home` like the TUI tests build (optional credentials for a fake API)."""
    from termchat.app_context import AppContext
    from termchat.config import Config

    config = Config(config_path=home / "config.toml", data_dir=home / "data")
    return AppContext(config, base_url=base_url, api_key="bench" if base_url else None, data_dir=home / "data")


# -- the app under test ----------------------------------------------------------------------


def chat_of(app: Any) -> Any:
    """What holds the pane, prompt, chat list and turns: the app's chat screen where it has one
    (the ChatScreen layout), else the app itself."""
    return getattr(app, "chat_screen", app)


class PaintClock:
    """Timestamps screen updates: wraps the app's `_display` (the compositor hands it every
    update), encodes each update as a terminal would receive it (headless Textual skips that
    step) and records when the first one for which a condition holds went out.

    Waiting for the process to go idle (`pilot.pause()`, 20 ms slices) would add time no user
    sees; the screen update is what the user sees."""

    def __init__(self, app: Any) -> None:
        from textual._compositor import CompositorUpdate

        self._update_type = CompositorUpdate
        self.app = app
        self._display = app._display
        self._until: Callable[[str], bool] | None = None
        self._event: Any = None
        self.at: float | None = None
        self.text = ""  # the awaited update, encoded
        app._display = self._timed_display

    def _timed_display(self, screen: Any, renderable: Any) -> None:
        self._display(screen, renderable)
        if self._until is not None and isinstance(renderable, self._update_type):
            text = renderable.render_segments(self.app.console)  # what a terminal is sent
            if self._until(text):
                self._until, self.at, self.text = None, time.perf_counter(), text
                self._event.set()

    def expect(self, until: Callable[[str], bool]) -> None:
        """Time the first screen update from now on for which `until(encoded update)` holds."""
        import asyncio

        self._until, self.at, self._event = until, None, asyncio.Event()

    async def painted(self, timeout: float = 60) -> float:
        """perf_counter() of the awaited screen update."""
        import asyncio

        await asyncio.wait_for(self._event.wait(), timeout)
        assert self.at is not None
        return self.at


class LoopLag:
    """How long the UI loop is blocked: a task sleeping `interval` and recording how late each
    wake-up came (a block longer than `interval` shows up as lateness of about its length)."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: Any = None

    def start(self) -> None:
        import asyncio

        async def probe() -> None:
            while True:
                due = time.perf_counter() + self.interval
                await asyncio.sleep(self.interval)
                self.samples.append(max(0.0, time.perf_counter() - due))

        self._task = asyncio.ensure_future(probe())

    def stop(self) -> list[float]:
        if self._task is not None:
            self._task.cancel()
        return self.samples


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered) + 0.5)) - 1))]


# -- a whole process in a terminal -----------------------------------------------------------


def time_in_terminal(
    cmd: list[str],
    env: dict[str, str],
    markers: dict[str, Sequence[str]],
    *,
    size: tuple[int, int] = (120, 40),
    timeout: float = 60,
) -> dict[str, float]:
    """Run `cmd` in a pseudo-terminal of `size` (columns, rows) and time, from the spawn, when
    the terminal is first sent each of `markers` (a name: any of its strings); then end it.
    Returns {name: seconds}; raises when one never appears."""
    import fcntl
    import pty
    import select
    import signal
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    env = dict(env, TERM="xterm-256color", COLUMNS=str(size[0]), LINES=str(size[1]))
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True
    )
    os.close(slave)
    seen: dict[str, float] = {}
    wanted = {name: [text.encode() for text in texts] for name, texts in markers.items()}
    keep = max(len(text) for texts in wanted.values() for text in texts)
    tail = b""
    try:
        deadline = started + timeout
        while len(seen) < len(wanted):
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the process ended and closed the terminal
                break
            now = time.perf_counter()
            window = tail + chunk
            for name, texts in wanted.items():
                if name not in seen and any(text in window for text in texts):
                    seen[name] = now - started
            tail = window[-keep:]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        os.close(master)
    missing = [name for name in markers if name not in seen]
    if missing:
        raise RuntimeError(f"{' '.join(cmd[-3:])}: never showed {missing} (exit {proc.returncode})")
    return seen
