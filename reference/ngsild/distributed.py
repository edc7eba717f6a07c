"""Distributed retrieval (clause 4.3, 4.3.6 registration modes, 5.5.13 local scope): Retrieve Entity and
Query Entities are forwarded to the Context Sources whose registrations (clause 5.2.9) match the request,
and their answers are merged with the local entities.

Only retrieval is distributed (retrieveEntity, queryEntity, queryBatch); writes, subscriptions, temporal and
discovery operations stay local. A request carrying ``local=true``, or whose ``Via`` header already holds
this broker's identity (loop), is not forwarded; nor is it forwarded to a registration whose
``contextSourceAlias`` is a pseudonym of its ``Via`` header (clause 6.3.18), nor to one that a ``csf``
parameter (clause 5.7.2, the q language over the registration's members) does not match. Each source is asked once, in parallel, with the request's
@context in a Link header, the registration's ``tenant`` as NGSILD-Tenant and ``contextSourceInfo`` as
headers, within ``management.timeout`` ms (default 3 s). A source that fails (no answer, non-2xx other than
404) is skipped and counted in the registration's ``timesFailed``/``lastFailure``/``status``.

Merging (4.3.6.3): attributes of an exclusive or redirect source replace the local ones; an inclusive source
adds attributes and, for the same attribute instance (datasetId), wins when its observedAt (else
modifiedAt) is later; an auxiliary source only fills attributes the entity does not have.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from .broker import Broker
from .context import ActiveContext
from .errors import NgsiLdError
from .http import context_url_for, link_header_value
from .model import now_timestamp, parse_datetime, parse_entity
from .query import parse_type_expression
from .registrations import csf_predicate

if TYPE_CHECKING:
    from .entity_maps import MapUse

REGISTRATION = "csourceRegistration"  # storage kind of registrations.py
INVALID: Any = object()  # a source's answer whose payload is not JSON
DEFAULT_TIMEOUT_S = 3.0
RETRIEVE_OPERATIONS = {
    "retrieveEntity": {"retrieveEntity", "retrieveOps", "federationOps", "redirectionOps"},
    "queryEntity": {"queryEntity", "queryBatch", "retrieveOps", "federationOps", "redirectionOps"},
}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="forward")


def _via_token(broker: Broker) -> str:
    return f"1.1 {broker.source_id}"


def via_pseudonyms(request: Request) -> set[str]:
    """The received-by pseudonyms of the request's Via field values (RFC 7230 5.7.1): the context sources
    the request already went through (clause 6.3.18); their registrations do not match (loops)."""
    found = set()
    for value in ",".join(request.headers.getlist("via")).split(","):
        parts = value.split()
        if len(parts) >= 2:
            found.add(parts[1])
    return found


def should_forward(request: Request, broker: Broker) -> bool:
    if request.query_params.get("local", "").lower() == "true":
        return False
    via = ",".join(request.headers.getlist("via"))
    return broker.source_id not in via


def _supports(reg: dict[str, Any], operation: str) -> bool:
    operations = reg.get("operations")
    if not operations:
        return True  # default: federationOps (clause 4.20)
    return bool(set(operations) & RETRIEVE_OPERATIONS[operation])


def cooling_down(reg: dict[str, Any]) -> bool:
    """Whether the registration's last forwarded request failed less than management.cooldown ms ago
    (clause 5.2.34): then no request is sent to it, a timeout error stands for its answer."""
    cooldown = (reg.get("management") or {}).get("cooldown")
    if not isinstance(cooldown, (int, float)) or reg.get("status") != "failed":
        return False
    failed, now = parse_datetime(reg.get("lastFailure")), parse_datetime(now_timestamp())
    return failed is not None and now is not None and (now - failed).total_seconds() * 1000 < cooldown


def _active_registrations(broker: Broker, tenant: str, operation: str) -> list[dict[str, Any]]:
    now = parse_datetime(now_timestamp())
    found = []
    for reg in broker.storage.list(REGISTRATION, tenant):
        expires = parse_datetime(reg.get("expiresAt"))
        if expires is not None and now is not None and expires <= now:
            continue
        if "observationInterval" in reg or "managementInterval" in reg:
            continue  # temporal sources only
        if reg.get("contextSourceAlias") == broker.source_id or not _supports(reg, operation):
            continue
        if not re.match(r"^https?://", str(reg.get("endpoint", ""))):
            continue
        found.append(reg)
    return found


def _names(info: dict[str, Any]) -> set[str]:
    return set(info.get("propertyNames", [])) | set(info.get("relationshipNames", []))


def _entity_info_matches(
    info: dict[str, Any], entity_ids: list[str] | None, type_pred: Any, attrs: set[str] | None
) -> bool:
    names = _names(info)
    if attrs and names and not names & attrs:
        return False
    entities = info.get("entities")
    if not entities:
        return True
    for entity in entities:
        if type_pred is not None and not type_pred({"types": entity["type"], "id": "", "attrs": {}}):
            continue
        if entity_ids is not None:
            if "id" in entity and entity["id"] not in entity_ids:
                continue
            if "id" not in entity and "idPattern" in entity:
                if not any(re.search(entity["idPattern"], i) for i in entity_ids):
                    continue
        return True
    return False


def matching_registrations(
    broker: Broker,
    tenant: str,
    operation: str,
    ctx: ActiveContext,
    entity_ids: list[str] | None,
    type_expr: str | None,
    attrs: set[str] | None,
) -> list[dict[str, Any]]:
    type_pred = parse_type_expression(type_expr, ctx) if type_expr else None
    return [
        reg
        for reg in _active_registrations(broker, tenant, operation)
        if any(_entity_info_matches(i, entity_ids, type_pred, attrs) for i in reg["information"])
    ]


def _source_url(endpoint: str, path: str) -> str:
    base = endpoint.rstrip("/")
    if not base.endswith("/ngsi-ld/v1"):
        base += "/ngsi-ld/v1"
    return base + path


def _fetch(
    url: str,
    headers: dict[str, str],
    timeout: float,
    body: bytes | None = None,
    answered: dict[str, str] | None = None,
) -> tuple[int, Any] | None:
    """``answered``, when given, receives the answer's headers (names in lower case)."""
    request = urllib.request.Request(
        url, data=body, headers=headers, method="POST" if body is not None else "GET"
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read(20_000_000)
            if answered is not None:
                answered.update({k.lower(): v for k, v in response.headers.items()})
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, http.client.HTTPException):
        return None
    try:
        return status, json.loads(raw.decode("utf-8"))
    except ValueError:
        return status, INVALID


def _record(broker: Broker, tenant: str, reg_id: str, ok: bool) -> None:
    reg = broker.storage.get(REGISTRATION, tenant, reg_id)
    if reg is None:
        return
    now = now_timestamp()
    reg["timesSent"] = reg.get("timesSent", 0) + 1
    if ok:
        reg["lastSuccess"] = now
        reg["status"] = "ok"
    else:
        reg["timesFailed"] = reg.get("timesFailed", 0) + 1
        reg["lastFailure"] = now
        reg["status"] = "failed"
    broker.storage.update(REGISTRATION, tenant, reg_id, reg)


async def forward(
    request: Request,
    broker: Broker,
    tenant: str,
    ctx: ActiveContext,
    registrations: list[dict[str, Any]],
    path: str,
    params: list[tuple[str, str]],
    body: Any = None,
    maps: MapUse | None = None,
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Ask every registered source; returns (registration, entities in stored form) per answering source.
    ``maps``: the EntityMap in use, which asks each source for its own map and records it (entity_maps.py)."""
    encountered = via_pseudonyms(request)
    registrations = [r for r in registrations if r.get("contextSourceAlias") not in encountered]
    registrations = [r for r in registrations if not cooling_down(r)]
    csf = body.get("csf") if isinstance(body, dict) and body.get("csf") else request.query_params.get("csf")
    if csf:  # the Query's context source filter (clause 5.7.2, 5.2.23): only registrations matching it
        keep = csf_predicate(csf, ctx)
        registrations = [r for r in registrations if keep(r)]
    if not registrations:
        return []
    hosted = broker.link_url_for(request, ctx, now_timestamp())
    link = link_header_value(context_url_for(ctx, hosted))
    via = ", ".join([*request.headers.getlist("via"), _via_token(broker)])
    loop = asyncio.get_running_loop()
    jobs = []
    answered: list[dict[str, str]] = []
    for reg in registrations:
        headers = {"Accept": "application/json", "Link": link, "Via": via}
        if reg.get("tenant"):
            headers["NGSILD-Tenant"] = reg["tenant"]
        for pair in reg.get("contextSourceInfo") or []:
            headers[pair["key"]] = pair["value"]
        query = list(params)
        if (reg.get("management") or {}).get("localOnly"):
            query.append(("local", "true"))
        timeout = (reg.get("management") or {}).get("timeout")
        timeout_s = min(30.0, timeout / 1000) if isinstance(timeout, (int, float)) else DEFAULT_TIMEOUT_S
        sent = body if maps is None else maps.prepare(str(reg.get("id")), query, headers, body)
        url = _source_url(reg["endpoint"], path) + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None
        if sent is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(sent).encode("utf-8")
        answered.append({})
        jobs.append(loop.run_in_executor(_EXECUTOR, _fetch, url, headers, timeout_s, data, answered[-1]))
    answers = await asyncio.gather(*jobs)
    results = []
    now = now_timestamp()
    for reg, answer, got in zip(registrations, answers, answered, strict=True):
        ok = answer is not None and (200 <= answer[0] < 300 or answer[0] == 404) and answer[1] is not INVALID
        if maps is not None and ok:
            maps.answered(str(reg.get("id")), got)
        _record(broker, tenant, reg["id"], ok)
        if not ok:
            _warn(request, reg, answer)
        if answer is None or not 200 <= answer[0] < 300 or answer[1] is INVALID:
            continue
        payload = answer[1]
        items = payload if isinstance(payload, list) else [payload]
        entities = []
        for item in items:
            if not isinstance(item, dict):
                continue
            item = {k: v for k, v in item.items() if k != "@context"}
            try:
                entities.append(parse_entity(item, ctx, now))
            except NgsiLdError:
                continue
        results.append((reg, entities))
    return results


def _warn(request: Request, reg: dict[str, Any], answer: tuple[int, Any] | None) -> None:
    """Note an NGSILD-Warning (clause 6.3.17; RFC 7234 form, agent "-") for a source that failed: 299 for an
    error answer, 111 for a payload that is not NGSI-LD (not incorporated), 199 for no answer in time."""
    if answer is None:
        code, text = 199, "did not answer within the timeout"
    elif answer[1] is INVALID:
        code, text = 111, "answered a payload that is not valid JSON"
    else:
        code, text = 299, f"answered {answer[0]}"
    found = getattr(request.state, "ngsild_warnings", None)
    if found is None:
        found = request.state.ngsild_warnings = []
    found.append(f'{code} - "context source of registration {reg.get("id")} {text}"')


def warnings_of(request: Request) -> dict[str, str]:
    """The NGSILD-Warning header of the answer, when a source failed while it was being built."""
    found = getattr(request.state, "ngsild_warnings", None)
    return {"NGSILD-Warning": ", ".join(found)} if found else {}


def _instance_time(inst: dict[str, Any]) -> Any:
    return parse_datetime(inst.get("observedAt")) or parse_datetime(inst.get("modifiedAt"))


def merge(local: dict[str, Any] | None, remote: dict[str, Any], mode: str) -> dict[str, Any]:
    """Merge a remote entity (stored form) into a local one (clause 4.3.6.3)."""
    if local is None:
        return remote
    merged = json.loads(json.dumps(local))
    for iri in remote.get("types", []):
        if iri not in merged["types"]:
            merged["types"].append(iri)
    for iri, instances in remote["attrs"].items():
        if mode in ("exclusive", "redirect"):
            merged["attrs"][iri] = instances
            continue
        if iri not in merged["attrs"]:
            merged["attrs"][iri] = instances
            continue
        if mode == "auxiliary":
            continue
        current = merged["attrs"][iri]
        for inst in instances:
            same = next(
                (i for i, c in enumerate(current) if c.get("datasetId") == inst.get("datasetId")), None
            )
            if same is None:
                current.append(inst)
                continue
            mine, theirs = _instance_time(current[same]), _instance_time(inst)
            if theirs is not None and (mine is None or theirs > mine):
                current[same] = inst
    return merged


# Parameters not passed on: paging, scope and representation are the forwarding broker's business; the
# source is asked for normalized entities with sysAttrs so that they can be merged.
NOT_FORWARDED = {
    "limit",
    "offset",
    "count",
    "local",
    "options",
    "format",
    "pick",
    "omit",
    "lang",
    "datasetId",
    "join",  # linked entity retrieval (4.5.23) is done here, over the merged entities
    "joinLevel",
    "containedBy",
    "entityMap",  # EntityMaps (clause 5.14) are this broker's own: sources are not asked for one
    "details",  # the V1.8.1 OpenAPI's name of the entityMap parameter
}


def forwarded_params(request: Request) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in NOT_FORWARDED]
    return [*kept, ("options", "sysAttrs")]
