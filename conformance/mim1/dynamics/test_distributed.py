"""MIM1 distributed operations (federation): Retrieve Entity and Query Entities forwarded to a context
source registered on the target (ETSI GS CIM 009 V1.8.1 clauses 4.3.6.2, 4.3.6.3, 5.7.1, 5.7.2,
6.3.17, 6.3.18).

The suite runs the context source itself (conformance/ngsild/context_source.py, a route of the
session's callback server, where the target reaches the suite), registers it on the target with an
``information`` naming a type of this run, and checks what the target answers and what it asked the
source. Only retrieval is checked here; writes, csf and NGSILD-Warning are in the test_distributed_*.py
modules that use these fixtures (see notes/mim1.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
import requests

from conformance import checks
from conformance.callback_server import CallbackServer
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import created
from conformance.ngsild.api import JSON, NgsiLd
from conformance.ngsild.context_source import ContextSources, Source, SourceRequest
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import query, run_type
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

CAP = "ngsild-distributed-operations"
QUERY_BATCH = "/ngsi-ld/v1/entityOperations/query"
UNREACHABLE = "http://127.0.0.1:9/mimcheck-source-unreachable"


@pytest.fixture(scope="module")
def context_sources(callback_server: CallbackServer) -> Iterator[ContextSources]:
    sources = ContextSources(callback_server).start()
    yield sources
    sources.stop()


class Federation:
    """The context sources, registrations and entities of one test case."""

    def __init__(self, sources: ContextSources, dyn: Dynamics, ngsild: NgsiLd, ids: RunIds) -> None:
        self.sources = sources
        self.dyn = dyn
        self.ngsild = ngsild
        self.ids = ids
        self.made: list[Source] = []

    def source(self, stem: str) -> Source:
        made = self.sources.source(f"{stem}-{self.ids.next()}")
        self.made.append(made)
        return made

    def kind(self, stem: str) -> str:
        return run_type(self.ids, f"MimDst{stem}")

    def entity_id(self, stem: str) -> str:
        return f"urn:ngsi-ld:MimDst{stem}:{self.ids.next()}"

    def register(
        self,
        source: Source,
        entities: list[dict[str, Any]],
        *,
        names: list[str] | None = None,
        **members: Any,
    ) -> dict[str, Any]:
        info: dict[str, Any] = {"entities": entities}
        if names:
            info["propertyNames"] = names
        body = {
            "id": f"urn:ngsi-ld:ContextSourceRegistration:{self.ids.next()}",
            "type": "ContextSourceRegistration",
            "information": [info],
            "endpoint": source.url,
            **members,
        }
        created(self.dyn.create_registration(body), f"registering the suite's context source {source.url}")
        return body

    def local(self, entity: dict[str, Any]) -> None:
        created(self.ngsild.create_entity(entity), f"creating the local entity {entity['id']}")

    def to_evidence(self, case: CaseEvidence) -> None:
        if self.made:
            case.attach("Context source requests", "\n\n----\n\n".join(s.as_text() for s in self.made))
        for made in self.made:
            self.sources.forget(made)


@pytest.fixture
def fed(
    context_sources: ContextSources,
    dyn: Dynamics,
    ngsild: NgsiLd,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
) -> Iterator[Federation]:
    box = Federation(context_sources, dyn, ngsild, run_ids)
    yield box
    box.to_evidence(case_evidence)


def entity(entity_id: str, entity_type: str, **values: Any) -> dict[str, Any]:
    return {"id": entity_id, "type": entity_type, **{k: prop(v) for k, v in values.items()}}


def retrieved(resp: requests.Response, entity_id: str) -> dict[str, Any]:
    checks.status_is(resp, 200)
    got = checks.json_object(resp)
    checks.equal("id", got.get("id"), entity_id)
    return got


def value_of(got: dict[str, Any], attr: str) -> Any:
    """The value of a Property in a normalized entity (checked, never indexed blindly)."""
    attribute = checks.member(f"entity {got.get('id')}", got, attr, kind=dict)
    return checks.member(f"attribute {attr}", attribute, "value")


def listed(resp: requests.Response) -> dict[str, dict[str, Any]]:
    checks.status_is(resp, 200)
    body = checks.json_array(resp)
    return {str(e.get("id")): e for e in body if isinstance(e, dict)}


def query_by_type(ngsild: NgsiLd, entity_type: str, how: str, **params: str) -> requests.Response:
    if how == "post":
        body = {"type": "Query", "entities": [{"type": entity_type}]}
        return ngsild.request(
            "POST", QUERY_BATCH, headers={"Content-Type": JSON}, params=params or None, json_body=body
        )
    return query(ngsild, {"type": entity_type, **params})


def asked(source: Source, *about: str) -> list[SourceRequest]:
    """The requests (GET, POST) the source got about these entity ids or types. Other requests may
    reach it too: a broker asked to retrieve an entity it does not hold cannot know its type, so it
    may forward another scenario's Retrieve Entity to every source registered by type alone."""

    def concerns(r: SourceRequest) -> bool:
        text = " ".join([unquote(r.path), *(v for _, v in r.query), r.body.decode("utf-8", "replace")])
        return any(a in text for a in about)

    return [r for r in source.received() if r.method in ("GET", "POST") and (not about or concerns(r))]


@requirement(
    "MIM1-DST-001",
    clause="4.3.6.2, 4.3.3",
    level="MUST",
    capability=CAP,
    title="Retrieve Entity of an entity that only an inclusively registered context source holds "
    "returns the source's entity",
)
@pytest.mark.parametrize(
    "by", [pytest.param("type", id="registered-by-type"), pytest.param("id", id="registered-by-id")]
)
def test_retrieve_remote(fed: Federation, ngsild: NgsiLd, by: str) -> None:
    kind, eid = fed.kind("Ret"), fed.entity_id("Ret")
    src = fed.source("retrieve").hold(entity(eid, kind, temperature=21))
    fed.register(src, [{"type": kind, "id": eid} if by == "id" else {"type": kind}])
    got = retrieved(ngsild.get_entity(eid), eid)
    checks.equal("temperature of the source's entity", value_of(got, "temperature"), 21)


@requirement(
    "MIM1-DST-002",
    clause="4.3.6.2, 4.3.3",
    level="MUST",
    capability=CAP,
    title="Query Entities by type merges the local entities with those of an inclusively registered "
    "context source",
)
@pytest.mark.parametrize(
    "how", [pytest.param("get", id="get-entities"), pytest.param("post", id="post-query")]
)
def test_query_merges(fed: Federation, ngsild: NgsiLd, how: str) -> None:
    kind = fed.kind("Qry")
    mine, theirs = fed.entity_id("QryLocal"), fed.entity_id("QryRemote")
    fed.local(entity(mine, kind, temperature=1))
    src = fed.source("query").hold(entity(theirs, kind, temperature=2))
    fed.register(src, [{"type": kind}])
    found = listed(query_by_type(ngsild, kind, how))
    checks.equal("ids in the answer", sorted(found), sorted([mine, theirs]))
    checks.equal("temperature of the source's entity", value_of(found[theirs], "temperature"), 2)
    checks.equal("temperature of the local entity", value_of(found[mine], "temperature"), 1)


@requirement(
    "MIM1-DST-003",
    clause="6.3.18, 5.5.13",
    level="MUST",
    capability=CAP,
    title="With local=true no registration matches: the context source is not asked and only local "
    "entities are answered",
)
@pytest.mark.parametrize("op", [pytest.param("retrieve", id="retrieve"), pytest.param("query", id="query")])
def test_local_only(fed: Federation, ngsild: NgsiLd, op: str) -> None:
    kind = fed.kind("Loc")
    mine, theirs = fed.entity_id("LocLocal"), fed.entity_id("LocRemote")
    fed.local(entity(mine, kind, temperature=1))
    src = fed.source("local").hold(entity(theirs, kind, temperature=2))
    fed.register(src, [{"type": kind}])
    if op == "retrieve":
        checks.ngsild_problem(ngsild.get_entity(theirs, params={"local": "true"}), 404, "ResourceNotFound")
    else:
        found = listed(query(ngsild, {"type": kind, "local": "true"}))
        checks.equal("ids in the answer", sorted(found), [mine])
    checks.equal(
        "requests the context source received",
        [r.method + " " + r.path for r in asked(src, kind, mine, theirs)],
        [],
    )


VIA_IN = [pytest.param(False, id="no-via"), pytest.param(True, id="via-from-client")]


def _via_values(header: str | None) -> list[str]:
    return [v.strip() for v in (header or "").split(",") if v.strip()]


@requirement(
    "MIM1-DST-004",
    clause="6.3.18",
    level="MUST",
    capability=CAP,
    title="A forwarded request carries a Via header: the field values it was received with plus one of "
    "the forwarding broker",
)
@pytest.mark.parametrize("with_via", VIA_IN)
def test_via_header(fed: Federation, ngsild: NgsiLd, run_ids: RunIds, with_via: bool) -> None:
    kind, eid = fed.kind("Via"), fed.entity_id("Via")
    src = fed.source("via").hold(entity(eid, kind, temperature=3))
    fed.register(src, [{"type": kind}])
    client_via = f"1.1 mimcheck-client-{run_ids.next()}"
    headers = {"Via": client_via} if with_via else {}
    resp = ngsild.request("GET", f"/ngsi-ld/v1/entities/{eid}", headers=headers)
    got = asked(src, eid)
    precondition(bool(got), "the target did not forward the Retrieve Entity to the registered source")
    precondition(resp.status_code == 200, f"the distributed Retrieve Entity answered {resp.status_code}")
    values = _via_values(got[0].header("Via"))
    expected_before = [client_via] if with_via else []
    if values[: len(expected_before)] != expected_before or len(values) < len(expected_before) + 1:
        checks.fail(
            f"Via of the forwarded request: expected {expected_before + ['<the broker>']!r} "
            f"(the received field values, then the broker's own), got {got[0].header('Via')!r}"
        )


@requirement(
    "MIM1-DST-005",
    clause="6.3.18",
    level="SHOULD",
    capability=CAP,
    title="A registration whose contextSourceAlias is already listed in the request's Via header is not "
    "forwarded to (loop detection)",
)
def test_via_loop(fed: Federation, ngsild: NgsiLd, run_ids: RunIds) -> None:
    kind = fed.kind("Loop")
    mine, theirs = fed.entity_id("LoopLocal"), fed.entity_id("LoopRemote")
    alias = f"urn:ngsi-ld:ContextSource:{run_ids.next()}"
    fed.local(entity(mine, kind, temperature=1))
    src = fed.source("loop").hold(entity(theirs, kind, temperature=2))
    fed.register(src, [{"type": kind}], contextSourceAlias=alias)
    resp = ngsild.request(
        "GET", "/ngsi-ld/v1/entities", headers={"Via": f"1.1 {alias}"}, params={"type": kind}
    )
    found = listed(resp)
    checks.equal(
        "requests the context source received",
        [r.method + " " + r.path for r in asked(src, kind, mine, theirs)],
        [],
    )
    checks.equal("ids in the answer", sorted(found), [mine])


@requirement(
    "MIM1-DST-006",
    clause="4.3.6.3",
    level="MUST",
    capability=CAP,
    title="An exclusive or redirect registration is used: the registered source's entity and attributes "
    "are answered",
)
@pytest.mark.parametrize(
    "mode",
    [pytest.param("exclusive", id="exclusive-retrieve"), pytest.param("redirect", id="redirect-query")],
)
def test_proxied_registration(fed: Federation, ngsild: NgsiLd, mode: str) -> None:
    kind, eid = fed.kind("Prx"), fed.entity_id("Prx")
    src = fed.source(mode).hold(entity(eid, kind, power=100))
    if mode == "exclusive":  # an exclusive registration names the entity by id and its attributes
        fed.register(src, [{"type": kind, "id": eid}], names=["power"], mode="exclusive")
        got = retrieved(ngsild.get_entity(eid), eid)
    else:
        fed.register(src, [{"type": kind}], mode="redirect")
        found = listed(query(ngsild, {"type": kind}))
        checks.equal("ids in the answer", sorted(found), [eid])
        got = found[eid]
    checks.equal("power of the source's entity", value_of(got, "power"), 100)


@requirement(
    "MIM1-DST-007",
    clause="4.3.6.2",
    level="MUST",
    capability=CAP,
    title="An auxiliary registration only supplies what the target lacks: local attribute values win, an "
    "entity missing locally comes from the source",
)
@pytest.mark.parametrize(
    "case",
    [pytest.param("local-wins", id="local-value-wins"), pytest.param("fallback", id="missing-locally")],
)
def test_auxiliary(fed: Federation, ngsild: NgsiLd, case: str) -> None:
    kind, eid = fed.kind("Aux"), fed.entity_id("Aux")
    src = fed.source("auxiliary").hold(entity(eid, kind, temperature=99))
    if case == "local-wins":
        fed.local(entity(eid, kind, temperature=1))
    fed.register(src, [{"type": kind}], mode="auxiliary")
    got = retrieved(ngsild.get_entity(eid), eid)
    expected = 1 if case == "local-wins" else 99
    checks.equal("temperature", value_of(got, "temperature"), expected)


def failing_query(
    fed: Federation, ngsild: NgsiLd, failure: str, stem: str = "Fail"
) -> tuple[str, requests.Response]:
    """A local entity and a registered context source that fails (``error``: 500, ``slow``: beyond the
    registration's timeout, ``unreachable``: a closed port, ``invalid``: a payload that is not JSON), both
    of one run-scoped type; then a query of that type. Returns the local entity's id and the answer."""
    kind, mine = fed.kind(stem), fed.entity_id(f"{stem}Local")
    fed.local(entity(mine, kind, temperature=1))
    src = fed.source(stem.lower()).hold(entity(fed.entity_id(f"{stem}Remote"), kind, temperature=2))
    members: dict[str, Any] = {}
    if failure == "error":
        src.status = 500
    elif failure == "slow":
        src.delay = 1.5
        members["management"] = {"timeout": 300}
    elif failure == "unreachable":
        members["endpoint"] = UNREACHABLE  # a closed port: nothing answers there
    elif failure == "invalid":
        src.garbage = True
    fed.register(src, [{"type": kind}], **members)
    return mine, query(ngsild, {"type": kind})


FAILURES = [
    pytest.param("error", id="source-answers-500"),
    pytest.param("unreachable", id="source-unreachable"),
    pytest.param("slow", id="source-beyond-timeout"),
]


@requirement(
    "MIM1-DST-008",
    clause="6.3.17",
    level="SHOULD",
    capability=CAP,
    title="A context source that fails or does not answer in time does not fail the query: the local "
    "entities are answered",
)
@pytest.mark.parametrize("failure", FAILURES)
def test_failing_source(fed: Federation, ngsild: NgsiLd, case_evidence: CaseEvidence, failure: str) -> None:
    mine, resp = failing_query(fed, ngsild, failure)
    found = listed(resp)
    checks.contains_ids("the answer", list(found.values()), {mine})
    warning = resp.headers.get("NGSILD-Warning")
    case_evidence.note(
        f"NGSILD-Warning: {warning}" if warning else "the answer carried no NGSILD-Warning header"
    )
