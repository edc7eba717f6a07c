"""MIM1 EntityMap operations (ETSI GS CIM 009 V1.8.1 clauses 5.14.1 Retrieve, 5.14.2 Update, 5.14.3 Delete
EntityMap; the V1.8.1 OpenAPI's ``/entityMap/{entityMapId}``): unknown and non-URI ids, the partial update
of ``expiresAt`` with output-only members ignored, invalid fragments, deletion.

Maps are made by a distributed Query Entities asked for one (test_entity_maps.py); a scenario that cannot
get one is INCONCLUSIVE. See notes/mim1.md, "Entity maps".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from conformance import checks
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics import test_entity_maps as emaps
from conformance.mim1.dynamics.emap_support import Maps, instant, map_path
from conformance.mim1.dynamics.test_distributed import Federation
from conformance.mim1.dynamics.test_entity_maps import CAP, local_and_remote
from conformance.ngsild.api import JSON, NgsiLd
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

context_sources = dst.context_sources  # fixtures used by name
fed = dst.fed
maps = emaps.maps

OPERATIONS = [
    pytest.param("GET", id="retrieve"),
    pytest.param("PATCH", id="update"),
    pytest.param("DELETE", id="delete"),
]


def later(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def operate(ngsild: NgsiLd, method: str, map_id: str) -> requests.Response:
    if method == "PATCH":
        return ngsild.request(
            method, map_path(map_id), headers={"Content-Type": JSON}, json_body={"expiresAt": later(2)}
        )
    return ngsild.request(method, map_path(map_id))


def made(fed: Federation, maps: Maps, stem: str) -> str:
    kind, _, _, _ = local_and_remote(fed, stem)
    return maps.query(kind)[1]


@requirement(
    "MIM1-EMAP-007",
    clause="5.14.1, 5.14.2, 5.14.3",
    level="MUST",
    capability=CAP,
    title="Retrieve, Update and Delete EntityMap of an id the target does not know answer 404 "
    "ResourceNotFound",
)
@pytest.mark.parametrize("method", OPERATIONS)
def test_unknown_map(ngsild: NgsiLd, run_ids: RunIds, method: str) -> None:
    unknown = f"urn:ngsi-ld:EntityMap:mimcheck-unknown-{run_ids.next()}"
    checks.ngsild_problem(operate(ngsild, method, unknown), 404, "ResourceNotFound")


@requirement(
    "MIM1-EMAP-008",
    clause="5.14.1, 5.14.2, 5.14.3",
    level="MUST",
    capability=CAP,
    title="Retrieve, Update and Delete EntityMap of an id that is not a URI answer 400 BadRequestData",
)
@pytest.mark.parametrize("method", OPERATIONS)
def test_map_id_not_uri(ngsild: NgsiLd, method: str) -> None:
    checks.ngsild_problem(operate(ngsild, method, "mimcheck-not-a-uri"), 400, "BadRequestData")


@requirement(
    "MIM1-EMAP-009",
    clause="5.14.2",
    level="MUST",
    capability=CAP,
    title="Update EntityMap with a new expiresAt answers 204 and the map then shows that expiresAt",
)
def test_update_expiry(fed: Federation, maps: Maps) -> None:
    map_id = made(fed, maps, "EmUpd")
    wanted = later(2)
    resp = maps.update(map_id, {"expiresAt": wanted})
    checks.status_is(resp, 204)
    got = maps.document(map_id, strict=True).get("expiresAt")
    checks.equal(f"expiresAt after the update (got {got!r})", instant(got), instant(wanted))


@requirement(
    "MIM1-EMAP-010",
    clause="5.14.2",
    level="MUST",
    capability=CAP,
    title="Update EntityMap ignores the output-only members entityMap and linkedMaps of the fragment",
)
def test_update_ignores_output_only(fed: Federation, maps: Maps, run_ids: RunIds) -> None:
    map_id = made(fed, maps, "EmRo")
    before = maps.document(map_id)
    bogus = f"urn:ngsi-ld:MimcheckBogus:{run_ids.next()}"
    fragment = {
        "expiresAt": later(3),
        "entityMap": {bogus: ["@none"]},
        "linkedMaps": {f"urn:ngsi-ld:ContextSourceRegistration:{run_ids.next()}": bogus},
    }
    checks.status_is(maps.update(map_id, fragment), 204)
    after = maps.document(map_id, strict=True)
    checks.equal("entityMap after the update", after.get("entityMap"), before.get("entityMap"))
    checks.equal("linkedMaps after the update", after.get("linkedMaps"), before.get("linkedMaps"))


@requirement(
    "MIM1-EMAP-011",
    clause="5.14.2",
    level="MUST",
    capability=CAP,
    title="Update EntityMap with a fragment that is not an EntityMap fragment (a JSON array) or whose "
    "expiresAt is not a DateTime answers 400",
)
@pytest.mark.parametrize(
    "fragment",
    [
        pytest.param([{"expiresAt": "2099-01-01T00:00:00Z"}], id="array"),
        pytest.param({"expiresAt": "tomorrow"}, id="expiresAt-not-datetime"),
    ],
)
def test_update_invalid(fed: Federation, maps: Maps, fragment: object) -> None:
    map_id = made(fed, maps, "EmBad")
    kind = checks.ngsild_problem_one_of(
        maps.update(map_id, fragment), 400, "BadRequestData", "InvalidRequest"
    )
    maps.case.note(f"error type {kind}")


@requirement(
    "MIM1-EMAP-012",
    clause="5.14.3",
    level="MUST",
    capability=CAP,
    title="Delete EntityMap answers 204 and the map is gone: Retrieve EntityMap then answers 404 "
    "ResourceNotFound",
)
def test_delete_map(fed: Federation, maps: Maps, ngsild: NgsiLd) -> None:
    map_id = made(fed, maps, "EmDel")
    precondition(maps.fetch(map_id).status_code == 200, "the new EntityMap cannot be retrieved")
    checks.status_is(ngsild.request("DELETE", map_path(map_id)), 204)
    checks.ngsild_problem(maps.fetch(map_id), 404, "ResourceNotFound")
