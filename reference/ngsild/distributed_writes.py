"""Distributed writes (clauses 4.3.6.2, 4.20, 6.3.17): Delete Entity (deleteEntity), Append (appendAttrs) and Update Entity Attributes (updateEntity) on an
entity that matches a registration whose ``operations`` name the operation (explicitly or through a group)
are passed on to the registered Context Source as well as done locally.

Only these three operations are distributed here. The default operations of a registration are
``federationOps`` (clause 4.20), which hold no write: a registration without ``operations`` never receives
writes. A request with ``local=true`` or whose Via already names this broker is not passed on; nor to a
registration whose ``contextSourceAlias`` is a Via pseudonym (clause 6.3.18). A source that answers an error
or does not answer in time is reported in a BatchOperationResult (207 Multi-Status, response
MultiStatus.BatchOperationResult of the OpenAPI): one BatchEntityError naming the entity, the registration
and the source's status.
"""

from __future__ import annotations

import asyncio
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import distributed
from .broker import Broker
from .http import tenant_headers

PROBLEM = "https://uri.etsi.org/ngsi-ld/errors/"
# Operation groups of clause 4.20 that hold the distributed writes implemented here (names: the OpenAPI
# operationIds). The batch operations belong to no group: a registration names them one by one.
WRITE_GROUPS: dict[str, set[str]] = {
    "createEntity": {"redirectionOps"},
    "deleteEntity": {"redirectionOps"},
    "appendAttrs": {"redirectionOps"},
    "updateEntity": {"redirectionOps", "updateOps"},  # PATCH /entities/{id}/attrs (5.6.2)
    "updateAttrs": {"redirectionOps", "updateOps"},  # PATCH /entities/{id}/attrs/{attrId} (5.6.4)
    "replaceAttrs": {"redirectionOps", "updateOps"},  # PUT /entities/{id}/attrs/{attrId} (5.6.19)
    "deleteAttrs": {"redirectionOps"},  # DELETE /entities/{id}/attrs/{attrId} (5.6.5)
    "replaceEntity": {"redirectionOps", "updateOps"},  # PUT /entities/{id} (5.6.18)
    "mergeEntity": {"redirectionOps"},  # PATCH /entities/{id} (5.6.17)
    "createBatch": set(),
    "upsertBatch": set(),
    "updateBatch": set(),
    "deleteBatch": set(),
    "mergeBatch": set(),
}
INCLUSIVE = ("inclusive",)  # the mode a registration has when it gives none (clause 5.2.9)


def supports(reg: dict[str, Any], operation: str) -> bool:
    """Whether the registration's operations (default federationOps, clause 4.20) name this write."""
    operations = set(reg.get("operations") or ["federationOps"])
    return operation in operations or bool(operations & WRITE_GROUPS[operation])


def mode_of(reg: dict[str, Any]) -> str:
    return str(reg.get("mode") or "inclusive")


def info_matches(info: dict[str, Any], entity: dict[str, Any], attrs: set[str] | None) -> bool:
    """Whether a RegistrationInfo covers this entity and, when it names attributes, one of ``attrs``. An
    entity of unknown type (``types`` empty: one the broker does not hold, written without its type) is
    covered only by a selector naming its id."""
    names = set(info.get("propertyNames", [])) | set(info.get("relationshipNames", []))
    if attrs is not None and names and not names & attrs:
        return False
    selectors = info.get("entities")
    if not selectors:
        return True
    for sel in selectors:
        if not entity.get("types"):
            if sel.get("id") == entity["id"]:
                return True
            continue
        if not set(sel.get("type", [])) & set(entity["types"]):
            continue
        if "id" in sel and sel["id"] != entity["id"]:
            continue
        if "id" not in sel and "idPattern" in sel and not re.search(sel["idPattern"], entity["id"]):
            continue
        return True
    return False


def candidate_registrations(
    request: Request,
    broker: Broker,
    tenant: str,
    operation: str,
    modes: tuple[str, ...] = INCLUSIVE,
    supported: bool = True,
) -> list[dict[str, Any]]:
    """The registrations of these modes that a write of this operation may be passed on to (``supported``
    False: those whose operations do not name it), before their information is matched: none when the request
    is local or already went through this broker."""
    if not distributed.should_forward(request, broker):
        return []
    encountered = distributed.via_pseudonyms(request)
    found = []
    for reg in broker.storage.list(distributed.REGISTRATION, tenant):
        if reg.get("contextSourceAlias") in encountered | {broker.source_id}:
            continue
        if "observationInterval" in reg or "managementInterval" in reg:
            continue
        if mode_of(reg) not in modes:
            continue
        if supports(reg, operation) != supported:
            continue
        if not supported or str(reg.get("endpoint", "")).startswith(("http://", "https://")):
            found.append(reg)
    return found


def write_registrations(
    request: Request,
    broker: Broker,
    tenant: str,
    operation: str,
    entity: dict[str, Any],
    attrs: set[str] | None = None,
    modes: tuple[str, ...] = INCLUSIVE,
    supported: bool = True,
) -> list[dict[str, Any]]:
    """The registrations of these modes a write on this entity is passed on to (``supported`` False: those
    matching it whose operations do not name the write). Auxiliary registrations are never used for writes
    (clause 4.3.6.2); exclusive and redirect ones are handled by distributed_modes.py, which takes their
    attributes out of the local write."""
    return [
        reg
        for reg in candidate_registrations(request, broker, tenant, operation, modes, supported)
        if any(info_matches(i, entity, attrs) for i in reg.get("information", []))
    ]


def _send(url: str, method: str, headers: dict[str, str], body: bytes | None, timeout: float) -> int | None:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with distributed._OPENER.open(request, timeout=timeout) as response:
            response.read(1_000_000)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except Exception:  # noqa: BLE001 - any transport failure is a failed source
        return None


async def forward_write(
    request: Request,
    broker: Broker,
    tenant: str,
    registrations: list[dict[str, Any]],
    method: str,
    path: str,
    entity_id: str,
    with_body: bool = False,
    bodies: dict[str, bytes] | None = None,
) -> list[dict[str, Any]]:
    """Pass a write on to each registration's source (with the request's body, or the one ``bodies``
    gives for the registration's id); returns a BatchEntityError per failed source."""
    via = ", ".join([*request.headers.getlist("via"), f"1.1 {broker.source_id}"])
    raw = await request.body() if with_body else None
    loop = asyncio.get_running_loop()
    jobs = []
    cooling = [r for r in registrations if distributed.cooling_down(r)]
    registrations = [r for r in registrations if r not in cooling]
    for reg in registrations:
        headers = {"Accept": "application/json", "Via": via}
        data = (bodies or {}).get(reg["id"], raw) if with_body else None
        if with_body:
            headers["Content-Type"] = request.headers.get("content-type", "application/json")
        if request.headers.get("link"):
            headers["Link"] = request.headers["link"]
        if reg.get("tenant"):
            headers["NGSILD-Tenant"] = reg["tenant"]
        for pair in reg.get("contextSourceInfo") or []:
            headers[pair["key"]] = pair["value"]
        timeout = (reg.get("management") or {}).get("timeout")
        timeout_s = (
            min(30.0, timeout / 1000) if isinstance(timeout, (int, float)) else distributed.DEFAULT_TIMEOUT_S
        )
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "local"]
        if (reg.get("management") or {}).get("localOnly"):
            query.append(("local", "true"))  # act only on the source's own data (clause 4.3.6.4)
        url = distributed._source_url(reg["endpoint"], path)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        jobs.append(loop.run_in_executor(distributed._EXECUTOR, _send, url, method, headers, data, timeout_s))
    statuses = await asyncio.gather(*jobs)
    errors = [_error(entity_id, reg["id"], None) for reg in cooling]
    for reg, status in zip(registrations, statuses, strict=True):
        ok = status is not None and 200 <= status < 300
        distributed._record(broker, tenant, reg["id"], ok)
        if ok:
            continue
        errors.append(_error(entity_id, reg["id"], status))
    return errors


def _error(entity_id: str, reg_id: str, status: int | None) -> dict[str, Any]:
    """The BatchEntityError of a source that failed (status None: no answer, or in cooldown)."""
    title = "the context source did not answer" if status is None else f"the context source answered {status}"
    return {
        "entityId": entity_id,
        "registrationId": reg_id,
        "error": {
            "type": PROBLEM + ("InternalError" if status is None or status >= 500 else "BadRequestData"),
            "title": title,
            "status": status if status is not None else 504,
        },
    }


def conflict(entity_id: str, reg_id: str, operation: str) -> dict[str, Any]:
    """The BatchEntityError of an exclusive or redirect registration that matches a write its operations do
    not name: its part of the write is done nowhere (clauses 4.3.6.3, 6.3.17)."""
    return {
        "entityId": entity_id,
        "registrationId": reg_id,
        "error": {
            "type": PROBLEM + "Conflict",
            "title": f"the registration holds this data but does not offer {operation}",
            "status": 409,
        },
    }


def multi_status(entity_id: str, local_done: bool, errors: list[dict[str, Any]], tenant: str) -> Response:
    """207 Multi-Status with the BatchOperationResult of a distributed write that partly failed."""
    body = {"success": [entity_id] if local_done else [], "errors": errors}
    return JSONResponse(body, status_code=207, headers=tenant_headers(tenant))
