"""MIM1 temporal representations per attribute kind (ETSI GS CIM 009 V1.8.1 clauses 4.5.7, 4.5.8, 4.5.9,
6.3.12): the normalized temporal representation (an array of instances with instanceId) and the simplified
one (temporalValues: per attribute ``type`` and a values/objects/languageMaps/jsons/vocabs/valueLists array
of [value, DateTime] pairs, where LanguageProperty, JsonProperty and VocabProperty values are wrapped in an
object named by their value member), as output and as input of Create Temporal Representation."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import created
from conformance.mim1.dynamics.temporal_support import (
    ATTR,
    CAP,
    KINDS,
    TIMES,
    by_time,
    create_kind,
    retrieve,
    simplified_pairs,
    unique_type,
)
from conformance.ngsild.subscriptions import Dynamics, iso, parse_time
from conformance.requirements import requirement
from conformance.run_ids import RunIds

ALL_KINDS = list(KINDS)


def _expect_normalized(what: str, body: dict[str, Any], kind: str) -> None:
    """The attribute holds the two sent instances of this kind, each with its value and an instanceId."""
    member, values, _, _ = KINDS[kind]
    items = by_time(what, checks.instances(what, checks.member(what, body, ATTR)))
    checks.equal(f"{what}: number of instances", len(items), len(values))
    seen_ids = set()
    for index, (item, value) in enumerate(zip(items, values, strict=True)):
        where = f"{what}[{index}]"
        checks.equal(f"{where}.type", item.get("type"), kind)
        checks.same_value(f"{where}.{member}", checks.member(where, item, member), value)
        checks.same_value(f"{where}.observedAt", item.get("observedAt"), iso(TIMES[index]))
        instance_id = checks.member(where, item, "instanceId")
        checks.is_uri(f"{where}.instanceId", instance_id)
        seen_ids.add(instance_id)
    checks.equal(f"{what}: distinct instanceIds", len(seen_ids), len(values))


@requirement(
    "MIM1-TEMP-016",
    clause="4.5.7, 4.5.8",
    level="MUST",
    capability=CAP,
    title="The normalized temporal representation gives each attribute kind as an array of instances "
    "with its type, value member, observedAt and a distinct instanceId",
)
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_normalized_temporal_kinds(dyn: Dynamics, run_ids: RunIds, kind: str) -> None:
    entity = create_kind(dyn, run_ids, kind)
    _expect_normalized(f"{kind} {ATTR}", retrieve(dyn, entity["id"]), kind)


def _simplified_attribute(what: str, body: dict[str, Any]) -> dict[str, Any]:
    attr = checks.member(what, body, ATTR)
    if isinstance(attr, list) and len(attr) == 1:
        attr = attr[0]  # one datasetId group given as an array of one
    if not isinstance(attr, dict):
        checks.fail(f"{what}: expected the simplified attribute object, got {attr!r}")
    return attr


def _expect_pairs(what: str, got: Any, kind: str) -> None:
    expected = simplified_pairs(kind)
    if not isinstance(got, list) or not all(isinstance(p, list) and len(p) == 2 for p in got):
        checks.fail(f"{what}: expected an array of [value, DateTime] pairs, got {got!r}")
    ordered = sorted(got, key=lambda p: parse_time(p[1]) or TIMES[0])
    checks.same_value(what, ordered, expected)


@requirement(
    "MIM1-TEMP-017",
    clause="4.5.9",
    level="MUST",
    capability=CAP,
    title="The simplified temporal representation (format or options temporalValues) gives each attribute "
    "kind its type and its values/objects/languageMaps/jsons/vocabs/valueLists pairs, Language, Json and Vocab "
    "values wrapped in an object named by their value member",
)
@pytest.mark.parametrize("param", ["format", "options"])
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_simplified_temporal_kinds(dyn: Dynamics, run_ids: RunIds, kind: str, param: str) -> None:
    entity = create_kind(dyn, run_ids, kind)
    what = f"{kind} {ATTR} with {param}=temporalValues"
    attr = _simplified_attribute(what, retrieve(dyn, entity["id"], {param: "temporalValues"}))
    checks.equal(f"{what}: type", attr.get("type"), kind)
    member = KINDS[kind][2]
    _expect_pairs(f"{what}: {member}", checks.member(what, attr, member), kind)


@requirement(
    "MIM1-TEMP-018",
    clause="4.5.9",
    level="MUST",
    capability=CAP,
    title="Create Temporal Representation accepts each attribute kind in the simplified temporal "
    "representation and gives the same instances back in the normalized one",
)
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_simplified_input_kinds(dyn: Dynamics, run_ids: RunIds, kind: str) -> None:
    entity = create_kind(dyn, run_ids, kind, simplified=True)
    body = retrieve(dyn, entity["id"])
    member, values, _, _ = KINDS[kind]
    what = f"{kind} {ATTR} sent simplified"
    items = by_time(what, checks.instances(what, checks.member(what, body, ATTR)))
    checks.equal(f"{what}: number of instances", len(items), len(values))
    for index, (item, value) in enumerate(zip(items, values, strict=True)):
        checks.equal(f"{what}[{index}].type", item.get("type"), kind)
        checks.same_value(f"{what}[{index}].{member}", checks.member(what, item, member), value)


DATASETS = ["urn:ngsi-ld:Dataset:mimcheck-a", "urn:ngsi-ld:Dataset:mimcheck-b"]


@requirement(
    "MIM1-TEMP-019",
    clause="4.5.9",
    level="MUST",
    capability=CAP,
    title="The simplified temporal representation of a multi-attribute gives one object per datasetId, "
    "each with its datasetId and only its own pairs",
)
@pytest.mark.parametrize("kind", ["Property", "Relationship", "LanguageProperty"])
def test_simplified_datasets(dyn: Dynamics, run_ids: RunIds, kind: str) -> None:
    member, values, plural, _ = KINDS[kind]
    entity_type = unique_type(run_ids)
    instances = [
        {"type": kind, member: values[i], "observedAt": iso(TIMES[i]), "datasetId": DATASETS[i]}
        for i in (0, 1)
    ]
    entity: dict[str, Any] = {"id": f"urn:ngsi-ld:{entity_type}:{run_ids.next()}", "type": entity_type}
    entity[ATTR] = instances
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']}")
    what = f"{kind} {ATTR} with two datasetIds, format=temporalValues"
    attr = checks.member(what, retrieve(dyn, entity["id"], {"format": "temporalValues"}), ATTR)
    if not isinstance(attr, list) or not all(isinstance(a, dict) for a in attr):
        checks.fail(f"{what}: expected an array of simplified attribute objects, got {attr!r}")
    groups = {a.get("datasetId"): a for a in attr}
    checks.equal(f"{what}: datasetIds", sorted(str(k) for k in groups), sorted(DATASETS))
    pairs = simplified_pairs(kind)
    for index, dataset in enumerate(DATASETS):
        group = groups[dataset]
        checks.equal(f"{what} {dataset}: type", group.get("type"), kind)
        checks.same_value(f"{what} {dataset}: {plural}", checks.member(what, group, plural), [pairs[index]])


@requirement(
    "MIM1-TEMP-032",
    clause="4.5.7",
    level="MUST",
    capability=CAP,
    title="Retrieve Temporal Evolution with lang gives each LanguageProperty instance as a Property with the "
    "string of the preferred language (or another one it has) and its lang tag",
)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_temporal_lang(dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, lang: str) -> None:
    entity = create_kind(dyn, run_ids, "LanguageProperty")
    what = f"LanguageProperty {ATTR} with lang={lang}"
    items = by_time(
        what, checks.instances(what, checks.member(what, retrieve(dyn, entity["id"], {"lang": lang}), ATTR))
    )
    maps = KINDS["LanguageProperty"][1]
    checks.equal(f"{what}: number of instances", len(items), len(maps))
    fallbacks = []
    for index, (item, language_map) in enumerate(zip(items, maps, strict=True)):
        where = f"{what}[{index}]"
        checks.equal(f"{where}.type", item.get("type"), "Property")
        checks.absent(where, item, "languageMap")
        tag = checks.member(where, item, "lang", str)
        if lang in language_map:
            checks.equal(f"{where}.lang", tag, lang)
        elif tag not in language_map:
            checks.fail(
                f"{where}: lang {tag!r} is none of the languages of the instance {sorted(language_map)}"
            )
        else:
            fallbacks.append(tag)
        checks.equal(f"{where}.value", item.get("value"), language_map[tag])
    if fallbacks:
        case_evidence.note(f"instances without {lang!r} fell back to {fallbacks}")


ENTITY_MEMBERS = [
    pytest.param(1, None, id="one-type"),
    pytest.param(2, None, id="two-types"),
    pytest.param(1, "/Mimcheck/Temporal", id="scope"),
    pytest.param(2, ["/Mimcheck/A", "/Mimcheck/B"], id="two-types-two-scopes"),
]


@requirement(
    "MIM1-TEMP-035",
    clause="4.5.6",
    level="MUST",
    capability=CAP,
    title="The temporal representation of an entity gives its id, every entity type and its scope, "
    "next to the temporal attributes",
)
@pytest.mark.parametrize(("types", "scope"), ENTITY_MEMBERS)
def test_temporal_entity_members(
    dyn: Dynamics, run_ids: RunIds, types: int, scope: str | list[str] | None
) -> None:
    names = [unique_type(run_ids) for _ in range(types)]
    entity: dict[str, Any] = {
        "id": f"urn:ngsi-ld:{names[0]}:{run_ids.next()}",
        "type": names[0] if types == 1 else names,
    }
    if scope is not None:
        entity["scope"] = scope
    entity[ATTR] = [{"type": "Property", "value": 1.0, "observedAt": iso(TIMES[0])}]
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']}")
    body = retrieve(dyn, entity["id"])
    checks.equal("temporal entity id", body.get("id"), entity["id"])
    got_types = body.get("type")
    checks.equal(
        "temporal entity types",
        sorted(got_types if isinstance(got_types, list) else [got_types]),
        sorted(names),
    )
    if scope is not None:
        got_scope = checks.member("temporal entity", body, "scope")
        want = scope if isinstance(scope, list) else [scope]
        checks.equal(
            "temporal entity scope",
            sorted(got_scope if isinstance(got_scope, list) else [got_scope]),
            sorted(want),
        )
    checks.instances(ATTR, checks.member("temporal entity", body, ATTR))
