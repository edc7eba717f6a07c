"""MIM1 refused projections and queries (ETSI GS CIM 009 V1.8.1 clauses 4.21, 5.2.33, 5.7.2, 4.6.2):
pick/omit naming no member or malformed members, a Query whose EntitySelector has no type, a GET
/entities without any of the inputs clause 5.7.2 requires, attrs naming no Attribute, and entity
types that expand to a JSON-LD keyword.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.projection_support import (
    OPERATIONS,
    REQUEST_ERRORS,
    Projected,
    project,
)
from conformance.ngsild.api import JSON, JSONLD, NgsiLdOps, with_context
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import query, query_post
from conformance.requirements import requirement
from conformance.run_ids import RunIds


def _refused(resp: Any, case_evidence: CaseEvidence, what: str) -> None:
    error = checks.ngsild_problem_one_of(resp, 400, *REQUEST_ERRORS)
    case_evidence.note(f"{what}: 400 {error} (BadRequestData or InvalidRequest accepted)")


@requirement(
    "MIM1-ERR-008",
    clause="4.21",
    level="MUST",
    title="pick or omit naming no entity member at all answers 400",
)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"pick": ""}, id="pick-empty"),
        pytest.param({"omit": ""}, id="omit-empty"),
        pytest.param({"pick": ","}, id="pick-comma"),
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_empty_pick_omit(
    ngsild: NgsiLdOps,
    projected: Projected,
    operation: str,
    params: dict[str, str],
    case_evidence: CaseEvidence,
) -> None:
    # POST: "" becomes an empty array (Query.pick/omit have minItems 1), "," the array ["", ""]
    _refused(project(ngsild, projected, operation, params), case_evidence, f"{params}")


@requirement(
    "MIM1-ERR-009",
    clause="4.21",
    level="SHOULD",
    title="pick or omit with an empty or malformed member (not an attribute name, id, type or scope) answers 400",
)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"pick": "speed,,status"}, id="pick-empty-member"),
        pytest.param({"pick": "speed,"}, id="pick-trailing-comma"),
        pytest.param({"omit": ",status"}, id="omit-leading-comma"),
        pytest.param({"pick": "sp eed"}, id="pick-space"),
        pytest.param({"pick": "speed{status"}, id="pick-open-brace"),
        pytest.param({"omit": "status)"}, id="omit-parenthesis"),
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_malformed_pick_omit(
    ngsild: NgsiLdOps,
    projected: Projected,
    operation: str,
    params: dict[str, str],
    case_evidence: CaseEvidence,
) -> None:
    _refused(project(ngsild, projected, operation, params), case_evidence, f"{params}")


@requirement(
    "MIM1-ERR-010",
    clause="4.6.2",
    level="SHOULD",
    title="An entity type named type or id (JSON-LD keyword aliases in the core @context) is refused with 400",
)
@pytest.mark.parametrize("type_name", ["type", "id"])
@pytest.mark.parametrize("content_type", [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")])
def test_keyword_type_name(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, type_name: str, case_evidence: CaseEvidence
) -> None:
    entity = {"id": f"urn:ngsi-ld:MimPrjKeyword:{run_ids.next()}", "type": type_name, "speed": prop(1)}
    sent = with_context(entity, None) if content_type == JSONLD else entity
    resp = ngsild.create(sent, content_type=content_type)
    _refused(resp, case_evidence, f"entity type {type_name!r}")


@requirement(
    "MIM1-ERR-011",
    clause="5.2.33",
    level="MUST",
    title="POST /entityOperations/query with an EntitySelector that has no type answers 400",
)
@pytest.mark.parametrize(
    "selectors",
    [
        pytest.param([{"id": "{first}"}], id="id-only"),
        pytest.param([{"idPattern": "^urn:ngsi-ld:MimPrj:.*"}], id="idPattern-only"),
        pytest.param([{"type": "{type}"}, {"id": "{first}"}], id="second-selector-untyped"),
    ],
)
def test_selector_without_type(
    ngsild: NgsiLdOps, projected: Projected, selectors: list[dict[str, str]], case_evidence: CaseEvidence
) -> None:
    # EntitySelector: "required: [type]"; id and idPattern only narrow the type's entities
    sent = [
        {k: v.format(first=projected.first["id"], type=projected.type) for k, v in s.items()}
        for s in selectors
    ]
    _refused(query_post(ngsild, {"entities": sent}), case_evidence, "EntitySelector without type")


@requirement(
    "MIM1-QRY-036",
    clause="5.7.2",
    level="MUST",
    title="GET /entities with entity ids or an idPattern but no type, attrs, q, geo-query or local answers 400",
)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"id": "{first}"}, id="id"),
        pytest.param({"idPattern": "^urn:ngsi-ld:MimPrj:.*"}, id="idPattern"),
        pytest.param({"id": "{first}", "idPattern": ".*"}, id="id-and-idPattern"),
        pytest.param({"id": "{first}", "options": "keyValues", "limit": "5"}, id="id-with-rendering"),
    ],
)
def test_ids_alone_are_no_query(ngsild: NgsiLdOps, projected: Projected, params: dict[str, str]) -> None:
    sent = {k: v.format(first=projected.first["id"]) for k, v in params.items()}
    checks.ngsild_problem(query(ngsild, sent), 400, "BadRequestData")


@requirement(
    "MIM1-QRY-037",
    clause="5.7.2",
    level="SHOULD",
    title="GET /entities whose only filter is attrs naming no Attribute (only id, type) answers 400",
)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"attrs": "id,type"}, id="attrs-id-type"),
        pytest.param({"attrs": "type"}, id="attrs-type"),
        pytest.param({"attrs": "id", "id": "{first}"}, id="attrs-id-with-id"),
    ],
)
def test_attrs_without_attribute(ngsild: NgsiLdOps, projected: Projected, params: dict[str, str]) -> None:
    sent = {k: v.format(first=projected.first["id"]) for k, v in params.items()}
    checks.ngsild_problem(query(ngsild, sent), 400, "BadRequestData")


@requirement(
    "MIM1-QRY-040",
    clause="5.7.2, 6.23.3",
    level="MUST",
    title="POST /entityOperations/query without entities, attrs, q, geoQ or scopeQ answers 400 BadRequestData",
)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="bare-query"),
        pytest.param({"pick": ["id"]}, id="pick-only"),
        pytest.param({"lang": "en", "omit": ["status"]}, id="rendering-only"),
    ],
)
def test_query_body_without_input(ngsild: NgsiLdOps, projected: Projected, body: dict[str, Any]) -> None:
    # the same rule as GET /entities (MIM1-QRY-006): Query Entities needs one of these inputs
    checks.ngsild_problem(query_post(ngsild, body), 400, "BadRequestData")
