"""Temporal API, storage side: the temporal representation as stored, its input forms, and the history
recorded from the regular entity API (clauses 4.5.6 - 4.5.9, 4.8).

Stored: a ``temporalEntity`` document (id, expanded types, scope, createdAt, modifiedAt and, once the
entity was deleted through the entity API, deletedAt) and one row per attribute instance in the
``temporal_instances`` table (stored form of an instance plus a system generated ``instanceId``).

Deletions through the regular API are history too (clause 4.8, deletedAt): deleting an attribute adds an
instance whose value member is ``urn:ngsi-ld:null`` and that carries ``deletedAt``; deleting the entity does
so for each of its attributes and marks the temporal entity with ``deletedAt``. The temporal representation
itself is only removed by Delete Temporal Representation (5.6.16).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from .broker import Broker
from .context import ActiveContext
from .errors import bad_request, not_found
from .model import (
    ATTRIBUTE_TYPES,
    NULL_URI,
    RESERVED_ENTITY_MEMBERS,
    check_entity_id,
    check_name,
    now_timestamp,
    parse_datetime,
    parse_instance,
)

TEMPORAL_ENTITY = "temporalEntity"
# clause 4.5.9: member of the simplified temporal representation per attribute type, the plural of the
# value member (values, objects, languageMaps, valueLists, objectLists, vocabs, jsons)
VALUES_MEMBER = {attr_type: member + "s" for attr_type, member in ATTRIBUTE_TYPES.items()}
SIMPLIFIED_MEMBERS = {v: k for k, v in VALUES_MEMBER.items() if k != "GeoProperty"}
# clause 4.5.9: in the simplified representation the value of these types is wrapped in an object with
# the value member ({"languageMap": {...}}, {"json": ...}, {"vocab": ...}), so that the JSON-LD list keeps it
WRAPPED_TYPES = ("LanguageProperty", "JsonProperty", "VocabProperty")


def unwrap_simplified(attr_type: str, value: Any) -> Any:
    """The value of one [value, DateTime] pair: the wrapper object of 4.5.9 removed (bare values accepted)."""
    member = ATTRIBUTE_TYPES[attr_type]
    if attr_type in WRAPPED_TYPES and isinstance(value, dict) and set(value) == {member}:
        return value[member]
    return value


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
        value = unwrap_simplified(attr_type, pair[0])
        item: dict[str, Any] = {"type": attr_type, ATTRIBUTE_TYPES[attr_type]: value, "observedAt": pair[1]}
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
            item = {
                k: v
                for k, v in item.items()
                if k not in ("instanceId", "createdAt", "modifiedAt", "deletedAt")
            }
        instances.append(parse_instance(name, item, ctx, now))
    for inst in instances:
        inst["instanceId"] = new_instance_id()
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


def new_instance_id() -> str:
    return f"urn:ngsi-ld:Instance:{uuid.uuid4()}"


def store_instances(
    broker: Broker, tenant: str, entity_id: str, attrs: dict[str, list[dict[str, Any]]]
) -> None:
    rows = [(iri, inst["instanceId"], inst) for iri, instances in attrs.items() for inst in instances]
    if rows:
        broker.storage.add_instances(tenant, entity_id, rows)


def load_temporal(broker: Broker, tenant: str, entity_id: str) -> dict[str, Any]:
    check_entity_id(entity_id)
    doc = broker.storage.get(TEMPORAL_ENTITY, tenant, entity_id)
    if doc is None:
        raise not_found(f"no temporal representation of entity {entity_id}")
    return doc


# ------------------------------------------------------------- history of the entity API


def deletion_instance(inst: dict[str, Any], now: str) -> dict[str, Any]:
    """The temporal instance recording that an attribute instance was deleted (clause 4.8, deletedAt)."""
    out: dict[str, Any] = {"type": inst["type"], ATTRIBUTE_TYPES[inst["type"]]: NULL_URI, "deletedAt": now}
    if "datasetId" in inst:
        out["datasetId"] = inst["datasetId"]
    out["_deleted"] = True
    out["instanceId"] = new_instance_id()
    return out


def _history_doc(broker: Broker, tenant: str, entity: dict[str, Any], now: str) -> dict[str, Any]:
    doc = broker.storage.get(TEMPORAL_ENTITY, tenant, entity["id"])
    if doc is None:
        doc = {"id": entity["id"], "types": list(entity["types"]), "createdAt": entity.get("createdAt", now),
               "modifiedAt": now}  # fmt: skip
        if entity.get("scope"):
            doc["scope"] = entity["scope"]
        broker.storage.ensure_tenant(tenant)
        broker.storage.insert(TEMPORAL_ENTITY, tenant, entity["id"], doc)
    return doc


def install_recorder(broker: Broker) -> None:
    """Record every entity change of the regular API in the temporal representation."""

    def record_change(tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        current = after if after is not None else before
        if current is None:
            return
        now = (after or {}).get("modifiedAt") or now_timestamp()
        doc = _history_doc(broker, tenant, current, now)
        if after is None:
            doc["deletedAt"] = now
        else:
            doc.pop("deletedAt", None)
            for iri in after["types"]:
                if iri not in doc["types"]:
                    doc["types"].append(iri)
            if after.get("scope"):
                doc["scope"] = after["scope"]
        doc["modifiedAt"] = now
        broker.storage.update(TEMPORAL_ENTITY, tenant, current["id"], doc)
        old = (before or {}).get("attrs", {})
        new = (after or {}).get("attrs", {})
        rows = []
        for iri, instances in new.items():
            previous = {i.get("datasetId"): i for i in old.get(iri, [])}
            for inst in instances:
                if previous.get(inst.get("datasetId")) == inst:
                    continue
                copy = json.loads(json.dumps(inst))
                if before is not None:
                    copy["createdAt"] = copy.get("modifiedAt", now)
                copy["instanceId"] = new_instance_id()
                rows.append((iri, copy["instanceId"], copy))
        for iri, instances in old.items():
            kept = {i.get("datasetId") for i in new.get(iri, [])}
            for inst in instances:
                if inst.get("datasetId") not in kept:
                    gone = deletion_instance(inst, now)
                    rows.append((iri, gone["instanceId"], gone))
        if rows:
            broker.storage.add_instances(tenant, current["id"], rows)

    broker.listeners.append(record_change)
