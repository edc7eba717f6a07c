"""MQTT notification binding (ETSI GS CIM 009 V1.8.1 clause 7.2): a notification whose endpoint URI is
``mqtt[s]://[user[:password]@]host[:port]/topic[/subtopic]*`` is published on that topic at that broker.

The message is a JSON object: "metadata" holds what the HTTP binding sends as headers (Content-Type,
Link, NGSILD-Tenant and the endpoint's receiverInfo pairs), "body" the Notification. notifierInfo
chooses the protocol version ("MQTT-Version": "mqtt3.1.1" or "mqtt5.0", default mqtt5.0) and the QoS
("MQTT-QoS": 0, 1 or 2, default 0). Ports default to 1883 (mqtt) and 8883 (mqtts). One connection per
notification, closed after the publish is acknowledged (QoS 1, 2) or sent (QoS 0): ``publish`` runs in
the notifier's worker threads and returns whether the notification succeeded.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt

SCHEMES = {"mqtt": 1883, "mqtts": 8883}
VERSIONS = {"mqtt3.1.1": mqtt.MQTTv311, "mqtt5.0": mqtt.MQTTv5}
DEFAULT_VERSION = "mqtt5.0"
DEFAULT_QOS = 0


def is_mqtt(uri: str) -> bool:
    return urlparse(uri).scheme in SCHEMES


def endpoint_problem(uri: str, notifier_info: list[dict[str, Any]] | None) -> str | None:
    """Why an MQTT endpoint cannot be used (for validation at subscription time), or None."""
    parsed = urlparse(uri)
    if not parsed.hostname or not parsed.path.strip("/"):
        return f"MQTT endpoint {uri!r} needs a host and a topic (mqtt://host[:port]/topic)"
    info = {i.get("key"): i.get("value") for i in notifier_info or [] if isinstance(i, dict)}
    if "MQTT-Version" in info and info["MQTT-Version"] not in VERSIONS:
        return f"notifierInfo MQTT-Version must be one of {', '.join(VERSIONS)}"
    if "MQTT-QoS" in info and str(info["MQTT-QoS"]) not in ("0", "1", "2"):
        return "notifierInfo MQTT-QoS must be 0, 1 or 2"
    return None


def message(headers: dict[str, str], body: bytes) -> bytes:
    """The MQTT notification message: {"metadata": headers, "body": notification}."""
    return json.dumps({"metadata": headers, "body": json.loads(body)}, ensure_ascii=False).encode("utf-8")


def publish(
    uri: str, notifier_info: list[dict[str, Any]] | None, headers: dict[str, str], body: bytes, timeout: float
) -> bool:
    """Publish one notification; False on any failure (unreachable broker, refused, timeout)."""
    parsed = urlparse(uri)
    info = {i.get("key"): i.get("value") for i in notifier_info or [] if isinstance(i, dict)}
    version = VERSIONS.get(str(info.get("MQTT-Version", DEFAULT_VERSION)), mqtt.MQTTv5)
    try:
        qos = int(str(info.get("MQTT-QoS", DEFAULT_QOS)))
        port = parsed.port or SCHEMES.get(parsed.scheme, 1883)
    except ValueError:
        return False
    topic = unquote(parsed.path.lstrip("/"))
    if not parsed.hostname or not topic or qos not in (0, 1, 2):
        return False
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"ngsild-ref-{uuid.uuid4().hex[:12]}", protocol=version
    )
    if parsed.username:
        client.username_pw_set(unquote(parsed.username), unquote(parsed.password or "") or None)
    connected = threading.Event()
    accepted: list[bool] = []

    def on_connect(c: Any, u: Any, flags: Any, reason: Any, props: Any = None) -> None:
        accepted.append(not getattr(reason, "is_failure", False) and reason == 0)
        connected.set()

    client.on_connect = on_connect
    try:
        if parsed.scheme == "mqtts":
            client.tls_set()
        client.connect(parsed.hostname, port, keepalive=max(5, int(timeout)))
        client.loop_start()
        try:
            if not connected.wait(timeout) or not accepted or not accepted[0]:
                return False
            sent = client.publish(topic, message(headers, body), qos=qos)
            sent.wait_for_publish(timeout)
            return sent.is_published()
        finally:
            client.disconnect()
            client.loop_stop()
    except (OSError, ValueError, RuntimeError, mqtt.WebsocketConnectionError):
        return False
