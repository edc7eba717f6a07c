"""Client helpers for query, pagination and batch scenarios (ETSI GS CIM 009 V1.8.1 clauses 5.6.7 -
5.6.10, 5.6.20, 5.7.2, 6.3.10, 6.3.13), built on ``NgsiLd.request``.

Also: run-scoped entity type names, seeding of read-only datasets shared by a module (created once,
deleted again at the module's end and, whatever happens, at the end of the run), and small readers
of query answers (the ids of a result, the relations of a Link header).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urljoin

import requests

from conformance import checks
from conformance.cleanup import Cleanup
from conformance.ngsild.api import API_ROOT, JSON, JSONLD, NgsiLd, entity_path, link_header
from conformance.outcomes import NotApplicable, precondition
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.run_ids import RunIds

ENTITIES = f"{API_ROOT}/entities"
BATCH_OPERATIONS = ("create", "upsert", "update", "delete", "merge")


def batch_path(operation: str) -> str:
    return f"{API_ROOT}/entityOperations/{operation}"


def run_type(run_ids: RunIds, stem: str) -> str:
    """An entity type name unique to this run (NGSI-LD names allow letters, digits and '_' only)."""
    return stem + re.sub(r"[^A-Za-z0-9_]", "_", run_ids.next())


def base_client(http: RecordingClient, profile: TargetProfile, cleanup: Cleanup | None) -> NgsiLd:
    base = profile.base_url("mim1")
    if base is None:
        raise NotApplicable("the target profile declares no base_url for mim1")
    return NgsiLd(http, base, tenant=profile.tenant, cleanup=cleanup)


# --------------------------------------------------------------------------------- requests


def query(
    ngsild: NgsiLd,
    params: dict[str, Any] | list[tuple[str, Any]] | None = None,
    *,
    accept: str | None = None,
    context: str | None = None,
) -> requests.Response:
    """GET /entities with the given query parameters."""
    headers: dict[str, str] = {}
    if accept:
        headers["Accept"] = accept
    if context:
        headers["Link"] = link_header(context)
    return ngsild.request("GET", ENTITIES, headers=headers, params=params)


def query_post(
    ngsild: NgsiLd,
    body: dict[str, Any],
    params: dict[str, Any] | None = None,
    *,
    accept: str | None = None,
) -> requests.Response:
    """POST /entityOperations/query with a Query object (clause 5.2.23)."""
    headers = {"Content-Type": JSON}
    if accept:
        headers["Accept"] = accept
    payload = {"type": "Query", **body}
    return ngsild.request(
        "POST", f"{API_ROOT}/entityOperations/query", headers=headers, params=params, json_body=payload
    )


def batch(
    ngsild: NgsiLd,
    operation: str,
    payload: Any,
    *,
    params: dict[str, Any] | None = None,
    content_type: str = JSON,
    raw: str | None = None,
) -> requests.Response:
    """POST /entityOperations/{operation}. Every entity id named in the payload is deleted again at
    the test's teardown (also when the target answered something unexpected)."""
    if operation in ("create", "upsert", "update", "merge") and isinstance(payload, list):
        for item in payload:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                forget(ngsild, item["id"])
    headers = {"Content-Type": content_type}
    if raw is not None:
        return ngsild.request("POST", batch_path(operation), headers=headers, params=params, data=raw)
    return ngsild.request("POST", batch_path(operation), headers=headers, params=params, json_body=payload)


def forget(ngsild: NgsiLd, entity_id: str) -> None:
    """Register deletion of an entity at teardown, once per client."""
    seen: set[str] = ngsild.__dict__.setdefault("_mimcheck_forgotten", set())
    if entity_id in seen:
        return
    seen.add(entity_id)
    ngsild.forget_later(entity_id)


def as_jsonld(entity: dict[str, Any], context: str) -> dict[str, Any]:
    return {**entity, "@context": context}


# ---------------------------------------------------------------------------------- datasets


def create_all(ngsild: NgsiLd, entities: list[dict[str, Any]], *, use_batch: bool) -> None:
    """Create a dataset the scenario builds on (a precondition, not what it checks): with one
    batch request when the target declares batch operations, else entity by entity."""
    if use_batch and entities:
        resp = ngsild.request(
            "POST", batch_path("create"), headers={"Content-Type": JSON}, json_body=entities
        )
        precondition(
            resp.status_code in (200, 201, 204), f"creating the dataset by batch answered {resp.status_code}"
        )
        return
    for entity in entities:
        resp = ngsild.request("POST", ENTITIES, headers={"Content-Type": JSON}, json_body=entity)
        precondition(
            resp.status_code in (200, 201, 204), f"creating {entity['id']} answered {resp.status_code}"
        )


@contextmanager
def shared_dataset(
    http: RecordingClient, profile: TargetProfile, entities: list[dict[str, Any]]
) -> Iterator[NgsiLd]:
    """A read-only dataset for a whole module: created once, deleted at the module's end; an own
    cleanup stack (swept at interpreter exit too) keeps it out of the per-test cleanup marks."""
    undo = Cleanup()
    client = base_client(http, profile, undo)
    for entity in entities:
        client.forget_later(entity["id"])
    try:
        create_all(client, entities, use_batch=True)  # batch create is core (clause 5.6.7)
        yield client
    finally:
        undo.sweep()


# ----------------------------------------------------------------------------------- answers


def entities_of(resp: requests.Response) -> list[dict[str, Any]]:
    """The entities of a 200 query answer (a JSON array of objects)."""
    checks.status_is(resp, 200)
    body = checks.json_array(resp)
    for item in body:
        if not isinstance(item, dict) or "id" not in item:
            checks.fail(
                f"{resp.request.method} {resp.request.url}: expected entities with an id, got {item!r}"
            )
    return body


def ids_of(resp: requests.Response) -> list[str]:
    return [e["id"] for e in entities_of(resp)]


def same_ids(what: str, got: Iterable[str], expected: Iterable[str]) -> None:
    """The result holds exactly the expected entities, each once, in any order (the spec fixes no order)."""
    got_list = list(got)
    expected_set = set(expected)
    duplicates = sorted({i for i in got_list if got_list.count(i) > 1})
    if duplicates:
        checks.fail(f"{what}: entities returned more than once: {duplicates}")
    if set(got_list) != expected_set:
        missing = sorted(expected_set - set(got_list))
        extra = sorted(set(got_list) - expected_set)
        checks.fail(f"{what}: expected {len(expected_set)} entities; missing {missing}, unexpected {extra}")


def link_relations(resp: requests.Response) -> dict[str, str]:
    """rel -> absolute target URL of every Link header value (RFC 8288) of a response."""
    relations: dict[str, str] = {}
    raw = resp.headers.get("Link")
    if not raw:
        return relations
    for part in _split_links(raw):
        match = re.match(r"\s*<([^>]*)>(.*)$", part)
        if not match:
            continue
        target, params = match.group(1), match.group(2)
        rel = re.search(r';\s*rel\s*=\s*"?([^";]+)"?', params)
        if rel:
            for name in rel.group(1).split():
                relations[name] = urljoin(resp.request.url or "", target)
    return relations


def _split_links(raw: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in raw:
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def results_count(resp: requests.Response) -> int:
    value = checks.header(resp, "NGSILD-Results-Count")
    try:
        return int(value.strip())
    except ValueError:
        checks.fail(f"NGSILD-Results-Count {value!r} is not an integer")
    raise AssertionError  # unreachable


def batch_result(resp: requests.Response) -> tuple[list[str], list[dict[str, Any]]]:
    """A BatchOperationResult (clause 5.2.16): {success: [ids], errors: [BatchEntityError]}."""
    body = checks.json_object(resp)
    success = checks.member("BatchOperationResult", body, "success")
    errors = checks.member("BatchOperationResult", body, "errors")
    if not isinstance(success, list) or not all(isinstance(i, str) for i in success):
        checks.fail(f"BatchOperationResult.success: expected an array of entity ids, got {success!r}")
    if not isinstance(errors, list):
        checks.fail(f"BatchOperationResult.errors: expected an array, got {errors!r}")
    for item in errors:
        if not isinstance(item, dict):
            checks.fail(f"BatchOperationResult.errors: expected BatchEntityError objects, got {item!r}")
        checks.member("BatchEntityError", item, "entityId")
        problem = checks.member("BatchEntityError", item, "error")
        if not isinstance(problem, dict):
            checks.fail(f"BatchEntityError.error: expected a ProblemDetails object, got {problem!r}")
    return success, errors


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


__all__ = [
    "BATCH_OPERATIONS",
    "ENTITIES",
    "JSON",
    "JSONLD",
    "as_jsonld",
    "base_client",
    "batch",
    "batch_result",
    "create_all",
    "dumps",
    "entities_of",
    "entity_path",
    "forget",
    "ids_of",
    "link_relations",
    "query",
    "query_post",
    "results_count",
    "run_type",
    "same_ids",
    "shared_dataset",
]
