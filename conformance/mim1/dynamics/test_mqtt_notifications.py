"""MIM1 notifications over MQTT (ETSI GS CIM 009 V1.8.1 clause 7, the optional MQTT notification
binding; clauses 5.2.15, 5.3.1, 5.8.6).

A subscription whose notification endpoint is ``mqtt://host:port/topic`` is notified by publishing
on that topic at that broker. The suite's broker is the one named in the profile
(``[notifications] mqtt_url``) or its embedded amqtt broker on loopback; the suite subscribes to a
fresh topic per scenario at QoS 2 and waits for the message up to the profile's notification window.
The message is a JSON object: "metadata" (what HTTP sends as headers: Content-Type, the Link to
the @context, the receiverInfo pairs) and "body" (the Notification of clause 5.3.1). notifierInfo
sets the MQTT version ("MQTT-Version": mqtt3.1.1 or mqtt5.0) and the QoS ("MQTT-QoS": 0, 1, 2)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.mqtt_support import (
    V50,
    V311,
    MqttNotifications,
    body_mentions,
    envelope,
    meta_value,
    notifier_info,
)
from conformance.mim1.dynamics.support import created, poll, subscription, subscription_id, value_of
from conformance.mim1.dynamics.test_notifications import unique_type
from conformance.ngsild.api import JSON, NgsiLd, entity_path
from conformance.ngsild.mqtt_receiver import MqttTopic
from conformance.ngsild.payloads import prop, sensor
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

CAPABILITY = "ngsild-mqtt-notifications"


def _subscribe(
    dyn: Dynamics,
    ids: RunIds,
    entity: dict[str, Any],
    uri: str,
    info: list[dict[str, str]],
    receiver_info: list[dict[str, str]] | None = None,
    **members: Any,
) -> str:
    sub_id = subscription_id(ids)
    body = subscription(sub_id, uri, entities=[{"type": entity["type"]}], **members)
    endpoint = body["notification"]["endpoint"]
    endpoint["accept"] = JSON
    if info:
        endpoint["notifierInfo"] = info
    if receiver_info:
        endpoint["receiverInfo"] = receiver_info
    created(dyn.create_subscription(body), f"creating subscription {sub_id} with endpoint {uri}")
    return sub_id


def _create(ngsild: NgsiLd, entity: dict[str, Any]) -> None:
    resp = ngsild.create_entity(entity)
    precondition(resp.status_code in (200, 201, 204), f"creating {entity['id']} answered {resp.status_code}")


def _update(ngsild: NgsiLd, entity_id: str, value: float) -> None:
    resp = ngsild.request(
        "PATCH",
        f"{entity_path(entity_id)}/attrs",
        headers={"Content-Type": JSON},
        json_body={"temperature": prop(value)},
    )
    precondition(resp.status_code in (204, 207), f"updating {entity_id} answered {resp.status_code}")


def _notified(
    ngsild: NgsiLd,
    dyn: Dynamics,
    mqtt: MqttNotifications,
    ids: RunIds,
    *,
    version: str,
    qos: int | None = None,
    receiver_info: list[dict[str, str]] | None = None,
) -> tuple[dict[str, Any], str, MqttTopic, Any]:
    """An entity, a subscription on its type notifying a fresh topic, an update, and the message."""
    entity = sensor(ids, unique_type(ids))
    _create(ngsild, entity)
    topic = mqtt.topic("ntf")
    sub_id = _subscribe(
        dyn,
        ids,
        entity,
        topic.uri,
        notifier_info(version, qos),
        receiver_info,
        watchedAttributes=["temperature"],
    )
    mqtt.trigger(topic)
    _update(ngsild, entity["id"], 33.5)
    message = mqtt.expect(topic, f"after updating {entity['id']}", where=body_mentions(entity["id"]))
    return entity, sub_id, topic, message


DELIVERY = [
    pytest.param("entityCreated", V311, id="create-mqtt3.1.1"),
    pytest.param("attributeUpdated", V311, id="update-mqtt3.1.1"),
    pytest.param("attributeUpdated", V50, id="update-mqtt5.0"),
    pytest.param("attributeUpdated", None, id="update-default-version"),
]


@requirement(
    "MIM1-NTF-021",
    clause="7.2",
    level="MUST",
    capability=CAPABILITY,
    title="A matching change is notified by an MQTT message on the topic of the subscription's "
    "mqtt:// endpoint, with the MQTT version named in notifierInfo (default mqtt5.0)",
)
@pytest.mark.parametrize(("trigger", "version"), DELIVERY)
def test_mqtt_delivery(
    ngsild: NgsiLd,
    dyn: Dynamics,
    mqtt_notifications: MqttNotifications,
    run_ids: RunIds,
    trigger: str,
    version: str | None,
) -> None:
    mqtt_notifications.require_version(version or V50)
    entity = sensor(run_ids, unique_type(run_ids))
    topic = mqtt_notifications.topic("delivery")
    _subscribe(dyn, run_ids, entity, topic.uri, notifier_info(version), notificationTrigger=[trigger])
    mqtt_notifications.trigger(topic)
    if trigger == "entityCreated":
        _create(ngsild, entity)
    else:
        _create(ngsild, entity)
        _update(ngsild, entity["id"], 31.5)
    message = mqtt_notifications.expect(topic, f"for {trigger}", where=body_mentions(entity["id"]))
    _, body = envelope(message)
    data = checks.notification_envelope(body, str(body.get("subscriptionId")))
    if trigger == "attributeUpdated":
        notified = next((e for e in data if isinstance(e, dict) and e.get("id") == entity["id"]), {})
        checks.equal("notified temperature", value_of(notified.get("temperature")), 31.5)


@requirement(
    "MIM1-NTF-022",
    clause="7.2",
    level="MUST",
    capability=CAPABILITY,
    title="The MQTT message is a JSON object whose 'body' is the Notification (5.3.1) and whose "
    "'metadata' carries the Content-Type and the endpoint's receiverInfo pairs",
)
def test_mqtt_envelope(
    ngsild: NgsiLd,
    dyn: Dynamics,
    mqtt_notifications: MqttNotifications,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
) -> None:
    marker = run_ids.next()
    entity, sub_id, _, message = _notified(
        ngsild,
        dyn,
        mqtt_notifications,
        run_ids,
        version=V311,
        receiver_info=[{"key": "X-Mimcheck-Run", "value": marker}],
    )
    metadata, body = envelope(message)
    data = checks.notification_envelope(body, sub_id)
    checks.contains_ids("notification body 'data'", data, {entity["id"]})
    content_type = meta_value(metadata, "Content-Type")
    if not isinstance(content_type, str) or content_type.split(";")[0].strip().lower() != JSON:
        checks.fail(
            f"MQTT notification metadata 'Content-Type': expected {JSON} (the endpoint's accept), "
            f"got {content_type!r}; metadata: {metadata!r}"[:800],
            expected=JSON,
            seen=content_type,
        )
    in_metadata = meta_value(metadata, "X-Mimcheck-Run")
    in_properties = dict((k.lower(), v) for k, v in message.user_properties).get("x-mimcheck-run")
    if in_metadata == marker:
        case_evidence.note("receiverInfo X-Mimcheck-Run was carried in the message's metadata")
    elif in_properties == marker:
        case_evidence.note("receiverInfo X-Mimcheck-Run was carried as an MQTT 5 user property")
    else:
        checks.fail(
            f"the endpoint's receiverInfo X-Mimcheck-Run={marker!r} is neither in the MQTT notification's "
            f"metadata ({metadata!r}) nor among its user properties"[:800],
            expected={"X-Mimcheck-Run": marker},
            seen=metadata,
        )
    link = meta_value(metadata, "Link")
    case_evidence.note(
        f"metadata Link: {link!r}"
        if link is not None
        else "metadata carries no Link (the core @context applies)"
    )


@requirement(
    "MIM1-NTF-023",
    clause="7.2",
    level="MUST",
    capability=CAPABILITY,
    title="The MQTT notification is published with the QoS named by notifierInfo MQTT-QoS (default 0)",
)
@pytest.mark.parametrize("qos", [None, 0, 1, 2], ids=["default", "qos0", "qos1", "qos2"])
def test_mqtt_qos(
    ngsild: NgsiLd,
    dyn: Dynamics,
    mqtt_notifications: MqttNotifications,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
    qos: int | None,
) -> None:
    _, _, _, message = _notified(ngsild, dyn, mqtt_notifications, run_ids, version=V311, qos=qos)
    published = mqtt_notifications.receiver.published_qos(message)
    case_evidence.note(
        f"published at QoS {published} (delivered to the suite's QoS 2 subscription at QoS {message.delivered_qos})"
    )
    checks.equal("QoS of the MQTT notification", published, 0 if qos is None else qos)


@requirement(
    "MIM1-NTF-024",
    clause="7.2",
    level="MUST",
    capability=CAPABILITY,
    title="A notification to an unreachable MQTT broker is a failed notification: lastFailure and "
    "status failed; the target keeps working",
)
def test_mqtt_unreachable(
    ngsild: NgsiLd, dyn: Dynamics, mqtt_notifications: MqttNotifications, run_ids: RunIds
) -> None:
    entity = sensor(run_ids, unique_type(run_ids))
    _create(ngsild, entity)
    uri = f"mqtt://127.0.0.1:9/mimcheck/{run_ids.next()}-unreachable"
    sub_id = _subscribe(dyn, run_ids, entity, uri, notifier_info(V311), watchedAttributes=["temperature"])
    _update(ngsild, entity["id"], 34.5)
    resp, got = poll(
        lambda: dyn.get_subscription(sub_id),
        lambda b: isinstance(b.get("notification"), dict) and "lastFailure" in b["notification"],
        mqtt_notifications.window * 2,
    )
    checks.status_is(resp, 200)
    notification = checks.member("subscription", got, "notification", kind=dict)
    checks.is_datetime("notification.lastFailure", checks.member("notification", notification, "lastFailure"))
    checks.equal("notification.status", notification.get("status"), "failed")
    checks.status_is(ngsild.get_entity(entity["id"]), 200)
