"""MIM3 attribute selection of sub-attributes (fields=a.b, TMF630 Part 1 dot notation) and combined
attribute filters (id together with a mandatory attribute: AND)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.mim3 import cases
from conformance.outcomes import precondition
from conformance.run_ids import RunIds
from conformance.tmf.api import Tmf
from conformance.tmf.resources import Resource

# What a nested object may carry besides the sub-attributes asked for: its own identity (id, href,
# when it is an entity or a reference) and the TMF630 Part 2 meta-attributes; accepted, not required.
NESTED_ALLOWED = frozenset({"id", "href", "@type", "@baseType", "@schemaLocation", "@referredType"})
TOP_ALLOWED = NESTED_ALLOWED


def _check_nested(what: str, value: Any, sent: Any, subs: tuple[str, ...], dropped: str) -> None:
    """The selected attribute: each object (or the object) carries only the requested sub-attributes,
    with the values sent, plus identity and meta-attributes."""
    if isinstance(sent, list):
        if not isinstance(value, list):
            checks.fail(f"{what}: expected an array as sent, got {value!r}"[:400])
        checks.equal(f"{what}: number of elements", len(value), len(sent))
        pairs = list(zip(value, sent, strict=True))
    else:
        pairs = [(value, sent)]
    for index, (got, original) in enumerate(pairs):
        where = what if not isinstance(sent, list) else f"{what}[{index}]"
        if not isinstance(got, dict):
            checks.fail(f"{where}: expected an object, got {got!r}"[:400])
        extra = sorted(set(got) - NESTED_ALLOWED - set(subs))
        if extra:
            checks.fail(
                f"{where}: sub-attributes not requested are returned: {extra} (asked for {', '.join(subs)}; "
                f"{dropped!r} should be left out)"
            )
        # the values sent (date-times compared as instants, as everywhere in MIM3)
        checks.echoes(where, got, {sub: original[sub] for sub in subs})


@pytest.mark.parametrize(
    ("resource", "where"),
    cases.params(cases.NESTED_FIELDS, [("list", ("list",)), ("retrieve", ("retrieve",))]),
)
def test_nested_fields_selection(tmf: Tmf, run_ids: RunIds, resource: Resource, where: str) -> None:
    attribute, subs, dropped = cases.NESTED_SELECTIONS[resource.name]
    marker = run_ids.next()
    body = resource.body(run_ids.next(), marker)
    sent = body[attribute]
    first = sent[0] if isinstance(sent, list) else sent
    precondition(dropped in first, f"the {resource.name} fixture has no {attribute}.{dropped}")
    created = cases.create_from(tmf, resource, body)
    fields = ",".join(f"{attribute}.{sub}" for sub in subs)
    if where == "list":
        got = tmf.get(cases.collection(tmf, resource), params={"fields": fields, resource.marker: marker})
        items = cases.listed(f"{resource.name} list with fields={fields}", got)
        mine = [i for i in items if i.get("id") == created["id"]]
        precondition(
            bool(mine), f"the created {resource.name} is not in the list filtered on {resource.marker}"
        )
    else:
        got = tmf.get(cases.item_url(tmf, resource, created["id"]), params={"fields": fields})
        checks.status_is(got, 200)
        mine = [checks.json_object(got)]
    item = mine[0]
    what = f"{resource.name} with fields={fields}"
    extra = sorted(set(item) - TOP_ALLOWED - {attribute})
    if extra:
        checks.fail(f"{what}: attributes not requested are returned: {extra}")
    checks.equal(f"{what}: id", item.get("id"), created["id"])
    if attribute not in item:
        checks.fail(f"{what}: the selected attribute {attribute} is missing")
    _check_nested(f"{what}: {attribute}", item[attribute], sent, subs, dropped)


@pytest.mark.parametrize("resource", cases.params(cases.COMBINED_FILTER))
def test_combined_filters(tmf: Tmf, run_ids: RunIds, resource: Resource) -> None:
    key = cases.COMBINED_FILTERS[resource.name]
    body = resource.body(run_ids.next(), run_ids.next())
    precondition(isinstance(body.get(key), str), f"the {resource.name} fixture has no string {key}")
    if key == resource.filter_on:
        body[key] = run_ids.next()  # a run-scoped value, shared by the two resources below
    value = body[key]
    match = cases.create_from(tmf, resource, body)
    twin = cases.create_from(tmf, resource, {**body})  # same attribute value, another id
    collection = cases.collection(tmf, resource)

    got = tmf.get(collection, params={"id": match["id"]})
    items = cases.listed(f"{resource.name} list with id={match['id']}", got)
    checks.contains_ids(f"{resource.name} list with id={match['id']}", items, {match["id"]})
    checks.lacks_ids(f"{resource.name} list with id={match['id']}", items, {twin["id"]})

    both = [("id", match["id"]), (key, value)]
    got = tmf.get(collection, params=both)
    what = f"{resource.name} list with id={match['id']}&{key}={value}"
    items = cases.listed(what, got)
    checks.contains_ids(what, items, {match["id"]})
    checks.lacks_ids(what, items, {twin["id"]})

    # id of one, attribute value of neither: AND gives nothing (OR would give the resource)
    other = "no-such-" + run_ids.next() if key == resource.filter_on else _other_value(resource, value)
    contradictory = [("id", match["id"]), (key, other)]
    got = tmf.get(collection, params=contradictory)
    what = f"{resource.name} list with id={match['id']}&{key}={other}"
    items = cases.listed(what, got)
    checks.lacks_ids(what, items, {match["id"], twin["id"]})


# Another value of the mandatory enumerated attributes (ProductStatusType, ServiceStateType)
OTHER_VALUES = {"status": ("terminated", "created"), "state": ("terminated", "inactive")}


def _other_value(resource: Resource, value: str) -> str:
    key = cases.COMBINED_FILTERS[resource.name]
    return next(v for v in OTHER_VALUES[key] if v != value)
