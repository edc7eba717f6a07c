"""The suite's embedded MQTT broker (amqtt, a pure-Python broker speaking MQTT 3.1.1), for MQTT
notifications (ETSI GS CIM 009 V1.8.1 clause 7) when the target profile names no real broker
(``[notifications] mqtt_url``).

It runs its own asyncio loop in a daemon thread, bound on loopback at a free port; ``start()`` waits
until it accepts connections, ``stop()`` shuts it down and joins the thread (also on errors: use it
as a context manager). Its logs are kept at WARNING and above so that a run stays quiet.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from amqtt.plugins.base import BasePlugin

START_TIMEOUT_S = 10.0

# per broker (key): called with (topic, payload, qos) for every PUBLISH the broker receives
_LISTENERS: dict[str, Callable[[str, bytes, int], None]] = {}


class PublishRecorder(BasePlugin[Any]):
    """amqtt plugin: reports the QoS each PUBLISH arrived with. amqtt forwards a message at the
    subscriber's QoS rather than at min(publish QoS, subscription QoS), so the publisher's QoS is
    only observable inside the broker."""

    @dataclass
    class Config:
        key: str = ""

    async def on_broker_message_received(self, *, client_id: str, message: Any) -> None:
        listener = _LISTENERS.get(getattr(self.config, "key", ""))
        if listener is not None:
            listener(str(message.topic), bytes(message.data or b""), int(message.qos or 0))


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class EmbeddedMqttBroker:
    """``with EmbeddedMqttBroker() as broker: broker.url`` -> ``mqtt://127.0.0.1:PORT``."""

    versions = ("mqtt3.1.1",)  # amqtt speaks MQTT 3.1.1 only
    kind = "embedded amqtt broker"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        on_publish: Callable[[str, bytes, int], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.on_publish = on_publish
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> EmbeddedMqttBroker:
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        if not self.port:
            self.port = _free_port(self.host)
        ready: Future[None] = Future()
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve(ready))
                loop.run_forever()
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                if not ready.done():
                    ready.set_exception(exc)
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="mimcheck-mqtt-broker", daemon=True)
        self._thread.start()
        try:
            ready.result(timeout=START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise
        return self

    async def _serve(self, ready: Future[None]) -> None:
        from amqtt.broker import Broker

        key = f"{id(self)}:{self.port}"
        plugins: dict[str, Any] = {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
        }
        if self.on_publish is not None:
            _LISTENERS[key] = self.on_publish
            plugins[f"{__name__}.PublishRecorder"] = {"key": key}
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": plugins,
        }
        self._broker = Broker(config)
        await self._broker.start()
        ready.set_result(None)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            broker = self._broker

            async def shutdown() -> None:
                if broker is not None:
                    try:
                        await asyncio.wait_for(broker.shutdown(), 5.0)
                    except Exception:  # noqa: BLE001 - stopping whatever state it is in
                        pass
                asyncio.get_running_loop().stop()

            asyncio.run_coroutine_threadsafe(shutdown(), loop)
            thread.join(timeout=10.0)
        _LISTENERS.pop(f"{id(self)}:{self.port}", None)
        self._loop = self._thread = self._broker = None

    def __enter__(self) -> EmbeddedMqttBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
