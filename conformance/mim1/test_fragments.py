"""MIM1 NGSI-LD Fragments (ETSI GS CIM 009 V1.8.1 clause 5.4, with 5.6.17 Merge Entity): the body of an
update is a Fragment, a JSON Merge Patch document that may carry the id and the type of the element it
changes; "id", where present, is the id of the target. In the HTTP binding the target is named by the
path, so the two members name it again: they are not Attributes.

Sources (notes/mim1.md, "Clauses 4.2, 5.4 and 6.3.3"): the V1.9.1 text of 5.4 (its second example is an
Entity Fragment with id and type) and of 5.6.17 (type in the Fragment adds types), the V1.8.1 OpenAPI
(the PATCH /entities/{entityId} body is an "Entity Fragment"). Only Merge Entity is checked; the NGSI-LD
Null rule of 5.4 is checked under 5.5.8 and 5.5.12 (MIM1-ENT-024, MIM1-ATTR-026..031, 038)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.entity_forms import BOTH_FORMS, send_form
from conformance.ngsild.api import NgsiLdOps, made
from conformance.ngsild.payloads import OBSERVED_AT, prop
from conformance.requirements import requirement
from conformance.run_ids import RunIds

# Names no other scenario uses, so that a fault aimed at these fragments touches nothing else.
FRAGMENT_TYPE = "MimcheckFragment"
LATER = "2024-06-01T10:00:00Z"


def _target(ngsild: NgsiLdOps, run_ids: RunIds, attr: str) -> dict[str, Any]:
    entity = {
        "id": run_ids.entity_id(FRAGMENT_TYPE),
        "type": FRAGMENT_TYPE,
        attr: prop(9, observedAt=OBSERVED_AT),
        "charging": prop(False),
    }
    return made(ngsild, entity)


def _stored(ngsild: NgsiLdOps, entity_id: str) -> dict[str, Any]:
    resp = ngsild.retrieve(entity_id)
    checks.status_is(resp, 200)
    return checks.json_object(resp)


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@requirement(
    "MIM1-ENT-056",
    clause="5.4, 5.6.17",
    level="MUST",
    title="A Merge Entity fragment that carries the target's own id and type is applied (204): "
    "id and type name the target, they are not taken as Attributes",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
def test_fragment_with_own_id_and_type(ngsild: NgsiLdOps, run_ids: RunIds, content_type: str) -> None:
    entity = _target(ngsild, run_ids, "batteryLevel")
    fragment = {
        "id": entity["id"],
        "type": FRAGMENT_TYPE,
        "batteryLevel": {"type": "Property", "value": 7, "observedAt": LATER},
    }
    resp = ngsild.merge(entity["id"], send_form(fragment, content_type), content_type=content_type)
    checks.status_is(resp, 204)
    body = _stored(ngsild, entity["id"])
    checks.equal("id after the merge", body.get("id"), entity["id"])
    checks.equal("type after the merge", _types(body.get("type")), [FRAGMENT_TYPE])
    battery = checks.member("entity after the merge", body, "batteryLevel")
    checks.equal("batteryLevel.value after the merge", battery.get("value"), 7)
    checks.same_value("batteryLevel.observedAt after the merge", battery.get("observedAt"), LATER)
    checks.equal("charging kept by the merge", checks.member("entity", body, "charging").get("value"), False)


@requirement(
    "MIM1-ENT-057",
    clause="5.4, 5.6.17",
    level="MUST",
    title="A Merge Entity fragment whose id names another entity never changes that other entity: "
    "it is refused (400, target unchanged) or applied to the entity the path names",
)
def test_fragment_with_other_id(ngsild: NgsiLdOps, run_ids: RunIds, case_evidence: CaseEvidence) -> None:
    # 5.4: the Fragment's id "shall be equal" to the target's. What a broker does with one that is not
    # is not said: refusing it (BadRequestData or InvalidRequest) and keeping to the path's entity
    # are both accepted, noted; changing the entity the body names, or 204 with no change, FAIL.
    entity = _target(ngsild, run_ids, "chargeLevel")
    other = _target(ngsild, run_ids, "chargeLevel")
    fragment = {"id": other["id"], "type": FRAGMENT_TYPE, "chargeLevel": {"type": "Property", "value": 3}}
    resp = ngsild.merge(entity["id"], fragment)
    if resp.status_code == 204:
        expected, outcome = 3, "applied to the entity the path names (204)"
    else:
        kind = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
        expected, outcome = 9, f"refused with 400 {kind}"
    got = checks.member("target entity", _stored(ngsild, entity["id"]), "chargeLevel")
    checks.equal(f"chargeLevel of the target ({outcome})", got.get("value"), expected)
    named = checks.member("entity the fragment names", _stored(ngsild, other["id"]), "chargeLevel")
    checks.equal("chargeLevel of the entity the fragment's id names (never changed)", named.get("value"), 9)
    case_evidence.note(f"a Merge Entity fragment naming another entity's id: {outcome}")
