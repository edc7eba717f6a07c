"""MIM1 HTTP binding details (ETSI GS CIM 009 V1.8.1 clauses 6.2 and 6.4): the resource URI structure
{apiRoot}/ngsi-ld/v1/<resource> that a Location header of a created resource names.

The V1.8.1 OpenAPI says the 201 of Create Entity shall carry a Location header with the resource URI of
the created entity resource, that is {apiRoot}/ngsi-ld/v1/entities/{entityId}. The Location may be
absolute or relative, and the entity id in it percent-encoded or not: each is accepted. A Location that
holds only the entity id (which is itself a URI, but not the resource's) or a path outside /ngsi-ld/v1/
fails. That a Location is present at all and names the entity is MIM1-ENT-001; a create that does not
answer 201 with a Location leaves this requirement inconclusive."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import CORE_CONTEXT, JSON, JSONLD, NgsiLd
from conformance.ngsild.payloads import sensor
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

ENTITY_RESOURCE = "/ngsi-ld/v1/entities/"


def _as_sent(entity: dict[str, Any], content_type: str) -> dict[str, Any]:
    return {**entity, "@context": CORE_CONTEXT} if content_type == JSONLD else entity


@requirement(
    "MIM1-ENT-043",
    clause="6.2, 6.4",
    level="MUST",
    title="The Location of Create Entity is the entity's resource URI {apiRoot}/ngsi-ld/v1/entities/{entityId} "
    "(absolute or relative, the id percent-encoded or not)",
)
@pytest.mark.parametrize("content_type", [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")])
def test_create_location_is_resource_uri(
    ngsild: NgsiLd, run_ids: RunIds, content_type: str, case_evidence: CaseEvidence
) -> None:
    entity = sensor(run_ids)
    resp = ngsild.create_entity(_as_sent(entity, content_type), content_type=content_type)
    precondition(
        resp.status_code == 201, f"Create Entity answered {resp.status_code}, not 201 (MIM1-ENT-001)"
    )
    location = resp.headers.get("Location", "")
    precondition(bool(location), "Create Entity answered no Location header (MIM1-ENT-001)")
    # a relative Location is resolved against the request URI (RFC 9110 10.2.2)
    parts = urlsplit(urljoin(resp.url, location))
    path = unquote(parts.path).rstrip("/")
    expected = ENTITY_RESOURCE + entity["id"]
    if parts.scheme not in ("http", "https") or not path.endswith(expected):
        checks.fail(
            f"Location {location!r} is not the resource URI of the created entity: its path should end "
            f"with {expected} (clause 6.2 resource structure, V1.8.1 OpenAPI createEntity 201)"
        )
    case_evidence.note(f"Location form: {'absolute' if urlsplit(location).scheme else 'relative'}")
