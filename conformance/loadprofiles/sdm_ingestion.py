"""Load profile `sdm_ingestion`: MIM2 ingestion of Smart Data Model entities by batch upsert.

Each user sends batches of ``batch_size`` entities (``--option batch_size=N``, default 10) built from
the suite's bundled Smart Data Model fixtures (conformance/data/fixtures/models, all 18 models, in
turn), with run-scoped ids, to ``POST /ngsi-ld/v1/entityOperations/upsert`` (clause 5.6.8): two new
batches for every batch sent again (the update path). A share of the upserted entities
(``--option validate_ratio=X``, default 0.1) is read back as keyValues and validated against the
model's JSON Schema; the read-back also has to carry the id and type sent.

A request fails on any status but 201 or 204 for an upsert (a 207 Multi-Status, some entities
refused, is a failure), on any status but 200 for a read-back, or when the read-back breaks the
model's schema (the first schema error is named). When a user stops it deletes every entity it
upserted by batch delete (clause 5.6.10); the CLI sweeps what is left.
"""

from __future__ import annotations

import itertools
import random
from typing import Any
from urllib.parse import quote

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

from conformance import sdm
from conformance.load_locust import (
    PROCESS_TAG,
    LoadSettings,
    attach_reporting,
    body_of,
    expect_status,
    profile_option,
    run_entity_prefix,
)

MIMCHECK_MIM = "mim1"
OPERATIONS = "/ngsi-ld/v1/entityOperations"
MODELS = tuple(sdm.MODELS)
SETTINGS = LoadSettings.from_environ()
attach_reporting(events, SETTINGS, profile_name="sdm_ingestion", entity_types=MODELS)
BATCH_SIZE = max(1, min(100, int(profile_option("batch_size", 10))))
VALIDATE_RATIO = min(1.0, profile_option("validate_ratio", 0.1))
DELETE_CHUNK = 50
_sequence = itertools.count(1)
_model_turn = itertools.cycle(MODELS)


def model_entity(model: str) -> dict[str, Any]:
    """The model's bundled fixture with a new run-scoped id; relationship targets run-scoped too."""
    serial = next(_sequence)

    def entity_id(kind: str) -> str:
        suffix = f"{PROCESS_TAG}-{serial:07d}" if kind == model else "target"
        return f"{run_entity_prefix(kind, SETTINGS.run_id)}{suffix}"

    return sdm.load_fixture(model, entity_id)


class SdmIngestionUser(FastHttpUser):
    wait_time = between(0.05, 0.25)
    network_timeout = 20.0
    connection_timeout = 5.0
    max_redirects = 0
    insecure = False
    default_headers = {"Accept": "application/json", **SETTINGS.headers}

    def on_start(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []  # what this user upserted (and must delete)
        self.in_flight: list[dict[str, Any]] = []

    def on_stop(self) -> None:
        sent = [e["id"] for batch in self.batches for e in batch] + [e["id"] for e in self.in_flight]
        for start in range(0, len(sent), DELETE_CHUNK):
            with self.client.post(
                f"{OPERATIONS}/delete",
                json=sent[start : start + DELETE_CHUNK],
                name="POST /entityOperations/delete (cleanup)",
                headers=SETTINGS.credentials(),
                catch_response=True,
            ) as response:
                # 207 when an interrupted upsert had not created some of them: nothing left behind
                expect_status(response, 204, 207)
        self.batches = []

    def upsert(self, batch: list[dict[str, Any]], name: str) -> bool:
        self.in_flight = batch
        with self.client.post(
            f"{OPERATIONS}/upsert",
            json=batch,
            name=name,
            headers=SETTINGS.credentials(),
            catch_response=True,
        ) as response:
            ok = expect_status(response, 201, 204)
        self.in_flight = []
        return ok

    @task(2)
    def upsert_new_batch(self) -> None:
        batch = [model_entity(next(_model_turn)) for _ in range(BATCH_SIZE)]
        self.batches.append(batch)  # owned from now on: a refused batch may still be partly stored
        if self.upsert(batch, "POST /entityOperations/upsert (new)"):
            for entity in batch:
                if random.random() < VALIDATE_RATIO:
                    self.validate(entity)

    @task(1)
    def upsert_again(self) -> None:
        if not self.batches:
            return self.upsert_new_batch()
        batch = random.choice(self.batches)
        if (
            self.upsert(batch, "POST /entityOperations/upsert (existing)")
            and random.random() < VALIDATE_RATIO
        ):
            self.validate(random.choice(batch))

    def validate(self, entity: dict[str, Any]) -> None:
        model = str(entity["type"])
        with self.client.get(
            f"/ngsi-ld/v1/entities/{quote(entity['id'], safe=':')}?options=keyValues",
            name="GET /entities/{id}?options=keyValues (validate)",
            headers=SETTINGS.credentials(),
            catch_response=True,
        ) as response:
            if not expect_status(response, 200):
                return
            body = body_of(response)
            if not isinstance(body, dict) or body.get("id") != entity["id"] or body.get("type") != model:
                response.failure(f"the read-back does not describe {entity['id']} of type {model}")
                return
            errors = sdm.validation_errors(model, body)
            if errors:
                response.failure(f"{model} read back breaks its schema ({len(errors)} errors): {errors[0]}")
