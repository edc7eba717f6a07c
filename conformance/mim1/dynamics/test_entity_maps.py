"""MIM1 EntityMaps, creation and content (ETSI GS CIM 009 V1.8.1 clauses 5.2.39, 5.7.1, 5.7.2, 5.14.1; the
V1.8.1 OpenAPI's ``Query.entityMap`` parameter and ``NGSILD-EntityMap`` header): Query Entities and
Retrieve Entity asked for an EntityMap answer its location, and the map records where each entity came
from: the ids of the registrations whose context sources returned it, ``@none`` for data held locally.

The suite's context source (conformance/ngsild/context_source.py) is registered on the target for a type
of the run, as in the distributed scenarios (test_distributed.py, whose fixtures are used). Clause
5.7.2.4 applies EntityMaps "if the ContextBroker implementation supports the use of EntityMaps": the
capability ``ngsild-entity-maps``. See notes/mim1.md, "Entity maps".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.emap_support import LOCAL, Maps, answered_ids, instant, sources_of
from conformance.mim1.dynamics.test_distributed import Federation, entity
from conformance.ngsild.api import NgsiLd
from conformance.requirements import requirement

CAP = "ngsild-entity-maps"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed


@pytest.fixture
def maps(ngsild: NgsiLd, case_evidence: CaseEvidence) -> Maps:
    return Maps(ngsild, case_evidence)


def local_and_remote(fed: Federation, stem: str) -> tuple[str, str, str, str]:
    """A type of the run with one local entity and one entity of a registered source: (type, local id,
    remote id, registration id)."""
    kind = fed.kind(stem)
    mine, theirs = fed.entity_id(f"{stem}Local"), fed.entity_id(f"{stem}Remote")
    fed.local(entity(mine, kind, temperature=1))
    src = fed.source(stem.lower()).hold(entity(theirs, kind, temperature=2))
    reg = fed.register(src, [{"type": kind}])
    return kind, mine, theirs, str(reg["id"])


@requirement(
    "MIM1-EMAP-001",
    clause="5.7.2",
    level="MUST",
    capability=CAP,
    title="Query Entities asked for an EntityMap (entityMap=true) answers the matching entities and an "
    "NGSILD-EntityMap header with the resource URI of the map",
)
@pytest.mark.parametrize(
    "how", [pytest.param("get", id="get-entities"), pytest.param("post", id="post-query")]
)
def test_query_answers_map(fed: Federation, maps: Maps, how: str) -> None:
    kind, mine, theirs, _ = local_and_remote(fed, "EmQry")
    resp, _ = maps.query(kind, how, strict=True)
    checks.equal("ids in the answer", sorted(answered_ids(resp)), sorted([mine, theirs]))


@requirement(
    "MIM1-EMAP-002",
    clause="5.7.1",
    level="MUST",
    capability=CAP,
    title="Retrieve Entity asked for an EntityMap answers the entity and an NGSILD-EntityMap header naming "
    "a map that lists the entity",
)
def test_retrieve_answers_map(fed: Federation, maps: Maps, ngsild: NgsiLd) -> None:
    _, _, theirs, _ = local_and_remote(fed, "EmRet")
    resp, map_id = maps.requested(lambda flag: ngsild.get_entity(theirs, params={flag: "true"}), strict=True)
    checks.equal("id of the retrieved entity", checks.json_object(resp).get("id"), theirs)
    entries = checks.member(f"EntityMap {map_id}", maps.document(map_id, strict=True), "entityMap", kind=dict)
    checks.equal(f"entity {theirs} listed in the EntityMap", theirs in entries, True)


@requirement(
    "MIM1-EMAP-003",
    clause="5.14.1, 5.2.39",
    level="MUST",
    capability=CAP,
    title="Retrieve EntityMap answers the map: type EntityMap, its id, a future expiresAt, and the "
    "entityMap and linkedMaps objects",
)
def test_map_representation(fed: Federation, maps: Maps) -> None:
    kind, _, _, _ = local_and_remote(fed, "EmDoc")
    asked_at = datetime.now(UTC)
    _, map_id = maps.query(kind)
    doc = maps.document(map_id, strict=True)
    checks.equal("type of the EntityMap", doc.get("type"), "EntityMap")
    if "id" in doc:
        checks.equal("id of the EntityMap", doc["id"], map_id)
    expires = checks.member("EntityMap", doc, "expiresAt", kind=str)
    checks.is_datetime("expiresAt of the EntityMap", expires)
    moment = instant(expires)
    if moment is None or moment <= asked_at - timedelta(seconds=60):
        checks.fail(f"expiresAt {expires!r} of an EntityMap being served is not in the future")
    checks.member("EntityMap", doc, "entityMap", kind=dict)
    checks.member("EntityMap", doc, "linkedMaps", kind=dict)


@requirement(
    "MIM1-EMAP-004",
    clause="5.2.39",
    level="MUST",
    capability=CAP,
    title="The EntityMap of a query lists, for an entity a registered context source returned, that "
    "source's registration id (not another source's, not @none)",
)
def test_map_names_registrations(fed: Federation, maps: Maps) -> None:
    kind = fed.kind("EmSrc")
    first, second = fed.entity_id("EmSrcA"), fed.entity_id("EmSrcB")
    reg_a = fed.register(fed.source("emsrc-a").hold(entity(first, kind, temperature=1)), [{"type": kind}])
    reg_b = fed.register(fed.source("emsrc-b").hold(entity(second, kind, temperature=2)), [{"type": kind}])
    resp, map_id = maps.query(kind)
    checks.equal("ids in the answer", sorted(answered_ids(resp)), sorted([first, second]))
    entries = maps.entries(map_id)
    for eid, mine, other in ((first, reg_a["id"], reg_b["id"]), (second, reg_b["id"], reg_a["id"])):
        listed = sources_of(entries, eid)
        checks.equal(f"registration {mine} listed for {eid} (EntityMap lists {listed})", mine in listed, True)
        checks.equal(
            f"registration {other} listed for {eid} (EntityMap lists {listed})", other in listed, False
        )
        checks.equal(
            f"{LOCAL} listed for {eid}, not held locally (EntityMap lists {listed})", LOCAL in listed, False
        )


@requirement(
    "MIM1-EMAP-005",
    clause="5.2.39",
    level="MUST",
    capability=CAP,
    title="The EntityMap of a distributed query marks an entity held locally with @none",
)
def test_map_marks_local(fed: Federation, maps: Maps) -> None:
    kind, mine, _, _ = local_and_remote(fed, "EmLoc")
    _, map_id = maps.query(kind)
    entries = maps.entries(map_id)
    listed = sources_of(entries, mine)
    checks.equal(
        f"{LOCAL} listed for the local entity {mine} (EntityMap lists {listed})", LOCAL in listed, True
    )
    if mine not in entries:
        maps.case.note(f"the map lists the local entity under the key {LOCAL}")


@requirement(
    "MIM1-EMAP-006",
    clause="5.2.39",
    level="MUST",
    capability=CAP,
    title="The EntityMap lists both @none and the registration id for an entity held locally and by an "
    "inclusively registered context source",
)
def test_map_lists_both(fed: Federation, maps: Maps) -> None:
    kind, eid = fed.kind("EmBoth"), fed.entity_id("EmBoth")
    fed.local(entity(eid, kind, temperature=1))
    reg = fed.register(fed.source("emboth").hold(entity(eid, kind, humidity=50)), [{"type": kind}])
    resp, map_id = maps.query(kind)
    checks.equal("ids in the answer", answered_ids(resp), [eid])
    listed = sources_of(maps.entries(map_id), eid)
    checks.equal(f"{LOCAL} listed for {eid} (EntityMap lists {listed})", LOCAL in listed, True)
    checks.equal(
        f"registration {reg['id']} listed for {eid} (EntityMap lists {listed})", reg["id"] in listed, True
    )
