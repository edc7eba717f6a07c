"""MIM1 stored @contexts (ETSI GS CIM 009 V1.8.1 clause 5.13): Cached @contexts addressed by local id
or original URL, delete and reload, ImplicitlyCreated @contexts behind the Link of a JSON answer, and
the @context of JSON-LD answers for a user @context that imports the core one.

Caching downloaded @contexts is something a broker may do (clause 5.13.1): where the target lists no
Cached entry for a @context it downloaded, the Cached cases pass with a note."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urljoin

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.context_mgmt_support import (
    TERMS,
    USER,
    WITH_CORE,
    cached_entry,
    hosted,
    ident,
    implicit_context,
    listed,
)
from conformance.ngsild.api import API_ROOT, CORE_CONTEXT, JSON, JSONLD, NgsiLdOps, made
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.payloads import probe
from conformance.requirements import requirement
from conformance.run_ids import RunIds

# ------------------------------------------------------------------------------ Cached contexts

# the core @context under any of its names (versioned or not): never what an inline @context becomes
CORE_URL = re.compile(r"^https?://uri\.etsi\.org/ngsi-ld/v1/ngsi-ld-core-context(-v[0-9.]+)?\.jsonld$")


@requirement(
    "MIM1-CTX-015",
    clause="5.13.4",
    level="MUST",
    title="A Cached @context is served by its local id or original URL: metadata with details=true, "
    "else its content or 422 OperationNotSupported",
)
@pytest.mark.parametrize("details", [True, False], ids=["details", "content"])
@pytest.mark.parametrize("by", ["local-id", "url"])
def test_serve_cached(
    ngsild: NgsiLdOps,
    run_ids: RunIds,
    contexts: ContextServer,
    case_evidence: CaseEvidence,
    by: str,
    details: bool,
) -> None:
    cached = cached_entry(ngsild, run_ids, contexts, case_evidence)
    if cached is None:
        return
    resp = ngsild.serve_context(ident(cached, by), params={"details": "true" if details else "false"})
    if details:
        checks.status_is(resp, 200)
        body = checks.json_object(resp)
        checks.equal("kind", body.get("kind"), "Cached")
        checks.equal("URL (the original URL of a Cached @context)", body.get("URL"), cached["URL"])
        return
    if resp.status_code == 422:
        checks.ngsild_problem(resp, 422, "OperationNotSupported")
        case_evidence.note("the content of a Cached @context is not served: 422 OperationNotSupported")
        return
    checks.status_is(resp, 200)
    served = checks.json_object(resp).get("@context")
    checks.equal("served @context", served, contexts.document(USER)["@context"])
    case_evidence.note("the content of a Cached @context is served")


@requirement(
    "MIM1-CTX-016",
    clause="5.13.5",
    level="MUST",
    title="Delete @context removes a Cached @context given by its local id or original URL (204)",
)
@pytest.mark.parametrize("by", ["local-id", "url"])
def test_delete_cached(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, case_evidence: CaseEvidence, by: str
) -> None:
    cached = cached_entry(ngsild, run_ids, contexts, case_evidence)
    if cached is None:
        return
    checks.status_is(ngsild.delete_context(ident(cached, by)), 204)
    if cached["URL"] in listed(ngsild, "Cached"):
        checks.fail(f"{cached['URL']} is still listed as Cached after its deletion")
    checks.ngsild_problem(
        ngsild.serve_context(cached["URL"], params={"details": "true"}), 404, "ResourceNotFound"
    )


@requirement(
    "MIM1-CTX-017",
    clause="5.13.5",
    level="MUST",
    title="Delete @context rejects reload=true for a Hosted @context and a reload that is not a boolean "
    "(400), and keeps the @context",
)
@pytest.mark.parametrize(
    ("kind", "reload"), [("Hosted", "true"), ("Hosted", "maybe"), ("Hosted", "1"), ("Cached", "maybe")]
)
def test_reload_validation(
    ngsild: NgsiLdOps,
    run_ids: RunIds,
    contexts: ContextServer,
    case_evidence: CaseEvidence,
    kind: str,
    reload: str,
) -> None:
    if kind == "Hosted":
        target, _ = hosted(ngsild, run_ids)
    else:
        cached = cached_entry(ngsild, run_ids, contexts, case_evidence)
        if cached is None:
            return
        target = ident(cached, "local-id")
    resp = ngsild.delete_context(target, params={"reload": reload})
    error = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"reload={reload} on a {kind} @context: 400 {error}")
    checks.status_is(ngsild.serve_context(target, params={"details": "true"}), 200)


@requirement(
    "MIM1-CTX-018",
    clause="5.13.5",
    level="MUST",
    title="Delete @context with reload=true downloads a Cached @context again (204); when its source "
    "is gone, LdContextNotAvailable and the stored copy stays",
)
@pytest.mark.parametrize("source", ["reachable", "gone"])
def test_reload_cached(
    ngsild: NgsiLdOps,
    run_ids: RunIds,
    contexts: ContextServer,
    case_evidence: CaseEvidence,
    source: str,
) -> None:
    cached = cached_entry(ngsild, run_ids, contexts, case_evidence)
    if cached is None:
        return
    if source == "gone":
        contexts.withdraw(cached["URL"])
    resp = ngsild.delete_context(ident(cached, "local-id"), params={"reload": "true"})
    if source == "reachable":
        checks.status_is(resp, 204)
    else:
        status = checks.ld_context_not_available(resp)
        case_evidence.note(f"reload of an unreachable Cached @context answered {status}")
    if cached["URL"] not in listed(ngsild, "Cached"):
        checks.fail(f"{cached['URL']} is no longer listed as Cached after the reload ({source} source)")


# ------------------------------------------------------ implicitly created, @context of answers


@requirement(
    "MIM1-CTX-023",
    clause="5.13.1, 6.3.5",
    level="MUST",
    title="An application/json answer to a request with an inline @context names in its Link header "
    "a URL that serves that @context (an ImplicitlyCreated @context)",
)
@pytest.mark.parametrize("form", ["object", "array-with-core"])
def test_implicitly_created(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, case_evidence: CaseEvidence, form: str
) -> None:
    entity = made(ngsild, probe(run_ids), context=contexts.url(USER))
    inline: Any = dict(TERMS) if form == "object" else [dict(TERMS), CORE_CONTEXT]
    query = {"type": "Query", "entities": [{"id": entity["id"], "type": "MimcheckProbe"}], "@context": inline}
    resp = ngsild.send("POST", f"{API_ROOT}/entityOperations/query", query, content_type=JSONLD, accept=JSON)
    checks.status_is(resp, 200)
    url = urljoin(resp.url, checks.link_context(resp))  # a relative Link target is legal (RFC 8288)
    if url == CORE_CONTEXT or CORE_URL.match(url):
        checks.fail("the Link header names the core @context, not the inline @context of the request")
    served = ngsild.http.request("GET", url, headers={"Accept": f"{JSONLD}, {JSON}"})
    checks.status_is(served, 200)
    got = checks.json_object(served).get("@context")
    items = got if isinstance(got, list) else [got]
    wanted = inline if isinstance(inline, list) else [inline]
    if not all(w in items for w in wanted if w != CORE_CONTEXT):
        checks.fail(f"the @context at {url} is {got!r}, not the inline @context {inline!r}"[:600])
    if f"{API_ROOT}/jsonldContexts/" in url:
        local_id = unquote(url.rstrip("/").rsplit("/", 1)[-1])
        meta = ngsild.serve_context(local_id, params={"details": "true"})
        checks.status_is(meta, 200)
        checks.equal(
            "kind of the @context named by the Link",
            checks.json_object(meta).get("kind"),
            "ImplicitlyCreated",
        )
        case_evidence.note(f"Link names the ImplicitlyCreated @context {local_id}")
    else:
        case_evidence.note(f"Link names {url}, not a /jsonldContexts resource of the target")


@requirement(
    "MIM1-CTX-024",
    clause="6.3.5",
    level="MUST",
    title="An application/ld+json answer keeps the caller's @context when that @context imports the core "
    "one (with or without the core @context after it)",
)
@pytest.mark.parametrize("operation", ["retrieve", "query"])
def test_jsonld_answer_keeps_importing_context(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, case_evidence: CaseEvidence, operation: str
) -> None:
    url = contexts.url(WITH_CORE)
    entity = probe(run_ids)
    entity["id"] = f"urn:ngsi-ld:MimcheckProbe:ctxcore-{run_ids.next()}"
    made(ngsild, entity, context=url)
    if operation == "retrieve":
        resp = ngsild.retrieve(entity["id"], accept=JSONLD, context=url)
        checks.status_is(resp, 200)
        bodies = [checks.json_object(resp)]
    else:
        resp = ngsild.send(
            "GET",
            f"{API_ROOT}/entities",
            params={"id": entity["id"], "type": "MimcheckProbe"},
            accept=JSONLD,
            context=url,
        )
        checks.status_is(resp, 200)
        bodies = [b for b in checks.json_array(resp) if isinstance(b, dict)]
        if not bodies:
            checks.fail(f"the query found no entity {entity['id']}")
    for body in bodies:
        got = checks.member("application/ld+json answer", body, "@context")
        items = got if isinstance(got, list) else [got]
        if url not in items:
            checks.fail(f"the answer's @context {got!r} drops the caller's @context {url}"[:600])
        if "speed" not in body:
            checks.fail(f"the answer does not use the caller's term speed: {sorted(body)!r}")
        case_evidence.note(
            "answer @context: " + ("with the core @context repeated" if CORE_CONTEXT in items else "as given")
        )


@requirement(
    "MIM1-CTX-026",
    clause="5.13.5",
    level="MUST",
    title="Delete @context removes an ImplicitlyCreated @context (204, then 404) and rejects reload=true "
    "for it (400, the @context kept)",
)
@pytest.mark.parametrize("reload", [None, "true"], ids=["delete", "reload-true"])
def test_delete_implicitly_created(
    ngsild: NgsiLdOps,
    run_ids: RunIds,
    contexts: ContextServer,
    case_evidence: CaseEvidence,
    reload: str | None,
) -> None:
    local_id = implicit_context(ngsild, run_ids, contexts, case_evidence)
    if local_id is None:
        return
    if reload is None:
        checks.status_is(ngsild.delete_context(local_id), 204)
        checks.ngsild_problem(ngsild.serve_context(local_id), 404, "ResourceNotFound")
        return
    resp = ngsild.delete_context(local_id, params={"reload": reload})
    error = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"reload=true on an ImplicitlyCreated @context: 400 {error}")
    checks.status_is(ngsild.serve_context(local_id, params={"details": "true"}), 200)
