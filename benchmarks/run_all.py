"""Run every benchmark (each in its own interpreter) and print one table.

    python benchmarks/run_all.py            # full sizes: a few minutes
    python benchmarks/run_all.py --quick    # small sizes, < 60 s: checks that each one runs
    python benchmarks/run_all.py --strict   # exit 1 when a budget is missed (not only on a crash)

Exit code: 0 when every benchmark ran and produced numbers (2 with --strict and a missed
budget), 1 when a benchmark crashed or printed no result. Budgets: docs/ARCHITECTURE.md; how each
benchmark measures and what it found: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BENCHMARKS = ["bench_startup", "bench_first_frame", "bench_streaming", "bench_long_conversation", "bench_big_store"]
COLUMNS = ("benchmark", "measured", "baseline", "ratio", "target", "result")


def run_one(name: str, quick: bool, timeout: float) -> tuple[list[dict], str]:
    cmd = [sys.executable, str(BENCH_DIR / f"{name}.py"), "--json"] + (["--quick"] if quick else [])
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(BENCH_DIR.parent),
            stdin=subprocess.DEVNULL,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout:.0f} s"
    sys.stderr.write(f"== {name}\n{proc.stderr}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        return [], f"exit {proc.returncode}: {tail[0]}"
    return json.loads(lines[-1])["rows"], ""


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run termchat's benchmarks and print a table.")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run, < 60 s)")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a budget is missed")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only this benchmark")
    args = parser.parse_args()
    started = time.perf_counter()
    out = [list(COLUMNS)]
    crashed, missed = [], []
    for name in args.only or BENCHMARKS:
        t0 = time.perf_counter()
        rows, error = run_one(name, args.quick, timeout=600)  # only stops a hang; a busy machine is slow
        sys.stderr.write(f"   ({name}: {time.perf_counter() - t0:.1f} s)\n")
        if error:
            crashed.append(name)
            out.append([name, "ERROR", error[:80], "-", "-", "ERROR"])
            continue
        for row in rows:
            ratio = f"{row['ratio']:.2f}x" if row.get("ratio") is not None else "-"
            out.append(
                [row["name"], row["measured"], row["baseline"], ratio, row["target"], "pass" if row["ok"] else "FAIL"]
            )
            if not row["ok"]:
                missed.append(row["name"])
    mode = "quick (small sizes; timings are not budget checks)" if args.quick else "full"
    print(
        f"termchat benchmarks, {mode}, {time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, {time.perf_counter() - started:.0f} s"
    )
    print(table(out))
    print(
        f"{len(out) - 1} rows: {len(out) - 1 - len(missed) - len(crashed)} pass, {len(missed)} missed budgets, "
        f"{len(crashed)} crashed"
    )
    if crashed:
        return 1
    return 2 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
