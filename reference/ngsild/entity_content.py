"""Entity content operations of the reference (no HTTP): how fragments, merges and replacements change
the stored entity (types, scope, attribute instances, the NGSI-LD Null). Used by entities.py and batch.py."""

from __future__ import annotations

from typing import Any

from .context import ActiveContext
from .errors import bad_request
from .model import (
    NULL_URI,
    NULLABLE_MEMBERS,
    RESERVED_ENTITY_MEMBERS,
    check_name,
    expand_types,
    find_instance,
    now_timestamp,
    parse_attribute,
    parse_entity,
    parse_scope,
)


def _merge_types(entity: dict[str, Any], payload: dict[str, Any], ctx: ActiveContext) -> None:
    raw_type = payload.get("type", payload.get("@type"))
    if raw_type is None:
        return
    for iri in expand_types(raw_type, ctx):
        if iri not in entity["types"]:
            entity["types"].append(iri)


def fragment_members(entity: dict[str, Any], payload: dict[str, Any], ctx: ActiveContext) -> None:
    """The entity members of a fragment sent to Append/Update Entity Attributes (single or batch):
    its types are added to the entity's (clause 4.16: only Replace Entity removes types), its scope
    replaces the entity's (clause 4.18)."""
    _merge_types(entity, payload, ctx)
    if "scope" in payload:
        entity["scope"] = parse_scope(payload["scope"])


def _has_members(payload: dict[str, Any]) -> bool:
    return bool({"type", "@type", "scope"} & set(payload))


def put_instance(instances: list[dict[str, Any]], new: dict[str, Any]) -> None:
    """Replace the instance with the same datasetId (keeping its createdAt) or add it."""
    index = find_instance(instances, new.get("datasetId"))
    if index is None:
        instances.append(new)
    else:
        new["createdAt"] = instances[index].get("createdAt", new["createdAt"])
        instances[index] = new


def _merge_instance(
    existing: dict[str, Any], fragment: dict[str, Any], raw: dict[str, Any], now: str
) -> None:
    """Partial update of one attribute instance with an attribute fragment."""
    if fragment["type"] != existing["type"] and ("type" in raw or "@type" in raw):
        existing_member = existing["type"]
        raise bad_request(
            f"the attribute type {fragment['type']} does not match the existing {existing_member}"
        )
    for member, value in fragment.items():
        if member in ("createdAt", "subs", "type"):
            continue
        existing[member] = value
    _drop_null_members(existing)
    for iri, sub in fragment.get("subs", {}).items():
        if _is_null_instance(sub):
            existing.setdefault("subs", {}).pop(iri, None)  # clause 5.5.8: urn:ngsi-ld:null deletes
        else:
            existing.setdefault("subs", {})[iri] = sub
    existing["modifiedAt"] = now


def _is_null_instance(instances: list[dict[str, Any]]) -> bool:
    return bool(instances) and any(
        instances[0].get(member) == NULL_URI for member in ("value", "object", "languageMap", "vocab", "json")
    )


def _compact_list(value: Any, ctx: ActiveContext) -> Any:
    return [ctx.compact(v) for v in value] if isinstance(value, list) else ctx.compact(value)


def replace_entity_content(entity: dict[str, Any], payload: dict[str, Any], ctx: ActiveContext) -> None:
    now = now_timestamp()
    replacement = parse_entity({**payload, "id": entity["id"]}, ctx, now, require_id=True, require_type=False)
    if "types" in replacement:
        entity["types"] = replacement["types"]
    if "scope" in replacement:
        entity["scope"] = replacement["scope"]
    else:
        entity.pop("scope", None)
    entity["attrs"] = replacement["attrs"]
    entity["modifiedAt"] = now


def merge_entity_content(
    entity: dict[str, Any], payload: dict[str, Any], ctx: ActiveContext, observed_at: str | None = None
) -> None:
    """JSON Merge Patch semantics on attributes; ``urn:ngsi-ld:null`` (or null) deletes."""
    now = now_timestamp()
    _merge_types(entity, payload, ctx)
    if "scope" in payload:
        if payload["scope"] in (None, NULL_URI):
            entity.pop("scope", None)
        else:
            entity["scope"] = parse_scope(payload["scope"])
    for key, raw in payload.items():
        if key in RESERVED_ENTITY_MEMBERS:
            continue
        check_name(key, "attribute name")
        iri = ctx.expand(key)
        if raw is None or raw == NULL_URI:  # the bare NGSI-LD Null: the whole attribute goes
            entity["attrs"].pop(iri, None)
            continue
        instances = parse_attribute(key, raw, ctx, now, allow_null=True)
        raw_items = raw if isinstance(raw, list) and len(raw) == len(instances) else [raw] * len(instances)
        existing = entity["attrs"].setdefault(iri, [])
        pairs = _drop_null_instances(existing, list(zip(instances, raw_items, strict=True)))
        if not existing and not pairs:
            del entity["attrs"][iri]
        for inst, raw_item in pairs:
            index = find_instance(existing, inst.get("datasetId"))
            if index is None:
                existing.append(_drop_nulls(inst))
                continue
            target = existing[index]
            if inst["type"] != target["type"] and isinstance(raw_item, dict) and "type" in raw_item:
                existing[index] = _drop_nulls(inst)
                continue
            for member, value in inst.items():
                if member in ("createdAt", "subs", "type"):
                    continue
                target[member] = value
            _drop_null_members(target)
            if (
                observed_at
                and "observedAt" in target
                and not (isinstance(raw_item, dict) and "observedAt" in raw_item)
            ):
                target["observedAt"] = observed_at
            for sub_iri, sub in inst.get("subs", {}).items():
                if _is_null_instance(sub):  # any kind of sub-attribute (clause 5.5.12)
                    target.get("subs", {}).pop(sub_iri, None)
                else:
                    target.setdefault("subs", {})[sub_iri] = sub
            target["modifiedAt"] = now
    entity["modifiedAt"] = now


def _drop_null_instances(
    existing: list[dict[str, Any]], pairs: list[tuple[dict[str, Any], Any]]
) -> list[Any]:
    """Clause 5.5.12: an instance set to the NGSI-LD Null (any attribute type, the LanguageProperty's
    {"@none": Null} included) deletes the existing instance of its datasetId; the others are kept.
    Answers the (instance, raw) pairs left to merge."""
    for inst, _ in pairs:
        if _is_null_instance([inst]):
            index = find_instance(existing, inst.get("datasetId"))
            if index is not None:
                existing.pop(index)
    return [(inst, raw) for inst, raw in pairs if not _is_null_instance([inst])]


def _drop_nulls(inst: dict[str, Any]) -> dict[str, Any]:
    inst["subs"] = {k: v for k, v in inst.get("subs", {}).items() if not _is_null_instance(v)}
    return _drop_null_members(inst)


def _drop_null_members(inst: dict[str, Any]) -> dict[str, Any]:
    """Clause 5.2.1: observedAt or unitCode set to the NGSI-LD Null in a partial update or merge is
    removed from the attribute instance."""
    for member in NULLABLE_MEMBERS:
        if inst.get(member) == NULL_URI:
            del inst[member]
    return inst
