"""MIM1 JSON-LD @context handling and media types (ETSI GS CIM 009 clauses 4.4, 6.3.4, 6.3.5).

Expansion and compaction are checked against pyld (conformance/ngsild/jsonld.py) with the very
contexts the scenario used; the contexts are served by the suite itself."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import (
    API_ROOT,
    CORE_CONTEXT,
    JSON,
    JSONLD,
    NgsiLdOps,
    attr_path,
    link_header,
    made,
)
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.jsonld import Oracle
from conformance.ngsild.payloads import probe, prop
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

USER = "mimcheck-v1.jsonld"
ALT = "mimcheck-alt.jsonld"
OVERRIDE = "mimcheck-override-core.jsonld"
ATTRS = ("speed", "status", "refSite", "location")


def _create_with(ngsild: NgsiLdOps, entity: dict[str, Any], form: str, url: str) -> Any:
    if form == "link":
        return ngsild.create(entity, content_type=JSON, context=url)
    if form == "body-url":
        return ngsild.create({**entity, "@context": url}, content_type=JSONLD)
    return ngsild.create({**entity, "@context": [url, CORE_CONTEXT]}, content_type=JSONLD)


CREATE_FORMS = ["link", "body-url", "body-array"]


@requirement(
    "MIM1-CTX-001",
    clause="6.3.5",
    level="MUST",
    title="Names are expanded with the caller's @context and compacted with the @context of each request",
)
@pytest.mark.parametrize("form", CREATE_FORMS)
@pytest.mark.parametrize("reader", ["same", "none", "alt"])
def test_expansion_and_compaction(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, oracle: Oracle, form: str, reader: str
) -> None:
    user = contexts.url(USER)
    entity = probe(run_ids)
    resp = _create_with(ngsild, entity, form, user)
    precondition(200 <= resp.status_code < 300, f"creating with a user @context answered {resp.status_code}")
    read_ctx = {"same": user, "none": None, "alt": contexts.url(ALT)}[reader]
    got = ngsild.retrieve(entity["id"], context=read_ctx)
    checks.status_is(got, 200)
    body = checks.json_object(got)
    type_iri = oracle.expand_type(entity["type"], user)
    checks.equal(
        "entity type compacted with the reader's @context",
        body.get("type"),
        oracle.compact_type(type_iri, read_ctx),
    )
    expected = {oracle.compact_iri(oracle.expand_term(a, user), read_ctx) for a in ATTRS}
    present = set(body) - {"id", "type", "@context"}
    checks.equal("attribute names compacted with the reader's @context", sorted(present), sorted(expected))


@requirement(
    "MIM1-CTX-002",
    clause="6.3.5",
    level="MUST",
    title="An application/ld+json response carries an @context that expands it to the entity's own IRIs",
)
@pytest.mark.parametrize("reader", ["same", "none"])
def test_jsonld_response_context_expands(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, oracle: Oracle, reader: str
) -> None:
    user = contexts.url(USER)
    entity = probe(run_ids)
    precondition(
        200 <= _create_with(ngsild, entity, "link", user).status_code < 300, "create with a user @context"
    )
    resp = ngsild.retrieve(entity["id"], accept=JSONLD, context=user if reader == "same" else None)
    checks.status_is(resp, 200)
    checks.content_type_is(resp, JSONLD)
    body = checks.json_object(resp)
    ctx = checks.member("application/ld+json response", body, "@context")
    local = Oracle(oracle.documents)
    for url in ctx if isinstance(ctx, list) else [ctx]:
        if isinstance(url, str) and url not in local.documents:
            if url.startswith(ngsild.base_url):
                fetched = ngsild.http.get(url, headers={"Accept": JSONLD})
                precondition(
                    fetched.status_code == 200,
                    f"the broker's own @context {url} answered {fetched.status_code}",
                )
                local.add(url, fetched.json())
            else:
                precondition(
                    False, f"the response @context names {url}, which the suite cannot resolve offline"
                )
    expanded = local.expand(body)
    expected = {oracle.expand_term(a, user) for a in ATTRS}
    checks.equal(
        "attribute IRIs of the expanded response", sorted(local.attribute_iris(expanded)), sorted(expected)
    )
    checks.equal(
        "type IRI of the expanded response",
        expanded[0].get("@type"),
        [oracle.expand_type(entity["type"], user)],
    )


@requirement(
    "MIM1-CTX-003",
    clause="6.3.5",
    level="MUST",
    title="An application/json response carries the @context in a Link header (rel json-ld#context), not in the body",
)
@pytest.mark.parametrize("target", ["entity", "entity-with-context", "types", "attributes"])
def test_json_response_link_header(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, target: str
) -> None:
    entity = made(ngsild, probe(run_ids))
    if target.startswith("entity"):
        resp = ngsild.retrieve(
            entity["id"], accept=JSON, context=contexts.url(USER) if target == "entity-with-context" else None
        )
    elif target == "types":
        resp = ngsild.types(accept=JSON)
    else:
        resp = ngsild.attributes(accept=JSON)
    checks.status_is(resp, 200)
    checks.content_type_is(resp, JSON)
    checks.link_context(resp)
    checks.absent("application/json response", checks.json_object(resp), "@context")


@requirement(
    "MIM1-CTX-004",
    clause="6.3.5",
    level="MUST",
    title="An application/json request body holding an @context answers 400 BadRequestData",
)
@pytest.mark.parametrize("operation", ["create", "append", "update"])
def test_json_body_with_context(ngsild: NgsiLdOps, run_ids: RunIds, operation: str) -> None:
    if operation == "create":
        resp = ngsild.create({**probe(run_ids), "@context": CORE_CONTEXT}, content_type=JSON)
    else:
        entity = made(ngsild, probe(run_ids))
        fragment = {"status": prop("stopped"), "@context": CORE_CONTEXT}
        send = ngsild.append_attrs if operation == "append" else ngsild.update_attrs
        resp = send(entity["id"], fragment, content_type=JSON)
    checks.ngsild_problem(resp, 400, "BadRequestData")


@requirement(
    "MIM1-CTX-005",
    clause="6.3.5",
    level="MUST",
    title="An application/ld+json request that also sends a JSON-LD Link header answers 400 BadRequestData",
)
@pytest.mark.parametrize("operation", ["create", "append"])
def test_jsonld_with_link_header(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, operation: str
) -> None:
    link = {"Link": link_header(contexts.url(USER))}
    if operation == "create":
        resp = ngsild.create({**probe(run_ids), "@context": CORE_CONTEXT}, content_type=JSONLD, headers=link)
    else:
        entity = made(ngsild, probe(run_ids))
        resp = ngsild.append_attrs(
            entity["id"], {"mode": prop("eco"), "@context": CORE_CONTEXT}, content_type=JSONLD, headers=link
        )
    checks.ngsild_problem(resp, 400, "BadRequestData")


@requirement(
    "MIM1-CTX-006",
    clause="6.3.5",
    level="MUST",
    title="An application/ld+json request body without @context answers 400 BadRequestData",
)
@pytest.mark.parametrize("operation", ["create", "append"])
def test_jsonld_without_context(ngsild: NgsiLdOps, run_ids: RunIds, operation: str) -> None:
    if operation == "create":
        resp = ngsild.create(probe(run_ids), content_type=JSONLD)
    else:
        entity = made(ngsild, probe(run_ids))
        resp = ngsild.append_attrs(entity["id"], {"mode": prop("eco")}, content_type=JSONLD)
    checks.ngsild_problem(resp, 400, "BadRequestData")


@requirement(
    "MIM1-CTX-007",
    clause="6.3.4",
    level="MUST",
    title="A request body of a media type other than JSON or JSON-LD answers 415 Unsupported Media Type",
)
@pytest.mark.parametrize("media", ["application/xml", "text/plain", "application/x-www-form-urlencoded"])
@pytest.mark.parametrize("operation", ["create", "append", "update", "partial-update"])
def test_unsupported_content_type(ngsild: NgsiLdOps, run_ids: RunIds, media: str, operation: str) -> None:
    if operation == "create":
        entity = probe(run_ids)
        ngsild.forget_later(entity["id"])
        resp = ngsild.send(
            "POST", f"{API_ROOT}/entities", raw=__import__("json").dumps(entity), content_type=media
        )
    else:
        entity = made(ngsild, probe(run_ids))
        path = attr_path(entity["id"], "status" if operation == "partial-update" else None)
        method = {"append": "POST", "update": "PATCH", "partial-update": "PATCH"}[operation]
        body = {"value": "x"} if operation == "partial-update" else {"status": prop("x")}
        resp = ngsild.send(method, path, raw=__import__("json").dumps(body), content_type=media)
    checks.status_is(resp, 415)


@requirement(
    "MIM1-CTX-008",
    clause="6.3.4",
    level="MUST",
    title="An Accept header that allows neither JSON nor JSON-LD answers 406 Not Acceptable",
)
@pytest.mark.parametrize("accept", ["application/xml", "text/html", "image/png"])
@pytest.mark.parametrize("target", ["entity", "types", "attributes"])
def test_not_acceptable(ngsild: NgsiLdOps, run_ids: RunIds, accept: str, target: str) -> None:
    if target == "entity":
        entity = made(ngsild, probe(run_ids))
        resp = ngsild.retrieve(entity["id"], accept=accept)
    elif target == "types":
        resp = ngsild.types(accept=accept)
    else:
        resp = ngsild.attributes(accept=accept)
    checks.status_is(resp, 406)


@requirement(
    "MIM1-CTX-009",
    clause="6.3.4",
    level="MUST",
    title="Content negotiation: no Accept or */* gives application/json; JSON-LD is served when preferred",
)
@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param(None, (JSON,), id="absent"),
        pytest.param("*/*", (JSON,), id="any"),
        pytest.param("application/*", (JSON, JSONLD), id="application-any"),
        pytest.param("application/json", (JSON,), id="json"),
        pytest.param("application/ld+json", (JSONLD,), id="jsonld"),
        pytest.param("application/ld+json, application/json;q=0.5", (JSONLD,), id="jsonld-preferred"),
        pytest.param("application/json;q=0.4, application/ld+json;q=0.9", (JSONLD,), id="jsonld-q"),
        pytest.param("text/html, application/json;q=0.8", (JSON,), id="html-then-json"),
    ],
)
def test_accept_negotiation(
    ngsild: NgsiLdOps, run_ids: RunIds, accept: str | None, expected: tuple[str, ...]
) -> None:
    entity = made(ngsild, probe(run_ids))
    resp = ngsild.retrieve(entity["id"], accept=accept, params={"attrs": "speed,status"})
    checks.status_is(resp, 200)
    checks.content_type_is(resp, *expected)
    body = checks.json_object(resp)
    if checks.media_type(resp) == JSONLD:
        checks.member("application/ld+json response", body, "@context")


@requirement(
    "MIM1-CTX-010",
    clause="6.3.5",
    level="MUST",
    title="An @context that cannot be retrieved answers LdContextNotAvailable (504, or 503 as before V1.8.1)",
)
@pytest.mark.parametrize(
    "where", ["create-link", "create-body", "retrieve-link", "append-link", "types-link"]
)
def test_unreachable_context(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, case_evidence: CaseEvidence, where: str
) -> None:
    url = contexts.unreachable_url
    if where == "create-link":
        resp = ngsild.create(probe(run_ids), content_type=JSON, context=url)
    elif where == "create-body":
        resp = ngsild.create({**probe(run_ids), "@context": [url, CORE_CONTEXT]}, content_type=JSONLD)
    elif where == "types-link":
        resp = ngsild.types(context=url)
    else:
        entity = made(ngsild, probe(run_ids))
        if where == "retrieve-link":
            resp = ngsild.retrieve(entity["id"], context=url)
        else:
            resp = ngsild.append_attrs(entity["id"], {"mode": prop("eco")}, context=url)
    status = checks.ld_context_not_available(resp)
    case_evidence.note(f"{where}: {status} LdContextNotAvailable")


@requirement(
    "MIM1-CTX-011",
    clause="4.4",
    level="MUST",
    title="A user @context never overrides a core term: location and observedAt keep their core meaning",
)
@pytest.mark.parametrize("form", ["link", "body-url"])
def test_core_terms_not_overridden(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, form: str
) -> None:
    entity = probe(run_ids)
    resp = _create_with(ngsild, entity, form, contexts.url(OVERRIDE))
    if resp.status_code == 400:
        checks.ngsild_problem(resp, 400, "BadRequestData")  # refusing the redefinition is also conformant
        return
    precondition(
        200 <= resp.status_code < 300, f"creating with a core-redefining @context answered {resp.status_code}"
    )
    body = checks.json_object(ngsild.retrieve(entity["id"], params={"attrs": "location,speed"}))
    loc = checks.member("entity read with the core @context only", body, "location", kind=dict)
    checks.equal("location.type", loc.get("type"), "GeoProperty")
    speed: Any = checks.member("entity", body, "speed") if "speed" in body else None
    if speed is None:
        speed = next((v for k, v in body.items() if k.endswith("/speed")), {})
    checks.same_value("speed.observedAt", speed.get("observedAt"), entity["speed"]["observedAt"])


@requirement(
    "MIM1-CTX-012",
    clause="6.3.5",
    level="MUST",
    title="Among several Link values, the one with rel json-ld#context names the @context",
)
@pytest.mark.parametrize("order", ["context-first", "context-last"])
def test_several_link_values(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, oracle: Oracle, order: str
) -> None:
    user = contexts.url(USER)
    other = '<https://mimcheck.example.org/doc/probe.html>; rel="describedby"; type="text/html"'
    links = [link_header(user), other] if order == "context-first" else [other, link_header(user)]
    entity = probe(run_ids)
    resp = ngsild.create(entity, content_type=JSON, headers={"Link": ", ".join(links)})
    precondition(
        200 <= resp.status_code < 300, f"creating with several Link values answered {resp.status_code}"
    )
    body = checks.json_object(ngsild.retrieve(entity["id"], params={"options": "normalized"}))
    expected = oracle.compact_iri(oracle.expand_term("speed", user), None)
    checks.member(
        "entity read with the core @context (speed expanded with the Link's context)", body, expected
    )
