from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.embedded import EmbeddedReference

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "faults"))


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedReference]:
    """The embedded reference platform, started once for the project's own tests."""
    log = tmp_path_factory.mktemp("reference") / "reference.log"
    with EmbeddedReference(log=log) as ref:
        yield ref
