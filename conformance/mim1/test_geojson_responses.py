"""MIM1 application/geo+json answers (ETSI GS CIM 009 V1.8.1 clauses 4.5.16, 5.2.29, 5.2.30, 6.3.4): where the
@context of a GeoJSON answer goes, and which operations offer GeoJSON at all.

The V1.8.1 OpenAPI offers application/geo+json only for Retrieve Entity (a Feature), GET /entities and
POST /entityOperations/query (a FeatureCollection). The Feature and FeatureCollection schemas carry an
"@context" member "only present if requested in the payload by the HTTP Prefer Header": by default the
@context is not in the body, so it goes where a JSON answer puts it, the Link header. Both places are
accepted (notes/mim1.md); an answer that names its @context nowhere FAILs.
"""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.projection_support import (
    OPERATIONS,
    Projected,
    project,
)
from conformance.ngsild.api import API_ROOT, GEOJSON, NgsiLdOps
from conformance.ngsild.subscriptions import SUBSCRIPTIONS
from conformance.requirements import requirement

JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"


def _link_names_context(resp: object) -> bool:
    value = getattr(resp, "headers", {}).get("Link", "")
    return JSONLD_CONTEXT_REL in value.replace("'", '"')


@requirement(
    "MIM1-QRY-038",
    clause="5.2.29",
    level="MUST",
    title="A GeoJSON answer names its @context: in the Link header or as a top-level @context member",
)
@pytest.mark.parametrize("representation", ["normalized", "keyValues"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_geojson_context(
    ngsild: NgsiLdOps, projected: Projected, operation: str, representation: str, case_evidence: CaseEvidence
) -> None:
    params = {} if representation == "normalized" else {"format": representation}
    resp = project(ngsild, projected, operation, params, accept=GEOJSON)
    checks.status_is(resp, 200)
    checks.content_type_is(resp, GEOJSON)
    body = checks.json_object(resp)
    expected = "Feature" if operation == "retrieve" else "FeatureCollection"
    checks.equal("GeoJSON type", body.get("type"), expected)
    if expected == "FeatureCollection":
        features = checks.member("FeatureCollection", body, "features", kind=list)
        checks.equal("features answered", len(features), len(projected.entities))
    in_link = _link_names_context(resp)
    if in_link:
        checks.link_context(resp)  # a well-formed context Link (type application/ld+json)
    in_body = "@context" in body
    if not in_link and not in_body:
        checks.fail(
            f"{checks.where(resp)}: the GeoJSON answer names its @context neither in a Link header "
            f'(rel="{JSONLD_CONTEXT_REL}") nor as a top-level @context member'
        )
    case_evidence.note(
        "GeoJSON @context: "
        + " and ".join(w for w, on in (("Link header", in_link), ("body", in_body)) if on)
    )


@requirement(
    "MIM1-QRY-039",
    clause="6.3.4",
    level="MUST",
    title="Accept application/geo+json alone answers 406 where the operation has no GeoJSON representation",
)
@pytest.mark.parametrize(
    "path",
    [
        pytest.param(f"{API_ROOT}/types", id="types"),
        pytest.param(f"{API_ROOT}/attributes", id="attributes"),
        pytest.param(SUBSCRIPTIONS, id="subscriptions"),
    ],
)
def test_geojson_not_offered(ngsild: NgsiLdOps, path: str) -> None:
    checks.status_is(ngsild.send("GET", path, accept=GEOJSON), 406)
