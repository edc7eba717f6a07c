"""MIM1 queries that name an EntityMap in the NGSILD-EntityMap request header (ETSI GS CIM 009 V1.8.1 clause
5.7.2; the V1.8.1 OpenAPI's NGSILD-EntityMap header: "If present, the EntityMap supplied is used for
determining the set of Entities requested during the query operation"; V1.9.1 clause 5.5.9.3 for paging).

A live map decides which registrations are asked; an unknown or expired one is replaced by a new map.
The requests carry entityMap=true as well, so that the answer's NGSILD-EntityMap header is due whichever
reading a target follows. See notes/mim1.md, "Entity maps".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conformance import checks
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics import test_entity_maps as emaps
from conformance.mim1.dynamics.emap_support import (
    HEADER,
    Maps,
    answered_ids,
    map_id_of,
    map_path,
    query_types,
)
from conformance.mim1.dynamics.test_distributed import Federation, asked, entity
from conformance.mim1.dynamics.test_entity_maps import CAP, local_and_remote
from conformance.ngsild.api import NgsiLd
from conformance.outcomes import precondition
from conformance.requirements import requirement

context_sources = dst.context_sources  # fixtures used by name
fed = dst.fed
maps = emaps.maps


def named_map(maps: Maps, entity_type: str, how: str = "get", **params: str) -> tuple[list[str], str, str]:
    """Query Entities asked for an EntityMap: (ids answered, the header value, the map id)."""
    resp, map_id = maps.query(entity_type, how, strict=False, **params)
    return answered_ids(resp), resp.headers[HEADER], map_id


@requirement(
    "MIM1-EMAP-013",
    clause="5.7.2",
    level="MUST",
    capability=CAP,
    title="A query naming a live EntityMap uses only the map's registrations (a context source registered "
    "after the map is not asked) and answers the map's location",
)
def test_named_map_fixes_registrations(fed: Federation, maps: Maps, ngsild: NgsiLd) -> None:
    kind = fed.kind("EmFix")
    first, later = fed.entity_id("EmFixA"), fed.entity_id("EmFixB")
    fed.register(fed.source("emfix-a").hold(entity(first, kind, temperature=1)), [{"type": kind}])
    _, value, map_id = named_map(maps, kind)
    newcomer = fed.source("emfix-b").hold(entity(later, kind, temperature=2))
    fed.register(newcomer, [{"type": kind}])
    resp = query_types(ngsild, kind, "get", entity_map=value)
    before_control = len(asked(newcomer, kind))
    control = query_types(ngsild, kind, "get", flag=None)
    precondition(
        control.status_code == 200 and later in answered_ids(control),
        "a query without the map does not answer the entity of the source registered later",
    )
    ids = answered_ids(resp)
    checks.equal(f"the entity of the map's source {first} answered", first in ids, True)
    checks.equal(f"the entity {later} of the source registered after the map answered", later in ids, False)
    checks.equal("queries the source registered after the map got", before_control, 0)
    got = map_id_of(checks.header(resp, HEADER))
    checks.equal(f"the EntityMap named by {HEADER} in the answer", got, map_id)


@requirement(
    "MIM1-EMAP-014",
    clause="5.7.2, 5.5.9",
    level="SHOULD",
    capability=CAP,
    title="Pages of a query walked with its EntityMap answer the map's entities once each, and not an "
    "entity created after the map",
)
def test_pages_over_map(fed: Federation, maps: Maps, ngsild: NgsiLd) -> None:
    kind, mine, theirs, _ = local_and_remote(fed, "EmPage")
    other = fed.entity_id("EmPageLocal2")
    fed.local(entity(other, kind, temperature=3))
    seen, value, _ = named_map(maps, kind, limit="1")
    newcomer = fed.entity_id("EmPageNew")
    fed.local(entity(newcomer, kind, temperature=4))
    for offset in (1, 2, 3):
        page = query_types(ngsild, kind, "get", entity_map=value, limit="1", offset=str(offset))
        seen += answered_ids(page)
    checks.equal("ids over the pages", sorted(seen), sorted([mine, theirs, other]))


@requirement(
    "MIM1-EMAP-015",
    clause="5.7.2",
    level="MUST",
    capability=CAP,
    title="A query naming a deleted or expired EntityMap is answered with a new EntityMap",
)
@pytest.mark.parametrize(
    "gone", [pytest.param("deleted", id="deleted"), pytest.param("expired", id="expired")]
)
def test_dead_map_replaced(fed: Federation, maps: Maps, ngsild: NgsiLd, gone: str) -> None:
    kind, mine, theirs, _ = local_and_remote(fed, "EmDead")
    _, value, old = named_map(maps, kind, "post")  # the map is made by POST query, used by GET /entities
    if gone == "deleted":
        done = ngsild.request("DELETE", map_path(old))
    else:
        past = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        done = maps.update(old, {"expiresAt": past})
    precondition(done.status_code == 204, f"making the EntityMap {gone} answered {done.status_code}")
    resp, new = maps.requested(
        lambda flag: query_types(ngsild, kind, "get", flag=flag, entity_map=value), strict=True
    )
    checks.equal("ids in the answer", sorted(answered_ids(resp)), sorted([mine, theirs]))
    checks.equal(f"a new EntityMap ({new}) instead of the {gone} one", new != old, True)
    checks.status_is(maps.fetch(new), 200)
