"""MIM1 Retrieve Entity with attrs naming only attributes the entity lacks (ETSI GS CIM 009 V1.8.1 clause
5.7.1; the V1.8.1 OpenAPI parameter Query.attrs: "If the Entity does not have any of the Attributes in
attrs, then a 404 Not Found shall be retrieved").

attrs matches as well as projects (V1.8.1 calls it a deprecated synonym of pick with q): an entity having
none of them is not found. ETSI ISG CIM decided so for Retrieve Entity in 2020 (Orion-LD issue 451);
Scorpio was asked for it in 2023 (ScorpioBroker issue 472). Sources: notes/mim1.md, "V1.8.1 drift review"."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import NgsiLdOps, made
from conformance.ngsild.payloads import probe
from conformance.requirements import requirement
from conformance.run_ids import RunIds


@requirement(
    "MIM1-ERR-021",
    clause="5.7.1",
    level="MUST",
    title="Retrieve Entity with attrs naming only attributes the entity does not have answers 404 "
    "ResourceNotFound; with one it has, the entity with that attribute",
)
@pytest.mark.parametrize(
    ("attrs", "found"),
    [
        pytest.param("mimcheckAbsent", None, id="one-absent"),
        pytest.param("mimcheckAbsent,mimcheckGone", None, id="two-absent"),
        pytest.param("mimcheckAbsent,speed", "speed", id="absent-and-present"),
    ],
)
def test_retrieve_with_absent_attrs(
    ngsild: NgsiLdOps, run_ids: RunIds, case_evidence: CaseEvidence, attrs: str, found: str | None
) -> None:
    entity = made(ngsild, probe(run_ids))
    resp = ngsild.retrieve(entity["id"], params={"attrs": attrs})
    if found is None:
        checks.ngsild_problem(resp, 404, "ResourceNotFound")
        case_evidence.note(f"attrs={attrs}: 404 ResourceNotFound")
        return
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    checks.equal("id", body.get("id"), entity["id"])
    attributes = sorted(k for k in body if k not in ("id", "type", "@context"))
    checks.equal(f"attributes returned for attrs={attrs}", attributes, [found])
