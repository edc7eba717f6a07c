"""Which changes and entities a context subscription covers (clauses 5.8.6, 5.2.12): the subscription's
status, what an entity change did per attribute, and the entity selectors, q, scopeQ and geoQ."""

from __future__ import annotations

import re
from typing import Any

from .context import ActiveContext
from .geo import geo_predicate, parse_geoquery
from .model import now_timestamp, parse_datetime
from .query import parse_q, parse_type_expression, scope_predicate


def subscription_status(sub: dict[str, Any]) -> str:
    expires = parse_datetime(sub.get("expiresAt"))
    if expires is not None and expires <= (parse_datetime(now_timestamp()) or expires):
        return "expired"
    return "active" if sub.get("isActive", True) else "paused"


class Change:
    """What an entity change did, per attribute (expanded names)."""

    def __init__(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        self.before = before
        self.after = after
        old = (before or {}).get("attrs", {})
        new = (after or {}).get("attrs", {})
        self.created = {a for a in new if a not in old}
        self.deleted = {a for a in old if a not in new}
        self.updated: set[str] = set()
        self.deleted_instances: dict[str, list[dict[str, Any]]] = {}
        # the datasetIds (None: the default instance) of the instances each attribute change touched
        self.changed_datasets: dict[str, set[str | None]] = {}
        for attr in self.created:
            self.changed_datasets[attr] = {i.get("datasetId") for i in new[attr]}
        for attr in self.deleted:
            self.changed_datasets[attr] = {i.get("datasetId") for i in old[attr]}
        for attr in set(old) & set(new):
            old_by = {i.get("datasetId"): i for i in old[attr]}
            new_by = {i.get("datasetId"): i for i in new[attr]}
            gone = [i for k, i in old_by.items() if k not in new_by]
            if gone:
                self.deleted_instances[attr] = gone
            if any(k not in old_by or old_by[k] != v for k, v in new_by.items()):
                self.updated.add(attr)
            touched = {k for k in set(old_by) | set(new_by) if old_by.get(k) != new_by.get(k)}
            if touched:
                self.changed_datasets[attr] = touched
        for attr in self.deleted:
            self.deleted_instances[attr] = old[attr]
        self.entity_created = before is None and after is not None
        self.entity_deleted = after is None and before is not None

    def touches_datasets(self, dataset_ids: list[str], watched: list[str] | None) -> bool:
        """Whether the change touched an instance of the subscription's datasetIds ("@none": the
        default instance) in a watched attribute (clause 5.2.12: datasetId selects the instances)."""
        selected = {None if d == "@none" else d for d in dataset_ids}
        return any(
            keys & selected
            for attr, keys in self.changed_datasets.items()
            if watched is None or attr in watched
        )

    def fired(self, triggers: set[str], watched: list[str] | None) -> bool:
        def relevant(attrs: set[str]) -> bool:
            return bool(attrs if watched is None else attrs & set(watched))

        if self.entity_created:
            if "entityCreated" in triggers:
                return True
            return "attributeCreated" in triggers and relevant(self.created)
        if "entityUpdated" in triggers:
            triggers = triggers | {"attributeCreated", "attributeUpdated", "attributeDeleted"}
        if "attributeCreated" in triggers and relevant(self.created):
            return True
        if "attributeUpdated" in triggers and relevant(self.updated):
            return True
        deleted = self.deleted | set(self.deleted_instances)
        if self.entity_deleted:
            return "entityDeleted" in triggers or ("attributeDeleted" in triggers and relevant(deleted))
        return "attributeDeleted" in triggers and relevant(deleted)


def selector_covers(selector: dict[str, Any], info: dict[str, Any], ctx: ActiveContext) -> bool:
    """An EntitySelector of a subscription may select entities described by a registration EntityInfo."""
    if not parse_type_expression(selector["type"], ctx)({"types": info["type"], "id": "", "attrs": {}}):
        return False
    if "id" in selector and "id" in info and selector["id"] != info["id"]:
        return False
    return not (
        "id" not in selector and "idPattern" in selector and "id" in info
        and not re.search(selector["idPattern"], info["id"])
    )  # fmt: skip


def selector_matches(selector: dict[str, Any], entity: dict[str, Any], ctx: ActiveContext) -> bool:
    if "id" in selector:
        if selector["id"] != entity["id"]:
            return False
    elif "idPattern" in selector and not re.search(selector["idPattern"], entity["id"]):
        return False
    return parse_type_expression(selector["type"], ctx)(entity)


def entity_matches(sub: dict[str, Any], entity: dict[str, Any], ctx: ActiveContext, deleted: bool) -> bool:
    if "entities" in sub and not any(selector_matches(s, entity, ctx) for s in sub["entities"]):
        return False
    if deleted:
        return True
    if "q" in sub and not parse_q(sub["q"], ctx)(entity):
        return False
    if "scopeQ" in sub and not scope_predicate(sub["scopeQ"])(entity):
        return False
    geo_q = sub.get("geoQ")
    if geo_q:
        query = parse_geoquery(
            geo_q["georel"],
            geo_q["geometry"],
            geo_q["coordinates"],
            ctx.expand(geo_q.get("geoproperty", "location")),
        )
        if query is not None and not geo_predicate(query)(entity):
            return False
    return True
