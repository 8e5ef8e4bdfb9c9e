"""Streaming 20,000 text deltas from the loopback fake API.

* one-shot: `termchat -p` (subprocess, stdout to a pipe) vs a bare SDK loop in a subprocess
  (`openai.OpenAI(...).responses.create(stream=True)` writing each delta): throughput at least
  0.9x the bare loop (i.e. termchat's time at most 1/0.9 of it).
* TUI: send a prompt in the headless app and wait until the reply is rendered and marked
  complete, vs the same bare SDK loop run in-process: at most 1.5x.
* TUI input latency: key presses posted to the prompt TextArea while the reply streams; the time
  from posting a key to the prompt's text containing it, p95 under 50 ms.
* Sanitizing: `strip_control` (every server/model text passes it) on a megabyte of plain text and
  on a megabyte dense with escape sequences: each under 0.25 s (no backtracking blow-up).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    PYTHON,
    Row,
    app_context,
    bench_env,
    log,
    median,
    ms,
    p95,
    parse_args,
    report,
    temp_home,
    termchat_command,
)

ONESHOT_TARGET = 0.9   # throughput ratio, at least
TUI_TARGET = 1.5       # time ratio, at most
LATENCY_TARGET = 0.050  # seconds, p95
SANITIZE_TARGET = 0.25  # seconds per megabyte, at most

BARE_LOOP = """
import sys, openai
client = openai.OpenAI(base_url=sys.argv[1], api_key="bench", max_retries=0)
out = sys.stdout
for event in client.responses.create(model="gpt-5.2", input="stream please", stream=True):
    if event.type == "response.output_text.delta":
        out.write(event.delta)
        out.flush()
out.write("\\n")
"""


def chunks_for(count: int) -> list[str]:
    """Token-sized deltas of Markdown prose: a paragraph break every 100 deltas (a long reply)."""
    words = ["alpha ", "beta ", "gamma ", "delta ", "**bold** ", "`code` ", "epsilon, ", "zeta. "]
    return ["\n\n" if i % 100 == 99 else words[i % len(words)] for i in range(count)]


def script(api, chunks: list[str]) -> None:
    from termchat.fake_api import Reply

    api.script(Reply.text("".join(chunks), chunks=chunks))


def run_proc(cmd: list[str], env: dict[str, str]) -> float:
    import subprocess

    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} exited {proc.returncode}: {proc.stderr.decode()[-800:]}")
    return elapsed


def bare_in_process(base_url: str, sink) -> float:
    import openai

    client = openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0)
    try:
        started = time.perf_counter()
        for event in client.responses.create(model="gpt-5.2", input="stream please", stream=True):
            if event.type == "response.output_text.delta":
                sink.write(event.delta)
                sink.flush()
        return time.perf_counter() - started
    finally:
        client.close()


async def tui_stream(ctx, api, chunks: list[str], *, type_keys: int) -> tuple[float, list[float], bool]:
    """(seconds from submit to the finished, painted reply; key latencies while streaming; ok)."""
    from textual import events

    from termchat.tui import app_class

    expected = "".join(chunks)
    app = app_class()(ctx)  # as `termchat` starts it (termchat.tui.launch)
    latencies: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        chat = app.chat_screen
        script(api, chunks)
        chat.prompt.insert("stream please")
        started = time.perf_counter()
        chat.prompt.action_submit()

        def reply():
            views = [v for v in chat.pane.views if v.role == "assistant"]
            return views[-1] if views else None

        typed = 0
        while True:
            view = reply()
            if view is not None and not view.streaming and view.status != "streaming" and chat.current_turn() is None:
                break
            if typed < type_keys and view is not None and view.streaming and view.text:
                char = "abcdefghij"[typed % 10]
                before = chat.prompt.text
                sent = time.perf_counter()
                chat.prompt.post_message(events.Key(char, char))
                while chat.prompt.text == before:
                    await asyncio.sleep(0.0005)
                if chat.current_turn() is not None:  # count only keys handled while streaming
                    latencies.append(time.perf_counter() - sent)
                typed += 1
                await asyncio.sleep(0.005)
                continue
            await asyncio.sleep(0.001)
        await pilot.pause()  # one more refresh: the final text is painted
        elapsed = time.perf_counter() - started
        view = reply()
        ok = view is not None and view.text == expected and view.status == "complete"
    return elapsed, latencies, ok


def sanitize_rows(runs: int) -> list[Row]:
    """strip_control on a megabyte of ordinary text and on a megabyte of hostile text."""
    from termchat.sanitize import strip_control

    esc, bel = "\x1b", "\x07"
    texts = {"plain": "Hello wörld 👨‍👩‍👧 tab\there\n" * 40_000,
             "hostile": f"ok {esc}[2J {esc}]52;c;aGVsbG8={bel} \x9b31m x\u202e\r\n" * 25_000}
    rows = []
    for name, text in texts.items():
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            strip_control(text)
            samples.append(time.perf_counter() - started)
        m = median(samples)
        log(f"strip_control, 1 MB {name}: median {ms(m)} ({runs} runs)")
        rows.append(Row(f"streaming: sanitize 1 MB {name}", f"{ms(m)} median", "-", None,
                        f"< {SANITIZE_TARGET} s", m < SANITIZE_TARGET, value=m))
    return rows


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    deltas = 2000 if args.quick else 20_000
    runs = 1 if args.quick else 5
    chunks = chunks_for(deltas)
    expected_bytes = len("".join(chunks).encode())

    from termchat.fake_api import FakeAPI

    api = FakeAPI()
    base_url = api.start()
    rows = []
    try:
        with temp_home() as home:
            env = bench_env(home)
            bare_cmd = [PYTHON, "-c", BARE_LOOP, base_url]
            ours_cmd = [*termchat_command(), "--base-url", base_url, "--api-key", "bench", "-p", "stream please"]
            for cmd in (bare_cmd, ours_cmd):  # warm-up
                script(api, chunks)
                run_proc(cmd, env)
            bare, ours = [], []
            for _ in range(runs):
                script(api, chunks)
                bare.append(run_proc(bare_cmd, env))
                script(api, chunks)
                ours.append(run_proc(ours_cmd, env))
            b, o = median(bare), median(ours)
            throughput = b / o  # same bytes: throughput ratio = inverse time ratio
            log(f"one-shot, {deltas:,} deltas ({expected_bytes:,} bytes): bare SDK loop {ms(b)}, "
                f"termchat -p {ms(o)} (median of {runs}; throughput {throughput:.2f}x)")
            rows.append(Row(f"streaming: termchat -p, {deltas:,} deltas", f"{ms(o)} median",
                            f"{ms(b)} bare SDK loop", throughput, f">= {ONESHOT_TARGET}x throughput",
                            throughput >= ONESHOT_TARGET, value=o))

        import io

        class Sink(io.StringIO):
            pass

        with temp_home() as home:
            ctx = app_context(home, base_url=base_url)
            try:
                script(api, chunks)
                bare_in_process(base_url, Sink())  # warm the SDK and the connection code
                tui_times, bare_times, latencies, all_ok = [], [], [], True
                tui_runs = 1 if args.quick else 3
                for _ in range(tui_runs):
                    script(api, chunks)
                    bare_times.append(bare_in_process(base_url, Sink()))
                    script(api, chunks)
                    elapsed, lat, ok = asyncio.run(tui_stream(ctx, api, chunks, type_keys=40))
                    tui_times.append(elapsed)
                    latencies += lat
                    all_ok = all_ok and ok
            finally:
                ctx.close()
        b, t = median(bare_times), median(tui_times)
        ratio = t / b
        log(f"TUI, {deltas:,} deltas: rendered in {ms(t)} vs bare in-process SDK loop {ms(b)} ({ratio:.2f}x)"
            f"{'' if all_ok else ' -- REPLY TEXT MISMATCH'}")
        rows.append(Row(f"streaming: TUI renders {deltas:,} deltas", f"{ms(t)} median", f"{ms(b)} bare SDK loop",
                        ratio, f"<= {TUI_TARGET}x", ratio <= TUI_TARGET and all_ok, value=t))
        if latencies:
            lat95 = p95(latencies)
            log(f"TUI key latency while streaming: p95 {ms(lat95)}, max {ms(max(latencies))}, "
                f"median {ms(median(latencies))} ({len(latencies)} keys)")
            rows.append(Row("streaming: TUI key latency p95", ms(lat95), "-", None,
                            f"< {LATENCY_TARGET * 1000:.0f} ms", lat95 < LATENCY_TARGET, value=lat95))
        else:
            rows.append(Row("streaming: TUI key latency p95", "no keys while streaming", "-", None,
                            f"< {LATENCY_TARGET * 1000:.0f} ms", False))
    finally:
        api.stop()
    rows += sanitize_rows(3 if args.quick else 9)
    return report("bench_streaming", rows, args)


if __name__ == "__main__":
    raise SystemExit(main())
