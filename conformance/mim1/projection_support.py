"""Shared set-up of the projection scenarios (pick and omit, clause 4.21): a small read-only dataset of
one run-scoped entity type, the three operations that project (Retrieve Entity, GET /entities, POST
/entityOperations/query) and the check that an answer holds exactly the projected entity members,
each in the representation asked for (normalized, concise or keyValues).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from conformance import checks
from conformance.ngsild.api import NgsiLdOps
from conformance.ngsild.payloads import prop, rel
from conformance.ngsild.query import query, query_post, run_type, shared_dataset
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.run_ids import RunIds

OPERATIONS = [
    pytest.param("retrieve", id="retrieve"),
    pytest.param("get", id="GET-query"),
    pytest.param("post", id="POST-query"),
]
QUERIES = [pytest.param("get", id="GET-query"), pytest.param("post", id="POST-query")]
REPRESENTATIONS = [
    pytest.param("normalized", id="normalized"),
    pytest.param("concise", id="concise"),
    pytest.param("keyValues", id="keyValues"),
]
# errors a malformed request may name: the clauses do not pin one (clause 5.5.2 defines both)
REQUEST_ERRORS = ("BadRequestData", "InvalidRequest")


@dataclass
class Projected:
    type: str
    entities: dict[str, dict[str, Any]]  # id -> entity as created (normalized)

    @property
    def first(self) -> dict[str, Any]:
        return next(iter(self.entities.values()))


def _dataset(run_ids: RunIds) -> Projected:
    kind = run_type(run_ids, "MimPrj")
    site = f"urn:ngsi-ld:MimPrjSite:{run_ids.next()}"
    full: dict[str, Any] = {
        "id": f"urn:ngsi-ld:MimPrj:{run_ids.next()}-full",
        "type": kind,
        "scope": "/MimPrj/one",
        "speed": prop(42.5),
        "status": prop("running"),
        "refSite": rel(site),
        "label": prop("first"),
    }
    # no label and no scope: projections naming them leave this entity with less
    bare: dict[str, Any] = {
        "id": f"urn:ngsi-ld:MimPrj:{run_ids.next()}-bare",
        "type": kind,
        "speed": prop(7),
        "status": prop("stopped"),
        "refSite": rel(site),
    }
    return Projected(kind, {full["id"]: full, bare["id"]: bare})


def projected_dataset(http: RecordingClient, profile: TargetProfile, run_ids: RunIds) -> Iterator[Projected]:
    """The body of each module's ``projected`` fixture: the dataset, created once per module."""
    data = _dataset(run_ids)
    with shared_dataset(http, profile, list(data.entities.values())):
        yield data


def split(expression: str) -> list[str]:
    return expression.split(",")


def project(
    ngsild: NgsiLdOps,
    data: Projected,
    operation: str,
    params: dict[str, str],
    *,
    accept: str | None = None,
) -> requests.Response:
    """One projecting request. ``params`` are URI parameters; for POST the projection parameters
    (pick, omit, attrs) move into the Query body as arrays, the others stay URI parameters."""
    if operation == "retrieve":
        return ngsild.retrieve(data.first["id"], params=params, accept=accept)
    if operation == "get":
        return query(ngsild, {"type": data.type, **params}, accept=accept)
    body: dict[str, Any] = {"entities": [{"type": data.type}]}
    rest: dict[str, str] = {}
    for name, value in params.items():
        if name in ("pick", "omit", "attrs"):
            body[name] = split(value) if value else []
        else:
            rest[name] = value
    return query_post(ngsild, body, rest or None, accept=accept)


def answered(resp: requests.Response, operation: str, data: Projected) -> list[dict[str, Any]]:
    """The entities of a 200 answer: the retrieved object, or the query's entities of the run type
    (matched to the dataset by id where the projection kept the id, else taken as they come)."""
    checks.status_is(resp, 200)
    if operation == "retrieve":
        return [checks.json_object(resp)]
    body = checks.json_array(resp)
    for item in body:
        if not isinstance(item, dict):
            checks.fail(f"{checks.where(resp)}: a query answer item is not a JSON object: {item!r}")
    return body


def members_of(entity: dict[str, Any]) -> set[str]:
    return set(entity) - {"@context"}


def source_of(data: Projected, operation: str, got: dict[str, Any]) -> dict[str, Any] | None:
    if operation == "retrieve":
        return data.first
    if "id" in got:
        return data.entities.get(got["id"])
    return None


def check_attribute(what: str, representation: str, got: Any, sent: dict[str, Any]) -> None:
    """An attribute in the representation asked for: normalized (typed object), concise (no type;
    a Property may be its bare value) or keyValues (the bare value or object URI)."""
    member = "object" if sent["type"] == "Relationship" else "value"
    expected = sent[member]
    if representation == "keyValues":
        checks.equal(f"{what} (keyValues)", got, expected)
    elif representation == "concise":
        if isinstance(got, dict):
            checks.absent(f"{what} (concise)", got, "type")
            checks.equal(f"{what}.{member} (concise)", got.get(member), expected)
        elif member == "object" or got != expected:
            checks.fail(f"{what} (concise): expected {expected!r} or an object holding it, got {got!r}")
    else:
        obj = checks.member(what, {what: got}, what, kind=dict)
        checks.equal(f"{what}.type", obj.get("type"), sent["type"])
        checks.equal(f"{what}.{member}", obj.get(member), expected)


def check_projection(
    resp: requests.Response,
    operation: str,
    data: Projected,
    keep: Any,
    representation: str = "normalized",
) -> None:
    """Each entity answered holds exactly ``keep(source members)`` and each attribute kept is in the
    representation asked for. A query must answer every entity of the dataset (projection does not
    select); where the projection dropped the id, the count is compared."""
    items = answered(resp, operation, data)
    if operation != "retrieve":
        with_ids = [i for i in items if "id" in i]
        if len(with_ids) == len(items):
            found = {i["id"] for i in items} & set(data.entities)
            checks.equal(
                "entities answered (a projection does not select)", sorted(found), sorted(data.entities)
            )
        else:
            checks.equal("number of entities answered", len(items), len(data.entities))
    for got in items:
        source = source_of(data, operation, got)
        if source is None:
            # id projected away: the members must fit one of the dataset's entities
            if not any(members_of(got) == keep(members_of(s)) for s in data.entities.values()):
                checks.fail(
                    f"{checks.where(resp)}: entity members {sorted(got)} fit no projected entity of the dataset"
                )
            continue
        expected = keep(members_of(source))
        checks.equal(f"members of {source['id']}", sorted(set(got) - {"@context"}), sorted(expected))
        if "type" in expected:
            checks.equal(f"type of {source['id']}", got["type"], data.type)
        for name in expected - {"id", "type", "scope"}:
            check_attribute(name, representation, got[name], source[name])
