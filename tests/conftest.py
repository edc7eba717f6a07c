from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.embedded import EmbeddedReference

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "faults"))

# A shell starts background commands with SIGINT ignored (`bash .ci/run &`), and every process started
# from there inherits it: the tests that press Ctrl-C on a run (SIGINT to its process group) would
# press nothing. Python's own handler here makes the processes the tests start get the default again.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedReference]:
    """The embedded reference platform, started once for the project's own tests."""
    log = tmp_path_factory.mktemp("reference") / "reference.log"
    with EmbeddedReference(log=log) as ref:
        yield ref
