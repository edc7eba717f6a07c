"""MIM1 Create Entity refused: invalid ids, types, attributes and geometries (ETSI GS CIM 009 clauses
5.6.1, 6.4.3.1, 4.7)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.entity_forms import BOTH_FORMS, bad_create, send_form
from conformance.ngsild.api import NgsiLdOps
from conformance.ngsild.payloads import geo, probe
from conformance.requirements import requirement
from conformance.run_ids import RunIds

# Clause 5.6.1 makes id and type mandatory without naming the error a missing or invalid one raises.
# Error types (clause 5.5.2): BadRequestData "input data which does not meet the requirements of the
# operation", InvalidRequest "syntactically invalid or includes wrong content"; the ETSI test suite
# expects InvalidRequest for an entity without id or type. Either is accepted, the evidence says which.
INVALID_ENTITY_ERRORS = ("BadRequestData", "InvalidRequest")


def _refused_create(
    ngsild: NgsiLdOps, entity: dict[str, Any], content_type: str, case_evidence: CaseEvidence
) -> None:
    resp = ngsild.create(send_form(entity, content_type), content_type=content_type)
    error = checks.ngsild_problem_one_of(resp, 400, *INVALID_ENTITY_ERRORS)
    case_evidence.note(f"Create Entity refused with 400 {error} (BadRequestData or InvalidRequest accepted)")


@requirement(
    "MIM1-ENT-006",
    clause="5.6.1",
    level="MUST",
    title="Create Entity without an id, or with an id that is not a URI, answers 400 "
    "(BadRequestData or InvalidRequest)",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
@pytest.mark.parametrize("shape", ["missing", "not-a-uri", "blank"])
def test_create_invalid_id(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, shape: str, case_evidence: CaseEvidence
) -> None:
    entity = probe(run_ids)
    if shape == "missing":
        del entity["id"]
    else:
        entity["id"] = {"not-a-uri": "not a uri " + run_ids.next(), "blank": ""}[shape]
    _refused_create(ngsild, entity, content_type, case_evidence)


@requirement(
    "MIM1-ENT-007",
    clause="5.6.1",
    level="MUST",
    title="Create Entity without a type answers 400 (BadRequestData or InvalidRequest)",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
def test_create_without_type(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, case_evidence: CaseEvidence
) -> None:
    entity = probe(run_ids)
    del entity["type"]
    _refused_create(ngsild, entity, content_type, case_evidence)


@requirement(
    "MIM1-ENT-008",
    clause="5.2.5",
    level="MUST",
    title="Create Entity with a Property that has no value answers 400 BadRequestData",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
@pytest.mark.parametrize("shape", ["no-value", "null-value"])
def test_create_property_without_value(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, shape: str
) -> None:
    attr: dict[str, Any] = (
        {"type": "Property"} if shape == "no-value" else {"type": "Property", "value": None}
    )
    bad_create(ngsild, probe(run_ids, status=attr), content_type)


@requirement(
    "MIM1-ENT-009",
    clause="5.2.6",
    level="MUST",
    title="Create Entity with a Relationship whose object is missing or not a URI answers 400 BadRequestData",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
@pytest.mark.parametrize("shape", ["no-object", "not-a-uri", "number"])
def test_create_relationship_invalid_object(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, shape: str
) -> None:
    attr: dict[str, Any] = {"type": "Relationship"}
    if shape != "no-object":
        attr["object"] = "not a uri" if shape == "not-a-uri" else 42
    bad_create(ngsild, probe(run_ids, refSite=attr), content_type)


@requirement(
    "MIM1-ENT-010",
    clause="5.2.7",
    level="MUST",
    title="Create Entity with a GeoProperty whose value is not a GeoJSON geometry answers 400 BadRequestData",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
@pytest.mark.parametrize(
    "geometry",
    [
        pytest.param({"type": "Point"}, id="no-coordinates"),
        pytest.param({"type": "Circle", "coordinates": [4.35, 50.85]}, id="unknown-geometry"),
        pytest.param({"type": "Point", "coordinates": ["east", "north"]}, id="text-coordinates"),
    ],
)
def test_create_geoproperty_invalid(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, geometry: dict[str, Any]
) -> None:
    bad_create(ngsild, probe(run_ids, location=geo(geometry)), content_type)
