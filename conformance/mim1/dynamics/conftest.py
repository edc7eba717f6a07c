from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.callback_server import CallbackServer
from conformance.mim1.dynamics.support import Notifications
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.receiver import NotificationReceiver, ReceiverError
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import Inconclusive
from conformance.plugin import CaseEvidence
from conformance.profiles import TargetProfile
from conformance.run_ids import RunIds


class _ReceiverSlot:
    """The session's receiver, started at first use; the reason when it could not be bound."""

    def __init__(self, profile: TargetProfile, server: CallbackServer) -> None:
        self.profile = profile
        self.server = server
        self.receiver: NotificationReceiver | None = None
        self.error: str | None = None

    def get(self) -> NotificationReceiver:
        if self.receiver is None and self.error is None:
            settings = self.profile.notifications
            receiver = NotificationReceiver(
                settings.bind_host,
                settings.bind_port,
                settings.callback_url,
                default_timeout=settings.window_seconds,
                shared=self.server,
            )
            try:
                self.receiver = receiver.start()
            except ReceiverError as exc:
                self.error = str(exc)
        if self.receiver is None:
            raise Inconclusive(f"the notification receiver is not available: {self.error}")
        return self.receiver

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.stop()


@pytest.fixture(scope="session")
def receiver_slot(profile: TargetProfile, callback_server: CallbackServer) -> Iterator[_ReceiverSlot]:
    slot = _ReceiverSlot(profile, callback_server)
    yield slot
    slot.stop()


@pytest.fixture
def notifications(
    receiver_slot: _ReceiverSlot,
    profile: TargetProfile,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
) -> Iterator[Notifications]:
    """Endpoints on the receiver for this test case; what they received goes into the evidence."""
    box = Notifications(receiver_slot.get, run_ids, profile.notifications.window_seconds)
    yield box
    box.to_evidence(case_evidence)


@pytest.fixture
def dyn(ngsild: NgsiLd) -> Dynamics:
    return Dynamics(ngsild)


@pytest.fixture
def window(profile: TargetProfile) -> float:
    return profile.notifications.window_seconds
