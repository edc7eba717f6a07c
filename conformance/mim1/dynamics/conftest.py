from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.callback_server import CallbackServer
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.mqtt_support import MqttNotifications
from conformance.mim1.dynamics.support import Notifications
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.mqtt_receiver import MqttReceiver, MqttUnavailable
from conformance.ngsild.receiver import NotificationReceiver
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import Inconclusive
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


@pytest.fixture(scope="session")
def mqtt_receiver(profile: TargetProfile) -> Iterator[MqttReceiver]:
    """The MQTT receiver: subscribed at the profile's [notifications] mqtt_url, else at the embedded
    broker it starts on loopback (only when an MQTT scenario runs); stopped at the session's end."""
    rx = MqttReceiver(profile.notifications.mqtt_url)
    try:
        rx.start()
    except (MqttUnavailable, OSError) as exc:
        raise Inconclusive(f"the suite's MQTT broker is unavailable: {exc}", blocked_by=str(exc)) from exc
    yield rx
    rx.stop()


@pytest.fixture
def mqtt_notifications(
    mqtt_receiver: MqttReceiver, profile: TargetProfile, run_ids: RunIds, case_evidence: CaseEvidence
) -> Iterator[MqttNotifications]:
    """Topics on the MQTT receiver for this test case; what they received goes into the evidence."""
    box = MqttNotifications(mqtt_receiver, run_ids, profile.notifications.window_seconds)
    yield box
    box.to_evidence(case_evidence)
