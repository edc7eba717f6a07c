"""An aborted run unwinds everywhere, and what it could not undo is swept by its run id.

SIGTERM (a container runtime, systemd, a CI timeout) reaches the main process only. With xdist the
cases run in worker processes that hold their own undo stacks; left alone they learn of the abort
only when xdist tears them down, a few seconds late, and are killed while still undoing. So the main
process passes the SIGTERM on to its workers at once, and each unwinds like Ctrl-C (the plugin turns
SIGTERM into KeyboardInterrupt in every process of a run; SIGINT would not do: a shell starts
background commands with SIGINT ignored, and that is inherited). And whatever
a worker could not undo before it was stopped, the main process finds afterwards by the run id and
deletes (`after_abort`), as `mimcheck cleanup` would.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from conformance.outcomes import Inconclusive
from conformance.profiles import TargetProfile


class WorkerProcesses:
    """The process ids of the xdist workers this (controller) process started."""

    def __init__(self) -> None:
        self.pids: set[int] = set()

    def add(self, node: Any) -> None:
        """Remember a worker from its xdist node (the popen gateway's process); others are ignored."""
        popen = getattr(getattr(getattr(node, "gateway", None), "_io", None), "popen", None)
        pid = getattr(popen, "pid", None)
        if isinstance(pid, int) and pid > 0:
            self.pids.add(pid)

    def interrupt(self) -> None:
        """SIGTERM to each worker still running: it unwinds its cases and undoes what they created."""
        for pid in sorted(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:  # already gone
                self.pids.discard(pid)


def after_abort(profile: TargetProfile, run_id: str, client: Any, say: Callable[[str], None]) -> int:
    """Delete what carries the run id and is still on the target; returns how many objects."""
    from conformance.sweep import Sweeper

    sweeper = Sweeper(client, run_id, say=lambda _line: None)
    try:
        report = sweeper.target(profile)
    except (Exception, Inconclusive) as exc:  # noqa: BLE001 - the run is over; say what is left to do
        say(f"mimcheck: the sweep after the abort stopped ({exc}); run `mimcheck cleanup` on the run folder")
        return 0
    if report.failed:
        say(
            f"mimcheck: the sweep after the abort could not delete {len(report.failed)} objects "
            f"(first: {report.failed[0]}); run `mimcheck cleanup` on the run folder"
        )
    if report.total:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.deleted.items()))
        say(f"mimcheck: the sweep after the abort deleted what the run left: {kinds}")
    return report.total
