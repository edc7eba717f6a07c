"""Run-scoped identifiers: the suite only ever touches data whose id it generated in this run."""

from __future__ import annotations

import itertools
import secrets
import threading
import time


def new_run_id() -> str:
    """A short id, unique enough across runs: time plus randomness."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + secrets.token_hex(3)


class RunIds:
    """Generates ids that carry the run id (and the xdist worker, so workers never collide)."""

    def __init__(self, run_id: str, worker: str = "") -> None:
        self.run_id = run_id
        self.prefix = f"mimcheck-{run_id}" + (f"-{worker}" if worker else "")
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            return f"{self.prefix}-{next(self._counter):05d}"

    def entity_id(self, entity_type: str) -> str:
        """An NGSI-LD entity id (a URN) of the given short type name."""
        return f"urn:ngsi-ld:{entity_type}:{self.next()}"

    def owns(self, identifier: str) -> bool:
        return self.prefix in identifier
