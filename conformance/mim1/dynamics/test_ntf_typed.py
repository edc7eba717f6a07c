"""MIM1 notifications with the typed Properties of NGSI-LD V1.8 (ETSI GS CIM 009 V1.8.1 clauses
5.2.14, 5.2.32, 5.2.35, 5.2.38, 4.5): a VocabProperty, a JsonProperty and a LanguageProperty are
notified with their value in each representation format (and as GeoJSON Feature properties), and with showChanges their previous value
(previousVocab, previousJson, previousLanguageMap, the names the V1.8.1 OpenAPI gives).

Each case subscribes one endpoint to one entity holding one typed attribute, changes it once and
waits for the one notification. The attribute names are used by no other scenario, so a fault on
them touches only these cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.ntf_support import make_entity, subscribe, unique_type, update_attrs
from conformance.mim1.dynamics.support import (
    Notifications,
    created,
    entity_in,
    mentions,
    subscription,
    subscription_id,
)
from conformance.ngsild.api import GEOJSON, JSON, NgsiLd, entity_path
from conformance.ngsild.payloads import json_prop, lang_prop, prop, sensor, vocab_prop
from conformance.ngsild.receiver import Received
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

# kind -> (attribute name, type, value member, previous member, value before, value after)
KINDS: dict[str, tuple[str, str, str, str, Any, Any]] = {
    "vocab": ("mimcheckGrade", "VocabProperty", "vocab", "previousVocab", "Medium", "High"),
    "json": (
        "mimcheckConfig",
        "JsonProperty",
        "json",
        "previousJson",
        {"mode": "eco", "levels": [1, 2], "extra": None},
        {"mode": "boost", "levels": [3]},
    ),
    "language": (
        "mimcheckLabel",
        "LanguageProperty",
        "languageMap",
        "previousLanguageMap",
        {"en": "hall", "fr": "salle"},
        {"en": "room", "nl": "kamer"},
    ),
}
BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "vocab": vocab_prop,
    "json": json_prop,
    "language": lang_prop,
}


def _same(kind: str, got: Any, expected: Any) -> bool:
    """A vocab may be given as the term or a one-element array of it (clause 5.2.35, oneOf)."""
    if kind == "vocab":
        return got == expected or got == [expected]
    return bool(got == expected)


def _feature(received: Received, entity_id: str) -> dict[str, Any] | None:
    """The properties of the entity's Feature in a GeoJSON notification (data a FeatureCollection)."""
    body = received.json
    data = body.get("data") if isinstance(body, dict) else None
    features = data.get("features") if isinstance(data, dict) else None
    for feature in features if isinstance(features, list) else []:
        if isinstance(feature, dict) and feature.get("id") == entity_id:
            properties = feature.get("properties")
            return properties if isinstance(properties, dict) else {}
    return None


def _changed(
    ngsild: NgsiLd,
    dyn: Dynamics,
    notifications: Notifications,
    ids: RunIds,
    kind: str,
    notification: dict[str, Any],
    trigger: str = "attributeUpdated",
) -> Any:
    """Subscribe to one entity, then update its typed attribute (attributeUpdated) or append it
    (attributeCreated); the attribute as notified."""
    name, _, member, _, before, after = KINDS[kind]
    initial: dict[str, Any] = {name: BUILDERS[kind](before)} if trigger == "attributeUpdated" else {}
    entity = make_entity(ngsild, ids, None, **initial)
    accept = GEOJSON if notification.get("format") == "geojson" else None
    if accept:
        notification = {**notification, "format": "normalized"}
    endpoint = notifications.endpoint("typed")
    body = subscription(
        subscription_id(ids),
        endpoint,
        entities=[{"id": entity["id"], "type": entity["type"]}],
        accept=accept,
        watchedAttributes=[name],
        notification=notification,
    )
    created(dyn.create_subscription(body), f"creating subscription {body['id']}")
    notifications.trigger(endpoint)
    change: dict[str, Any] = {name: BUILDERS[kind](after)}
    if trigger == "attributeUpdated":
        update_attrs(ngsild, entity["id"], **change)
    else:
        resp = ngsild.request(
            "POST", f"{entity_path(entity['id'])}/attrs", headers={"Content-Type": JSON}, json_body=change
        )
        precondition(resp.status_code in (200, 204, 207), f"appending {name} answered {resp.status_code}")
    if accept:
        received = notifications.expect(
            endpoint, f"after the {name} change", where=lambda r: _feature(r, entity["id"]) is not None
        )[0]
        data = _feature(received, entity["id"]) or {}
    else:
        received = notifications.expect(endpoint, f"after the {name} change", where=mentions(entity["id"]))[0]
        data = entity_in(received, entity["id"]) or {}
    if name not in data:
        checks.fail(f"the notified entity has no {name} ({KINDS[kind][1]}): {data!r}")
    return data[name]


CASES = [
    pytest.param(kind, fmt, trigger, id=f"{kind}-{fmt}-{trigger}")
    for kind in KINDS
    for fmt in ("normalized", "concise", "keyValues")
    for trigger in ("attributeCreated", "attributeUpdated")
] + [pytest.param(kind, "geojson", "attributeUpdated", id=f"{kind}-geojson") for kind in KINDS]


@requirement(
    "MIM1-NTF-031",
    clause="5.2.14",
    level="MUST",
    title="VocabProperty, JsonProperty and LanguageProperty values are notified in the subscription's format",
)
@pytest.mark.parametrize(("kind", "fmt", "trigger"), CASES)
def test_typed_attribute_formats(
    ngsild: NgsiLd,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
    kind: str,
    fmt: str,
    trigger: str,
) -> None:
    name, attr_type, member, _, _, after = KINDS[kind]
    got = _changed(ngsild, dyn, notifications, run_ids, kind, {"format": fmt}, trigger)
    what = f"{fmt} {name} ({attr_type})"
    if fmt == "keyValues":
        # the simplified form wraps these values ({"vocab": ...}, {"json": ...}, {"languageMap": ...});
        # the bare value is accepted as well and noted
        if isinstance(got, dict) and set(got) == {member}:
            value, form = got[member], "wrapped"
        elif isinstance(got, dict) and "type" in got:
            checks.fail(f"{what}: a keyValues attribute carries no 'type', got {got!r}")
        else:
            value, form = got, "bare"
        case_evidence.note(f"keyValues {attr_type} given in the {form} form")
    else:
        if not isinstance(got, dict) or member not in got:
            checks.fail(f"{what}: expected an object with {member!r}, got {got!r}")
        if fmt in ("normalized", "geojson"):
            checks.equal(f"{what} type", got.get("type"), attr_type)
        elif "type" in got:
            checks.fail(f"{what}: a concise attribute carries no 'type', got {got!r}")
        value = got[member]
    if not _same(kind, value, after):
        checks.fail(f"{what}: expected the value {after!r}, got {value!r}")


@requirement(
    "MIM1-NTF-032",
    clause="5.2.14",
    level="MUST",
    title="showChanges gives previousVocab, previousJson and previousLanguageMap of a changed typed Property",
)
@pytest.mark.parametrize(
    ("kind", "fmt"), [pytest.param(k, f, id=f"{k}-{f}") for k in KINDS for f in ("normalized", "concise")]
)
def test_typed_previous_values(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, kind: str, fmt: str
) -> None:
    name, attr_type, member, previous, before, after = KINDS[kind]
    got = _changed(ngsild, dyn, notifications, run_ids, kind, {"format": fmt, "showChanges": True})
    what = f"{fmt} {name} ({attr_type}) with showChanges"
    if not isinstance(got, dict) or member not in got:
        checks.fail(f"{what}: expected an object with {member!r}, got {got!r}")
    if not _same(kind, got[member], after):
        checks.fail(f"{what}: expected the value {after!r}, got {got[member]!r}")
    if previous not in got:
        checks.fail(f"{what}: expected {previous!r} holding the value before the change, got {got!r}")
    if not _same(kind, got[previous], before):
        checks.fail(f"{what}: expected {previous} = {before!r}, got {got[previous]!r}")


FRESH = "mimcheckFresh"  # the attribute created in NTF-036 cases, whatever its type
FRESH_VALUES: dict[str, dict[str, Any]] = {
    "property": prop(7.5),
    "vocab": vocab_prop("High"),
    "json": json_prop({"mode": "boost"}),
    "language": lang_prop({"en": "room"}),
}
PREVIOUS_MEMBERS = (
    "previousValue",
    "previousObject",
    "previousLanguageMap",
    "previousVocab",
    "previousJson",
    "previousValueList",
    "previousObjectList",
)


@requirement(
    "MIM1-NTF-036",
    clause="5.2.14",
    level="MUST",
    title="With showChanges, an attribute that was just created (attributeCreated, entityCreated) carries no previous value",
)
@pytest.mark.parametrize(
    ("kind", "trigger"),
    [
        pytest.param(kind, trigger, id=f"{kind}-{trigger}")
        for kind in FRESH_VALUES
        for trigger in ("attributeCreated", "entityCreated")
    ],
)
def test_created_without_previous(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, kind: str, trigger: str
) -> None:
    fresh = FRESH_VALUES[kind]
    show = {"showChanges": True}
    if trigger == "attributeCreated":
        entity = make_entity(ngsild, run_ids)
        _, endpoint = subscribe(
            dyn, notifications, run_ids, entity, watchedAttributes=[FRESH], notification=show
        )
        notifications.trigger(endpoint)
        resp = ngsild.request(
            "POST",
            f"{entity_path(entity['id'])}/attrs",
            headers={"Content-Type": JSON},
            json_body={FRESH: fresh},
        )
        precondition(resp.status_code in (200, 204, 207), f"appending {FRESH} answered {resp.status_code}")
    else:
        entity = sensor(run_ids, unique_type(run_ids), **{FRESH: fresh})
        _, endpoint = subscribe(
            dyn, notifications, run_ids, entity, notificationTrigger=["entityCreated"], notification=show
        )
        notifications.trigger(endpoint)
        resp = ngsild.create_entity(entity)
        precondition(
            resp.status_code in (200, 201, 204), f"creating {entity['id']} answered {resp.status_code}"
        )
    received = notifications.expect(endpoint, f"after the {trigger} change", where=mentions(entity["id"]))[0]
    got = checks.member("notified entity", entity_in(received, entity["id"]) or {}, FRESH, kind=dict)
    present = [m for m in PREVIOUS_MEMBERS if m in got]
    if present:
        checks.fail(
            f"showChanges: {FRESH} ({fresh['type']}) was created by this change, so it has no previous value "
            f"(NotificationParams.showChanges: not in the case of creations), but it carries {present}: {got!r}"
        )
