"""The benchmarks must keep running: `benchmarks/run_all.py --quick` exits 0 and prints its table.

Timing budgets are not asserted here (they belong in the benchmark output, not in unit tests);
this only checks that every benchmark runs and produces numbers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("startup:", "first frame:", "streaming:", "long chat:", "big store:")


def test_quick_benchmarks_run_and_print_the_table():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ROOT,  # (a hang guard only)
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    out = proc.stdout
    assert "| benchmark" in out and "| measured" in out and "| ratio" in out, out
    for name in NAMES:
        assert any(line.startswith(f"| {name}") for line in out.splitlines()), (name, out)
    assert "ERROR" not in out, out
    assert "0 crashed" in out, out
