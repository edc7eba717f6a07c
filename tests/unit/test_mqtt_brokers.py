"""The suite's own MQTT broker: a local Mosquitto when installed (MQTT 3.1.1 and 5.0), else the
embedded amqtt broker (3.1.1 only); a case for a version the broker cannot speak is INCONCLUSIVE with
what to do, never NOT_APPLICABLE (which only an undeclared capability makes)."""

from __future__ import annotations

import socket

import pytest

from conformance.mim1.dynamics.mqtt_support import MqttNotifications
from conformance.mqtt_mosquitto import LocalMosquitto, mosquitto_binary
from conformance.ngsild.mqtt_receiver import MqttReceiver
from conformance.outcomes import Inconclusive
from conformance.run_ids import RunIds


def test_a_version_the_broker_cannot_speak_is_inconclusive_with_what_to_do() -> None:
    receiver = MqttReceiver()
    receiver.versions = ("mqtt3.1.1",)
    box = MqttNotifications(receiver, RunIds("r"), 1.0)
    box.require_version("mqtt3.1.1")
    with pytest.raises(Inconclusive) as raised:
        box.require_version("mqtt5.0")
    assert "mosquitto" in raised.value.blocked_by and "mqtt_url" in raised.value.blocked_by


def test_the_local_mosquitto_starts_and_stops() -> None:
    binary = mosquitto_binary()
    if binary is None:
        pytest.skip("mosquitto is not installed (.ci/run installs Debian's 'mosquitto')")
    with LocalMosquitto(binary) as broker:
        port = broker.port
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "mosquitto still listens after stop"
