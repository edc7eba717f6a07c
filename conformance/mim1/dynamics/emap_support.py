"""Shared helpers of the EntityMap scenarios (test_entity_maps.py, test_entity_maps_use.py; ETSI GS CIM 009
V1.8.1 clauses 5.2.39, 5.7.1, 5.7.2, 5.14; the V1.8.1 OpenAPI's ``Query.entityMap`` parameter, the
``/entityMap/{entityMapId}`` path and the ``NGSILD-EntityMap`` header).

A query asks for a map with ``entityMap=true`` (the Query member ``entityMap`` on POST
/entityOperations/query). The V1.8.1 OpenAPI names that query parameter ``details``: when a GET answer
carries no map, the request is sent once more with ``details=true``, and a target that answers a map then
is accepted (noted). The header's value is the map's resource URI: an absolute URL or path ending in
``/entityMap/{id}``, or the map id alone; the scenarios address the map at
``/ngsi-ld/v1/entityMap/{id}`` of the target either way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import API_ROOT, JSON, NgsiLd
from conformance.outcomes import precondition

HEADER = "NGSILD-EntityMap"
LOCAL = "@none"
QUERY_BATCH = f"{API_ROOT}/entityOperations/query"
SEGMENT = "/entityMap/"


def map_path(map_id: str) -> str:
    return f"{API_ROOT}/entityMap/{quote(map_id, safe=':')}"


def map_id_of(value: str) -> str:
    """The map id a NGSILD-EntityMap header value names (its resource URI, or the id itself)."""
    text = value.strip()
    if SEGMENT in text:
        return unquote(text.split(SEGMENT, 1)[1].split("?", 1)[0].rstrip("/"))
    return text


def instant(value: Any) -> datetime | None:
    """The instant an ISO 8601 DateTime with a time zone names (UTC when it has none), or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def query_types(
    ngsild: NgsiLd,
    entity_type: str,
    how: str,
    *,
    flag: str | None = "entityMap",
    entity_map: str | None = None,
    **params: str,
) -> requests.Response:
    """Query Entities by type (GET /entities or POST /entityOperations/query), asking for an EntityMap
    with ``flag`` (None: not asked) and naming the map ``entity_map`` in the request header."""
    headers = {HEADER: entity_map} if entity_map else {}
    if how == "post":
        body: dict[str, Any] = {"type": "Query", "entities": [{"type": entity_type}]}
        if flag:
            body["entityMap"] = True
        return ngsild.request(
            "POST",
            QUERY_BATCH,
            headers={"Content-Type": JSON, **headers},
            params=params or None,
            json_body=body,
        )
    sent = {"type": entity_type, **params, **({flag: "true"} if flag else {})}
    return ngsild.request("GET", f"{API_ROOT}/entities", headers=headers, params=sent)


def answered_ids(resp: requests.Response) -> list[str]:
    """The ids of the entities a query answered (200, or 201 when an EntityMap was created: V1.9.1)."""
    checks.status_is(resp, 200, 201)
    return [str(e.get("id")) for e in checks.json_array(resp) if isinstance(e, dict)]


class Maps:
    """The EntityMaps one test case makes on the target (deleted again at its teardown)."""

    def __init__(self, ngsild: NgsiLd, case: CaseEvidence) -> None:
        self.ngsild = ngsild
        self.case = case

    def forget_later(self, map_id: str) -> None:
        if self.ngsild.cleanup is not None:
            self.ngsild.cleanup.push(
                f"delete EntityMap {map_id}", lambda: self.ngsild.request("DELETE", map_path(map_id))
            )

    def requested(
        self, send: Callable[[str], requests.Response], *, strict: bool
    ) -> tuple[requests.Response, str]:
        """Send a request asking for an EntityMap (``send(flag)``); returns the answer and the map id.
        ``strict``: a missing map fails the check (else the scenario is INCONCLUSIVE: it builds on one)."""
        resp = send("entityMap")
        if HEADER not in resp.headers:  # also after a 400: a product may refuse a parameter it does not know
            retry = send("details")
            if HEADER in retry.headers and retry.status_code in (200, 201):
                self.case.note("the target asks for an EntityMap with details=true (the OpenAPI's name)")
                resp = retry
        if not strict:
            precondition(
                resp.status_code in (200, 201) and HEADER in resp.headers,
                f"a request with entityMap=true answered {resp.status_code} without a {HEADER} header",
            )
        checks.status_is(resp, 200, 201)
        if resp.status_code == 201:
            self.case.note("the request that created an EntityMap answered 201 Created (as V1.9.1 allows)")
        value = checks.header(resp, HEADER)
        map_id = map_id_of(value)
        self.case.note(f"{HEADER}: {value}")
        if strict:
            checks.is_uri(f"the EntityMap id named by {HEADER} {value!r}", map_id)
        else:
            precondition(bool(map_id) and ":" in map_id, f"{HEADER} {value!r} names no EntityMap id")
        self.forget_later(map_id)
        return resp, map_id

    def query(
        self, entity_type: str, how: str = "get", *, strict: bool = False, **params: str
    ) -> tuple[requests.Response, str]:
        return self.requested(
            lambda flag: query_types(self.ngsild, entity_type, how, flag=flag, **params), strict=strict
        )

    def fetch(self, map_id: str) -> requests.Response:
        resp = self.ngsild.request("GET", map_path(map_id))
        self.case.attach(f"EntityMap {map_id}", resp.text[:20_000])
        return resp

    def document(self, map_id: str, *, strict: bool = False) -> dict[str, Any]:
        """The EntityMap as Retrieve EntityMap answers it (checked when ``strict``)."""
        resp = self.fetch(map_id)
        if not strict:
            precondition(resp.status_code == 200, f"GET {map_path(map_id)} answered {resp.status_code}")
        checks.status_is(resp, 200)
        return checks.json_object(resp)

    def entries(self, map_id: str) -> dict[str, Any]:
        """The ``entityMap`` member of the map (entity id -> registration ids), checked to be an object."""
        doc = self.document(map_id)
        found = checks.member(f"EntityMap {map_id}", doc, "entityMap", kind=dict)
        return dict(found)

    def update(self, map_id: str, fragment: Any) -> requests.Response:
        return self.ngsild.request(
            "PATCH", map_path(map_id), headers={"Content-Type": JSON}, json_body=fragment
        )


def sources_of(entries: dict[str, Any], entity_id: str) -> list[str]:
    """What the map lists for an entity: its registration ids, with ``@none`` for local data; the key
    ``@none`` listing the entity (the other reading of clause 5.2.39's sentence) counts as ``@none``."""
    found = entries.get(entity_id)
    listed = [str(s) for s in found] if isinstance(found, list) else []
    local = entries.get(LOCAL)
    if isinstance(local, list) and entity_id in local and LOCAL not in listed:
        listed.append(LOCAL)
    return listed
