"""benchmarks/sdm_validate_bench.py works: with --n 50 it validates the generated entities with the
compiled and the naive validators and prints a figure for each (no assertion on the figures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "sdm_validate_bench.py"


def test_benchmark_prints_both_sides() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--n", "50"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("50 keyValues entities of ")
    for side in ("compiled", "naive"):
        (row,) = [line for line in lines if line.startswith(side) and "entities/s" in line]
        assert row.endswith("invalid: 0"), "every generated entity is valid"
    assert lines[-1].startswith("compiled / naive (CPU): ")
