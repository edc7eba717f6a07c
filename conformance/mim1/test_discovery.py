"""MIM1 discovery: entity types, attributes, @context management and source identity
(ETSI GS CIM 009 clauses 5.7.5 - 5.7.10, 5.13.2 - 5.13.5, 5.15.1; data types 5.2.24 - 5.2.28, 5.2.40)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import checks
from conformance.ngsild.api import NgsiLdOps, made
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.jsonld import Oracle
from conformance.ngsild.payloads import probe
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

USER = "mimcheck-v1.jsonld"
ATTRS = ("speed", "status", "refSite", "location")
READERS = ["core", "user"]


def _setup(ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, oracle: Oracle, reader: str):
    """An entity created with the user @context; the names a reader expects, per its @context."""
    user = contexts.url(USER)
    entity = probe(run_ids)
    made(ngsild, entity, context=user)
    read_ctx = user if reader == "user" else None
    type_name = oracle.compact_type(oracle.expand_type(entity["type"], user), read_ctx)
    attrs = {oracle.compact_iri(oracle.expand_term(a, user), read_ctx) for a in ATTRS}
    return entity, read_ctx, type_name, attrs


def _uri(what: str, value: Any) -> None:
    if not isinstance(value, str) or not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$", value):
        checks.fail(f"{what}: expected a URI, got {value!r}")


@requirement(
    "MIM1-DISC-001",
    clause="5.7.5, 6.25",
    level="MUST",
    title="GET /types answers an EntityTypeList naming the available types with the caller's @context",
)
@pytest.mark.parametrize("reader", READERS)
def test_types(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, oracle: Oracle, reader: str
) -> None:
    _, ctx, type_name, _ = _setup(ngsild, run_ids, contexts, oracle, reader)
    resp = ngsild.types(context=ctx)
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    _uri("EntityTypeList id", body.get("id"))
    checks.equal("EntityTypeList type", body.get("type"), "EntityTypeList")
    type_list = checks.member("EntityTypeList", body, "typeList")
    if type_name not in type_list:
        checks.fail(f"typeList should name {type_name!r}, got {type_list!r}")


@requirement(
    "MIM1-DISC-002",
    clause="5.7.6, 6.25",
    level="MUST",
    title="GET /types?details=true answers EntityType objects with typeName and attributeNames",
)
@pytest.mark.parametrize("reader", READERS)
def test_types_details(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, oracle: Oracle, reader: str
) -> None:
    _, ctx, type_name, attrs = _setup(ngsild, run_ids, contexts, oracle, reader)
    resp = ngsild.types(context=ctx, params={"details": "true"})
    checks.status_is(resp, 200)
    items = checks.json_array(resp)
    mine = [i for i in items if isinstance(i, dict) and i.get("typeName") == type_name]
    if len(mine) != 1:
        checks.fail(f"expected one EntityType with typeName {type_name!r}, got {items!r}"[:600])
    checks.equal("EntityType type", mine[0].get("type"), "EntityType")
    _uri("EntityType id", mine[0].get("id"))
    names = set(checks.member("EntityType", mine[0], "attributeNames"))
    if not attrs <= names:
        checks.fail(f"attributeNames should include {sorted(attrs)}, got {sorted(names)}")


@requirement(
    "MIM1-DISC-003",
    clause="5.7.7, 6.26",
    level="MUST",
    title="GET /types/{type} answers EntityTypeInfo with typeName, entityCount and attributeDetails",
)
@pytest.mark.parametrize("reader", READERS)
def test_type_info(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, oracle: Oracle, reader: str
) -> None:
    _, ctx, type_name, attrs = _setup(ngsild, run_ids, contexts, oracle, reader)
    resp = ngsild.type_info(type_name, context=ctx)
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    checks.equal("EntityTypeInfo type", body.get("type"), "EntityTypeInfo")
    checks.equal("EntityTypeInfo typeName", body.get("typeName"), type_name)
    _uri("EntityTypeInfo id", body.get("id"))
    count = checks.member("EntityTypeInfo", body, "entityCount")
    if not isinstance(count, int | float) or count < 1:
        checks.fail(f"entityCount should count at least the entity just created, got {count!r}")
    details = checks.member("EntityTypeInfo", body, "attributeDetails")
    names = {d.get("attributeName") for d in details if isinstance(d, dict)}
    if not attrs <= names:
        checks.fail(f"attributeDetails should name {sorted(attrs)}, got {sorted(map(str, names))}")
    for d in details:
        checks.equal("attributeDetails[].type", d.get("type"), "Attribute")


@requirement(
    "MIM1-DISC-004",
    clause="5.7.8, 6.27",
    level="MUST",
    title="GET /attributes answers an AttributeList naming the available attributes with the caller's @context",
)
@pytest.mark.parametrize("reader", READERS)
def test_attributes(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, oracle: Oracle, reader: str
) -> None:
    _, ctx, _, attrs = _setup(ngsild, run_ids, contexts, oracle, reader)
    resp = ngsild.attributes(context=ctx)
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    checks.equal("AttributeList type", body.get("type"), "AttributeList")
    _uri("AttributeList id", body.get("id"))
    names = set(checks.member("AttributeList", body, "attributeList"))
    if not attrs <= names:
        checks.fail(f"attributeList should include {sorted(attrs)}, got {sorted(names)}"[:600])


@requirement(
    "MIM1-DISC-005",
    clause="5.7.9, 6.27",
    level="MUST",
    title="GET /attributes?details=true answers Attribute objects with id, type and attributeName",
)
@pytest.mark.parametrize("reader", READERS)
def test_attributes_details(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, oracle: Oracle, reader: str
) -> None:
    _, ctx, _, attrs = _setup(ngsild, run_ids, contexts, oracle, reader)
    resp = ngsild.attributes(context=ctx, params={"details": "true"})
    checks.status_is(resp, 200)
    items = checks.json_array(resp)
    found: dict[str, Any] = {str(i.get("attributeName")): i for i in items if isinstance(i, dict)}
    for name in attrs:
        item = checks.member("Attribute details by attributeName", found, name, kind=dict)
        checks.equal(f"Attribute {name} type", item.get("type"), "Attribute")
        _uri(f"Attribute {name} id", item.get("id"))


@requirement(
    "MIM1-DISC-006",
    clause="5.7.10, 6.28",
    level="MUST",
    title="GET /attributes/{attrId} answers the Attribute with its name, types and entity types",
)
@pytest.mark.parametrize("reader", READERS)
def test_attribute_info(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, oracle: Oracle, reader: str
) -> None:
    _, ctx, type_name, _ = _setup(ngsild, run_ids, contexts, oracle, reader)
    name = oracle.compact_iri(oracle.expand_term("refSite", contexts.url(USER)), ctx)
    resp = ngsild.attribute_info(name, context=ctx)
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    checks.equal("Attribute type", body.get("type"), "Attribute")
    checks.equal("Attribute attributeName", body.get("attributeName"), name)
    _uri("Attribute id", body.get("id"))
    if "attributeTypes" in body and "Relationship" not in body["attributeTypes"]:
        checks.fail(f"attributeTypes should include Relationship, got {body['attributeTypes']!r}")
    if "typeNames" in body and type_name not in body["typeNames"]:
        checks.fail(f"typeNames should include {type_name!r}, got {body['typeNames']!r}")


@requirement(
    "MIM1-DISC-007",
    clause="6.3.2",
    level="MUST",
    title="GET /types/{type} or /attributes/{attrId} of an unknown name answers 404 ResourceNotFound",
)
@pytest.mark.parametrize("target", ["type", "attribute"])
def test_discovery_unknown(ngsild: NgsiLdOps, run_ids: RunIds, target: str) -> None:
    name = "MimcheckUnknown" + re.sub(r"[^A-Za-z0-9]", "", run_ids.next())
    resp = ngsild.type_info(name) if target == "type" else ngsild.attribute_info(name)
    checks.ngsild_problem(resp, 404, "ResourceNotFound")


# -- @context management (clause 5.13) -------------------------------------------------------------


def _hosted(ngsild: NgsiLdOps, run_ids: RunIds) -> tuple[str, dict[str, Any]]:
    doc = {
        "@context": {"mc": "https://mimcheck.example.org/ns/", "hosted" + run_ids.next()[-5:]: "mc:hosted"}
    }
    resp = ngsild.add_context(doc)
    precondition(resp.status_code == 201, f"adding an @context answered {resp.status_code}")
    location = resp.headers.get("Location", "")
    precondition(bool(location), "adding an @context answered no Location")
    context_id = location.rstrip("/").rsplit("/", 1)[-1]
    ngsild.undo_later(f"delete @context {context_id}", lambda: ngsild.delete_context(context_id))
    return location, doc


@requirement(
    "MIM1-DISC-008",
    clause="5.13.2",
    level="MUST",
    title="Add @context (POST /jsonldContexts) answers 201 with a Location naming the hosted @context",
)
def test_add_context(ngsild: NgsiLdOps, run_ids: RunIds) -> None:
    doc = {"@context": {"mc": "https://mimcheck.example.org/ns/", "addedTerm": "mc:addedTerm"}}
    resp = ngsild.add_context(doc)
    checks.status_is(resp, 201)
    location = checks.header(resp, "Location")
    context_id = location.rstrip("/").rsplit("/", 1)[-1]
    ngsild.undo_later("delete @context", lambda: ngsild.delete_context(context_id))
    if "/jsonldContexts/" not in location:
        checks.fail(f"Location {location!r} should name a /jsonldContexts/{{contextId}} resource")


@requirement(
    "MIM1-DISC-009",
    clause="5.13.3",
    level="MUST",
    title="List @contexts (GET /jsonldContexts) includes a hosted @context",
)
def test_list_contexts(ngsild: NgsiLdOps, run_ids: RunIds) -> None:
    location, _ = _hosted(ngsild, run_ids)
    resp = ngsild.list_contexts()
    checks.status_is(resp, 200)
    listed = checks.json_array(resp)
    context_id = location.rstrip("/").rsplit("/", 1)[-1]
    if not any(isinstance(u, str) and u.rstrip("/").endswith(context_id) for u in listed):
        checks.fail(f"the list of @contexts should include {location}, got {listed!r}"[:600])


@requirement(
    "MIM1-DISC-010",
    clause="5.13.4",
    level="MUST",
    title="Serve @context (GET /jsonldContexts/{contextId}) returns the hosted @context as added",
)
def test_serve_context(ngsild: NgsiLdOps, run_ids: RunIds) -> None:
    location, doc = _hosted(ngsild, run_ids)
    resp = ngsild.serve_context(location.rstrip("/").rsplit("/", 1)[-1])
    checks.status_is(resp, 200)
    checks.equal("served @context", checks.json_object(resp).get("@context"), doc["@context"])


@requirement(
    "MIM1-DISC-011",
    clause="5.13.5",
    level="MUST",
    title="Delete @context answers 204 and the @context is no longer served (404 ResourceNotFound)",
)
def test_delete_context(ngsild: NgsiLdOps, run_ids: RunIds) -> None:
    location, _ = _hosted(ngsild, run_ids)
    context_id = location.rstrip("/").rsplit("/", 1)[-1]
    checks.status_is(ngsild.delete_context(context_id), 204)
    checks.ngsild_problem(ngsild.serve_context(context_id), 404, "ResourceNotFound")


@requirement(
    "MIM1-DISC-012",
    clause="5.15.1",
    level="MUST",
    capability="ngsild-source-identity",
    title="GET /info/sourceIdentity answers a ContextSourceIdentity with alias, uptime and time",
)
def test_source_identity(ngsild: NgsiLdOps) -> None:
    resp = ngsild.source_identity()
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    _uri("ContextSourceIdentity id", body.get("id"))
    checks.equal("ContextSourceIdentity type", body.get("type"), "ContextSourceIdentity")
    alias = checks.member("ContextSourceIdentity", body, "contextSourceAlias")
    if not isinstance(alias, str) or not alias:
        checks.fail(f"contextSourceAlias should be a non-empty string, got {alias!r}")
    # The V1.8 core @context spells the term contextSourceUptime, the V1.8.1 OpenAPI contextSourceUpTime:
    # the spec's own artefacts disagree, so either spelling is accepted (never fail a correct product).
    spelling = "contextSourceUpTime" if "contextSourceUpTime" in body else "contextSourceUptime"
    uptime = checks.member("ContextSourceIdentity", body, spelling)
    if not isinstance(uptime, str) or not re.fullmatch(
        r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?!$)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?", uptime
    ):
        checks.fail(f"contextSourceUptime should be an ISO 8601 duration, got {uptime!r}")
    checks.utc_datetime(
        "contextSourceTimeAt", checks.member("ContextSourceIdentity", body, "contextSourceTimeAt")
    )
