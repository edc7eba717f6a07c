"""MIM1 @context management beyond the basic add/list/serve/delete of test_discovery.py (ETSI GS CIM
009 V1.8.1 clause 5.13; /jsonldContexts in the V1.8.1 OpenAPI): the kind filter and the metadata of
details=true, the media type of a served @context, input validation and unknown @contexts.
Cached and ImplicitlyCreated @contexts, reload, and the @context of answers: test_context_stored.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.context_mgmt_support import KINDS, cached_entry, check_metadata, hosted, ident
from conformance.ngsild.api import API_ROOT, JSON, JSONLD, NgsiLdOps
from conformance.ngsild.context_server import ContextServer
from conformance.requirements import requirement
from conformance.run_ids import RunIds

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
    local_id, _ = hosted(ngsild, run_ids)
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
        ours = [u for u in listed if isinstance(u, str) and unquote(u.rstrip("/")).endswith("/" + local_id)]
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
        local_id, _ = hosted(ngsild, run_ids)
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
        check_metadata(f"{operation} metadata of Hosted {local_id}", entry, case_evidence, "Hosted")
        return
    cached = cached_entry(ngsild, run_ids, contexts, case_evidence)
    if cached is None:
        return
    if operation == "serve":
        resp = ngsild.serve_context(ident(cached, "local-id"), params={"details": "true"})
        checks.status_is(resp, 200)
        cached = checks.json_object(resp)
    check_metadata(f"{operation} metadata of a Cached @context", cached, case_evidence, "Cached")


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
    local_id, doc = hosted(ngsild, run_ids)
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
        ngsild.undo_later(
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
