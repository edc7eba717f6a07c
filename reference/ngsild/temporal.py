"""Temporal API: temporal representation of entities (clauses 4.5.7 - 4.5.9, 4.5.19, 4.11; operations
5.6.11 - 5.6.16, 5.7.3, 5.7.4; HTTP binding 6.18 - 6.24).

The temporal evolution of an entity is recorded from two sources: the temporal API (/temporal/entities) and
every change made through the regular entity API (create, update, append, merge, replace, batch): each new
or changed attribute instance becomes a new temporal instance (``record_change``). Deleting an entity through
the regular API deletes its temporal representation too. Stored: a ``temporalEntity`` document (id,
expanded types, scope, createdAt, modifiedAt) and one row per attribute instance in the
``temporal_instances`` table (stored form of an instance plus a system generated ``instanceId``).

Temporal query (clause 4.11): ``timerel`` before (t < timeAt), after (t >= timeAt), between
(timeAt <= t < endTimeAt), on ``timeproperty`` (default observedAt). Without ``timerel`` every instance is
returned. ``lastN`` keeps the last N instances per attribute (returned in ascending time order).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .broker import Broker
from .context import ActiveContext
from .errors import NgsiLdError, bad_request, invalid_request, not_found
from .geo import geo_predicate, parse_geoquery
from .http import (
    JSON,
    JSONLD,
    Page,
    json_response,
    negotiate,
    page_links,
    parse_page,
    read_body,
    request_context,
    resolve_context,
    tenant_headers,
    tenant_of,
)
from .model import (
    ATTRIBUTE_TYPES,
    RESERVED_ENTITY_MEMBERS,
    check_entity_id,
    check_name,
    expand_types,
    now_timestamp,
    parse_datetime,
    parse_instance,
    parse_scope,
)
from .query import parse_attrs_param, parse_q, scope_predicate, selector_predicate
from .render import RenderOptions, render_instance

TEMPORAL_ENTITY = "temporalEntity"
TIME_PROPERTIES = ("observedAt", "createdAt", "modifiedAt", "deletedAt")
AGGR_METHODS = ("totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq")
# clause 4.5.9: member of the simplified temporal representation per attribute type, the plural of the
# value member (values, objects, languageMaps, valueLists, objectLists, vocabs, jsons)
VALUES_MEMBER = {attr_type: member + "s" for attr_type, member in ATTRIBUTE_TYPES.items()}
SIMPLIFIED_MEMBERS = {v: k for k, v in VALUES_MEMBER.items() if k != "GeoProperty"}


# ------------------------------------------------------------------------------- parsing


def _simplified_instances(
    name: str, raw: dict[str, Any], ctx: ActiveContext, now: str
) -> list[dict[str, Any]]:
    """Instances from the simplified temporal representation {"type": T, "values": [[v, t], ...]}."""
    member = next(m for m in SIMPLIFIED_MEMBERS if m in raw)
    attr_type = raw.get("type") or SIMPLIFIED_MEMBERS[member]
    if not isinstance(attr_type, str) or attr_type not in VALUES_MEMBER or VALUES_MEMBER[attr_type] != member:
        raise bad_request(f"attribute {name!r}: {member} does not fit type {attr_type!r}")
    pairs = raw[member]
    if not isinstance(pairs, list) or not pairs:
        raise bad_request(f"attribute {name!r}: {member} shall be a non-empty array of [value, DateTime]")
    instances = []
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2 or parse_datetime(pair[1]) is None:
            raise bad_request(f"attribute {name!r}: each item of {member} shall be [value, DateTime]")
        item: dict[str, Any] = {"type": attr_type, ATTRIBUTE_TYPES[attr_type]: pair[0], "observedAt": pair[1]}
        if "datasetId" in raw:
            item["datasetId"] = raw["datasetId"]
        instances.append(parse_instance(name, item, ctx, now))
    return instances


def parse_temporal_attribute(name: str, raw: Any, ctx: ActiveContext, now: str) -> list[dict[str, Any]]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise bad_request(f"attribute {name!r} has no instance")
    instances: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict) and any(m in item for m in SIMPLIFIED_MEMBERS):
            instances.extend(_simplified_instances(name, item, ctx, now))
            continue
        if isinstance(item, dict):
            item = {k: v for k, v in item.items() if k not in ("instanceId", "createdAt", "modifiedAt")}
        instances.append(parse_instance(name, item, ctx, now))
    for inst in instances:
        inst["instanceId"] = f"urn:ngsi-ld:Instance:{uuid.uuid4()}"
    return instances


def parse_temporal_attributes(
    payload: dict[str, Any], ctx: ActiveContext, now: str
) -> dict[str, list[dict[str, Any]]]:
    attrs: dict[str, list[dict[str, Any]]] = {}
    for key, raw in payload.items():
        if key in RESERVED_ENTITY_MEMBERS:
            continue
        check_name(key, "attribute name")
        attrs.setdefault(ctx.expand(key), []).extend(parse_temporal_attribute(key, raw, ctx, now))
    return attrs


def _store(broker: Broker, tenant: str, entity_id: str, attrs: dict[str, list[dict[str, Any]]]) -> None:
    rows = [(iri, inst["instanceId"], inst) for iri, instances in attrs.items() for inst in instances]
    if rows:
        broker.storage.add_instances(tenant, entity_id, rows)


# ------------------------------------------------------------- history of the entity API


def install_recorder(broker: Broker) -> None:
    """Record every entity change of the regular API in the temporal representation."""

    def record_change(tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        if after is None:
            if before is not None:
                broker.storage.delete(TEMPORAL_ENTITY, tenant, before["id"])
                broker.storage.delete_instances(tenant, before["id"])
            return
        now = after.get("modifiedAt") or now_timestamp()
        doc = broker.storage.get(TEMPORAL_ENTITY, tenant, after["id"])
        if doc is None:
            doc = {"id": after["id"], "types": list(after["types"]), "createdAt": after["createdAt"],
                   "modifiedAt": now}  # fmt: skip
            if after.get("scope"):
                doc["scope"] = after["scope"]
            broker.storage.ensure_tenant(tenant)
            broker.storage.insert(TEMPORAL_ENTITY, tenant, after["id"], doc)
        else:
            for iri in after["types"]:
                if iri not in doc["types"]:
                    doc["types"].append(iri)
            if after.get("scope"):
                doc["scope"] = after["scope"]
            doc["modifiedAt"] = now
            broker.storage.update(TEMPORAL_ENTITY, tenant, after["id"], doc)
        old = (before or {}).get("attrs", {})
        rows = []
        for iri, instances in after["attrs"].items():
            previous = {i.get("datasetId"): i for i in old.get(iri, [])}
            for inst in instances:
                if previous.get(inst.get("datasetId")) == inst:
                    continue
                copy = json.loads(json.dumps(inst))
                if before is not None:
                    copy["createdAt"] = copy.get("modifiedAt", now)
                copy["instanceId"] = f"urn:ngsi-ld:Instance:{uuid.uuid4()}"
                rows.append((iri, copy["instanceId"], copy))
        if rows:
            broker.storage.add_instances(tenant, after["id"], rows)

    broker.listeners.append(record_change)


# ---------------------------------------------------------------------------- provision


async def upsert_temporal(request: Request, broker: Broker) -> Response:
    """5.6.11 Create or Update Temporal Representation of an Entity: 201 created, 204 instances added."""
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    payload = body.payload
    if not isinstance(payload, dict):
        raise bad_request("the temporal entity shall be a JSON object")
    entity_id = check_entity_id(payload.get("id", payload.get("@id")))
    raw_type = payload.get("type", payload.get("@type"))
    if raw_type is None:
        raise bad_request("the entity type is missing")
    types = expand_types(raw_type, ctx)
    scope = parse_scope(payload["scope"]) if "scope" in payload else None
    now = now_timestamp()
    attrs = parse_temporal_attributes(payload, ctx, now)
    broker.storage.ensure_tenant(tenant)
    existing = broker.storage.get(TEMPORAL_ENTITY, tenant, entity_id)
    if existing is None:
        doc: dict[str, Any] = {"id": entity_id, "types": types, "createdAt": now, "modifiedAt": now}
        if scope is not None:
            doc["scope"] = scope
        if not broker.storage.insert(TEMPORAL_ENTITY, tenant, entity_id, doc):
            raise NgsiLdError("AlreadyExists", f"temporal entity {entity_id} already exists")
        _store(broker, tenant, entity_id, attrs)
        location = "/ngsi-ld/v1/temporal/entities/" + entity_id
        return Response(status_code=201, headers={"Location": location, **tenant_headers(tenant)})
    for iri in types:
        if iri not in existing["types"]:
            existing["types"].append(iri)
    if scope is not None:
        existing["scope"] = scope
    existing["modifiedAt"] = now
    broker.storage.update(TEMPORAL_ENTITY, tenant, entity_id, existing)
    _store(broker, tenant, entity_id, attrs)
    return Response(status_code=204, headers=tenant_headers(tenant))


def _load(broker: Broker, tenant: str, entity_id: str) -> dict[str, Any]:
    check_entity_id(entity_id)
    doc = broker.storage.get(TEMPORAL_ENTITY, tenant, entity_id)
    if doc is None:
        raise not_found(f"no temporal representation of entity {entity_id}")
    return doc


async def append_temporal_attrs(request: Request, broker: Broker, entity_id: str) -> Response:
    """5.6.12 Add Attributes to Temporal Representation of an Entity."""
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    payload = body.payload
    if not isinstance(payload, dict):
        raise bad_request("the payload shall be a JSON object (a temporal entity fragment)")
    broker.require_tenant(tenant)
    doc = _load(broker, tenant, entity_id)
    raw_id = payload.get("id", payload.get("@id"))
    if raw_id is not None and raw_id != entity_id:
        raise bad_request("the payload id does not match the entity id")
    now = now_timestamp()
    attrs = parse_temporal_attributes(payload, ctx, now)
    if not attrs:
        raise bad_request("the fragment holds no attribute")
    _store(broker, tenant, entity_id, attrs)
    doc["modifiedAt"] = now
    broker.storage.update(TEMPORAL_ENTITY, tenant, entity_id, doc)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def delete_temporal(request: Request, broker: Broker, entity_id: str) -> Response:
    """5.6.16 Delete Temporal Representation of an Entity."""
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    _load(broker, tenant, entity_id)
    broker.storage.delete(TEMPORAL_ENTITY, tenant, entity_id)
    broker.storage.delete_instances(tenant, entity_id)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def delete_temporal_attr(request: Request, broker: Broker, entity_id: str, attr_id: str) -> Response:
    """5.6.13 Delete Attribute from Temporal Representation: default instances, one datasetId or all."""
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    doc = _load(broker, tenant, entity_id)
    check_name(attr_id, "attribute name")
    iri = ctx.expand(attr_id)
    delete_all = request.query_params.get("deleteAll", "false").lower()
    if delete_all not in ("true", "false"):
        raise bad_request("deleteAll shall be true or false")
    dataset_id = request.query_params.get("datasetId")
    if (
        dataset_id is not None
        and dataset_id != "@none"
        and not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", dataset_id)
    ):
        raise bad_request("datasetId shall be a URI")
    rows = [(i, d) for a, i, d in broker.storage.instances(tenant, entity_id) if a == iri]
    if not rows:
        raise not_found(f"attribute {attr_id} does not exist in the temporal entity {entity_id}")
    if delete_all == "true":
        chosen = [i for i, _ in rows]
    else:
        key = None if dataset_id in (None, "@none") else dataset_id
        chosen = [i for i, d in rows if d.get("datasetId") == key]
    if not chosen:
        raise not_found(f"attribute {attr_id} has no instance with datasetId {dataset_id}")
    broker.storage.delete_instances(tenant, entity_id, chosen)
    doc["modifiedAt"] = now_timestamp()
    broker.storage.update(TEMPORAL_ENTITY, tenant, entity_id, doc)
    return Response(status_code=204, headers=tenant_headers(tenant))


def _find_instance(broker: Broker, tenant: str, entity_id: str, iri: str, instance_id: str) -> dict[str, Any]:
    for attr, inst_id, inst in broker.storage.instances(tenant, entity_id):
        if attr == iri and inst_id == instance_id:
            return inst
    raise not_found(f"no instance {instance_id} of that attribute in temporal entity {entity_id}")


async def update_temporal_instance(
    request: Request, broker: Broker, entity_id: str, attr_id: str, instance_id: str
) -> Response:
    """5.6.14 Partial Update Attribute instance in Temporal Representation of an Entity."""
    body = await read_body(request, allow_merge_patch=True)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    doc = _load(broker, tenant, entity_id)
    check_name(attr_id, "attribute name")
    iri = ctx.expand(attr_id)
    existing = _find_instance(broker, tenant, entity_id, iri, instance_id)
    payload = body.payload
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "@context"}
        wrapped = payload.get(attr_id)
        if len(payload) == 1 and isinstance(wrapped, (dict, list)):  # {attrId: fragment} form
            payload = wrapped[0] if isinstance(wrapped, list) and len(wrapped) == 1 else wrapped
    if not isinstance(payload, dict) or not payload:
        raise bad_request("the payload shall be an attribute instance fragment (a JSON object)")
    merged = dict(_as_raw(existing, ctx))
    if ("type" in payload or "@type" in payload) and payload.get("type", payload.get("@type")) != existing[
        "type"
    ]:
        merged = {}
    merged.update(payload)
    now = now_timestamp()
    updated = parse_instance(attr_id, merged, ctx, now)
    updated["createdAt"] = existing.get("createdAt", now)
    updated["instanceId"] = instance_id
    broker.storage.update_instance(tenant, entity_id, instance_id, updated)
    doc["modifiedAt"] = now
    broker.storage.update(TEMPORAL_ENTITY, tenant, entity_id, doc)
    return Response(status_code=204, headers=tenant_headers(tenant))


def _as_raw(inst: dict[str, Any], ctx: ActiveContext) -> dict[str, Any]:
    """A stored instance back in normalized input form (for merging a fragment into it)."""
    rendered = render_instance(inst, ctx, RenderOptions())
    return rendered if isinstance(rendered, dict) else {"type": inst["type"], "value": rendered}


async def delete_temporal_instance(
    request: Request, broker: Broker, entity_id: str, attr_id: str, instance_id: str
) -> Response:
    """5.6.15 Delete Attribute Instance from Temporal Representation of an Entity."""
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    doc = _load(broker, tenant, entity_id)
    check_name(attr_id, "attribute name")
    _find_instance(broker, tenant, entity_id, ctx.expand(attr_id), instance_id)
    broker.storage.delete_instances(tenant, entity_id, [instance_id])
    doc["modifiedAt"] = now_timestamp()
    broker.storage.update(TEMPORAL_ENTITY, tenant, entity_id, doc)
    return Response(status_code=204, headers=tenant_headers(tenant))


# ------------------------------------------------------------------------- temporal query


@dataclass
class TemporalQuery:
    timerel: str | None = None
    time_at: datetime | None = None
    end_time_at: datetime | None = None
    timeproperty: str = "observedAt"
    last_n: int | None = None
    representation: str = "normalized"  # normalized | temporalValues | aggregatedValues
    sys_attrs: bool = False
    aggr_methods: list[str] = field(default_factory=list)
    aggr_period: timedelta | None = None
    attrs: set[str] | None = None
    lang: str | None = None
    dataset_ids: set[str | None] | None = None
    pick: set[str] | None = None
    omit: set[str] | None = None

    def instance_time(self, inst: dict[str, Any]) -> datetime | None:
        return parse_datetime(inst.get(self.timeproperty))

    def in_range(self, inst: dict[str, Any]) -> bool:
        if self.timerel is None:
            return True
        moment = self.instance_time(inst)
        if moment is None or self.time_at is None:
            return False
        if self.timerel == "before":
            return moment < self.time_at
        if self.timerel == "after":
            return moment >= self.time_at
        assert self.end_time_at is not None
        return self.time_at <= moment < self.end_time_at


_DURATION_RE = re.compile(
    r"^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """ISO 8601 duration; years count 365 days and months 30 days. "0" means no period."""
    if text.strip() == "0":
        return timedelta(0)
    match = _DURATION_RE.match(text.strip())
    if not match:
        raise bad_request(f"aggrPeriodDuration {text!r} is not an ISO 8601 duration")
    years, months, weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(
        days=years * 365 + months * 30 + weeks * 7 + days, hours=hours, minutes=minutes, seconds=seconds
    )


def _temporal_params(
    get: Callable[[str], Any], ctx: ActiveContext, options: str | None, fmt: str | None
) -> TemporalQuery:
    """Build a TemporalQuery from URI parameters (or the members of a temporalQ object)."""
    tq = TemporalQuery()
    timerel = get("timerel")
    if timerel is not None:
        if timerel not in ("before", "after", "between"):
            raise bad_request("timerel shall be before, after or between")
        tq.timerel = timerel
        tq.time_at = parse_datetime(get("timeAt"))
        if tq.time_at is None:
            raise bad_request("timeAt shall be a DateTime when timerel is present")
        if timerel == "between":
            tq.end_time_at = parse_datetime(get("endTimeAt"))
            if tq.end_time_at is None:
                raise bad_request("endTimeAt shall be a DateTime when timerel is between")
            if tq.end_time_at <= tq.time_at:
                raise bad_request("endTimeAt shall be after timeAt")
    elif get("timeAt") is not None or get("endTimeAt") is not None:
        raise bad_request("timeAt and endTimeAt require timerel")
    timeproperty = get("timeproperty")
    if timeproperty is not None:
        if timeproperty not in TIME_PROPERTIES:
            raise bad_request(f"timeproperty shall be one of {', '.join(TIME_PROPERTIES)}")
        tq.timeproperty = timeproperty
    last_n = get("lastN")
    if last_n is not None:
        text = str(last_n)
        if isinstance(last_n, bool) or not re.match(r"^\d+$", text) or int(text) < 1:
            raise bad_request("lastN shall be an integer >= 1")
        tq.last_n = int(text)
    chosen: list[str] = []
    for item in (options or "").split(","):
        item = item.strip()
        if not item:
            continue
        if item == "sysAttrs":
            tq.sys_attrs = True
        elif item in ("temporalValues", "aggregatedValues"):
            chosen.append(item)
        elif item != "normalized":
            raise invalid_request(f"unsupported options value {item!r}")
    if len(set(chosen)) > 1:
        raise bad_request("temporalValues and aggregatedValues shall not be used together")
    if fmt is not None and fmt != "":
        if fmt not in ("temporalValues", "aggregatedValues", "normalized"):
            raise bad_request(f"unsupported format {fmt!r}")
        chosen = [fmt]
    if chosen:
        tq.representation = chosen[0]
    methods = get("aggrMethods")
    if tq.representation == "aggregatedValues":
        if methods is None:
            raise bad_request("aggregatedValues requires aggrMethods")
        items = methods if isinstance(methods, list) else str(methods).split(",")
        tq.aggr_methods = [str(m).strip() for m in items if str(m).strip()]
        if not tq.aggr_methods or any(m not in AGGR_METHODS for m in tq.aggr_methods):
            raise bad_request(f"aggrMethods shall be a list of {', '.join(AGGR_METHODS)}")
        period = get("aggrPeriodDuration")
        tq.aggr_period = parse_duration(str(period)) if period is not None else timedelta(0)
    elif get("aggrPeriodDuration") is not None:
        parse_duration(str(get("aggrPeriodDuration")))
    return tq


def _select_instances(
    rows: list[tuple[str, str, dict[str, Any]]], tq: TemporalQuery
) -> dict[str, list[dict[str, Any]]]:
    attrs: dict[str, list[dict[str, Any]]] = {}
    for attr, _, inst in rows:
        if tq.attrs is not None and attr not in tq.attrs:
            continue
        if tq.dataset_ids is not None and inst.get("datasetId") not in tq.dataset_ids:
            continue
        if not tq.in_range(inst):
            continue
        attrs.setdefault(attr, []).append(inst)
    for attr, instances in attrs.items():
        instances.sort(
            key=lambda i: (
                tq.instance_time(i) is None,
                tq.instance_time(i) or datetime.min,
                i.get("createdAt", ""),
            )
        )
        if tq.last_n is not None:
            attrs[attr] = instances[-tq.last_n :]
    return attrs


def _format_time(moment: datetime) -> str:
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _aggregate(method: str, values: list[Any]) -> Any:
    if method == "totalCount":
        return len(values)
    if method == "distinctCount":
        seen: list[Any] = []
        for v in values:
            if v not in seen:
                seen.append(v)
        return len(seen)
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not numbers:
        if method in ("min", "max"):
            comparable = [v for v in values if isinstance(v, str)]
            if comparable:
                return min(comparable) if method == "min" else max(comparable)
        return None
    if method == "sum":
        return sum(numbers)
    if method == "avg":
        return sum(numbers) / len(numbers)
    if method == "min":
        return min(numbers)
    if method == "max":
        return max(numbers)
    if method == "sumsq":
        return sum(n * n for n in numbers)
    if method == "stddev":
        return statistics.pstdev(numbers) if len(numbers) > 1 else 0.0
    raise bad_request(f"unknown aggregation method {method}")


def _value_of(inst: dict[str, Any]) -> Any:
    return inst.get(ATTRIBUTE_TYPES[inst["type"]])


def _group_by_dataset(instances: list[dict[str, Any]]) -> list[tuple[str | None, list[dict[str, Any]]]]:
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for inst in instances:
        groups.setdefault(inst.get("datasetId"), []).append(inst)
    return list(groups.items())


def _render_temporal_values(instances: list[dict[str, Any]], tq: TemporalQuery, ctx: ActiveContext) -> Any:
    out = []
    for dataset_id, group in _group_by_dataset(instances):
        attr_type = group[0]["type"]
        pairs = []
        for inst in group:
            value = _value_of(inst)
            if attr_type == "VocabProperty":
                value = [ctx.compact(v) for v in value] if isinstance(value, list) else ctx.compact(value)
            pairs.append([value, inst.get(tq.timeproperty)])
        item: dict[str, Any] = {"type": attr_type, VALUES_MEMBER[attr_type]: pairs}
        if dataset_id is not None:
            item["datasetId"] = dataset_id
        out.append(item)
    return out[0] if len(out) == 1 else out


def _render_aggregated(instances: list[dict[str, Any]], tq: TemporalQuery) -> Any:
    out = []
    for dataset_id, group in _group_by_dataset(instances):
        timed = [(t, i) for i in group if (t := tq.instance_time(i)) is not None]
        item: dict[str, Any] = {"type": group[0]["type"]}
        if dataset_id is not None:
            item["datasetId"] = dataset_id
        for method in tq.aggr_methods:
            item[method] = []
        if timed:
            start = timed[0][0]
            period = tq.aggr_period or timedelta(0)
            buckets: dict[int, list[Any]] = {}
            if period <= timedelta(0):
                end = timed[-1][0]
                buckets[0] = [_value_of(i) for _, i in timed]
            else:
                for moment, inst in timed:
                    buckets.setdefault(math.floor((moment - start) / period), []).append(_value_of(inst))
            for index in sorted(buckets):
                if period > timedelta(0):
                    lower = start + period * index
                    upper = lower + period
                else:
                    lower, upper = start, end
                for method in tq.aggr_methods:
                    item[method].append(
                        [_aggregate(method, buckets[index]), _format_time(lower), _format_time(upper)]
                    )
        out.append(item)
    return out[0] if len(out) == 1 else out


def render_temporal(
    doc: dict[str, Any], attrs: dict[str, list[dict[str, Any]]], tq: TemporalQuery, ctx: ActiveContext
) -> dict[str, Any]:
    types = [ctx.compact(t) for t in doc["types"]]
    out: dict[str, Any] = {"id": doc["id"], "type": types[0] if len(types) == 1 else types}
    if doc.get("scope"):
        out["scope"] = doc["scope"][0] if len(doc["scope"]) == 1 else doc["scope"]
    if tq.sys_attrs:
        out["createdAt"] = doc["createdAt"]
        out["modifiedAt"] = doc["modifiedAt"]
    opts = RenderOptions(sys_attrs=tq.sys_attrs, lang=tq.lang)
    for iri, instances in attrs.items():
        name = ctx.compact(iri)
        if tq.representation == "temporalValues":
            out[name] = _render_temporal_values(instances, tq, ctx)
        elif tq.representation == "aggregatedValues":
            out[name] = _render_aggregated(instances, tq)
        else:
            rendered = []
            for inst in instances:
                item = render_instance(inst, ctx, opts)
                item["instanceId"] = inst["instanceId"]
                rendered.append(item)
            out[name] = rendered
    if tq.pick is not None:
        out = {k: v for k, v in out.items() if k in tq.pick}
    if tq.omit is not None:
        out = {k: v for k, v in out.items() if k not in tq.omit}
    return out


def _projection(raw: Any, ctx: ActiveContext) -> set[str]:
    items = raw if isinstance(raw, list) else str(raw).split(",")
    names = {str(n).strip() for n in items if str(n).strip()}
    if not names:
        raise bad_request("empty pick/omit")
    return {n if n in ("id", "type", "scope") else ctx.compact(ctx.expand(n)) for n in names}


def _common_params(request: Request, ctx: ActiveContext) -> TemporalQuery:
    params = request.query_params
    tq = _temporal_params(params.get, ctx, params.get("options"), params.get("format"))
    attrs = parse_attrs_param(params.get("attrs"), ctx)
    tq.attrs = set(attrs) if attrs is not None else None
    if params.get("lang") is not None:
        tq.lang = params["lang"]
    dataset = params.getlist("datasetId")
    if dataset:
        tq.dataset_ids = {
            None if d.strip() == "@none" else d.strip() for raw in dataset for d in raw.split(",")
        }
    if params.get("pick") is not None and params.get("omit") is not None:
        raise bad_request("pick and omit shall not be used together")
    if params.get("pick") is not None:
        tq.pick = _projection(params["pick"], ctx)
    if params.get("omit") is not None:
        tq.omit = _projection(params["omit"], ctx)
    return tq


async def retrieve_temporal(request: Request, broker: Broker, entity_id: str) -> Response:
    """5.7.3 Retrieve Temporal Evolution of an Entity."""
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    tq = _common_params(request, ctx)
    broker.require_tenant(tenant)
    doc = _load(broker, tenant, entity_id)
    attrs = _select_instances(broker.storage.instances(tenant, entity_id), tq)
    return json_response(render_temporal(doc, attrs, tq, ctx), ctx, accept, headers=tenant_headers(tenant))


@dataclass
class EntityMatch:
    predicates: list[Callable[[dict[str, Any]], bool]] = field(default_factory=list)


def _pseudo_entity(doc: dict[str, Any], attrs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"id": doc["id"], "types": doc["types"], "scope": doc.get("scope"), "attrs": attrs}


def _run_query(
    request: Request,
    broker: Broker,
    tenant: str,
    ctx: ActiveContext,
    tq: TemporalQuery,
    match: EntityMatch,
    page: Page,
    accept: str,
) -> Response:
    broker.require_tenant(tenant)
    results = []
    for doc in broker.storage.list(TEMPORAL_ENTITY, tenant):
        attrs = _select_instances(broker.storage.instances(tenant, doc["id"]), tq)
        pseudo = _pseudo_entity(doc, attrs)
        if not all(p(pseudo) for p in match.predicates):
            continue
        if (tq.timerel is not None or tq.attrs is not None) and not attrs:
            continue
        results.append((doc, attrs))
    selected = results[page.offset : page.offset + page.limit]
    body = [render_temporal(doc, attrs, tq, ctx) for doc, attrs in selected]
    headers = tenant_headers(tenant)
    if page.count:
        headers["NGSILD-Results-Count"] = str(len(results))
    response = json_response(body, ctx, accept, headers=headers)
    for value in page_links(request, page, len(results)):
        response.headers.append("Link", value)
    return response


async def query_temporal(request: Request, broker: Broker) -> Response:
    """5.7.4 Query Temporal Evolution of Entities (GET /temporal/entities)."""
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    params = request.query_params
    ids = [i.strip() for i in params.get("id", "").split(",") if i.strip()] or None
    if not any(
        [ids, params.get("idPattern"), params.get("type"), params.get("attrs"), params.get("q"),
         params.get("georel"), params.get("scopeQ"), params.get("local", "").lower() == "true"]
    ):  # fmt: skip
        raise bad_request("at least one of id, idPattern, type, attrs, q, geo-query or scopeQ is required")
    page = parse_page(request)
    tq = _common_params(request, ctx)
    match = EntityMatch()
    match.predicates.append(selector_predicate(ids, params.get("idPattern"), params.get("type"), ctx))
    if params.get("q") is not None:
        match.predicates.append(parse_q(params["q"], ctx))
    geo = parse_geoquery(
        params.get("georel"), params.get("geometry"), params.get("coordinates"),
        ctx.expand(params.get("geoproperty", "location")),
    )  # fmt: skip
    if geo is not None:
        match.predicates.append(geo_predicate(geo))
    if params.get("scopeQ") is not None:
        match.predicates.append(scope_predicate(params["scopeQ"]))
    return _run_query(request, broker, tenant, ctx, tq, match, page, accept)


async def query_temporal_post(request: Request, broker: Broker) -> Response:
    """5.7.4 Query Temporal Evolution of Entities via POST /temporal/entityOperations/query (6.24)."""
    accept = negotiate(request, [JSON, JSONLD])
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    query = body.payload
    if not isinstance(query, dict) or query.get("type") != "Query":
        raise bad_request('the payload shall be a Query object with "type": "Query"')
    temporal_q = query.get("temporalQ", {})
    if not isinstance(temporal_q, dict):
        raise bad_request("temporalQ shall be an object")
    page = parse_page(request)
    params = request.query_params
    merged = {**temporal_q}
    for key in ("lastN", "aggrMethods", "aggrPeriodDuration"):
        if key in query and key not in merged:
            merged[key] = query[key]
    tq = _temporal_params(merged.get, ctx, params.get("options"), params.get("format"))
    if "attrs" in query:
        attrs = query["attrs"]
        if not isinstance(attrs, list) or not attrs or not all(isinstance(a, str) and a for a in attrs):
            raise bad_request("attrs shall be a non-empty array of strings")
        tq.attrs = {ctx.expand(a) for a in attrs}
    if query.get("lang") is not None:
        tq.lang = str(query["lang"])
    for member in ("pick", "omit"):
        if query.get(member) is not None:
            setattr(tq, member, _projection(query[member], ctx))
    match = EntityMatch()
    selectors = query.get("entities")
    if selectors is not None:
        if not isinstance(selectors, list) or not selectors:
            raise bad_request("entities shall be a non-empty array of EntitySelector")
        alternatives = []
        for selector in selectors:
            if not isinstance(selector, dict):
                raise bad_request("each EntitySelector shall be an object")
            raw_type = selector.get("type")
            if raw_type is not None and not isinstance(raw_type, str):
                raise bad_request("EntitySelector type shall be a string")
            sel_id = selector.get("id")
            alternatives.append(
                selector_predicate([sel_id] if sel_id else None, selector.get("idPattern"), raw_type, ctx)
            )
        match.predicates.append(lambda e: any(a(e) for a in alternatives))
    elif "attrs" not in query and "q" not in query and "geoQ" not in query and "scopeQ" not in query:
        raise bad_request("the Query shall have entities, attrs, q, geoQ or scopeQ")
    if query.get("q") is not None:
        if not isinstance(query["q"], str):
            raise bad_request("q shall be a string")
        match.predicates.append(parse_q(query["q"], ctx))
    geo_q = query.get("geoQ")
    if geo_q is not None:
        if not isinstance(geo_q, dict):
            raise bad_request("geoQ shall be an object")
        geo = parse_geoquery(
            geo_q.get("georel"), geo_q.get("geometry"), geo_q.get("coordinates", ""),
            ctx.expand(geo_q.get("geoproperty", "location")),
        )  # fmt: skip
        if geo is not None:
            match.predicates.append(geo_predicate(geo))
    if query.get("scopeQ") is not None:
        match.predicates.append(scope_predicate(str(query["scopeQ"])))
    return _run_query(request, broker, tenant, ctx, tq, match, page, accept)
