"""MIM1 linked entity retrieval: the ``join`` (``inline``, ``flat``, ``@none``) and ``joinLevel``
URI parameters of Retrieve Entity and Query Entities (ETSI GS CIM 009 V1.8.1 clauses 4.5.23,
5.7.1, 5.7.2).

One read-only graph per module, of types and ids unique to the run::

    R --hasPart--> P --hasPart--> C        (a chain: depth 1 and 2)
    X --next--> Y --next--> X              (a cycle)
    D --pointsTo--> M                      (M never exists)

Every Relationship that the scenarios expect to be followed carries an ``objectType`` and points at
an entity held by the target, so both readings of which Relationships are followed (local targets,
or those with an objectType) agree; the one to a missing entity has no objectType. ``containedBy``
and entity maps are not checked (see notes/mim1.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.payloads import prop, rel
from conformance.ngsild.query import entities_of, query, run_type, shared_dataset
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.requirements import requirement
from conformance.run_ids import RunIds

OPS = [pytest.param("retrieve", id="retrieve"), pytest.param("query", id="query")]
JOINS = [pytest.param("inline", id="inline"), pytest.param("flat", id="flat")]
JOIN_ERRORS = ("BadRequestData", "InvalidRequest")


@dataclass(frozen=True)
class Graph:
    ids: dict[str, str]  # role letter -> entity id
    types: dict[str, str]  # role letter -> entity type
    labels: dict[str, str]  # role letter -> value of its label Property


@pytest.fixture(scope="module")
def graph(http: RecordingClient, profile: TargetProfile, run_ids: RunIds) -> Iterator[Graph]:
    kinds = {"R": "Root", "P": "Part", "C": "Part", "X": "Ring", "Y": "Ring", "D": "Dangling"}
    names = {kind: run_type(run_ids, f"MimLnk{kind}") for kind in set(kinds.values())}
    types = {role: names[kind] for role, kind in kinds.items()}
    ids = {role: f"urn:ngsi-ld:MimLnk{kind}:{run_ids.next()}-{role}" for role, kind in kinds.items()}
    ids["M"] = f"urn:ngsi-ld:MimLnkMissing:{run_ids.next()}-M"
    labels = {role: f"label-{role}" for role in kinds}

    def node(role: str, **relationships: dict[str, Any]) -> dict[str, Any]:
        return {"id": ids[role], "type": types[role], "label": prop(labels[role]), **relationships}

    entities = [
        node("R", hasPart=rel(ids["P"], objectType=types["P"])),
        node("P", hasPart=rel(ids["C"], objectType=types["C"])),
        node("C"),
        node("X", next=rel(ids["Y"], objectType=types["Y"])),
        node("Y", next=rel(ids["X"], objectType=types["X"])),
        node("D", pointsTo=rel(ids["M"])),
    ]
    with shared_dataset(http, profile, entities):
        yield Graph(ids, types, labels)


# ------------------------------------------------------------------------------------ helpers


def _ask(ngsild: NgsiLd, graph: Graph, op: str, role: str, params: dict[str, str]) -> requests.Response:
    """Retrieve the entity of this role, or query the entities of its type, with these parameters."""
    if op == "retrieve":
        return ngsild.get_entity(graph.ids[role], params=params)
    return query(ngsild, {"type": graph.types[role], **params})


def _linking(ngsild: NgsiLd, graph: Graph, op: str, role: str, params: dict[str, str]) -> dict[str, Any]:
    """The linking entity of a (non-flat) answer: the retrieved entity, or the one with its id among
    the query results (exactly once)."""
    resp = _ask(ngsild, graph, op, role, params)
    if op == "retrieve":
        checks.status_is(resp, 200)
        return checks.json_object(resp)
    found = [e for e in entities_of(resp) if e["id"] == graph.ids[role]]
    if len(found) != 1:
        checks.fail(
            f"{checks.where(resp)}: expected entity {graph.ids[role]} once among the results, got {len(found)}"
        )
    return found[0]


def _flat(
    ngsild: NgsiLd, graph: Graph, op: str, role: str, params: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """The entities of a join=flat answer by id: a JSON array of entities, each once."""
    resp = _ask(ngsild, graph, op, role, {"join": "flat", **params})
    checks.status_is(resp, 200)
    body = checks.json_body(resp)
    if not isinstance(body, list):
        checks.fail(
            f"{checks.where(resp)}: join=flat should answer a JSON array holding the linking entity and "
            f"the linked entities, got {type(body).__name__}"
        )
    entities = entities_of(resp)
    by_id: dict[str, dict[str, Any]] = {}
    for entity in entities:
        if entity["id"] in by_id:
            checks.fail(
                f"{checks.where(resp)}: entity {entity['id']} appears more than once in the flat answer"
            )
        by_id[entity["id"]] = entity
    return by_id


def _relationship(what: str, entity: dict[str, Any], name: str, target: str) -> dict[str, Any]:
    """A Relationship of a normalized entity, whose object is still the target's id."""
    relationship = checks.member(what, entity, name, kind=dict)
    checks.equal(f"{what}: object of {name}", relationship.get("object"), target)
    return relationship


def _same_entity(what: str, got: Any, graph: Graph, role: str) -> dict[str, Any]:
    """The entity of a role as the target holds it: id, type and its label Property."""
    if not isinstance(got, dict):
        checks.fail(f"{what}: expected entity {graph.ids[role]} as a JSON object, got {got!r}"[:400])
    checks.equal(f"{what}: id", got.get("id"), graph.ids[role])
    kind = got.get("type")
    if kind != graph.types[role] and not (isinstance(kind, list) and graph.types[role] in kind):
        checks.fail(f"{what}: type should be {graph.types[role]!r}, got {kind!r}")
    label = checks.member(what, got, "label", kind=dict)
    checks.same_value(f"{what}: value of label", label.get("value"), graph.labels[role])
    return got


def _inlined(what: str, entity: dict[str, Any], name: str, graph: Graph, role: str) -> dict[str, Any]:
    """The entity inlined in a Relationship (member 'entity'), checked to be the target's."""
    relationship = _relationship(what, entity, name, graph.ids[role])
    if "entity" not in relationship:
        checks.fail(
            f"{what}: Relationship {name} should carry the linked entity {graph.ids[role]} as 'entity'"
        )
    return _same_entity(f"{what}: {name}.entity", relationship["entity"], graph, role)


def _not_inlined(what: str, entity: dict[str, Any], name: str, target: str) -> None:
    checks.absent(f"{what}: Relationship {name}", _relationship(what, entity, name, target), "entity")


def _same_set(what: str, got: dict[str, Any], expected: set[str]) -> None:
    if set(got) != expected:
        checks.fail(
            f"{what}: expected exactly the entities {sorted(expected)}; missing {sorted(expected - set(got))}, "
            f"unexpected {sorted(set(got) - expected)}"
        )


# ------------------------------------------------------------------------------- requirements


@requirement(
    "MIM1-LNK-001",
    clause="4.5.23.2",
    level="MUST",
    title="join=inline adds the linked entity to each Relationship as its 'entity' member; 'object' stays",
)
@pytest.mark.parametrize("op", OPS)
def test_inline_join(ngsild: NgsiLd, graph: Graph, op: str) -> None:
    root = _linking(ngsild, graph, op, "R", {"join": "inline"})
    _same_entity(f"{op} join=inline: linking entity", root, graph, "R")
    _inlined(f"{op} join=inline", root, "hasPart", graph, "P")


@requirement(
    "MIM1-LNK-002",
    clause="4.5.23",
    level="MUST",
    title="join=flat answers an array holding the linking entity and, next to it, the entities it links to",
)
@pytest.mark.parametrize("op", OPS)
def test_flat_join(ngsild: NgsiLd, graph: Graph, op: str) -> None:
    found = _flat(ngsild, graph, op, "R", {})
    what = f"{op} join=flat"
    for role in ("R", "P"):
        if graph.ids[role] not in found:
            checks.fail(f"{what}: entity {graph.ids[role]} missing from the answer; got {sorted(found)}")
        _same_entity(f"{what}: {role}", found[graph.ids[role]], graph, role)
    _not_inlined(f"{what}: linking entity", found[graph.ids["R"]], "hasPart", graph.ids["P"])


@requirement(
    "MIM1-LNK-003",
    clause="4.5.23",
    level="MUST",
    title="Without joinLevel, linked entity retrieval follows one level of Relationships only",
)
@pytest.mark.parametrize("join", JOINS)
@pytest.mark.parametrize("op", OPS)
def test_default_join_level(ngsild: NgsiLd, graph: Graph, op: str, join: str) -> None:
    what = f"{op} join={join} (no joinLevel)"
    if join == "flat":
        _same_set(what, _flat(ngsild, graph, op, "R", {}), {graph.ids["R"], graph.ids["P"]})
        return
    part = _inlined(what, _linking(ngsild, graph, op, "R", {"join": join}), "hasPart", graph, "P")
    _not_inlined(f"{what}: the linked entity", part, "hasPart", graph.ids["C"])


@requirement(
    "MIM1-LNK-004",
    clause="4.5.23",
    level="MUST",
    title="joinLevel=n follows Relationships n levels deep and no deeper (inline and flat)",
)
@pytest.mark.parametrize("level", [1, 2])
@pytest.mark.parametrize("join", JOINS)
def test_join_level(ngsild: NgsiLd, graph: Graph, join: str, level: int) -> None:
    what = f"retrieve join={join}&joinLevel={level}"
    params = {"joinLevel": str(level)}
    if join == "flat":
        expected = {graph.ids["R"], graph.ids["P"]} | ({graph.ids["C"]} if level == 2 else set())
        _same_set(what, _flat(ngsild, graph, "retrieve", "R", params), expected)
        return
    root = _linking(ngsild, graph, "retrieve", "R", {"join": join, **params})
    part = _inlined(what, root, "hasPart", graph, "P")
    if level == 1:
        _not_inlined(f"{what}: the linked entity", part, "hasPart", graph.ids["C"])
        return
    leaf = _inlined(f"{what}: the linked entity", part, "hasPart", graph, "C")
    checks.absent(f"{what}: the entity at level 2", leaf, "hasPart")


@requirement(
    "MIM1-LNK-005",
    clause="4.5.23",
    level="MUST",
    title="A Relationship to an entity that does not exist is returned unchanged (nothing inlined or added)",
)
@pytest.mark.parametrize("join", JOINS)
def test_missing_target(ngsild: NgsiLd, graph: Graph, join: str) -> None:
    what = f"retrieve join={join} of an entity linking to a missing one"
    if join == "flat":
        found = _flat(ngsild, graph, "retrieve", "D", {})
        _same_set(what, found, {graph.ids["D"]})
        _not_inlined(what, found[graph.ids["D"]], "pointsTo", graph.ids["M"])
        return
    entity = _linking(ngsild, graph, "retrieve", "D", {"join": join})
    _same_entity(what, entity, graph, "D")
    _not_inlined(what, entity, "pointsTo", graph.ids["M"])


@requirement(
    "MIM1-LNK-006",
    clause="4.5.23",
    level="MUST",
    title="Cyclic Relationships: the answer ends within joinLevel, and join=flat lists each entity once",
)
@pytest.mark.parametrize("join", JOINS)
def test_cycle(ngsild: NgsiLd, graph: Graph, join: str, case_evidence: CaseEvidence) -> None:
    level = 3
    what = f"retrieve join={join}&joinLevel={level} over the cycle X -> Y -> X"
    if join == "flat":
        _same_set(
            what,
            _flat(ngsild, graph, "retrieve", "X", {"joinLevel": str(level)}),
            {graph.ids["X"], graph.ids["Y"]},
        )
        return
    node = _linking(ngsild, graph, "retrieve", "X", {"join": join, "joinLevel": str(level)})
    _inlined(what, node, "next", graph, "Y")
    depth, roles = 0, "XY"
    while True:
        relationship = checks.member(what, node, "next", kind=dict)
        if "entity" not in relationship:
            break
        depth += 1
        if depth > level:
            checks.fail(f"{what}: linked entities nested {depth} levels deep, more than joinLevel={level}")
        node = _same_entity(f"{what}: level {depth}", relationship["entity"], graph, roles[depth % 2])
    case_evidence.note(
        f"join=inline over a cycle: linked entities nested {depth} level(s) deep (joinLevel={level})"
    )


@requirement(
    "MIM1-LNK-007",
    clause="4.5.23",
    level="MUST",
    title="join=@none retrieves no linked entity",
)
@pytest.mark.parametrize("op", OPS)
def test_join_none(ngsild: NgsiLd, graph: Graph, op: str) -> None:
    what = f"{op} join=@none"
    resp = _ask(ngsild, graph, op, "R", {"join": "@none"})
    if op == "retrieve":
        checks.status_is(resp, 200)
        root = checks.json_object(resp)
    else:
        results = entities_of(resp)
        checks.equal(f"{what}: ids of the results", sorted(e["id"] for e in results), [graph.ids["R"]])
        root = results[0]
    _same_entity(what, root, graph, "R")
    _not_inlined(what, root, "hasPart", graph.ids["P"])


@requirement(
    "MIM1-LNK-008",
    clause="4.5.23",
    level="MUST",
    title="A join value other than flat, inline or @none is refused with 400 (BadRequestData or InvalidRequest)",
)
@pytest.mark.parametrize("value", ["deep", "1"])
@pytest.mark.parametrize("op", OPS)
def test_invalid_join(ngsild: NgsiLd, graph: Graph, op: str, value: str, case_evidence: CaseEvidence) -> None:
    error = checks.ngsild_problem_one_of(_ask(ngsild, graph, op, "R", {"join": value}), 400, *JOIN_ERRORS)
    case_evidence.note(f"join={value} refused with 400 {error} (BadRequestData or InvalidRequest accepted)")


@requirement(
    "MIM1-LNK-009",
    clause="4.5.23",
    level="MUST",
    title="A joinLevel that is not a positive integer is refused with 400 (BadRequestData or InvalidRequest)",
)
@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
@pytest.mark.parametrize("op", OPS)
def test_invalid_join_level(
    ngsild: NgsiLd, graph: Graph, op: str, value: str, case_evidence: CaseEvidence
) -> None:
    resp = _ask(ngsild, graph, op, "R", {"join": "inline", "joinLevel": value})
    error = checks.ngsild_problem_one_of(resp, 400, *JOIN_ERRORS)
    case_evidence.note(
        f"joinLevel={value} refused with 400 {error} (BadRequestData or InvalidRequest accepted)"
    )


@requirement(
    "MIM1-LNK-010",
    clause="4.5.23",
    level="MUST",
    title="joinLevel without join retrieves no linked entity (refused with 400, or ignored)",
)
@pytest.mark.parametrize("op", OPS)
def test_join_level_without_join(ngsild: NgsiLd, graph: Graph, op: str, case_evidence: CaseEvidence) -> None:
    what = f"{op} joinLevel=2 without join"
    resp = _ask(ngsild, graph, op, "R", {"joinLevel": "2"})
    checks.status_is(resp, 200, 400)
    if resp.status_code == 400:
        error = checks.ngsild_problem_one_of(resp, 400, *JOIN_ERRORS)
        case_evidence.note(f"joinLevel without join refused with 400 {error}")
        return
    if op == "retrieve":
        root = checks.json_object(resp)
    else:
        results = entities_of(resp)
        checks.equal(f"{what}: ids of the results", sorted(e["id"] for e in results), [graph.ids["R"]])
        root = results[0]
    _not_inlined(what, root, "hasPart", graph.ids["P"])
    case_evidence.note("joinLevel without join ignored: no linked entity retrieved")
