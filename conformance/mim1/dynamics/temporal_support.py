"""Shared set-up of the MIM1 temporal scenarios beyond test_temporal.py: the attribute kinds of clause
4.5.7/4.5.8 with two instances each, their simplified (4.5.9) form, and small request helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from conformance import checks
from conformance.mim1.dynamics.support import created
from conformance.ngsild.api import entity_path
from conformance.ngsild.subscriptions import Dynamics, iso, parse_time, temporal_path
from conformance.outcomes import precondition
from conformance.run_ids import RunIds

CAP = "ngsild-temporal"
T0 = datetime(2020, 8, 1, 12, 0, tzinfo=UTC)
TIMES = [T0 + timedelta(minutes=i) for i in range(3)]


def at(minutes: float) -> str:
    return iso(T0 + timedelta(minutes=minutes))


def unique_type(ids: RunIds) -> str:
    return "MimcheckTmp" + re.sub(r"[^A-Za-z0-9]", "", ids.next())


# kind -> (value member, [value of instance 0, value of instance 1], member of the simplified form,
#          whether 4.5.9 wraps the value in an object named by the value member)
KINDS: dict[str, tuple[str, list[Any], str, bool]] = {
    "Property": ("value", [21.5, 23.0], "values", False),
    "Relationship": (
        "object",
        ["urn:ngsi-ld:MimcheckThing:a", "urn:ngsi-ld:MimcheckThing:b"],
        "objects",
        False,
    ),
    "GeoProperty": (
        "value",
        [{"type": "Point", "coordinates": [4.35, 50.85]}, {"type": "Point", "coordinates": [2.35, 48.85]}],
        "values",
        False,
    ),
    "LanguageProperty": (
        "languageMap",
        [{"en": "Main hall", "fr": "Grande salle"}, {"en": "Small hall", "nl": "Kleine zaal"}],
        "languageMaps",
        True,
    ),
    "JsonProperty": (
        "json",
        [{"mode": "eco", "levels": [1, 2]}, {"mode": "boost", "levels": []}],
        "jsons",
        True,
    ),
    # full IRIs: a vocab value compacts to itself whatever @context the broker applies
    "VocabProperty": (
        "vocab",
        ["https://mimcheck.example.org/vocab#Kitchen", "https://mimcheck.example.org/vocab#Office"],
        "vocabs",
        True,
    ),
    "ListProperty": ("valueList", [[1, "two", 3.5], [4, "five"]], "valueLists", False),
}
ATTR = "reading"


def kind_instances(kind: str) -> list[dict[str, Any]]:
    member, values, _, _ = KINDS[kind]
    return [{"type": kind, member: v, "observedAt": iso(t)} for v, t in zip(values, TIMES, strict=False)]


def simplified_pairs(kind: str) -> list[list[Any]]:
    """The [value, DateTime] pairs of 4.5.9 for the two instances of this kind."""
    member, values, _, wrapped = KINDS[kind]
    return [[{member: v} if wrapped else v, iso(t)] for v, t in zip(values, TIMES, strict=False)]


def create_kind(dyn: Dynamics, ids: RunIds, kind: str, *, simplified: bool = False) -> dict[str, Any]:
    entity_type = unique_type(ids)
    entity: dict[str, Any] = {"id": f"urn:ngsi-ld:{entity_type}:{ids.next()}", "type": entity_type}
    if simplified:
        entity[ATTR] = {"type": kind, KINDS[kind][2]: simplified_pairs(kind)}
    else:
        entity[ATTR] = kind_instances(kind)
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']} with a {kind}")
    return entity


def retrieve(dyn: Dynamics, entity_id: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = dyn.get_temporal(entity_id, params)
    checks.status_is(resp, 200)
    return checks.json_object(resp)


def attribute_instances(what: str, body: dict[str, Any], attr: str = ATTR) -> list[dict[str, Any]]:
    """The instances of an attribute in a normalized temporal entity; none when it is absent or empty."""
    value = body.get(attr)
    if value is None or value == []:
        return []
    return checks.instances(what, value)


def by_time(what: str, items: list[dict[str, Any]], prop: str = "observedAt") -> list[dict[str, Any]]:
    """Instances sorted by a time stamp they all carry."""
    for item in items:
        if parse_time(item.get(prop)) is None:
            checks.fail(f"{what}: every instance should carry {prop} as a DateTime, got {item!r}")
    return sorted(items, key=lambda i: parse_time(i[prop]) or T0)


def instance_ids(dyn: Dynamics, entity_id: str, attr: str) -> list[str]:
    """The instanceIds of an attribute, oldest observedAt first (a precondition of instance operations)."""
    body = retrieve(dyn, entity_id)
    items = checks.instances(attr, body.get(attr, []))
    ids = [i.get("instanceId") for i in by_time(attr, items)]
    precondition(all(isinstance(i, str) for i in ids), f"no instanceId on the instances of {attr}: {items!r}")
    return [str(i) for i in ids]


def delete_temporal_attr(
    dyn: Dynamics, entity_id: str, attr: str, params: dict[str, Any]
) -> requests.Response:
    return dyn.ngsild.request(
        "DELETE", f"{temporal_path(entity_id)}/attrs/{quote(attr, safe=':')}", params=params or None
    )


def delete_entity_attr(dyn: Dynamics, entity_id: str, attr: str) -> requests.Response:
    return dyn.ngsild.request("DELETE", f"{entity_path(entity_id)}/attrs/{quote(attr, safe=':')}")


def create_entity_with_history(dyn: Dynamics, ids: RunIds, kind: str) -> dict[str, Any]:
    """An entity created through the regular entity API (one attribute of this kind), whose temporal
    representation the broker records; a broker that keeps no history of the entity API makes the case
    inconclusive (precondition), since only the temporal API is required to feed it."""
    entity_type = unique_type(ids)
    member, values, _, _ = KINDS[kind]
    entity: dict[str, Any] = {
        "id": f"urn:ngsi-ld:{entity_type}:{ids.next()}",
        "type": entity_type,
        ATTR: {"type": kind, member: values[0], "observedAt": iso(TIMES[0])},
    }
    created(dyn.ngsild.create_entity(entity), f"creating entity {entity['id']}")
    if dyn.ngsild.cleanup is not None:
        path = temporal_path(entity["id"])
        dyn.ngsild.cleanup.push(
            f"delete temporal entity {entity['id']}", lambda: dyn.ngsild.request("DELETE", path)
        )
    resp = dyn.get_temporal(entity["id"])
    precondition(
        resp.status_code == 200 and ATTR in (resp.json() if resp.text.strip().startswith("{") else {}),
        f"the temporal evolution of an entity created through the entity API is not recorded "
        f"(GET {temporal_path(entity['id'])} answered {resp.status_code}: {resp.text[:200]})",
    )
    return entity
