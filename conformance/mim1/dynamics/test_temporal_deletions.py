"""MIM1 deletions in the temporal evolution (ETSI GS CIM 009 V1.8.1 clauses 4.8, 4.5.6 - 4.5.8, 4.11,
6.3.11): deleting an attribute or an entity through the entity API is part of its history; the deletion is
an instance (or the temporal entity) carrying ``deletedAt`` (with options=sysAttrs), and timeproperty=deletedAt
selects by it. The V1.8.1 OpenAPI: deletedAt is used "in the Temporal Representation of Entities (4.5.6),
Properties (4.5.7), Relationships (4.5.8) and LanguageProperties"; sysAttrs includes it "if the NGSI-LD
Element has been deleted"; timeproperty allows deletedAt. Each case first checks that the broker records the
history of the entity API at all (else inconclusive)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.temporal_support import (
    ATTR,
    CAP,
    KINDS,
    attribute_instances,
    create_entity_with_history,
    delete_entity_attr,
    retrieve,
)
from conformance.ngsild.api import MERGE_PATCH, entity_path
from conformance.ngsild.subscriptions import Dynamics
from conformance.requirements import requirement
from conformance.run_ids import RunIds

DELETION_KINDS = ["Property", "Relationship", "LanguageProperty"]


def _delete_attribute(dyn: Dynamics, entity_id: str, how: str) -> None:
    if how == "delete-attribute":
        resp = delete_entity_attr(dyn, entity_id, ATTR)
    else:  # merge patch with urn:ngsi-ld:null deletes the attribute (clause 5.6.17)
        resp = dyn.ngsild.request(
            "PATCH",
            entity_path(entity_id),
            headers={"Content-Type": MERGE_PATCH},
            json_body={ATTR: "urn:ngsi-ld:null"},
        )
    checks.status_is(resp, 204)


def _deleted_instances(what: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in attribute_instances(what, body) if "deletedAt" in i]


@requirement(
    "MIM1-TEMP-020",
    clause="4.8",
    level="MUST",
    capability=CAP,
    title="Deleting an attribute through the entity API leaves an instance with deletedAt in its temporal "
    "evolution (options=sysAttrs)",
)
@pytest.mark.parametrize("how", ["delete-attribute", "merge-null"])
@pytest.mark.parametrize("kind", DELETION_KINDS)
def test_attribute_deletion_recorded(
    dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, kind: str, how: str
) -> None:
    entity = create_entity_with_history(dyn, run_ids, kind)
    _delete_attribute(dyn, entity["id"], how)
    what = f"temporal evolution of {ATTR} after {how}"
    body = retrieve(dyn, entity["id"], {"options": "sysAttrs"})
    deleted = _deleted_instances(what, body)
    if not deleted:
        checks.fail(f"{what}: expected an instance carrying deletedAt, got {body.get(ATTR)!r}")
    checks.is_datetime(f"{what}: deletedAt", deleted[-1]["deletedAt"])
    member = KINDS[kind][0]
    case_evidence.note(f"the deletion instance shows {member}={deleted[-1].get(member)!r}")


@requirement(
    "MIM1-TEMP-021",
    clause="4.5.6",
    level="MUST",
    capability=CAP,
    title="Deleting an entity through the entity API keeps its temporal representation, which then shows "
    "deletedAt (on the entity or its attribute instances) with options=sysAttrs",
)
@pytest.mark.parametrize("kind", DELETION_KINDS)
def test_entity_deletion_recorded(
    dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, kind: str
) -> None:
    entity = create_entity_with_history(dyn, run_ids, kind)
    checks.status_is(dyn.ngsild.delete_entity(entity["id"]), 204)
    body = retrieve(dyn, entity["id"], {"options": "sysAttrs"})
    what = f"temporal representation of {entity['id']} after deleting the entity"
    deleted = _deleted_instances(what, body)
    if "deletedAt" in body:
        checks.is_datetime(f"{what}: deletedAt", body["deletedAt"])
        case_evidence.note("deletedAt on the temporal entity" + (" and on an instance" if deleted else ""))
    elif deleted:
        checks.is_datetime(f"{what}: {ATTR} deletedAt", deleted[-1]["deletedAt"])
        case_evidence.note("deletedAt on an attribute instance only")
    else:
        checks.fail(
            f"{what}: expected deletedAt on the entity or on an instance of {ATTR}, got {body!r}"[:900]
        )


TIMERELS = [
    pytest.param({"timerel": "before", "timeAt": "2100-01-01T00:00:00Z"}, True, id="before-2100"),
    pytest.param({"timerel": "after", "timeAt": "2000-01-01T00:00:00Z"}, True, id="after-2000"),
    pytest.param(
        {"timerel": "between", "timeAt": "2000-01-01T00:00:00Z", "endTimeAt": "2100-01-01T00:00:00Z"},
        True,
        id="between",
    ),
    pytest.param({"timerel": "before", "timeAt": "2000-01-01T00:00:00Z"}, False, id="before-2000"),
]


@requirement(
    "MIM1-TEMP-022",
    clause="4.11",
    level="MUST",
    capability=CAP,
    title="timeproperty=deletedAt selects the instances by their deletion time: only deletion instances, "
    "none before the deletion",
)
@pytest.mark.parametrize(("params", "expect_some"), TIMERELS)
def test_timeproperty_deleted_at(
    dyn: Dynamics, run_ids: RunIds, params: dict[str, str], expect_some: bool
) -> None:
    entity = create_entity_with_history(dyn, run_ids, "Property")
    checks.status_is(delete_entity_attr(dyn, entity["id"], ATTR), 204)
    query = {"timeproperty": "deletedAt", "options": "sysAttrs", **params}
    what = f"{ATTR} with {params} on deletedAt"
    kept = attribute_instances(what, retrieve(dyn, entity["id"], query))
    if not expect_some:
        checks.equal(f"{what}: instances", kept, [])
        return
    if not kept:
        checks.fail(f"{what}: expected the deletion instance, got none")
    undeleted = [i for i in kept if "deletedAt" not in i]
    if undeleted:
        checks.fail(f"{what}: expected only instances with deletedAt, got also {undeleted!r}"[:900])
