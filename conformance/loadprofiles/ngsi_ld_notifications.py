"""Load profile `ngsi_ld_notifications`: MIM1 notifications, timed end to end.

Every Locust process that runs users starts a small HTTP receiver (on the target profile's
``notifications.bind_host``, a free port) and subscribes (clause 5.8.1) to changes of the ``seq``
attribute of its own entities (type ``MimcheckLoadNotify``, an ``idPattern`` of its run id and process
tag), keyValues notifications to that receiver. Each user creates one entity, then repeatedly
updates ``seq`` (``PATCH .../attrs``, 204) and notes when; the notification carrying that ``seq`` is
recorded as a request ``NOTIFY notification end-to-end`` whose response time is the time from sending
the update to receiving the notification. A notification not received within ``notify_timeout``
seconds (``--option notify_timeout=S``, default 5) is a failure of that name, as is any status but
the one expected for the create (201), update (204) or delete (204). Users delete their entity when
they stop; the subscription is deleted when the test stops, and swept by the CLI after the run if
it is still there (its id and its endpoint carry the run id: `mimcheck cleanup RUN_DIR` finds it after
a run killed outright). Thresholds apply to all requests, notifications included.

The target must be able to reach the receiver: for a remote broker set ``[notifications] bind_host``
in the target profile to an address of this machine it can reach (``callback_url`` is not used).
"""

from __future__ import annotations

import itertools
import time
from typing import Any
from urllib.parse import quote

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

from conformance.load_locust import (
    JSON_CONTENT,
    PROCESS_TAG,
    LoadSettings,
    attach_reporting,
    expect_status,
    json_bytes,
    loads,
    profile_option,
    run_entity_prefix,
    run_subscription_prefix,
)

MIMCHECK_MIM = "mim1"
ENTITIES = "/ngsi-ld/v1/entities"
ENTITY_TYPE = "MimcheckLoadNotify"
NOTIFY_NAME = "notification end-to-end"
SETTINGS = LoadSettings.from_environ()
attach_reporting(
    events, SETTINGS, profile_name="ngsi_ld_notifications", entity_types=(ENTITY_TYPE,), subscriptions=True
)
TIMEOUT = max(0.5, profile_option("notify_timeout", 5.0))


def prefix() -> str:
    """The id prefix of this process's entities (built late: a worker adopts its master's run id)."""
    return f"{run_entity_prefix(ENTITY_TYPE, SETTINGS.run_id)}{PROCESS_TAG}-"


def subscription_id() -> str:
    return f"{run_subscription_prefix(SETTINGS.run_id)}{PROCESS_TAG}"


_sequence = itertools.count(1)
# (entity id, seq) -> monotonic time the update was sent; filled by the users, emptied by the receiver
PENDING: dict[tuple[str, int], float] = {}
STATE: dict[str, Any] = {"server": None, "watcher": None, "subscribed": False}


def _headers() -> dict[str, str]:
    return {"Accept": "application/json", **SETTINGS.headers, **SETTINGS.credentials()}


def _record(latency_ms: float, length: int, problem: str | None = None) -> None:
    events.request.fire(
        request_type="NOTIFY",
        name=NOTIFY_NAME,
        response_time=latency_ms,
        response_length=length,
        exception=AssertionError(problem) if problem else None,
        context={},
    )


def receive(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The WSGI receiver: match each notified (id, seq) with its update and record the latency."""
    arrived = time.monotonic()
    try:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        entities = loads(body or b"{}").get("data") or []
    except (ValueError, AttributeError):
        entities, body = [], b""
    for entity in entities if isinstance(entities, list) else []:
        seq = entity.get("seq") if isinstance(entity, dict) else None
        if isinstance(seq, dict):  # a normalized notification all the same
            seq = seq.get("value")
        if not isinstance(seq, int | float) or isinstance(seq, bool) or seq != int(seq):
            continue
        sent = PENDING.pop((str(entity.get("id")), int(seq)), None)
        if sent is not None:
            _record((arrived - sent) * 1000.0, len(body))
    start_response("204 No Content", [])
    return [b""]


def watch_timeouts() -> None:
    import gevent

    while True:
        gevent.sleep(0.25)
        now = time.monotonic()
        # PENDING is in the order the updates were sent (their times only grow): the overdue ones are
        # at its head, so the walk stops at the first update still in time
        overdue = []
        for key, sent in PENDING.items():
            if now - sent <= TIMEOUT:
                break
            overdue.append(key)
        for key in overdue:
            if PENDING.pop(key, None) is not None:
                _record(TIMEOUT * 1000.0, 0, f"no notification within {TIMEOUT:g} s")


@events.test_start.add_listener
def start_receiver(environment: Any, **_: Any) -> None:
    """In every process that runs users (not the master of a distributed run)."""
    import gevent
    import requests
    from gevent.pywsgi import WSGIServer
    from locust.runners import MasterRunner

    if isinstance(environment.runner, MasterRunner) or STATE["server"] is not None:
        return
    host = SETTINGS.notify_host
    server = WSGIServer((host, 0), receive, log=None, error_log=None)
    server.start()
    STATE["server"], STATE["watcher"] = server, gevent.spawn(watch_timeouts)
    subscription = {
        "id": subscription_id(),
        "type": "Subscription",
        "entities": [{"type": ENTITY_TYPE, "idPattern": f"^{prefix()}.*"}],
        "watchedAttributes": ["seq"],
        "notification": {
            "attributes": ["seq"],
            "format": "keyValues",
            "endpoint": {  # the run id in the endpoint too: a sweep finds it whatever id a broker keeps
                "uri": f"http://{host}:{server.server_port}/notify/{SETTINGS.run_id}",
                "accept": "application/json",
            },
        },
    }
    answer = requests.post(
        f"{environment.host}/ngsi-ld/v1/subscriptions",
        json=subscription,
        headers=_headers(),
        timeout=30,
        allow_redirects=False,
    )
    STATE["subscribed"] = answer.status_code == 201
    if not STATE["subscribed"]:
        print(
            f"mimcheck-load: subscribing answered HTTP {answer.status_code}: {answer.text[:200]}", flush=True
        )


@events.test_stop.add_listener
def stop_receiver(environment: Any, **_: Any) -> None:
    import requests

    if STATE["subscribed"]:
        requests.delete(
            f"{environment.host}/ngsi-ld/v1/subscriptions/{quote(subscription_id(), safe=':')}",
            headers=_headers(),
            timeout=30,
            allow_redirects=False,
        )
        STATE["subscribed"] = False
    if STATE["watcher"] is not None:
        STATE["watcher"].kill(block=False)
    if STATE["server"] is not None:
        STATE["server"].stop(timeout=1)
    STATE["server"] = STATE["watcher"] = None
    PENDING.clear()


class NotifiedUser(FastHttpUser):
    wait_time = between(0.05, 0.25)
    network_timeout = 10.0
    connection_timeout = 5.0
    max_redirects = 0
    insecure = False
    default_headers = {"Accept": "application/json", **SETTINGS.headers}

    def on_start(self) -> None:
        self.entity_id: str | None = f"{prefix()}{next(_sequence):06d}"
        self.path = f"{ENTITIES}/{quote(self.entity_id, safe=':')}"
        self.seq = 0
        with self.client.post(
            ENTITIES,
            data=json_bytes(
                {"id": self.entity_id, "type": ENTITY_TYPE, "seq": {"type": "Property", "value": 0}}
            ),
            name="POST /entities",
            headers={**JSON_CONTENT, **SETTINGS.credentials()},
            catch_response=True,
        ) as response:
            if not expect_status(response, 201):
                self.entity_id = None

    def on_stop(self) -> None:
        if self.entity_id is None:
            return
        with self.client.delete(
            self.path,
            name="DELETE /entities/{id}",
            headers=SETTINGS.credentials(),
            catch_response=True,
        ) as response:
            expect_status(response, 204, 404)
        self.entity_id = None

    @task
    def update(self) -> None:
        if self.entity_id is None:
            return
        self.seq += 1
        key = (self.entity_id, self.seq)
        PENDING[key] = time.monotonic()  # before sending: the notification may beat the 204
        with self.client.patch(
            self.path + "/attrs",
            data=json_bytes({"seq": {"type": "Property", "value": self.seq}}),
            name="PATCH /entities/{id}/attrs",
            headers={**JSON_CONTENT, **SETTINGS.credentials()},
            catch_response=True,
        ) as response:
            if not expect_status(response, 204):
                PENDING.pop(key, None)
