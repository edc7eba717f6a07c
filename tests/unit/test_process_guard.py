"""Children the suite starts end with it, even when it is killed outright: by the parent-death signal,
and through the supervisor for a child that drops capabilities at start (which clears that signal)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PARENT = """
import subprocess, sys, time
from conformance.process_guard import die_with_parent, supervised
argv = ["sleep", "120"]
child = subprocess.Popen(supervised(argv) if sys.argv[1] == "supervised" else argv, preexec_fn=die_with_parent())
print(child.pid, flush=True)
time.sleep(120)
"""


def _running(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(_running(p) for p in pids)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl PR_SET_PDEATHSIG is Linux only")
@pytest.mark.parametrize("how", ["direct", "supervised"])
def test_children_end_with_a_parent_killed_outright(how: str) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, how], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 10
    grandchildren: list[int] = []
    while how == "supervised" and not grandchildren and time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-P", str(child)], capture_output=True, text=True).stdout.split()
        grandchildren = [int(p) for p in found]
        time.sleep(0.05)
    assert how == "direct" or grandchildren, "the supervisor started its child"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert _gone_within([child, *grandchildren], 10), "a child outlived the parent killed outright"


def test_the_supervisor_stops_its_child_and_says_why() -> None:
    from conformance.process_guard import supervised

    sup = subprocess.Popen(supervised(["sleep", "120"]))
    deadline = time.monotonic() + 10  # the supervisor is up, its handlers set, its child started
    while (
        not subprocess.run(["pgrep", "-P", str(sup.pid)], capture_output=True).stdout
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    sup.terminate()
    assert sup.wait(timeout=10) == 128 + signal.SIGTERM
