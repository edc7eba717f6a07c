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


def _set_parent_death_signal() -> None:  # runs in the child, between fork and exec
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` for subprocess.Popen (None where the platform has no such thing).

    Start the child from the main thread: the kernel ties the signal to the thread that forked."""
    return _set_parent_death_signal if sys.platform.startswith("linux") else None
