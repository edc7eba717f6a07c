"""MIM1 @context management beyond the basic add/list/serve/delete of test_discovery.py (ETSI GS CIM
009 V1.8.1 clause 5.13; /jsonldContexts in the V1.8.1 OpenAPI): the kind filter, the metadata of
details=true, Cached @contexts addressed by local id or original URL, delete and reload, input
validation, implicitly created @contexts, and the @context of JSON-LD answers for a user @context
that imports the core one.

Caching downloaded @contexts is something a broker may do (clause 5.13.1): where the target lists no
Cached entry for a @context it downloaded, the Cached cases pass with a note."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import API_ROOT, CORE_CONTEXT, JSON, JSONLD, NgsiLdOps, made
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.payloads import probe
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

KINDS = ("Hosted", "Cached", "ImplicitlyCreated")
USER = "mimcheck-v1.jsonld"
WITH_CORE = "mimcheck-with-core.jsonld"
TERMS = {"mc": "https://mimcheck.example.org/ns/", "MimcheckProbe": "mc:MimcheckProbe", "speed": "mc:speed"}


# ------------------------------------------------------------------------------------- helpers


def _hosted(ngsild: NgsiLdOps, run_ids: RunIds) -> tuple[str, dict[str, Any]]:
    """A Hosted @context of this case: (local id, document)."""
    doc = {"@context": {"mc": "https://mimcheck.example.org/ns/", f"t{run_ids.next()[-5:]}": "mc:hosted"}}
    resp = ngsild.add_context(doc)
    precondition(resp.status_code == 201, f"adding an @context answered {resp.status_code}")
    location = resp.headers.get("Location", "")
    precondition(bool(location), "adding an @context answered no Location")
    local_id = location.rstrip("/").rsplit("/", 1)[-1]
    ngsild.cleanup and ngsild.cleanup.push(
        f"delete @context {local_id}", lambda: ngsild.delete_context(local_id)
    )
    return local_id, doc


def _cached(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, evidence: CaseEvidence
) -> dict[str, Any] | None:
    """Have the target download a @context of its own URL (an entity created with it in a Link
    header); its Cached metadata entry, or None when the target lists none (caching is optional)."""
    url = contexts.variant_url(USER, run_ids.next())
    made(ngsild, probe(run_ids), context=url)
    ngsild.cleanup and ngsild.cleanup.push("delete cached @context", lambda: ngsild.delete_context(url))
    resp = ngsild.list_contexts(params={"details": "true", "kind": "Cached"})
    checks.status_is(resp, 200)
    entries = [e for e in checks.json_array(resp) if isinstance(e, dict) and e.get("URL") == url]
    if not entries:
        evidence.note(f"the target lists no Cached @context for {url}: caching is optional (5.13.1)")
        return None
    return entries[0]


def _ident(entry: dict[str, Any], by: str) -> str:
    ident = entry.get("URL") if by == "url" else entry.get("localId")
    if not isinstance(ident, str) or not ident:
        checks.fail(f"the Cached @context entry has no {by}: {entry!r}")
        raise AssertionError  # unreachable
    return ident


def _metadata(what: str, entry: Any, evidence: CaseEvidence, kind: str | None = None) -> None:
    """LdContextMetadata (clause 5.13.3): URL, localId, kind, the creation time, optional members."""
    if not isinstance(entry, dict):
        checks.fail(f"{what}: expected a JSON object, got {entry!r}"[:300])
        return
    for member in ("URL", "localId"):
        value = checks.member(what, entry, member)
        if not isinstance(value, str) or not value:
            checks.fail(f"{what}: {member} should be a non-empty string, got {value!r}")
    got_kind = checks.member(what, entry, "kind")
    if got_kind not in KINDS:
        checks.fail(f"{what}: kind should be one of {KINDS}, got {got_kind!r}")
    if kind is not None:
        checks.equal(f"{what}: kind", got_kind, kind)
    # The clause text calls the creation time createdAt, the V1.8.1 OpenAPI schema timestamp.
    names = [n for n in ("createdAt", "timestamp") if n in entry]
    if not names:
        checks.fail(f"{what}: no creation time (createdAt, or timestamp as the OpenAPI names it): {entry!r}")
    for name in names:
        checks.utc_datetime(f"{what}: {name}", entry[name])
    evidence.note(f"{what}: creation time given as {' and '.join(names)}")
    if "lastUsage" in entry:
        checks.utc_datetime(f"{what}: lastUsage", entry["lastUsage"])
    hits = entry.get("numberOfHits", 0)
    if not isinstance(hits, int) or isinstance(hits, bool) or hits < 0:
        checks.fail(f"{what}: numberOfHits should be a non-negative integer, got {hits!r}")
    if not isinstance(entry.get("extraInfo", {}), dict):
        checks.fail(f"{what}: extraInfo should be a JSON object, got {entry['extraInfo']!r}")


def _listed(ngsild: NgsiLdOps, kind: str) -> list[Any]:
    resp = ngsild.list_contexts(params={"kind": kind})
    checks.status_is(resp, 200)
    return checks.json_array(resp)


# --------------------------------------------------------------------------------- list, kinds


@requirement(
    "MIM1-CTX-013",
    clause="5.13.3",
    level="MUST",
    title="List @contexts with kind lists only @contexts of that kind (a Hosted one under Hosted only)",
)
@pytest.mark.parametrize("details", [False, True], ids=["urls", "details"])
@pytest.mark.parametrize("kind", KINDS)
def test_list_kind_filter(ngsild: NgsiLdOps, run_ids: RunIds, kind: str, details: bool) -> None:
    local_id, _ = _hosted(ngsild, run_ids)
    params = {"kind": kind, **({"details": "true"} if details else {})}
    resp = ngsild.list_contexts(params=params)
    checks.status_is(resp, 200)
    listed = checks.json_array(resp)
    if details:
        for entry in listed:
            if not isinstance(entry, dict):
                checks.fail(f"details=true: expected JSON objects, got {entry!r}"[:300])
            checks.equal(f"kind of {entry.get('URL')!r} listed under kind={kind}", entry.get("kind"), kind)
        ours: list[Any] = [e for e in listed if isinstance(e, dict) and e.get("localId") == local_id]
    else:
        for url in listed:
            if not isinstance(url, str):
                checks.fail(f"without details: expected URLs, got {url!r}"[:300])
        ours = [u for u in listed if isinstance(u, str) and u.rstrip("/").endswith("/" + local_id)]
    if kind == "Hosted" and not ours:
        checks.fail(f"the Hosted @context {local_id} is missing from kind=Hosted: {listed!r}"[:600])
    if kind != "Hosted" and ours:
        checks.fail(f"the Hosted @context {local_id} is listed under kind={kind}")


@requirement(
    "MIM1-CTX-014",
    clause="5.13.3",
    level="MUST",
    title="@context metadata (details=true) gives URL, localId, kind and the creation time (createdAt or timestamp)",
)
@pytest.mark.parametrize("operation", ["list", "serve"])
@pytest.mark.parametrize("kind", ["Hosted", "Cached"])
def test_context_metadata(
    ngsild: NgsiLdOps,
    run_ids: RunIds,
    contexts: ContextServer,
    case_evidence: CaseEvidence,
    kind: str,
    operation: str,
) -> None:
    if kind == "Hosted":
        local_id, _ = _hosted(ngsild, run_ids)
        if operation == "serve":
            resp = ngsild.serve_context(local_id, params={"details": "true"})
            checks.status_is(resp, 200)
            entry: Any = checks.json_object(resp)
        else:
            resp = ngsild.list_contexts(params={"details": "true"})
            checks.status_is(resp, 200)
            found = [
                e for e in checks.json_array(resp) if isinstance(e, dict) and e.get("localId") == local_id
            ]
            if not found:
                checks.fail(f"details=true lists no entry with localId {local_id}")
            entry = found[0]
        _metadata(f"{operation} metadata of Hosted {local_id}", entry, case_evidence, "Hosted")
        return
    cached = _cached(ngsild, run_ids, contexts, case_evidence)
    if cached is None:
        return
    if operation == "serve":
        resp = ngsild.serve_context(_ident(cached, "local-id"), params={"details": "true"})
        checks.status_is(resp, 200)
        cached = checks.json_object(resp)
    _metadata(f"{operation} metadata of a Cached @context", cached, case_evidence, "Cached")


# ------------------------------------------------------------------------------ Cached contexts


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
    cached = _cached(ngsild, run_ids, contexts, case_evidence)
    if cached is None:
        return
    resp = ngsild.serve_context(_ident(cached, by), params={"details": "true" if details else "false"})
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
    cached = _cached(ngsild, run_ids, contexts, case_evidence)
    if cached is None:
        return
    checks.status_is(ngsild.delete_context(_ident(cached, by)), 204)
    if cached["URL"] in _listed(ngsild, "Cached"):
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
        ident, _ = _hosted(ngsild, run_ids)
    else:
        cached = _cached(ngsild, run_ids, contexts, case_evidence)
        if cached is None:
            return
        ident = _ident(cached, "local-id")
    resp = ngsild.delete_context(ident, params={"reload": reload})
    error = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"reload={reload} on a {kind} @context: 400 {error}")
    checks.status_is(ngsild.serve_context(ident, params={"details": "true"}), 200)


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
    cached = _cached(ngsild, run_ids, contexts, case_evidence)
    if cached is None:
        return
    if source == "gone":
        contexts.withdraw(cached["URL"])
    resp = ngsild.delete_context(_ident(cached, "local-id"), params={"reload": "true"})
    if source == "reachable":
        checks.status_is(resp, 204)
    else:
        # 503 as for any @context that cannot be retrieved (6.3.5); the V1.8.1 OpenAPI says 504.
        status = resp.status_code if resp.status_code in (503, 504) else 503
        checks.ngsild_problem(resp, status, "LdContextNotAvailable")
        case_evidence.note(f"reload of an unreachable Cached @context answered {status}")
    if cached["URL"] not in _listed(ngsild, "Cached"):
        checks.fail(f"{cached['URL']} is no longer listed as Cached after the reload ({source} source)")


# --------------------------------------------------------------------- serving, input validation


@requirement(
    "MIM1-CTX-019",
    clause="5.13.4",
    level="MUST",
    title="Serve @context answers the hosted @context as application/json or application/ld+json",
)
@pytest.mark.parametrize("accept", [None, JSON, JSONLD, "*/*"], ids=["none", "json", "jsonld", "any"])
def test_serve_media_type(
    ngsild: NgsiLdOps, run_ids: RunIds, case_evidence: CaseEvidence, accept: str | None
) -> None:
    local_id, doc = _hosted(ngsild, run_ids)
    resp = ngsild.serve_context(local_id, accept=accept)
    checks.status_is(resp, 200)
    checks.content_type_is(resp, JSON, JSONLD)
    checks.equal("served @context", checks.json_object(resp).get("@context"), doc["@context"])
    case_evidence.note(f"Accept {accept or '(none)'}: served as {checks.media_type(resp)}")


@requirement(
    "MIM1-CTX-020",
    clause="5.13.2",
    level="MUST",
    title="Add @context rejects a payload that is not a JSON object with a valid @context (400)",
)
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"@context": {"a": "http://example.org/a"', id="not-json"),
        pytest.param('[{"@context": {"a": "http://example.org/a"}}]', id="array"),
        pytest.param('{"a": "http://example.org/a"}', id="no-context"),
        pytest.param('{"@context": 42}', id="context-number"),
        pytest.param('{"@context": [42]}', id="context-array-of-number"),
    ],
)
def test_add_context_invalid(ngsild: NgsiLdOps, case_evidence: CaseEvidence, raw: str) -> None:
    resp = ngsild.send("POST", f"{API_ROOT}/jsonldContexts", raw=raw, content_type=JSON)
    if resp.status_code == 201:
        location = resp.headers.get("Location", "")
        ngsild.cleanup and ngsild.cleanup.push(
            "delete wrongly added @context", lambda: ngsild.delete_context(location.rsplit("/", 1)[-1])
        )
    error = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"{raw[:40]}: 400 {error}")


@requirement(
    "MIM1-CTX-021",
    clause="5.13.3",
    level="MUST",
    title="List @contexts rejects a details value that is not a boolean and a kind outside "
    "Hosted, Cached, ImplicitlyCreated (400)",
)
@pytest.mark.parametrize(
    ("name", "value"), [("details", "other"), ("kind", "other"), ("kind", "hosted"), ("kind", "Implicit")]
)
def test_list_invalid_parameters(
    ngsild: NgsiLdOps, case_evidence: CaseEvidence, name: str, value: str
) -> None:
    resp = ngsild.list_contexts(params={name: value})
    error = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"{name}={value}: 400 {error}")


@requirement(
    "MIM1-CTX-022",
    clause="5.13.4, 5.13.5",
    level="MUST",
    title="Serve and Delete @context of an unknown @context answer 404 ResourceNotFound",
)
@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("serve", None),
        ("serve", {"details": "true"}),
        ("delete", None),
        ("delete", {"reload": "false"}),
        ("delete", {"reload": "true"}),
    ],
    ids=["serve", "serve-details", "delete", "delete-reload-false", "delete-reload-true"],
)
def test_unknown_context(
    ngsild: NgsiLdOps, run_ids: RunIds, operation: str, params: dict[str, str] | None
) -> None:
    unknown = f"mimcheck-unknown-{run_ids.next()}"
    if operation == "serve":
        resp = ngsild.serve_context(unknown, params=params)
    else:
        resp = ngsild.delete_context(unknown, params=params)
    checks.ngsild_problem(resp, 404, "ResourceNotFound")


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
    url = checks.link_context(resp)
    if url == CORE_CONTEXT:
        checks.fail("the Link header names the core @context, not the inline @context of the request")
    served = ngsild.http.request("GET", url, headers={"Accept": f"{JSONLD}, {JSON}"})
    checks.status_is(served, 200)
    got = checks.json_object(served).get("@context")
    items = got if isinstance(got, list) else [got]
    wanted = inline if isinstance(inline, list) else [inline]
    if not all(w in items for w in wanted if w != CORE_CONTEXT):
        checks.fail(f"the @context at {url} is {got!r}, not the inline @context {inline!r}"[:600])
    if f"{API_ROOT}/jsonldContexts/" in url:
        local_id = url.rstrip("/").rsplit("/", 1)[-1]
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
