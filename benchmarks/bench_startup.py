"""Startup: `termchat --help`, `--version` and `list` (1,000 chats) vs a bare `python -c pass`.

Also `list` before any chat exists (the first thing a new user may run): a data directory that
does not exist yet, and one that is empty; each run starts from that state again, and the row
says whether `list` created a store (it should not: listing nothing writes nothing).

Budget (docs/ARCHITECTURE.md): at most 2.0x the bare interpreter, and openai / textual are never
imported on these paths (checked with `python -X importtime`). Also the loopback fake API
(`--demo` and every test start one): importing `termchat.fake_api` and starting the server.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    PYTHON,
    Row,
    bench_env,
    best,
    log,
    median,
    ms,
    parse_args,
    report,
    seed_store,
    temp_home,
    termchat_command,
    time_command,
)

TARGET = 2.0
FAKE_API_TARGET = 0.5  # seconds: import termchat.fake_api, start the server
FAKE_API_START = (
    "import time; t = time.perf_counter(); import termchat.fake_api as f; "
    "api = f.FakeAPI(); api.start(); print(time.perf_counter() - t); api.stop()"
)
FORBIDDEN = ("openai", "textual", "httpx", "rich")


def imported_modules(cmd: list[str], env: dict[str, str]) -> set[str]:
    import subprocess

    proc = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def fake_api_start(env: dict[str, str]) -> float:
    """Seconds from the first import of termchat.fake_api to a listening server (in a child)."""
    import subprocess

    proc = subprocess.run(
        [PYTHON, "-c", FAKE_API_START], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True
    )
    return float(proc.stdout.strip())


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    runs = 5 if args.quick else 25
    chats = 100 if args.quick else 1000
    with temp_home() as home:
        # Default locations, as a user has them: no TERMCHAT_DATA_DIR / TERMCHAT_CONFIG, so the
        # cost of finding the data directory is measured too.
        data = home / ".local" / "share" / "termchat"
        data.mkdir(parents=True)
        seed_store(data, chats)
        env = {
            k: v
            for k, v in bench_env(home, HOME=str(home)).items()
            if k not in ("TERMCHAT_DATA_DIR", "TERMCHAT_CONFIG") and not k.startswith("XDG_")
        }
        termchat = termchat_command()
        cases = {
            "--help": [*termchat, "--help"],
            "--version": [*termchat, "--version"],
            f"list ({chats:,} chats)": [*termchat, "list"],
        }
        # `list` with no store yet: default locations under other homes (no data dir; an empty one)
        fresh = {"list (no data dir yet)": home / "fresh-missing", "list (empty data dir)": home / "fresh-empty"}
        for fresh_home in fresh.values():
            fresh_home.mkdir()
        fresh_data = {name: path / ".local" / "share" / "termchat" for name, path in fresh.items()}
        created: dict[str, bool] = {name: False for name in fresh}

        def reset(name: str) -> None:
            """Back to "no store yet", noting whether the last run wrote to the data dir."""
            data = fresh_data[name]
            missing = "yet" in name
            if data.exists() and (missing or any(data.iterdir())):
                created[name] = True
            shutil.rmtree(fresh[name] / ".local", ignore_errors=True)
            if not missing:
                data.mkdir(parents=True)

        def fresh_env(name: str) -> dict[str, str]:
            return dict(env, HOME=str(fresh[name]))

        baseline_cmd = [PYTHON, "-c", "pass"]
        # warm the page cache and .pyc files once
        for cmd in [baseline_cmd, *cases.values()]:
            time_command(cmd, env, 1)
        for name in fresh:
            reset(name)
            time_command([*termchat, "list"], fresh_env(name), 1)
            reset(name)
        samples: dict[str, list[float]] = {"base": []}
        samples.update({name: [] for name in [*cases, *fresh]})
        for _ in range(runs):  # interleaved, so noise hits every command alike
            samples["base"] += time_command(baseline_cmd, env, 1)
            for name, cmd in cases.items():
                samples[name] += time_command(cmd, env, 1)
            for name in fresh:
                samples[name] += time_command([*termchat, "list"], fresh_env(name), 1)
                reset(name)
        base_best, base_med = best(samples["base"]), median(samples["base"])
        log(f"python -c pass: best {ms(base_best)}, median {ms(base_med)} ({runs} runs)")
        rows = []
        leaks = []
        for name, cmd in cases.items():
            b, m = best(samples[name]), median(samples[name])
            ratio = m / base_med
            log(f"termchat {name}: best {ms(b)} ({b / base_best:.2f}x), median {ms(m)} ({ratio:.2f}x)")
            modules = imported_modules(cmd, env)
            bad = sorted({mod.split(".")[0] for mod in modules if mod.split(".")[0] in FORBIDDEN})
            if bad:
                leaks.append(f"{name} imports {', '.join(bad)}")
            rows.append(
                Row(
                    f"startup: termchat {name}",
                    f"{ms(m)} median",
                    f"{ms(base_med)} python -c pass",
                    ratio,
                    f"<= {TARGET:.1f}x, no openai/textual",
                    ratio <= TARGET and not bad,
                    value=m,
                )
            )
        for name in fresh:
            b, m = best(samples[name]), median(samples[name])
            ratio = m / base_med
            modules = imported_modules([*termchat, "list"], fresh_env(name))
            reset(name)
            wrote = "created a store" if created[name] else "no store created"
            bad = sorted({mod.split(".")[0] for mod in modules if mod.split(".")[0] in FORBIDDEN})
            if bad:
                leaks.append(f"{name} imports {', '.join(bad)}")
            log(f"termchat {name}: best {ms(b)}, median {ms(m)} ({ratio:.2f}x); {wrote}")
            rows.append(
                Row(
                    f"startup: termchat {name}",
                    f"{ms(m)} median, {wrote}",
                    f"{ms(base_med)} python -c pass",
                    ratio,
                    f"<= {TARGET:.1f}x, no store created",
                    ratio <= TARGET and not created[name] and not bad,
                    value=m,
                )
            )
        fake = median([fake_api_start(env) for _ in range(runs)])
        log(f"fake API import + start: median {ms(fake)} ({runs} runs)")
        rows.append(
            Row(
                "startup: fake API import + start",
                f"{ms(fake)} median",
                "-",
                None,
                f"< {FAKE_API_TARGET} s",
                fake < FAKE_API_TARGET,
                value=fake,
            )
        )
        extra = "; ".join(leaks) if leaks else "openai/textual not imported on --help, --version, list"
        log(extra)
    return report("bench_startup", rows, args, extra)


if __name__ == "__main__":
    raise SystemExit(main())
