"""Helpers of the MQTT notification scenarios (ETSI GS CIM 009 V1.8.1 clause 7.2): topics on the
suite's MQTT receiver with evidence, waiting against the profile's window, and reading the MQTT
notification message (a JSON object with "metadata" and "body")."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.mqtt_receiver import MqttMessage, MqttReceiver, MqttTopic
from conformance.outcomes import Inconclusive
from conformance.run_ids import RunIds

V311 = "mqtt3.1.1"
V50 = "mqtt5.0"


class MqttNotifications:
    """The topics one test case opened on the session's MQTT receiver."""

    def __init__(self, receiver: MqttReceiver, ids: RunIds, window: float) -> None:
        self.receiver = receiver
        self.ids = ids
        self.window = window
        self.topics: list[MqttTopic] = []
        self.triggers: dict[str, float] = {}

    def topic(self, label: str = "mqtt") -> MqttTopic:
        topic = self.receiver.topic(f"{self.ids.next()}-{label}")
        self.topics.append(topic)
        return topic

    def require_version(self, version: str) -> None:
        """A case for an MQTT version the suite's broker does not speak cannot be checked: INCONCLUSIVE
        (never NOT_APPLICABLE, which only an undeclared capability makes), with what to do."""
        if version not in self.receiver.versions:
            cause = (
                f"the suite's MQTT broker ({self.receiver.kind}) speaks {', '.join(self.receiver.versions)} only: "
                f"install Debian's mosquitto (the suite then starts it) or name a broker speaking {version} "
                "in [notifications] mqtt_url"
            )
            raise Inconclusive(cause, blocked_by=cause)

    def trigger(self, topic: MqttTopic) -> None:
        self.triggers[topic.topic] = time.monotonic()

    def describe(self, topic: MqttTopic) -> str:
        got = topic.received()
        if not got:
            return f"nothing was published on {topic.topic!r} ({topic.uri})"
        since = self.triggers.get(topic.topic)
        return f"{len(got)} message(s) on {topic.topic!r}:\n" + "\n\n".join(
            m.as_text(since, max_body=1500) for m in got
        )

    def expect(
        self, topic: MqttTopic, what: str, *, where: Callable[[MqttMessage], bool] | None = None
    ) -> MqttMessage:
        """The first message (matching ``where``) within the window; none is a FAIL."""
        got = topic.wait(count=1, timeout=self.window, where=where)
        if not got:
            checks.fail(
                f"expected an MQTT notification {what} on topic {topic.topic!r} within {self.window:g} s. "
                + self.describe(topic)
            )
        return got[0]

    def to_evidence(self, case: CaseEvidence) -> None:
        texts = []
        for topic in self.topics:
            got = topic.received()
            since = self.triggers.get(topic.topic)
            texts.append(
                f"MQTT topic {topic.topic!r} ({topic.uri}) on the {self.receiver.kind}: {len(got)} message(s)"
                + "".join("\n\n" + m.as_text(since) for m in got)
            )
        if texts:
            case.attach("MQTT notifications received", "\n\n----\n\n".join(texts))


def envelope(message: MqttMessage) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (metadata, body) of an MQTT notification message (clause 7.2)."""
    doc = message.json
    if not isinstance(doc, dict):
        checks.fail(
            f"MQTT notification on {message.topic!r}: expected a JSON object with 'metadata' and 'body', "
            f"got {message.payload[:300]!r}",
            expected='{"metadata": {...}, "body": {...}}',
        )
    metadata = checks.member("MQTT notification message", doc, "metadata", kind=dict)
    body = checks.member("MQTT notification message", doc, "body", kind=dict)
    return metadata, body


def body_mentions(entity_id: str) -> Callable[[MqttMessage], bool]:
    """A message whose body's data holds this entity (read leniently: a filter, not a check)."""

    def test(message: MqttMessage) -> bool:
        doc = message.json
        body = doc.get("body") if isinstance(doc, dict) else None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) and isinstance(doc, dict):
            data = doc.get("data")  # a bare notification: matched, so that the envelope check tells
        return isinstance(data, list) and any(isinstance(e, dict) and e.get("id") == entity_id for e in data)

    return test


def meta_value(metadata: dict[str, Any], key: str) -> Any:
    """A metadata member, its key compared case-insensitively (they stand for HTTP header names)."""
    for name, value in metadata.items():
        if name.lower() == key.lower():
            return value
    return None


def notifier_info(version: str | None = None, qos: int | None = None) -> list[dict[str, str]]:
    info = []
    if version is not None:
        info.append({"key": "MQTT-Version", "value": version})
    if qos is not None:
        info.append({"key": "MQTT-QoS", "value": str(qos)})
    return info
