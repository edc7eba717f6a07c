"""MIM2 data models in every representation a platform delivers: the concise form (ETSI GS CIM 009
V1.8.1 clauses 4.5.2.3, 4.5.3; the entity sent normalized and concise), the GeoJSON Feature
(clause 4.5.16) and the data of a notification (clause 5.3.1). Each is reduced to keyValues (conformance/sdm_forms.py reads every attribute by its shape),
validated against the model's schema and compared with what was sent (array order aside, see
notes/mim2.md). Parametrised over the models of the registry, bundled and added."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks, sdm, sdm_forms
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import Notifications, entity_in, subscription, subscription_id
from conformance.mim2.support import created_entity, model_payload, schema_name
from conformance.ngsild.api import GEOJSON, NgsiLd
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds
from conformance.sdm_registry import Models


def _validated(
    models: Models, model: str, what: str, simplified: dict[str, Any], sent: dict[str, Any]
) -> None:
    """The keyValues reduction of what the target delivered validates and carries what was sent."""
    errors = models.validation_errors(model, simplified)
    if errors:
        checks.fail(
            f"the {what} {model} delivered by the target breaks the {schema_name(models, model)}: {errors}"
        )
    checks.equal(
        f"{model} {what} (array order aside)",
        sdm.canonical(simplified),
        sdm.canonical(sdm.to_key_values(sent)),
    )


SENT_FORMS = ["normalized", "concise"]


@requirement(
    "MIM2-SDM-008",
    clause="<Model>/schema.json at its $schemaVersion (concise representation reduced to keyValues); "
    "ETSI GS CIM 009 V1.8.1 clauses 4.5.2.3, 4.5.3",
    level="MUST",
    title="A Smart Data Models entity sent normalized or concise comes back in the concise form that, "
    "reduced to keyValues, validates against the model's schema and carries the values sent; sent concise, "
    "its Relationships and location stay a Relationship and a GeoProperty",
)
@pytest.mark.parametrize("sent", SENT_FORMS)
@pytest.mark.sdm_models("all")
def test_concise_round_trip(
    ngsild: NgsiLd, sdm_models: Models, run_ids: RunIds, model: str, sent: str
) -> None:
    entity = model_payload(sdm_models, model, run_ids)
    payload = sdm_forms.to_concise(entity) if sent == "concise" else entity
    created = ngsild.create_entity(payload)
    precondition(
        created.status_code in (200, 201, 204),
        f"creating the {model} ({sent}) answered {created.status_code}: {created.text[:300]!r}",
    )
    resp = ngsild.get_entity(entity["id"], params={"options": "concise"})
    checks.status_is(resp, 200)
    _, simplified = sdm_forms.to_key_values(checks.json_object(resp), "concise")
    _validated(sdm_models, model, f"concise form (sent {sent})", simplified, entity)
    if sent == "normalized":
        return
    resp = ngsild.get_entity(entity["id"])
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    kinds = {name: "Relationship" for name in sdm.relationships(entity)}
    if "location" in entity:
        kinds["location"] = "GeoProperty"
    for name, kind in sorted(kinds.items()):
        attribute = checks.member(f"{model} sent concise, read normalized", body, name, kind=dict)
        checks.equal(f"{model} {name} 'type' (sent concise)", attribute.get("type"), kind)


GEOJSON_FORMS = ["normalized", "keyValues"]


@requirement(
    "MIM2-SDM-009",
    clause="<Model>/schema.json at its $schemaVersion; ETSI GS CIM 009 V1.8.1 clauses 4.5.16, 4.5.17, 5.2.29, 6.3.7",
    level="MUST",
    title="The application/geo+json form of a Smart Data Models entity is a Feature whose geometry is the "
    "model's location and whose properties, reduced to keyValues, validate against the model's schema",
)
@pytest.mark.parametrize("form", GEOJSON_FORMS)
@pytest.mark.sdm_models("with_location")
def test_geojson_feature_validates(
    ngsild: NgsiLd, sdm_models: Models, run_ids: RunIds, model: str, form: str
) -> None:
    entity = created_entity(ngsild, sdm_models, model, run_ids)
    params = {"options": "keyValues"} if form == "keyValues" else None
    resp = ngsild.get_entity(entity["id"], params=params, accept=GEOJSON)
    checks.status_is(resp, 200)
    checks.content_type_is(resp, GEOJSON)
    feature = checks.json_object(resp)
    checks.equal(f"{model} GeoJSON 'type'", feature.get("type"), "Feature")
    checks.equal(f"{model} GeoJSON Feature 'id'", feature.get("id"), entity["id"])
    geometry = checks.member(f"{model} GeoJSON Feature", feature, "geometry", kind=dict)
    checks.geojson_geometry(f"{model} Feature geometry", geometry)
    checks.equal(
        f"{model} Feature geometry (the model's location)",
        sdm.canonical(geometry),
        sdm.canonical(entity["location"]["value"]),
    )
    properties = checks.member(f"{model} GeoJSON Feature", feature, "properties", kind=dict)
    reduced = {"id": feature["id"], **{k: v for k, v in properties.items() if k != "@context"}}
    _, simplified = sdm_forms.to_key_values(reduced, "keyValues" if form == "keyValues" else "auto")
    _validated(sdm_models, model, f"GeoJSON Feature properties ({form})", simplified, entity)


NOTIFICATION_FORMATS = ["normalized", "concise", "keyValues"]


@requirement(
    "MIM2-SDM-010",
    clause="<Model>/schema.json at its $schemaVersion; ETSI GS CIM 009 V1.8.1 clauses 5.3.1, 5.2.14",
    level="MUST",
    title="The entity a notification delivers for a subscription on a Smart Data Models type, reduced to "
    "keyValues, validates against the model's schema and carries the values sent",
)
@pytest.mark.parametrize("notification_format", NOTIFICATION_FORMATS)
@pytest.mark.sdm_models("all")
def test_notified_entity_validates(
    ngsild: NgsiLd,
    dyn: Dynamics,
    sdm_notifications: Notifications,
    sdm_models: Models,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
    model: str,
    notification_format: str,
) -> None:
    entity = model_payload(sdm_models, model, run_ids)
    endpoint = sdm_notifications.endpoint(model)
    sub_id = subscription_id(run_ids)
    body = subscription(
        sub_id,
        endpoint,
        entities=[{"type": model}],
        notification={"format": notification_format},
    )
    resp = dyn.create_subscription(body)
    precondition(
        resp.status_code == 201,
        f"creating the subscription on {model} answered {resp.status_code}: {resp.text[:300]!r}",
    )
    sdm_notifications.trigger(endpoint)
    created = ngsild.create_entity(entity)
    precondition(
        created.status_code in (200, 201, 204),
        f"creating the {model} answered {created.status_code}: {created.text[:300]!r}",
    )
    got = sdm_notifications.expect(
        endpoint,
        f"for the creation of {entity['id']}",
        where=lambda r: entity_in(r, entity["id"]) is not None,
    )
    notified = entity_in(got[0], entity["id"])
    assert notified is not None  # the wait matched on it
    form = "keyValues" if notification_format == "keyValues" else "auto"
    detected, simplified = sdm_forms.to_key_values(notified, form)
    case_evidence.note(f"notification format {notification_format}: the entity was read as {detected}")
    _validated(sdm_models, model, f"notified entity ({notification_format})", simplified, entity)
