"""Load profile `sdm_ingestion`: MIM2 ingestion of Smart Data Model entities by batch upsert.

Each user sends batches of ``batch_size`` entities (``--option batch_size=N``, default 10) built from
the suite's bundled Smart Data Model fixtures (conformance/data/fixtures/models, all 18 models, in
turn), with run-scoped ids, to ``POST /ngsi-ld/v1/entityOperations/upsert`` (clause 5.6.8): two new
batches for every batch sent again (the update path). A share of the upserted entities
(``--option validate_ratio=X``, default 0.1) is read back as keyValues and validated against the
model's JSON Schema; the read-back also has to carry the id and type sent.

A request fails on any status but 201 or 204 for an upsert (a 207 Multi-Status, some entities
refused, is a failure), on any status but 200 for a read-back, or when the read-back breaks the
model's schema (the first schema error is named). A read-back whose text is, but for the entity's own
id, that of one already found valid for the same model is not parsed or validated again (the entities
of a model differ only by that id). When a user stops it deletes every entity it upserted by batch
delete (clause 5.6.10); the CLI sweeps what is left.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import quote

from jsonschema import Draft202012Validator
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

from conformance import sdm
from conformance.load_locust import (
    JSON_CONTENT,
    PROCESS_TAG,
    LoadSettings,
    attach_reporting,
    body_of,
    expect_status,
    json_bytes,
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
MARK = "@@mimcheck-load:{}@@"  # where an id goes in a model's template
MARK_PATTERN = re.compile(r"@@mimcheck-load:([A-Za-z0-9_]+)@@")


@cache
def template(model: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The model's bundled fixture as compact JSON text cut where the ids go: the pieces of text, and
    between each two the entity type of the id that goes there. Built once per model: an entity is
    then one join, with no file read, JSON parse or JSON encoding (the client-side cost of the profile)."""
    text = json.dumps(sdm.load_fixture(model, MARK.format))
    cut = MARK_PATTERN.split(text)  # text, type, text, type, ..., text
    return tuple(cut[0::2]), tuple(cut[1::2])


class Filled(NamedTuple):
    """A model's entities in one run: the id of entity number n is ``prefix`` and n + 1 in 7 digits."""

    model: str
    prefix: str
    raw_prefix: bytes  # the same, as bytes
    path: str  # where an entity is read back: the entities path and the prefix, percent-encoded
    cut: tuple[bytes, ...]  # the JSON text, relationship targets filled, cut where the entity's id goes


def filled_template(model: str, run: str) -> Filled:
    """The model's template in run ``run``, the relationship targets filled (run-scoped ids that are
    never created), cut where the entity's own id goes."""
    pieces, kinds = template(model)
    cut = [pieces[0]]
    for kind, piece in zip(kinds, pieces[1:], strict=True):
        if kind == model:
            cut.append(piece)
        else:
            cut[-1] += f"{run_entity_prefix(kind, run)}target{piece}"
    prefix = f"{run_entity_prefix(model, run)}{PROCESS_TAG}-"
    path = f"/ngsi-ld/v1/entities/{quote(prefix, safe=':')}"
    return Filled(model, prefix, prefix.encode(), path, tuple(piece.encode() for piece in cut))


@cache
def filled(run: str) -> tuple[Filled, ...]:
    """Each model's filled template in run ``run``, in the models' turn. Looked up by run id at each
    use: a worker adopts its master's run id when the test starts, after the profile was imported."""
    return tuple(filled_template(model, run) for model in MODELS)


def entity(serial: int) -> tuple[Filled, str]:
    """The process's entity number ``serial`` (from 0; the models take turns): its model's template
    and the number that ends its id."""
    return filled(SETTINGS.run_id)[serial % len(MODELS)], f"{serial + 1:07d}"


class Batch(int):
    """The number of a batch of the process: its entities are numbers ``BATCH_SIZE * batch`` on.

    A user keeps every batch it upserted until its clean-up, so a batch is kept as its number alone
    (its ids and JSON text follow from it): keeping each batch's text (25 kB) made the Locust process
    fault in new memory pages on every new batch, which cost more than building the text again."""

    __slots__ = ()

    def serials(self) -> range:
        return range(BATCH_SIZE * self, BATCH_SIZE * (self + 1))

    def ids(self) -> list[str]:
        return [f"{model.prefix}{number}" for model, number in map(entity, self.serials())]

    def body(self) -> bytes:
        """The JSON array of the batch's entities, as ``sdm.load_fixture`` fills the models'
        fixtures: built in one join of bytes (the upsert sends bytes as they are)."""
        models = filled(SETTINGS.run_id)
        parts = [b"["]
        for serial in self.serials():
            model = models[serial % len(models)]
            own = model.raw_prefix + b"%07d" % (serial + 1)
            parts.append(model.cut[0])
            for piece in model.cut[1:]:
                parts += (own, piece)
            parts.append(b",")
        parts[-1] = b"]"
        return b"".join(parts)


_batches = itertools.count()


@cache
def validator(model: str) -> Draft202012Validator:
    """The model's schema validator, built once (as ``sdm.validation_errors`` builds it per call)."""
    return Draft202012Validator(
        sdm.schema(model), registry=sdm.registry(), format_checker=sdm.format_checker()
    )


# Read-backs already found valid, with the entity's own id set aside: the entities of one model differ
# only by that id (a serial number), so a read-back equal to one validated before needs no second
# schema validation; an answer that differs in anything else (even its layout) is validated in full.
VALID_READBACKS: set[tuple[str, bytes]] = set()  # (model, key)
MAX_VALID_READBACKS = 2000


def readback_key(content: bytes, entity_id: str) -> bytes:
    """The answer's bytes with every JSON string equal to the entity's id replaced by a NUL byte,
    which JSON text never holds raw: two answers with the same key are the same text but for the id."""
    return content.replace(b'"' + entity_id.encode() + b'"', b"\0")


def validation_errors(model: str, instance: dict[str, Any]) -> list[str]:
    """As ``sdm.validation_errors``, with the validator kept."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator(model).iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


class SdmIngestionUser(FastHttpUser):
    wait_time = between(0.05, 0.25)
    network_timeout = 20.0
    connection_timeout = 5.0
    max_redirects = 0
    insecure = False
    default_headers = {"Accept": "application/json", **SETTINGS.headers}

    def on_start(self) -> None:
        self.batches: list[Batch] = []  # what this user upserted (and must delete)
        self.in_flight: Batch | None = None

    def on_stop(self) -> None:
        owned = [*self.batches, *([self.in_flight] if self.in_flight is not None else [])]
        ids = itertools.chain.from_iterable(batch.ids() for batch in owned)
        while chunk := list(itertools.islice(ids, DELETE_CHUNK)):
            with self.client.post(
                f"{OPERATIONS}/delete",
                data=json_bytes(chunk),
                name="POST /entityOperations/delete (cleanup)",
                headers={**JSON_CONTENT, **SETTINGS.credentials()},
                catch_response=True,
            ) as response:
                # 207 when an interrupted upsert had not created some of them: nothing left behind
                expect_status(response, 204, 207)
        self.batches = []

    def upsert(self, batch: Batch, name: str) -> bool:
        self.in_flight = batch
        with self.client.post(
            f"{OPERATIONS}/upsert",
            data=batch.body(),  # type: ignore[arg-type]  # annotated str | dict; bytes are sent as they are
            name=name,
            headers={**JSON_CONTENT, **SETTINGS.credentials()},
            catch_response=True,
        ) as response:
            ok = expect_status(response, 201, 204)
        self.in_flight = None
        return ok

    @task(2)
    def upsert_new_batch(self) -> None:
        batch = Batch(next(_batches))
        self.batches.append(batch)  # owned from now on: a refused batch may still be partly stored
        if self.upsert(batch, "POST /entityOperations/upsert (new)"):
            for serial in batch.serials():
                if random.random() < VALIDATE_RATIO:
                    self.validate(serial)

    @task(1)
    def upsert_again(self) -> None:
        if not self.batches:
            return self.upsert_new_batch()
        batch = random.choice(self.batches)
        if (
            self.upsert(batch, "POST /entityOperations/upsert (existing)")
            and random.random() < VALIDATE_RATIO
        ):
            self.validate(random.choice(batch.serials()))

    def validate(self, serial: int) -> None:
        """Read entity number ``serial`` back as keyValues: its id, type and model schema."""
        filled_model, number = entity(serial)
        entity_id, model = filled_model.prefix + number, filled_model.model
        with self.client.get(
            f"{filled_model.path}{number}?options=keyValues",
            name="GET /entities/{id}?options=keyValues (validate)",
            headers=SETTINGS.credentials(),
            catch_response=True,
        ) as response:
            if not expect_status(response, 200):
                return
            key = (model, readback_key(response.content, entity_id))
            if key in VALID_READBACKS:
                # the text of a read-back of this model found valid, with this entity's id where that
                # one had its own id: the same id check, type and schema verdict, without a parse
                return
            body = body_of(response)
            if not isinstance(body, dict) or body.get("id") != entity_id or body.get("type") != model:
                response.failure(f"the read-back does not describe {entity_id} of type {model}")
                return
            errors = validation_errors(model, body)
            if errors:
                response.failure(f"{model} read back breaks its schema ({len(errors)} errors): {errors[0]}")
            elif len(VALID_READBACKS) < MAX_VALID_READBACKS:
                VALID_READBACKS.add(key)
