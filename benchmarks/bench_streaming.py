"""Streaming 20,000 text deltas from the loopback fake API.

* one-shot: `termchat -p` (subprocess, stdout to a pipe) vs a bare SDK loop in a subprocess
  (`openai.OpenAI(...).responses.create(stream=True)` writing each delta), in pairs: each
  termchat run right after a bare run, the ratio taken per pair and its median reported (a
  busy moment slows both halves of a pair alike). Throughput at least 0.9x the bare loop.
  Reported too: the CPU time (user + system) of each process, the same way.
* TUI: send a prompt in the headless app and wait until the reply is rendered and marked
  complete, vs the same bare SDK loop run in-process, paired the same way: at most 1.3x.
* TUI UI-loop blocks: while the reply streams, a task on the app's loop sleeps 5 ms at a time;
  how late each wake-up comes is how long the loop was busy elsewhere: p99 at most 50 ms.
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
    LoopLag,
    Row,
    app_context,
    bench_env,
    log,
    median,
    ms,
    p95,
    parse_args,
    percentile,
    report,
    temp_home,
    termchat_command,
)

ONESHOT_TARGET = 0.9  # throughput ratio, at least
TUI_TARGET = 1.3  # time ratio, at most
BLOCK_TARGET = 0.050  # seconds, p99 of the UI loop's lateness
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


def run_proc(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run of `cmd`, stdout to a pipe."""
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        while proc.stdout.read(1 << 16):  # a reader at the other end of the pipe, as a shell has
            pass
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{cmd[:3]} exited {proc.returncode}: {err.read().decode()[-800:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


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


async def tui_stream(ctx, api, chunks: list[str], *, type_keys: int) -> tuple[float, list[float], list[float], bool]:
    """(seconds from submit to the finished, painted reply; key latencies while streaming; the UI
    loop's lateness samples while streaming; ok)."""
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
        lag = LoopLag()
        lag.start()
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
        blocks = lag.stop()
        await pilot.pause()  # one more refresh: the final text is painted
        elapsed = time.perf_counter() - started
        view = reply()
        ok = view is not None and view.text == expected and view.status == "complete"
    return elapsed, latencies, blocks, ok


def sanitize_rows(runs: int) -> list[Row]:
    """strip_control on a megabyte of ordinary text and on a megabyte of hostile text."""
    from termchat.sanitize import strip_control

    esc, bel = "\x1b", "\x07"
    texts = {
        "plain": "Hello wörld 👨‍👩‍👧 tab\there\n" * 40_000,
        "hostile": f"ok {esc}[2J {esc}]52;c;aGVsbG8={bel} \x9b31m x\u202e\r\n" * 25_000,
    }
    rows = []
    for name, text in texts.items():
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            strip_control(text)
            samples.append(time.perf_counter() - started)
        m = median(samples)
        log(f"strip_control, 1 MB {name}: median {ms(m)} ({runs} runs)")
        rows.append(
            Row(
                f"streaming: sanitize 1 MB {name}",
                f"{ms(m)} median",
                "-",
                None,
                f"< {SANITIZE_TARGET} s",
                m < SANITIZE_TARGET,
                value=m,
            )
        )
    return rows


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    deltas = 2000 if args.quick else 20_000
    runs = 1 if args.quick else 7
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
            pairs = []  # (bare wall, termchat wall, bare CPU, termchat CPU)
            for index in range(runs):
                measured = {}
                # which half of a pair goes first alternates, so neither always gets the warmer moment
                for cmd in (bare_cmd, ours_cmd) if index % 2 == 0 else (ours_cmd, bare_cmd):
                    script(api, chunks)
                    measured[id(cmd)] = run_proc(cmd, env)
                (bare_wall, bare_cpu), (ours_wall, ours_cpu) = measured[id(bare_cmd)], measured[id(ours_cmd)]
                pairs.append((bare_wall, ours_wall, bare_cpu, ours_cpu))
            throughput = median([b / o for b, o, _, _ in pairs])  # same bytes: inverse time ratio
            cpu_ratio = median([oc / bc for _, _, bc, oc in pairs])
            b, o = median([p[0] for p in pairs]), median([p[1] for p in pairs])
            bc, oc = median([p[2] for p in pairs]), median([p[3] for p in pairs])
            log(
                f"one-shot, {deltas:,} deltas ({expected_bytes:,} bytes), {runs} pairs: bare SDK loop {ms(b)} "
                f"(CPU {ms(bc)}), termchat -p {ms(o)} (CPU {ms(oc)}); median of the pairs' throughput "
                f"ratios {throughput:.2f}x, of their CPU ratios {cpu_ratio:.2f}x"
            )
            rows.append(
                Row(
                    f"streaming: termchat -p, {deltas:,} deltas",
                    f"{ms(o)} median",
                    f"{ms(b)} bare SDK loop",
                    throughput,
                    f">= {ONESHOT_TARGET}x throughput (paired)",
                    throughput >= ONESHOT_TARGET,
                    value=o,
                )
            )
            rows.append(
                Row(
                    "streaming: termchat -p CPU time",
                    f"{ms(oc)} median",
                    f"{ms(bc)} bare SDK loop",
                    cpu_ratio,
                    "reported (paired)",
                    True,
                    value=oc,
                )
            )

        import io

        class Sink(io.StringIO):
            pass

        with temp_home() as home:
            ctx = app_context(home, base_url=base_url)
            try:
                script(api, chunks)
                bare_in_process(base_url, Sink())  # warm the SDK and the connection code
                tui_pairs, latencies, blocks, all_ok = [], [], [], True
                tui_runs = 1 if args.quick else 5
                for _ in range(tui_runs):
                    script(api, chunks)
                    bare_time = bare_in_process(base_url, Sink())
                    script(api, chunks)
                    elapsed, lat, lags, ok = asyncio.run(tui_stream(ctx, api, chunks, type_keys=40))
                    tui_pairs.append((bare_time, elapsed))
                    latencies += lat
                    blocks += lags
                    all_ok = all_ok and ok
            finally:
                ctx.close()
        ratio = median([t / b for b, t in tui_pairs])
        b, t = median([p[0] for p in tui_pairs]), median([p[1] for p in tui_pairs])
        log(
            f"TUI, {deltas:,} deltas: rendered in {ms(t)} vs bare in-process SDK loop {ms(b)}; median of "
            f"{len(tui_pairs)} pairs' ratios {ratio:.2f}x{'' if all_ok else ' -- REPLY TEXT MISMATCH'}"
        )
        rows.append(
            Row(
                f"streaming: TUI renders {deltas:,} deltas",
                f"{ms(t)} median",
                f"{ms(b)} bare SDK loop",
                ratio,
                f"<= {TUI_TARGET}x (paired)",
                ratio <= TUI_TARGET and all_ok,
                value=t,
            )
        )
        block99 = percentile(blocks, 0.99)
        log(
            f"TUI loop while streaming: late by p95 {ms(percentile(blocks, 0.95))}, p99 {ms(block99)}, "
            f"max {ms(max(blocks, default=0.0))} ({len(blocks)} wake-ups of a 5 ms timer)"
        )
        rows.append(
            Row(
                "streaming: TUI loop blocked p99",
                ms(block99),
                f"max {ms(max(blocks, default=0.0))}",
                None,
                f"<= {BLOCK_TARGET * 1000:.0f} ms",
                block99 <= BLOCK_TARGET,
                value=block99,
            )
        )
        if latencies:
            lat95 = p95(latencies)
            log(
                f"TUI key latency while streaming: p95 {ms(lat95)}, max {ms(max(latencies))}, "
                f"median {ms(median(latencies))} ({len(latencies)} keys)"
            )
            rows.append(
                Row(
                    "streaming: TUI key latency p95",
                    ms(lat95),
                    "-",
                    None,
                    f"< {LATENCY_TARGET * 1000:.0f} ms",
                    lat95 < LATENCY_TARGET,
                    value=lat95,
                )
            )
        else:
            rows.append(
                Row(
                    "streaming: TUI key latency p95",
                    "no keys while streaming",
                    "-",
                    None,
                    f"< {LATENCY_TARGET * 1000:.0f} ms",
                    False,
                )
            )
    finally:
        api.stop()
    rows += sanitize_rows(3 if args.quick else 9)
    return report("bench_streaming", rows, args)


if __name__ == "__main__":
    raise SystemExit(main())
