"""Reference: MQTT notifications (ETSI GS CIM 009 V1.8.1 clause 7.2), published through an MQTT broker
on loopback (the suite's embedded amqtt broker, MQTT 3.1.1)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from conformance.ngsild.mqtt_receiver import MqttReceiver

JSON = "application/json"
SUBS = "/ngsi-ld/v1/subscriptions"
ENTITIES = "/ngsi-ld/v1/entities"


@pytest.fixture(scope="module")
def mqtt_rx() -> Iterator[MqttReceiver]:
    with MqttReceiver() as rx:
        yield rx


def _subscribe(http: requests.Session, base: str, uid: str, uri: str, **endpoint: Any) -> str:
    sub_id = f"urn:ngsi-ld:Subscription:{uid}"
    body = {
        "id": sub_id,
        "type": "Subscription",
        "entities": [{"type": f"MqttRef{uid.replace('-', '')}"}],
        "notification": {"endpoint": {"uri": uri, "accept": JSON, **endpoint}},
    }
    resp = http.post(base + SUBS, json=body, headers={"Content-Type": JSON})
    assert resp.status_code == 201, resp.text
    return sub_id


def _create(http: requests.Session, base: str, uid: str) -> str:
    entity_id = f"urn:ngsi-ld:MqttRef:{uid}"
    entity = {
        "id": entity_id,
        "type": f"MqttRef{uid.replace('-', '')}",
        "temperature": {"type": "Property", "value": 1},
    }
    assert http.post(base + ENTITIES, json=entity, headers={"Content-Type": JSON}).status_code == 201
    return entity_id


def test_mqtt_notification_published_with_metadata_and_body(
    http: requests.Session, base: str, uid: str, mqtt_rx: MqttReceiver
) -> None:
    topic = mqtt_rx.topic(f"ref-{uid}")
    info = [{"key": "MQTT-Version", "value": "mqtt3.1.1"}, {"key": "MQTT-QoS", "value": "1"}]
    sub_id = _subscribe(
        http, base, uid, topic.uri, notifierInfo=info, receiverInfo=[{"key": "X-Ref", "value": "1"}]
    )
    entity_id = _create(http, base, uid)
    got = topic.wait(count=1, timeout=5.0)
    assert got, "no MQTT notification"
    doc = got[0].json
    assert set(doc) == {"metadata", "body"}
    assert doc["metadata"]["Content-Type"] == JSON and doc["metadata"]["X-Ref"] == "1"
    assert "Link" in doc["metadata"]
    assert doc["body"]["type"] == "Notification" and doc["body"]["subscriptionId"] == sub_id
    assert [e["id"] for e in doc["body"]["data"]] == [entity_id]
    assert mqtt_rx.published_qos(got[0]) == 1


def test_mqtt_unreachable_broker_is_a_failure(http: requests.Session, base: str, uid: str) -> None:
    info = [{"key": "MQTT-Version", "value": "mqtt3.1.1"}]
    sub_id = _subscribe(http, base, uid, "mqtt://127.0.0.1:9/nowhere", notifierInfo=info)
    _create(http, base, uid)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        notification = http.get(f"{base}{SUBS}/{sub_id}").json()["notification"]
        if "lastFailure" in notification:
            break
        time.sleep(0.1)
    assert notification["status"] == "failed" and "lastFailure" in notification


@pytest.mark.parametrize(
    ("uri", "info"),
    [
        ("mqtt://127.0.0.1:1883", []),
        ("mqtt://127.0.0.1:1883/t", [{"key": "MQTT-QoS", "value": "3"}]),
        ("mqtt://127.0.0.1:1883/t", [{"key": "MQTT-Version", "value": "mqtt4"}]),
    ],
    ids=["no-topic", "bad-qos", "bad-version"],
)
def test_mqtt_endpoint_validated(
    http: requests.Session, base: str, uid: str, uri: str, info: list[dict[str, str]]
) -> None:
    body = {
        "id": f"urn:ngsi-ld:Subscription:{uid}",
        "type": "Subscription",
        "entities": [{"type": "MqttRef"}],
        "notification": {"endpoint": {"uri": uri, "notifierInfo": info}},
    }
    resp = http.post(base + SUBS, json=body, headers={"Content-Type": JSON})
    assert resp.status_code == 400, resp.text
