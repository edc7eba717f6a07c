"""MIM1 notifications, what they carry (second part; ETSI GS CIM 009 V1.8.1 clauses 5.2.12, 5.2.14,
5.8.6, 6.3.5): a deleted entity, the Link header of a subscription made with one @context URL, the
datasetId member and the pick/omit projection of the notified entities.

Each case subscribes one endpoint, makes one change and waits for its notification."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.ntf_support import (
    make_entity,
    notified_entity,
    probe_notified_under,
    subscribe,
    update_attrs,
)
from conformance.mim1.dynamics.support import Notifications, entity_in, mentions
from conformance.ngsild.api import CORE_CONTEXT, JSON, NgsiLd, entity_path
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.payloads import VALUE_MEMBER, prop
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

NULL = "urn:ngsi-ld:null"
ENTITY_MEMBERS = {"id", "type", "scope", "@context", "createdAt", "modifiedAt", "deletedAt"}
PREVIOUS = {"value": "previousValue", "object": "previousObject", "languageMap": "previousLanguageMap"}


def _is_null(attribute: Any) -> bool:
    """An attribute marked deleted: its value is the NGSI-LD Null (clause 5.2.1), in any representation
    (a LanguageProperty's Null may be {"@none": "urn:ngsi-ld:null"}); every instance when several."""
    if isinstance(attribute, list):
        return bool(attribute) and all(_is_null(a) for a in attribute)
    if attribute == NULL:
        return True
    if isinstance(attribute, dict):
        for member in dict.fromkeys(VALUE_MEMBER.values()):
            if member in attribute:
                return attribute[member] in (NULL, {"@none": NULL})
    return False


DELETED_CASES = [
    pytest.param({}, id="normalized"),
    pytest.param({"format": "concise"}, id="concise"),
    pytest.param({"format": "keyValues"}, id="keyValues"),
    pytest.param({"sysAttrs": True}, id="sysAttrs"),
    pytest.param({"showChanges": True}, id="showChanges"),
]


@requirement(
    "MIM1-NTF-029",
    clause="5.8.6",
    level="MUST",
    title="An entityDeleted notification names the entity and gives no attribute a value: "
    "attributes are left out or carry the NGSI-LD Null (with deletedAt under sysAttrs)",
)
@pytest.mark.parametrize("params", DELETED_CASES)
def test_deleted_entity_content(
    ngsild: NgsiLd,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
    params: dict[str, Any],
) -> None:
    entity = make_entity(ngsild, run_ids)
    _, endpoint = subscribe(
        dyn, notifications, run_ids, entity, notificationTrigger=["entityDeleted"], notification=params
    )
    notifications.trigger(endpoint)
    resp = ngsild.request("DELETE", entity_path(entity["id"]))
    precondition(resp.status_code in (200, 204), f"deleting {entity['id']} answered {resp.status_code}")
    received = notifications.expect(endpoint, "after the deletion", where=mentions(entity["id"]))[0]
    data = entity_in(received, entity["id"]) or {}
    checks.equal("type of the deleted entity", data.get("type"), entity["type"])
    attributes = {k: v for k, v in data.items() if k not in ENTITY_MEMBERS}
    for name, attribute in attributes.items():
        if not _is_null(attribute):
            checks.fail(
                f"the deleted entity was notified with {name} = {attribute!r}, a value as if it still "
                "existed; a deleted attribute carries the NGSI-LD Null urn:ngsi-ld:null (clause 5.2.1)"
            )
    case_evidence.note(
        "deleted entity notified with its attributes as NGSI-LD Null"
        if attributes
        else "deleted entity notified with its id and type only (no attribute)"
    )
    if params.get("sysAttrs"):
        # NotificationParams.sysAttrs: "in the case of a deletion also deletedAt"
        checks.is_datetime(
            "deletedAt of the deleted entity", checks.member("deleted entity", data, "deletedAt")
        )
    if params.get("showChanges") and "temperature" in attributes:
        temperature = attributes["temperature"]
        if not isinstance(temperature, dict) or temperature.get("previousValue") != 21.5:
            checks.fail(
                f"showChanges: the deleted temperature should carry previousValue 21.5, got {temperature!r}"
            )


LINK_FORMS = ["link-header", "body-string", "body-array", "body-array-with-core"]
_LINK_RE = re.compile(r"<([^>]*)>\s*;([^,]*)")


def _context_links(value: str) -> list[str]:
    return [url for url, params in _LINK_RE.findall(value) if "json-ld#context" in params]


@requirement(
    "MIM1-NTF-030",
    clause="6.3.5",
    level="MUST",
    title="An application/json notification of a subscription made with one @context URL has a Link header naming that URL",
)
@pytest.mark.parametrize("form", LINK_FORMS)
def test_link_names_subscription_context(
    ngsild: NgsiLd,
    notifications: Notifications,
    contexts: ContextServer,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
    form: str,
) -> None:
    user = contexts.url("mimcheck-v1.jsonld")
    body_context = {
        "link-header": None,
        "body-string": user,
        "body-array": [user],
        "body-array-with-core": [user, CORE_CONTEXT],
    }[form]
    _, received = probe_notified_under(
        ngsild, notifications, run_ids, user, accept=JSON, label="link", body_context=body_context
    )
    checks.equal("notification Content-Type", received.media_type, JSON)
    links = _context_links(received.header("Link") or "")
    if links != [user]:
        checks.fail(
            f"the subscription was made with the one @context {user} ({form}); the notification's "
            f"Link header should name it (one JSON-LD context link), got {received.header('Link')!r}"
        )
    case_evidence.note(f"Link header names the subscription's @context URL ({form})")


DATASET_A = "urn:ngsi-ld:Dataset:mimcheck-a"
DATASET_B = "urn:ngsi-ld:Dataset:mimcheck-b"


@requirement(
    "MIM1-NTF-033",
    clause="5.2.12",
    level="MUST",
    title="A subscription's datasetId keeps only the attribute instances of those datasetIds in notifications",
)
@pytest.mark.parametrize(
    "selected", [pytest.param(DATASET_A, id="dataset"), pytest.param("@none", id="default")]
)
def test_dataset_id_instances(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, selected: str
) -> None:
    instances = [prop(21.5), prop(22.5, datasetId=DATASET_A), prop(23.5, datasetId=DATASET_B)]
    entity = make_entity(ngsild, run_ids, None, temperature=instances)
    _, endpoint = subscribe(
        dyn, notifications, run_ids, entity, watchedAttributes=["temperature"], datasetId=[selected]
    )
    notifications.trigger(endpoint)
    change = prop(30.5) if selected == "@none" else prop(30.5, datasetId=selected)
    update_attrs(ngsild, entity["id"], temperature=change)
    received = notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))[0]
    data = entity_in(received, entity["id"]) or {}
    temperature = checks.member("notified entity", data, "temperature")
    given = temperature if isinstance(temperature, list) else [temperature]
    for instance in given:
        if not isinstance(instance, dict):
            checks.fail(f"temperature: expected normalized instances, got {temperature!r}")
        if instance.get("datasetId", "@none") != selected:
            checks.fail(
                f"datasetId [{selected}]: the notification holds the temperature instance of datasetId "
                f"{instance.get('datasetId', '@none')!r}: {temperature!r}"
            )
    if [i.get("value") for i in given] != [30.5]:
        checks.fail(f"datasetId [{selected}]: expected the one updated instance (30.5), got {temperature!r}")


PROJECTIONS = [
    pytest.param({"pick": ["id", "type", "temperature"]}, {"id", "type", "temperature"}, set(), id="pick"),
    pytest.param({"pick": ["id", "temperature"]}, {"id", "temperature"}, {"type"}, id="pick-without-type"),
    pytest.param(
        {"omit": ["condition", "isPartOf"]},
        {"id", "type", "temperature"},
        {"condition", "isPartOf"},
        id="omit",
    ),
]


@requirement(
    "MIM1-NTF-034",
    clause="5.2.14",
    level="MUST",
    title="notification.pick keeps only the listed entity members, notification.omit removes them",
)
@pytest.mark.parametrize(("params", "present", "absent"), PROJECTIONS)
def test_pick_omit_members(
    ngsild: NgsiLd,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    params: dict[str, Any],
    present: set[str],
    absent: set[str],
) -> None:
    _, _, _, data = notified_entity(ngsild, dyn, notifications, run_ids, notification=params)
    for name in sorted(present):
        checks.member(f"entity notified with {params}", data, name)
    for name in sorted(absent):
        checks.absent(f"entity notified with {params}", data, name)
    if "pick" in params and set(data) - present:
        checks.fail(
            f"pick {params['pick']}: the entity holds other members {sorted(set(data) - present)}: {data!r}"
        )
