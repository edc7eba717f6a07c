"""Cleanup of what a run created: per test case at teardown, and a sweep at the end of the run,
also after an abort (Ctrl-C, SIGTERM, a crash of the run)."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from dataclasses import dataclass

from conformance.outcomes import Inconclusive


@dataclass
class Pending:
    description: str
    undo: Callable[[], object]


class Cleanup:
    """A stack of undo actions. A test case pushes; its teardown pops what it pushed."""

    def __init__(self) -> None:
        self._pending: list[Pending] = []
        self._lock = threading.Lock()
        self.failures: list[str] = []
        atexit.register(self.sweep)

    def push(self, description: str, undo: Callable[[], object]) -> Pending:
        item = Pending(description, undo)
        with self._lock:
            self._pending.append(item)
        return item

    def mark(self) -> int:
        with self._lock:
            return len(self._pending)

    def unwind(self, to_mark: int = 0) -> None:
        """Run the undo actions pushed since ``to_mark``, newest first."""
        while True:
            with self._lock:
                if len(self._pending) <= to_mark:
                    return
                item = self._pending.pop()
            try:
                item.undo()
            except (Exception, Inconclusive) as exc:  # noqa: BLE001 - cleanup goes on whatever happens
                self.failures.append(f"{item.description}: {exc}")

    def sweep(self) -> None:
        self.unwind(0)

    def __len__(self) -> int:
        return len(self._pending)
