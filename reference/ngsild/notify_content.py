"""What a context notification carries (clauses 5.2.14, 5.3.1): the entity as notified after a change,
rendered with the subscription's notification parameters (format, attributes, pick/omit, datasetId,
sysAttrs, showChanges) and, with notification.join, its linked entities (clause 4.5.23)."""

from __future__ import annotations

import copy
from typing import Any

from .context import ActiveContext, is_core_url
from .geojson import entity_feature, feature_collection
from .http import body_context_member
from .linked import Join, Lookup, apply_join
from .model import ATTRIBUTE_TYPES, now_timestamp
from .notify_match import Change
from .render import RenderOptions, render_entity


def render_options(sub: dict[str, Any], ctx: ActiveContext) -> RenderOptions:
    notification = sub["notification"]
    attrs = notification.get("attributes")
    opts = RenderOptions(
        format=notification.get("format", "normalized"),
        sys_attrs=bool(notification.get("sysAttrs")),
        attrs=set(attrs) if attrs else None,
        lang=sub.get("lang"),
    )
    if "datasetId" in sub:
        opts.dataset_ids = {None if d == "@none" else d for d in sub["datasetId"]}
    for member in ("pick", "omit"):
        if member in notification:
            names = {
                n if n in ("id", "type", "scope") else ctx.compact(ctx.expand(n))
                for n in notification[member]
            }
            setattr(opts, member, names)
    return opts


def render_changed(sub: dict[str, Any], change: Change, ctx: ActiveContext) -> dict[str, Any]:
    """The entity as notified: current state, deleted attributes as urn:ngsi-ld:null (with their
    previous value when showChanges), previous values of changed attributes when showChanges."""
    opts = render_options(sub, ctx)
    now = now_timestamp()
    show_changes = bool(sub["notification"].get("showChanges"))
    if change.entity_deleted:
        assert change.before is not None
        entity = copy.deepcopy(change.before)
        entity["attrs"] = {}
    else:
        assert change.after is not None
        entity = copy.deepcopy(change.after)
    if show_changes and change.before is not None and not change.entity_deleted:
        old = change.before["attrs"]
        for attr, instances in entity["attrs"].items():
            for inst in instances:
                previous = next(
                    (i for i in old.get(attr, []) if i.get("datasetId") == inst.get("datasetId")), None
                )
                if previous is None or previous["type"] != inst["type"]:
                    continue
                member = ATTRIBUTE_TYPES[inst["type"]]
                if previous.get(member) != inst.get(member):
                    inst["_previous"] = previous_value(previous)
    for attr, gone in change.deleted_instances.items():
        for inst in gone:
            marker = {"type": inst["type"], "_deleted": True, "deletedAt": now}
            for member in ("datasetId", "createdAt", "modifiedAt"):
                if member in inst:
                    marker[member] = inst[member]
            if show_changes:
                marker["_previous"] = previous_value(inst)
            entity["attrs"].setdefault(attr, []).append(marker)
    data = render_entity(entity, ctx, opts)
    if change.entity_deleted:
        # the deletion time is always given for a deleted entity (sysAttrs adds createdAt/modifiedAt)
        data = {k: v for k, v in data.items() if k not in ("createdAt", "modifiedAt")}
        head = {"id": data.pop("id"), "type": data.pop("type")}
        if "scope" in data:
            head["scope"] = data.pop("scope")
        if opts.sys_attrs:
            head["createdAt"] = entity["createdAt"]
            head["modifiedAt"] = entity["modifiedAt"]
        head["deletedAt"] = now
        data = {**head, **data}
    return data


def joined(
    sub: dict[str, Any],
    stored: dict[str, Any] | None,
    data: dict[str, Any],
    lookup: Lookup,
    ctx: ActiveContext,
) -> list[dict[str, Any]]:
    """The notification's data with linked entity retrieval (notification.join flat or inline, joinLevel,
    default 1) applied to the notified entity; the entity alone without join (or join @none)."""
    kind = sub["notification"].get("join")
    if kind not in ("flat", "inline") or stored is None:
        return [data]
    join = Join(kind, int(sub["notification"].get("joinLevel", 1)))
    return apply_join(join, [(stored, data)], lookup, ctx, render_options(sub, ctx))


def previous_value(inst: dict[str, Any]) -> Any:
    """The stored value member of an instance (rendering converts it like the current value)."""
    return copy.deepcopy(inst.get(ATTRIBUTE_TYPES[inst["type"]]))


def geojson_data(
    sub: dict[str, Any],
    data: list[dict[str, Any]],
    ctx: ActiveContext,
    entities: list[dict[str, Any]] | None,
    receiver_info: dict[str, str],
) -> dict[str, Any]:
    """The notification data as a FeatureCollection (endpoint accept application/geo+json, clause 5.3.1);
    with the @context unless receiverInfo holds Prefer: body=json."""
    opts = render_options(sub, ctx)
    features = []
    for index, rendered in enumerate(data):
        stored = entities[index] if entities and index < len(entities) else None
        if stored is not None:
            features.append(entity_feature(stored, rendered, ctx, "location", opts))
        else:
            properties = {k: v for k, v in rendered.items() if k != "id"}
            features.append(
                {"id": rendered.get("id"), "type": "Feature", "geometry": None, "properties": properties}
            )
    collection = feature_collection(features)
    if receiver_info.get("Prefer", "").replace(" ", "") != "body=json":
        collection["@context"] = body_context_member(ctx)
    return collection


def single_context_url(source: Any) -> str | None:
    """The one user @context URL of a subscription's @context, when it is a single URL: a string, or an
    array holding one URL besides core @context URLs; None for anything else (inline or several)."""
    if isinstance(source, str):
        return None if is_core_url(source) else source
    if not isinstance(source, list) or not all(isinstance(i, str) for i in source):
        return None
    users = [i for i in source if not is_core_url(i)]
    return users[0] if len(users) == 1 else None
