"""The fixtures every scenario may use: the target profile, the recording HTTP client, run-scoped
ids, the case's evidence, the callback server and per-case clean-up. Registered by the plugin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.callback_server import CallbackServer, CallbackServerError
from conformance.case_outcome import CaseEvidence
from conformance.cleanup import Cleanup
from conformance.outcomes import Inconclusive
from conformance.plugin import MimcheckPlugin, plugin_of
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.run_ids import RunIds


@pytest.fixture(scope="session")
def mim_plugin(request: pytest.FixtureRequest) -> MimcheckPlugin:
    return plugin_of(request.config)


@pytest.fixture(scope="session")
def profile(mim_plugin: MimcheckPlugin) -> TargetProfile:
    return mim_plugin.profile()


@pytest.fixture(scope="session")
def http(mim_plugin: MimcheckPlugin) -> RecordingClient:
    """The recording HTTP client."""
    return mim_plugin.client()


@pytest.fixture(scope="session")
def run_ids(mim_plugin: MimcheckPlugin) -> RunIds:
    return mim_plugin.ids


@pytest.fixture
def case_evidence(mim_plugin: MimcheckPlugin, request: pytest.FixtureRequest) -> CaseEvidence:
    """Notes and attachments for this case's evidence (besides its HTTP exchanges)."""
    nodeid = request.node.nodeid
    return CaseEvidence(lambda: mim_plugin.cases.get(nodeid), mim_plugin.redactor)


@pytest.fixture(scope="session")
def callback_server(profile: TargetProfile) -> Iterator[CallbackServer]:
    """Where the target reaches the suite (served @contexts, notifications): one server a session."""
    settings = profile.notifications
    server = CallbackServer(settings.bind_host, settings.bind_port, settings.callback_url)
    try:
        server.start()
    except CallbackServerError as exc:
        raise Inconclusive(str(exc)) from None
    yield server
    server.stop()


@pytest.fixture
def cleanup(mim_plugin: MimcheckPlugin) -> Iterator[Cleanup]:
    """Undo actions pushed by a test case run at its teardown."""
    mark = mim_plugin.cleanup.mark()
    yield mim_plugin.cleanup
    mim_plugin.cleanup.unwind(mark)
