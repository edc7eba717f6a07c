from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance import sdm_registry
from conformance.callback_server import CallbackServer
from conformance.case_outcome import CaseEvidence
from conformance.cleanup import Cleanup
from conformance.mim1.dynamics.support import Notifications
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.jsonld import Oracle
from conformance.ngsild.receiver import NotificationReceiver
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import NotApplicable
from conformance.profiles import ProfileError, TargetProfile, load_profile
from conformance.recording import RecordingClient
from conformance.run_ids import RunIds

_MODELS = pytest.StashKey[sdm_registry.Models]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sdm_models(which): parametrize 'model' over the Smart Data Models of the registry "
        "(which: all, with_relationships, with_location)",
    )


def registry(config: pytest.Config) -> sdm_registry.Models:
    """The models of this run: the bundled ones, the user models folder and the target profile's
    [mim2] models_path, "format" judged as its [mim2] format_checks says (read here already, since
    the cases are parametrised at collection)."""
    if _MODELS not in config.stash:
        extra: tuple[str, ...] = ()
        format_checks = "strict"
        path = config.getoption("--mim-profile", default=None)
        if path:
            try:
                profile = load_profile(path)
                extra, format_checks = profile.models_paths, profile.format_checks
            except ProfileError:
                pass  # the plugin reports the profile's errors
        try:
            config.stash[_MODELS] = sdm_registry.load(extra, format_checks)
        except sdm_registry.ModelError as exc:
            raise pytest.UsageError(f"mimcheck: {exc}") from None
    return config.stash[_MODELS]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("sdm_models")
    if marker is None or "model" not in metafunc.fixturenames:
        return
    models = registry(metafunc.config)
    which = marker.args[0] if marker.args else "all"
    names = {
        "all": models.names,
        "with_relationships": models.with_relationships,
        "with_location": models.with_location,
    }[which]()
    metafunc.parametrize("model", [pytest.param(name, id=name) for name in names])


@pytest.fixture(scope="session")
def sdm_models(request: pytest.FixtureRequest) -> sdm_registry.Models:
    return registry(request.config)


@pytest.fixture
def ngsild(http: RecordingClient, profile: TargetProfile, cleanup: Cleanup) -> NgsiLd:
    base = profile.base_url("mim2")
    if base is None:
        raise NotApplicable("the target profile declares no base_url for mim2")
    return NgsiLd(http, base, tenant=profile.tenant, cleanup=cleanup)


@pytest.fixture(autouse=True)
def _subject_capability(
    request: pytest.FixtureRequest,
    profile: TargetProfile,
    sdm_models: sdm_registry.Models,
    case_evidence: CaseEvidence,
) -> None:
    """A case about one Smart Data Model is NOT_APPLICABLE unless the target declares the
    capability of the model's subject (sdm-parking, sdm-environment, ...; an added model of a new
    subject: sdm-<subject in kebab case>)."""
    callspec = getattr(request.node, "callspec", None)
    name = callspec.params.get("model") if callspec is not None else None
    model = sdm_models.entries.get(name) if isinstance(name, str) else None
    if model is not None and not profile.declares(model.capability):
        raise NotApplicable(f"capability {model.capability!r} ({model.subject} models) is not declared")
    if model is not None and not model.bundled:
        commit = f" at {model.commit}" if model.commit else ""
        case_evidence.note(
            f"added model {model.name}: $schemaVersion {model.schema_version}, schema sha256 {model.sha256}, "
            f"from {model.source}{commit} (models folder {model.origin})"
        )


@pytest.fixture(scope="session")
def sdm_contexts(callback_server: CallbackServer, sdm_models: sdm_registry.Models) -> Iterator[ContextServer]:
    """The suite's @context server (it serves the subjects' context.jsonld copies of
    fixtures/contexts/sdm-*.jsonld, and those of the added models), where the target can reach the suite."""
    with ContextServer(callback_server, extra=sdm_models.context_files()) as server:
        yield server


@pytest.fixture(scope="session")
def sdm_oracle(sdm_contexts: ContextServer) -> Oracle:
    """pyld with the core @context and the subjects' contexts, never fetching from the network."""
    return Oracle(sdm_contexts.documents())


# The MIM2 notification receiver: a route of its own on the session's callback server, so that it
# lives beside the MIM1 one (conformance/mim1/dynamics/conftest.py) in a run of both MIMs.
SDM_NOTIFY_PATH = "/mimcheck-sdm-notify"


@pytest.fixture(scope="session")
def sdm_receiver(profile: TargetProfile, callback_server: CallbackServer) -> Iterator[NotificationReceiver]:
    rx = NotificationReceiver(
        callback_server, default_timeout=profile.notifications.window_seconds, base_path=SDM_NOTIFY_PATH
    ).start()
    yield rx
    rx.stop()


@pytest.fixture
def sdm_notifications(
    sdm_receiver: NotificationReceiver, profile: TargetProfile, run_ids: RunIds, case_evidence: CaseEvidence
) -> Iterator[Notifications]:
    """Endpoints on the MIM2 receiver for this test case; what they received goes into the evidence."""
    box = Notifications(lambda: sdm_receiver, run_ids, profile.notifications.window_seconds)
    yield box
    box.to_evidence(case_evidence)


@pytest.fixture
def dyn(ngsild: NgsiLd) -> Dynamics:
    return Dynamics(ngsild)
