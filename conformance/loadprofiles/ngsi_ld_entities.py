"""Load profile `ngsi_ld_entities`: a basic MIM1 (NGSI-LD) entity mix.

Every simulated user creates entities with run-scoped ids (``urn:ngsi-ld:MimcheckLoad:<run-id>-<process>-<n>``),
retrieves them normalized and as keyValues, updates an attribute, deletes some of them as it goes and, when it stops, deletes
every entity it still owns: a run only ever touches data it created. Only operations every NGSI-LD
broker implements are used (create, update attributes, retrieve, delete: ETSI GS CIM 009 clauses 5.6.1,
5.6.2, 5.7.1, 5.6.6).

Run it through ``mimcheck load`` (which sets the thresholds, headers and statistics file), or by hand
from a checkout:
``locust -f conformance/loadprofiles/ngsi_ld_entities.py --host http://127.0.0.1:1026 --headless -u 5 -t 30s``.
"""

from __future__ import annotations

import itertools
import random
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

from conformance.load_locust import (
    JSON_CONTENT,
    PROCESS_TAG,
    LoadSettings,
    attach_reporting,
    body_of,
    expect_status,
    json_bytes,
    run_entity_prefix,
)

ENTITIES = "/ngsi-ld/v1/entities"
ENTITY_TYPE = "MimcheckLoad"
SETTINGS = LoadSettings.from_environ()
attach_reporting(events, SETTINGS, profile_name="ngsi_ld_entities", entity_types=(ENTITY_TYPE,))
MAX_OWNED = 20  # entities one user keeps alive at a time; the oldest is deleted past that
_sequence = itertools.count(1)  # shared by all users of this process (greenlets: no lock needed)


def new_entity_id() -> str:
    return f"{run_entity_prefix(ENTITY_TYPE, SETTINGS.run_id)}{PROCESS_TAG}-{next(_sequence):06d}"


@lru_cache(maxsize=4 * MAX_OWNED * 64)  # the entities owned by the users of a process, with room
def entity_path(entity_id: str) -> str:
    """An owned entity's path, quoted once (it is read, updated and deleted by that path many times)."""
    return f"{ENTITIES}/{quote(entity_id, safe=':')}"


def entity_body(entity_id: str) -> dict[str, Any]:
    return {
        "id": entity_id,
        "type": ENTITY_TYPE,
        "temperature": {
            "type": "Property",
            "value": round(random.uniform(-10.0, 35.0), 1),
            "unitCode": "CEL",
        },
        "name": {"type": "Property", "value": "mimcheck load test entity"},
        "location": {
            "type": "GeoProperty",
            "value": {
                "type": "Point",
                "coordinates": [round(random.uniform(-8, 24), 5), round(random.uniform(36, 60), 5)],
            },
        },
    }


class NgsiLdEntityUser(FastHttpUser):
    wait_time = between(0.05, 0.25)
    network_timeout = 10.0
    connection_timeout = 5.0
    max_redirects = 0  # never follow the target anywhere else
    insecure = False  # verify TLS certificates of https targets
    default_headers = {"Accept": "application/json", **SETTINGS.headers}

    def on_start(self) -> None:
        self.owned: list[str] = []
        # The id of the create or delete under way. Locust can interrupt a stopping user in the middle
        # of a request, so on_stop cannot know whether that entity exists: it deletes it, 404 allowed.
        self.in_flight: str | None = None

    def on_stop(self) -> None:
        interrupted = self.in_flight
        if interrupted is not None and interrupted not in self.owned:
            self.owned.append(interrupted)
        for entity_id in list(self.owned):
            self.delete_entity(entity_id, missing_ok=entity_id == interrupted)

    @task(3)
    def create_entity(self) -> None:
        if len(self.owned) >= MAX_OWNED:
            self.delete_entity(self.owned[0])
        entity_id = new_entity_id()
        self.in_flight = entity_id
        with self.client.post(
            ENTITIES,
            data=json_bytes(entity_body(entity_id)),
            name="POST /entities",
            headers={**JSON_CONTENT, **SETTINGS.credentials()},
            catch_response=True,
        ) as response:
            if expect_status(response, 201):
                self.owned.append(entity_id)
        self.in_flight = None

    @task(6)
    def retrieve_entity(self) -> None:
        if not self.owned:
            return self.create_entity()
        entity_id = random.choice(self.owned)
        with self.client.get(
            entity_path(entity_id),
            name="GET /entities/{id}",
            headers=SETTINGS.credentials(),
            catch_response=True,
        ) as response:
            if expect_status(response, 200):
                body = body_of(response)
                if not isinstance(body, dict) or body.get("id") != entity_id:
                    response.failure(f"the body does not describe entity {entity_id}")

    @task(3)
    def retrieve_key_values(self) -> None:
        if not self.owned:
            return self.create_entity()
        entity_id = random.choice(self.owned)
        with self.client.get(
            entity_path(entity_id) + "?options=keyValues",
            name="GET /entities/{id}?options=keyValues",
            headers=SETTINGS.credentials(),
            catch_response=True,
        ) as response:
            if expect_status(response, 200):
                body = body_of(response)
                if not isinstance(body, dict) or not isinstance(body.get("temperature"), int | float):
                    response.failure("keyValues: 'temperature' is not a plain number")

    @task(2)
    def update_temperature(self) -> None:
        if not self.owned:
            return self.create_entity()
        entity_id = random.choice(self.owned)
        patch = {"temperature": {"type": "Property", "value": round(random.uniform(-10.0, 35.0), 1)}}
        with self.client.patch(
            entity_path(entity_id) + "/attrs",
            data=json_bytes(patch),
            name="PATCH /entities/{id}/attrs",
            headers={**JSON_CONTENT, **SETTINGS.credentials()},
            catch_response=True,
        ) as response:
            expect_status(response, 204)

    @task(1)
    def delete_random_entity(self) -> None:
        if self.owned:
            self.delete_entity(random.choice(self.owned))

    def delete_entity(self, entity_id: str, missing_ok: bool = False) -> None:
        """Delete one owned entity; it stays owned (for on_stop) until the broker has answered."""
        self.in_flight = entity_id
        with self.client.delete(
            entity_path(entity_id),
            name="DELETE /entities/{id}",
            headers=SETTINGS.credentials(),
            catch_response=True,
        ) as response:
            if missing_ok and response.status_code == 404:
                response.success()
            else:
                expect_status(response, 204)
        self.in_flight = None
        self.owned.remove(entity_id)
