from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from conformance.cleanup import Cleanup
from conformance.ngsild.api import NgsiLdOps
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.jsonld import Oracle
from conformance.outcomes import Inconclusive, NotApplicable
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient


@pytest.fixture
def ngsild(http: RecordingClient, profile: TargetProfile, cleanup: Cleanup) -> NgsiLdOps:
    base = profile.base_url("mim1")
    if base is None:
        raise NotApplicable("the target profile declares no base_url for mim1")
    return NgsiLdOps(http, base, tenant=profile.tenant, cleanup=cleanup)


@pytest.fixture(scope="session")
def contexts(profile: TargetProfile) -> Iterator[ContextServer]:
    """The suite's @context server, once per session, where the target can reach the suite."""
    ntf = profile.notifications
    advertised = None
    if ntf.callback_url:
        parts = urlsplit(ntf.callback_url)
        advertised = f"{parts.scheme}://{parts.netloc}"
    try:
        server = ContextServer(ntf.bind_host, ntf.bind_port, advertised)
        server.__enter__()
    except OSError as exc:
        raise Inconclusive(
            f"the suite's @context server cannot bind {ntf.bind_host}:{ntf.bind_port}: {exc}"
        ) from None
    try:
        yield server
    finally:
        server.__exit__(None, None, None)


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
