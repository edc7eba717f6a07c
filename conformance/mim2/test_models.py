"""MIM2 data models: Smart Data Models entities survive a round trip through the MIM1 API and
their keyValues form validates against the published JSON Schema."""

from __future__ import annotations

import pytest

from conformance import checks, fixtures, sdm
from conformance.ngsild.api import NgsiLd
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

MODELS = [pytest.param("ParkingSpot", "models/ParkingSpot/normalized.json", id="ParkingSpot")]


@requirement(
    "MIM2-SDM-001",
    clause="ParkingSpot schema 0.1.0",
    level="MUST",
    capability="sdm-parking",
    title="A Smart Data Models entity round-trips through MIM1 and its keyValues form validates against its schema",
)
@pytest.mark.parametrize(("model", "fixture"), MODELS)
def test_model_round_trip_validates(ngsild: NgsiLd, run_ids: RunIds, model: str, fixture: str) -> None:
    entity = fixtures.load(fixture, id=run_ids.entity_id(model), site=run_ids.entity_id("ParkingSite"))
    sent_errors = sdm.validation_errors(model, sdm.to_key_values(entity))
    precondition(not sent_errors, f"the {model} fixture itself breaks the schema: {sent_errors}")
    created = ngsild.create_entity(entity)
    precondition(
        created.status_code in (200, 201, 204), f"creating the {model} answered {created.status_code}"
    )

    key_values = checks.json_object(ngsild.get_entity(entity["id"], params={"options": "keyValues"}))
    errors = sdm.validation_errors(model, key_values)
    if errors:
        checks.fail(f"the keyValues {model} returned by the target breaks the schema: {errors}")
    checks.equal(f"{model} keyValues form", key_values, sdm.to_key_values(entity))

    normalized = checks.json_object(ngsild.get_entity(entity["id"]))
    errors = sdm.validation_errors(model, sdm.to_key_values(normalized))
    if errors:
        checks.fail(f"the normalized {model} returned by the target, simplified, breaks the schema: {errors}")
