"""benchmarks/load_overhead.py works: every built-in profile and its bare replay run for 1 s against the
no-op server and a figure is printed for each (no assertion on the figures themselves)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "load_overhead.py"
SECONDS_PER_SIDE_BUDGET = 3  # 1 s of load plus Locust's start-up, per side, on a slow machine
BUDGET_SECONDS = 30

pytestmark = pytest.mark.slow


def _module() -> Any:
    spec = importlib.util.spec_from_file_location("load_overhead", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_prints_a_row_per_profile() -> None:
    profiles = _module().builtin_profiles()
    if 2 * len(profiles) * SECONDS_PER_SIDE_BUDGET > BUDGET_SECONDS:
        pytest.skip(f"{len(profiles)} profiles: the 1 s benchmark would take more than ~{BUDGET_SECONDS} s")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "1", "--users", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in profiles:
        row = next((line for line in proc.stdout.splitlines() if line.split()[:1] == [name]), None)
        assert row is not None, proc.stdout
        profile_rps, bare_rps = (float(x) for x in row.split()[1:3])
        assert profile_rps > 0 and bare_rps > 0, row
