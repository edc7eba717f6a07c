"""The suite's MQTT notification receiver (ETSI GS CIM 009 V1.8.1 clause 7): a paho-mqtt client
subscribed at QoS 2 to the topics the scenarios hand to the target as ``mqtt://host:port/topic``.

Every message is recorded with its arrival time, topic, payload, the QoS it was delivered with and
(MQTT 5.0) its user properties; scenarios wait for messages on a ``threading.Condition`` with a
deadline, never a sleep. The QoS the target published with is the delivered QoS on a broker that
follows MQTT (delivery at min(publish QoS, subscription QoS 2)); the embedded amqtt broker does not,
so there the broker itself reports the publisher's QoS (``published_qos``)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

from conformance.mqtt_broker import EmbeddedMqttBroker
from conformance.mqtt_mosquitto import LocalMosquitto, mosquitto_binary

CONNECT_TIMEOUT_S = 10.0
TOPIC_ROOT = "mimcheck"


class MqttUnavailable(RuntimeError):
    """The suite could not reach or start its MQTT broker."""


@dataclass(frozen=True)
class MqttMessage:
    topic: str
    payload: bytes
    delivered_qos: int
    retain: bool
    user_properties: tuple[tuple[str, str], ...]
    monotonic: float
    wall: str

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.payload)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None

    def as_text(self, since: float | None = None, max_body: int = 4000) -> str:
        latency = f" (+{(self.monotonic - since) * 1000:.0f} ms after the trigger)" if since else ""
        lines = [
            f"MQTT PUBLISH on {self.topic!r} received {self.wall}{latency}, delivered at QoS {self.delivered_qos}"
        ]
        lines += [f"user property {k}: {v}" for k, v in self.user_properties]
        text = self.payload.decode("utf-8", errors="replace")
        if len(text) > max_body:
            text = text[:max_body] + f"... [{len(text) - max_body} more characters]"
        return "\n".join([*lines, "", text])


@dataclass
class MqttTopic:
    receiver: MqttReceiver
    topic: str
    uri: str  # what the target is told: mqtt://host:port/topic
    created: float = field(default_factory=time.monotonic)

    def received(self) -> list[MqttMessage]:
        return self.receiver.received(self.topic)

    def wait(
        self, count: int = 1, timeout: float = 5.0, where: Callable[[MqttMessage], bool] | None = None
    ) -> list[MqttMessage]:
        return self.receiver.wait(self.topic, count=count, timeout=timeout, where=where)


class MqttReceiver:
    """``MqttReceiver(url=None).start()``: with no url the embedded broker is started and owned."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        self.broker: EmbeddedMqttBroker | None = None  # owned amqtt broker: the publish QoS seen inside it
        self.mosquitto: LocalMosquitto | None = None  # owned local Mosquitto, preferred when installed
        self.versions: tuple[str, ...] = ("mqtt3.1.1", "mqtt5.0")
        self.kind = f"MQTT broker {url}" if url else EmbeddedMqttBroker.kind
        self._client: mqtt.Client | None = None
        self._cond = threading.Condition()
        self._messages: list[MqttMessage] = []
        self._published: dict[tuple[str, bytes], list[int]] = {}
        self._counter = 0

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> MqttReceiver:
        try:
            binary = mosquitto_binary() if self.url is None else None
            if binary is not None:
                self.mosquitto = LocalMosquitto(binary).start()
                self.url = self.mosquitto.url
                self.kind = LocalMosquitto.kind
            elif self.url is None:
                self.broker = EmbeddedMqttBroker(on_publish=self._on_broker_publish).start()
                self.url = self.broker.url
                self.versions = EmbeddedMqttBroker.versions
            self._connect()
        except Exception:
            self.stop()
            raise
        return self

    def _connect(self) -> None:
        assert self.url is not None
        parsed = urlparse(self.url)
        v5 = "mqtt5.0" in self.versions
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"mimcheck-{time.monotonic_ns()}",
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        )
        if parsed.username:
            client.username_pw_set(parsed.username, parsed.password)
        if parsed.scheme == "mqtts":
            client.tls_set()
        connected = threading.Event()
        client.on_connect = lambda c, u, flags, rc, props=None: connected.set()
        client.on_message = self._on_message
        self._client = client
        try:
            client.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883, keepalive=30)
        except OSError as exc:
            raise MqttUnavailable(f"cannot connect to the MQTT broker {self.url}: {exc}") from exc
        client.loop_start()
        if not connected.wait(CONNECT_TIMEOUT_S):
            raise MqttUnavailable(f"the MQTT broker {self.url} did not accept a connection")

    def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.disconnect()
            finally:
                client.loop_stop()
        broker, self.broker = self.broker, None
        if broker is not None:
            broker.stop()
        mosquitto, self.mosquitto = self.mosquitto, None
        if mosquitto is not None:
            mosquitto.stop()

    def __enter__(self) -> MqttReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- topics -------------------------------------------------------------------------------

    def topic(self, name: str) -> MqttTopic:
        """A fresh topic (``name`` should carry the run id), subscribed at QoS 2 before it is returned."""
        assert self._client is not None and self.url is not None
        with self._cond:
            self._counter += 1
            number = self._counter
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
        topic = f"{TOPIC_ROOT}/{safe}-{number}"
        done = threading.Event()
        self._client.on_subscribe = lambda *a, **k: done.set()
        _, mid = self._client.subscribe(topic, qos=2)
        if not done.wait(CONNECT_TIMEOUT_S):
            raise MqttUnavailable(f"the MQTT broker {self.url} did not confirm the subscription to {topic}")
        return MqttTopic(self, topic, f"{self.url}/{topic}")

    # -- recording and waiting ----------------------------------------------------------------

    def _on_broker_publish(self, topic: str, payload: bytes, qos: int) -> None:
        with self._cond:
            self._published.setdefault((topic, payload), []).append(qos)

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        arrived = time.monotonic()
        wall = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        props = getattr(message, "properties", None)
        user = tuple((str(k), str(v)) for k, v in (getattr(props, "UserProperty", None) or []))
        payload = bytes(message.payload)
        with self._cond:
            self._messages.append(
                MqttMessage(
                    message.topic, payload, int(message.qos), bool(message.retain), user, arrived, wall
                )
            )
            self._cond.notify_all()

    def published_qos(self, message: MqttMessage, timeout: float = 2.0) -> int:
        """The QoS the target published this message with: reported by the embedded broker, else the
        delivered QoS (a broker following MQTT delivers at min(publish QoS, 2))."""
        if self.broker is None:
            return message.delivered_qos
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                seen = self._published.get((message.topic, message.payload))
                remaining = deadline - time.monotonic()
                if seen or remaining <= 0:
                    return seen[0] if seen else message.delivered_qos
                self._cond.wait(remaining)

    def received(self, topic: str | None = None) -> list[MqttMessage]:
        with self._cond:
            return [m for m in self._messages if topic is None or m.topic == topic]

    def wait(
        self,
        topic: str,
        *,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[MqttMessage], bool] | None = None,
    ) -> list[MqttMessage]:
        """Wait until ``count`` messages (matching ``where``) arrived on ``topic`` or the deadline;
        returns what matched by then (the caller judges)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self._messages if m.topic == topic and (where is None or where(m))]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    return found
                self._cond.wait(remaining)
