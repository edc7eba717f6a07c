"""MIM1 projection of entity members with pick and omit (ETSI GS CIM 009 V1.8.1 clause 4.21) on
Retrieve Entity, GET /entities and POST /entityOperations/query, in the normalized, concise and
keyValues representations; pick and omit together, with attrs, and projections that keep nothing.

The V1.8.1 OpenAPI defines pick ("every Entity within the payload body is reduced down to only
contain the listed Entity members") and omit ("the listed Entity members are removed from each
Entity") on these operations; an Entity member is "id", "type", "scope" or an Attribute name. It
does not say whether pick and omit may be combined, nor with the deprecated attrs: where it is
silent a 400 refusal and the projection applied are both accepted (notes/mim1.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.projection_support import (
    OPERATIONS,
    QUERIES,
    REPRESENTATIONS,
    REQUEST_ERRORS,
    Projected,
    answered,
    check_projection,
    project,
    split,
)
from conformance.ngsild.api import NgsiLdOps
from conformance.requirements import requirement


def _with_format(params: dict[str, str], representation: str) -> dict[str, str]:
    return params if representation == "normalized" else {**params, "format": representation}


@requirement(
    "MIM1-QRY-029",
    clause="4.21",
    level="MUST",
    title="pick reduces every entity answered to exactly the listed members, in the representation asked for",
)
@pytest.mark.parametrize("expression", ["id,speed", "status,refSite", "speed,label", "id"])
@pytest.mark.parametrize("representation", REPRESENTATIONS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_pick(
    ngsild: NgsiLdOps, projected: Projected, operation: str, representation: str, expression: str
) -> None:
    resp = project(ngsild, projected, operation, _with_format({"pick": expression}, representation))
    picked = set(split(expression))
    check_projection(resp, operation, projected, lambda members: members & picked, representation)


@requirement(
    "MIM1-QRY-030",
    clause="4.21",
    level="MUST",
    title="omit removes exactly the listed members from every entity answered, in the representation asked for",
)
@pytest.mark.parametrize("expression", ["speed,refSite", "id,label", "status,scope", "location"])
@pytest.mark.parametrize("representation", REPRESENTATIONS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_omit(
    ngsild: NgsiLdOps, projected: Projected, operation: str, representation: str, expression: str
) -> None:
    resp = project(ngsild, projected, operation, _with_format({"omit": expression}, representation))
    omitted = set(split(expression))
    check_projection(resp, operation, projected, lambda members: members - omitted, representation)


@requirement(
    "MIM1-QRY-031",
    clause="4.21",
    level="MUST",
    title="pick and omit apply to the entity members id and type as to attributes",
)
@pytest.mark.parametrize(
    ("param", "expression"),
    [
        pytest.param("pick", "type", id="pick-type"),
        pytest.param("pick", "id,type", id="pick-id-type"),
        pytest.param("omit", "id,type", id="omit-id-type"),
        pytest.param("omit", "id", id="omit-id"),
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_pick_omit_id_type(
    ngsild: NgsiLdOps, projected: Projected, operation: str, param: str, expression: str
) -> None:
    resp = project(ngsild, projected, operation, {param: expression})
    named = set(split(expression))
    if param == "pick":
        check_projection(resp, operation, projected, lambda members: members & named)
    else:
        check_projection(resp, operation, projected, lambda members: members - named)


@requirement(
    "MIM1-QRY-032",
    clause="4.21",
    level="MUST",
    title="pick only projects: a query answers the entities lacking the picked attributes too",
)
@pytest.mark.parametrize("expression", ["id,label", "id,scope,label"])
@pytest.mark.parametrize("operation", QUERIES)
def test_pick_does_not_select(
    ngsild: NgsiLdOps, projected: Projected, operation: str, expression: str
) -> None:
    # attrs is "a synonym for a combination of the pick and q parameters": selecting is q's part
    resp = project(ngsild, projected, operation, {"pick": expression})
    picked = set(split(expression))
    check_projection(resp, operation, projected, lambda members: members & picked)


def _refused_or_projected(
    resp: Any,
    operation: str,
    data: Projected,
    keep: Any,
    what: str,
    case_evidence: CaseEvidence,
) -> None:
    if resp.status_code == 400:
        error = checks.ngsild_problem_one_of(resp, 400, *REQUEST_ERRORS)
        case_evidence.note(
            f"{what}: refused with 400 {error} (a refusal or the projection applied is accepted)"
        )
        return
    check_projection(resp, operation, data, keep)
    case_evidence.note(f"{what}: served with the projection applied (a 400 refusal is accepted too)")


@requirement(
    "MIM1-QRY-033",
    clause="4.21",
    level="MUST",
    title="pick and omit together are refused with 400 or both applied (the picked members less the omitted)",
)
@pytest.mark.parametrize(
    ("pick", "omit"),
    [
        pytest.param("id,speed,status", "status", id="disjoint-effect"),
        pytest.param("id,speed", "speed", id="same-member"),
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_pick_and_omit(
    ngsild: NgsiLdOps, projected: Projected, operation: str, pick: str, omit: str, case_evidence: CaseEvidence
) -> None:
    resp = project(ngsild, projected, operation, {"pick": pick, "omit": omit})
    keep_set = set(split(pick)) - set(split(omit))
    _refused_or_projected(
        resp, operation, projected, lambda members: members & keep_set, "pick with omit", case_evidence
    )


@requirement(
    "MIM1-QRY-034",
    clause="4.21",
    level="MUST",
    title="attrs with pick or omit is refused with 400 or the projection still applies to what attrs selects",
)
@pytest.mark.parametrize(
    ("params", "keep"),
    [
        pytest.param({"attrs": "speed,status", "pick": "id,speed"}, {"id", "speed"}, id="attrs-pick"),
        pytest.param(
            {"attrs": "speed,status", "omit": "status,scope"}, {"id", "type", "speed"}, id="attrs-omit"
        ),
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_attrs_with_projection(
    ngsild: NgsiLdOps,
    projected: Projected,
    operation: str,
    params: dict[str, str],
    keep: set[str],
    case_evidence: CaseEvidence,
) -> None:
    # every entity of the dataset has speed and status, so attrs selects them all
    resp = project(ngsild, projected, operation, params)
    _refused_or_projected(
        resp, operation, projected, lambda members: members & keep, "attrs with pick/omit", case_evidence
    )


@requirement(
    "MIM1-QRY-035",
    clause="4.21",
    level="MUST",
    title="A projection that keeps no member is refused (400, or 404 on Retrieve) or answers entities without members",
)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"pick": "nothereAtAll"}, id="pick-absent-attribute"),
        pytest.param({"omit": "id,type,scope,speed,status,refSite,label"}, id="omit-everything"),
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_empty_projection(
    ngsild: NgsiLdOps,
    projected: Projected,
    operation: str,
    params: dict[str, str],
    case_evidence: CaseEvidence,
) -> None:
    resp = project(ngsild, projected, operation, params)
    if resp.status_code == 404 and operation == "retrieve":
        checks.ngsild_problem(resp, 404, "ResourceNotFound")
        case_evidence.note("nothing left to answer: 404 ResourceNotFound (as for attrs)")
        return
    if resp.status_code == 400:
        error = checks.ngsild_problem_one_of(resp, 400, *REQUEST_ERRORS)
        case_evidence.note(f"nothing left to answer: refused with 400 {error}")
        return
    items = answered(resp, operation, projected)
    for item in items:
        left = set(item) - {"@context"}
        if left:
            checks.fail(f"{checks.where(resp)}: an entity still carries {sorted(left)} after {params}")
    case_evidence.note(f"nothing left to answer: 200 with {len(items)} entities without members")
