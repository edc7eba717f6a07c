"""MIM1 linked entities in notifications: the ``join`` and ``joinLevel`` members of a subscription's
NotificationParams (ETSI GS CIM 009 V1.8.1 clauses 4.5.23, 5.2.14; OpenAPI NotificationParams: join is
flat, inline or @none, default @none; joinLevel a number >= 1, default 1).

The notified entity has a Relationship (with an ``objectType``) to an entity held by the target; that
entity has a Relationship to a third. Inline: the Relationship of the notified entity carries the
linked entity as its ``entity`` member; flat: the linked entity is another element of ``data``. The
depth follows joinLevel as in Retrieve Entity (MIM1-LNK-003, -004).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.mim1.dynamics.ntf_support import make_entity, subscribe, update_attrs
from conformance.mim1.dynamics.support import Notifications, created, mentions, notification_body
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.payloads import prop, rel
from conformance.ngsild.query import run_type
from conformance.ngsild.subscriptions import Dynamics
from conformance.requirements import requirement
from conformance.run_ids import RunIds

CASES = [
    pytest.param("inline", None, id="inline"),
    pytest.param("flat", None, id="flat"),
    pytest.param("inline", 2, id="inline-joinLevel-2"),
    pytest.param("flat", 2, id="flat-joinLevel-2"),
]


def _node(ngsild: NgsiLd, run_ids: RunIds, role: str, kind: str, **rels: dict[str, Any]) -> str:
    eid = f"urn:ngsi-ld:MimNtfJoin{role}:{run_ids.next()}"
    created(ngsild.create_entity({"id": eid, "type": kind, "label": prop(role), **rels}), f"creating {eid}")
    return eid


def _data(body: dict[str, Any]) -> list[dict[str, Any]]:
    data = checks.member("notification", body, "data", kind=list)
    return [d for d in data if isinstance(d, dict)]


def _inlined(what: str, holder: dict[str, Any], rel_name: str, linked_id: str) -> dict[str, Any]:
    relationship = checks.member(what, holder, rel_name, kind=dict)
    inner = checks.member(f"{what}: Relationship {rel_name}", relationship, "entity", kind=dict)
    checks.equal(f"{what}: id of the inlined entity", inner.get("id"), linked_id)
    return inner


@requirement(
    "MIM1-LNK-011",
    clause="4.5.23",
    level="MUST",
    title="A subscription's notification.join (inline, flat) and joinLevel apply linked entity retrieval to "
    "the notified entity",
)
@pytest.mark.parametrize(("join", "level"), CASES)
def test_notification_join(
    ngsild: NgsiLd,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    join: str,
    level: int | None,
) -> None:
    kind = run_type(run_ids, "MimNtfJoinPart")
    leaf = _node(ngsild, run_ids, "Leaf", kind)
    part = _node(ngsild, run_ids, "Part", kind, hasPart=rel(leaf, objectType=kind))
    entity = make_entity(ngsild, run_ids, hasPart=rel(part, objectType=kind))
    params: dict[str, Any] = {"join": join, **({"joinLevel": level} if level else {})}
    _, endpoint = subscribe(
        dyn, notifications, run_ids, entity, watchedAttributes=["temperature"], notification=params
    )
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], temperature=prop(30.5))
    got = notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))
    data = _data(notification_body(got[-1]))
    by_id = {str(d.get("id")): d for d in data}
    what = f"notification with join={join}" + (f", joinLevel={level}" if level else "")
    root = checks.member(what, by_id, entity["id"], kind=dict)
    deep = level == 2
    if join == "inline":
        inner = _inlined(what, root, "hasPart", part)
        if deep:
            _inlined(f"{what}: the linked entity", inner, "hasPart", leaf)
        else:
            nested = inner.get("hasPart")
            if isinstance(nested, dict) and "entity" in nested:
                checks.fail(f"{what}: joinLevel 1 (default) inlined a second level: {inner!r}")
        return
    expected = {entity["id"], part} | ({leaf} if deep else set())
    checks.equal(f"{what}: ids of the entities in data", sorted(by_id), sorted(expected))
    relationship = checks.member(what, root, "hasPart", kind=dict)
    checks.absent(
        f"{what}: Relationship hasPart of the notified entity (flat inlines nothing)", relationship, "entity"
    )
