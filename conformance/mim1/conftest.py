from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.callback_server import CallbackServer
from conformance.cleanup import Cleanup
from conformance.mim1.projection_support import Projected, projected_dataset
from conformance.ngsild.api import NgsiLdOps
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.jsonld import Oracle
from conformance.outcomes import NotApplicable
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.run_ids import RunIds


@pytest.fixture
def ngsild(http: RecordingClient, profile: TargetProfile, cleanup: Cleanup) -> NgsiLdOps:
    base = profile.base_url("mim1")
    if base is None:
        raise NotApplicable("the target profile declares no base_url for mim1")
    return NgsiLdOps(http, base, tenant=profile.tenant, cleanup=cleanup)


@pytest.fixture(scope="session")
def contexts(callback_server: CallbackServer) -> Iterator[ContextServer]:
    """The suite's @context server, once per session, where the target can reach the suite."""
    with ContextServer(callback_server) as server:
        yield server


@pytest.fixture(scope="session")
def oracle(contexts: ContextServer) -> Oracle:
    """pyld with the core @context and the suite's test contexts, never fetching from the network."""
    return Oracle(contexts.documents())


@pytest.fixture(scope="session")
def session_cleanup() -> Iterator[Cleanup]:
    """Undo actions of session-scoped (read-only) data, run at the end of the session."""
    pending = Cleanup()
    yield pending
    pending.sweep()


@pytest.fixture(scope="module")
def projected(http: RecordingClient, profile: TargetProfile, run_ids: RunIds) -> Iterator[Projected]:
    """The entities the projection scenarios read (one set per module, removed after it)."""
    yield from projected_dataset(http, profile, run_ids)
