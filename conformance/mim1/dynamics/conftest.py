from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.callback_server import CallbackServer
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import Notifications
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.receiver import NotificationReceiver
from conformance.ngsild.subscriptions import Dynamics
from conformance.profiles import TargetProfile
from conformance.run_ids import RunIds


@pytest.fixture(scope="session")
def receiver(profile: TargetProfile, callback_server: CallbackServer) -> Iterator[NotificationReceiver]:
    """The notification endpoints, as a route on the session's callback server."""
    rx = NotificationReceiver(callback_server, default_timeout=profile.notifications.window_seconds).start()
    yield rx
    rx.stop()


@pytest.fixture
def notifications(
    receiver: NotificationReceiver,
    profile: TargetProfile,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
) -> Iterator[Notifications]:
    """Endpoints on the receiver for this test case; what they received goes into the evidence."""
    box = Notifications(lambda: receiver, run_ids, profile.notifications.window_seconds)
    yield box
    box.to_evidence(case_evidence)


@pytest.fixture
def dyn(ngsild: NgsiLd) -> Dynamics:
    return Dynamics(ngsild)


@pytest.fixture
def window(profile: TargetProfile) -> float:
    return profile.notifications.window_seconds
