"""Child processes the suite starts (the embedded reference, a local Mosquitto) end with the process that
started them, even when that one is killed outright (SIGKILL, OOM killer), where no cleanup code runs.

On Linux the child asks the kernel, between fork and exec, for SIGTERM when its parent dies
(prctl PR_SET_PDEATHSIG). Elsewhere nothing is done: the normal stop paths still apply.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def _parent_death_signal(signum: int) -> Callable[[], None]:
    def set_it() -> None:  # runs in the child, between fork and exec
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signum)

    return set_it


def die_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` for subprocess.Popen (None where the platform has no such thing): ``signum``
    when the parent dies. SIGKILL for a child that may not act on SIGTERM then (Mosquitto 2.0 was seen
    to stay up after its parent's death, and after a SIGTERM too).

    Start the child from the main thread: the kernel ties the signal to the thread that forked."""
    return _parent_death_signal(signum) if sys.platform.startswith("linux") else None


def supervised(argv: list[str]) -> list[str]:
    """The command line that runs ``argv`` under a small supervisor (this module as a program).

    For a child that changes its user or drops capabilities at start (Mosquitto started as root does
    both), the kernel clears the parent-death signal: it would outlive a suite killed outright. The
    supervisor keeps the signal (start it with ``die_with_parent``), and ends the child when it gets it."""
    return [sys.executable, "-m", "conformance.process_guard", *argv]


def _supervise(argv: list[str]) -> int:
    import subprocess

    children: list[subprocess.Popen[bytes]] = []
    stopped_by: list[int] = []

    def stop(signum: int, frame: object) -> None:
        # SIGKILL: the supervised children keep no state, and Mosquitto 2.0 was seen to sit on a SIGTERM.
        # No wait here: the main thread's wait() holds the lock a second one would need.
        stopped_by.append(signum)
        if not children:
            raise SystemExit(128 + signum)
        children[0].kill()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    children.append(subprocess.Popen(argv))
    if stopped_by:  # signalled while the child was being started
        children[0].kill()
    code = children[0].wait()
    return 128 + stopped_by[0] if stopped_by else code


if __name__ == "__main__":
    raise SystemExit(_supervise(sys.argv[1:]))
