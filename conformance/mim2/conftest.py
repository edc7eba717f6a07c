from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance import sdm
from conformance.callback_server import CallbackServer
from conformance.cleanup import Cleanup
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.jsonld import Oracle
from conformance.outcomes import NotApplicable
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient


@pytest.fixture
def ngsild(http: RecordingClient, profile: TargetProfile, cleanup: Cleanup) -> NgsiLd:
    base = profile.base_url("mim2")
    if base is None:
        raise NotApplicable("the target profile declares no base_url for mim2")
    return NgsiLd(http, base, tenant=profile.tenant, cleanup=cleanup)


@pytest.fixture(autouse=True)
def _subject_capability(request: pytest.FixtureRequest, profile: TargetProfile) -> None:
    """A case about one Smart Data Model is NOT_APPLICABLE unless the target declares the
    capability of the model's subject (sdm-parking, sdm-environment, ...)."""
    callspec = getattr(request.node, "callspec", None)
    name = callspec.params.get("model") if callspec is not None else None
    model = sdm.MODELS.get(name) if isinstance(name, str) else None
    if model is not None and not profile.declares(model.capability):
        raise NotApplicable(f"capability {model.capability!r} ({model.subject} models) is not declared")


@pytest.fixture(scope="session")
def sdm_contexts(callback_server: CallbackServer) -> Iterator[ContextServer]:
    """The suite's @context server (it serves the subjects' context.jsonld copies of
    fixtures/contexts/sdm-*.jsonld), where the target can reach the suite."""
    with ContextServer(callback_server) as server:
        yield server


@pytest.fixture(scope="session")
def sdm_oracle(sdm_contexts: ContextServer) -> Oracle:
    """pyld with the core @context and the subjects' contexts, never fetching from the network."""
    return Oracle(sdm_contexts.documents())
