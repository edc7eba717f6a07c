"""MIM3 list operations: attribute selection (fields=), filtering (attribute=value), pagination."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.mim3 import cases
from conformance.outcomes import precondition
from conformance.run_ids import RunIds
from conformance.tmf.api import Tmf
from conformance.tmf.resources import Resource

# Returned whatever fields= asks for: the identity of the resource (TMF630 Part 1 attribute
# selection) and the polymorphism meta-attributes of TMF630 Part 2 (@type, @baseType, @schemaLocation).
ALWAYS_ALLOWED = frozenset({"id", "href", "@type", "@baseType", "@schemaLocation", "@referredType"})


@pytest.mark.parametrize(
    ("resource", "where"), cases.params(cases.FIELDS, [("list", ("list",)), ("retrieve", ("retrieve",))])
)
def test_fields_selection(tmf: Tmf, run_ids: RunIds, resource: Resource, where: str) -> None:
    marker = run_ids.next()
    body = resource.body(run_ids.next(), marker)
    created = cases.create_from(tmf, resource, body)
    fields = ",".join(resource.fields)
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
        items = [checks.json_object(got)]
        mine = items
    allowed = ALWAYS_ALLOWED | set(resource.fields)
    for item in items:
        extra = sorted(set(item) - allowed)
        if extra:
            checks.fail(
                f"{resource.name} with fields={fields}: attributes not requested are returned: {extra}"
            )
    checks.echoes(f"{resource.name} with fields={fields}", mine[0], {k: body[k] for k in resource.fields})
    checks.equal(f"{resource.name} with fields={fields}: id", mine[0].get("id"), created["id"])


@pytest.mark.parametrize("resource", cases.params(cases.FILTER))
def test_attribute_filtering(tmf: Tmf, run_ids: RunIds, resource: Resource) -> None:
    # Only id and mandatory attributes: a v4 swagger may declare no filter parameter on a list (TMF639
    # GET /resource: fields, offset, limit), and the TM Forum CTKs filter on id or mandatory attributes.
    key = resource.filter_on
    body = resource.body(run_ids.next(), run_ids.next())
    match = cases.create_from(tmf, resource, body)
    miss = cases.create(tmf, resource, run_ids, run_ids.next())
    wanted = match["id"] if key == "id" else body[key]
    got = tmf.get(cases.collection(tmf, resource), params={key: wanted})
    items = cases.listed(f"{resource.name} list filtered on {key}", got)
    checks.contains_ids(f"{resource.name} list with {key}={wanted}", items, {match["id"]})
    checks.lacks_ids(f"{resource.name} list with {key}={wanted}", items, {miss["id"]})
    for item in items:
        checks.equal(
            f"{resource.name} {item.get('id')} in the list with {key}={wanted}: {key}", item.get(key), wanted
        )


@pytest.mark.parametrize("resource", cases.params(cases.PAGING))
def test_pagination(tmf: Tmf, run_ids: RunIds, resource: Resource) -> None:
    marker = run_ids.next()
    ids = {cases.create(tmf, resource, run_ids, marker)["id"] for _ in range(3)}
    url = cases.collection(tmf, resource)
    whole = tmf.get(url, params={resource.marker: marker})
    precondition(whole.status_code == 200, f"listing {resource.name} filtered answered {whole.status_code}")
    try:
        listed_ids = {i.get("id") for i in whole.json() if isinstance(i, dict)}
    except (ValueError, TypeError):
        listed_ids = set()
    precondition(
        listed_ids == ids, f"filtering {resource.name} on {resource.marker} does not give the 3 created"
    )
    seen: list[str] = []
    for offset, expected in ((0, 2), (2, 1)):
        page = tmf.get(url, params={resource.marker: marker, "offset": offset, "limit": 2})
        items = cases.listed(f"{resource.name} page offset={offset} limit=2", page)
        checks.equal(
            f"{resource.name} page offset={offset} limit=2: number of resources", len(items), expected
        )
        checks.equal(
            f"{resource.name} page offset={offset} limit=2: X-Total-Count",
            checks.count_header(page, "X-Total-Count"),
            3,
        )
        checks.equal(
            f"{resource.name} page offset={offset} limit=2: X-Result-Count",
            checks.count_header(page, "X-Result-Count"),
            expected,
        )
        seen += [str(i.get("id")) for i in items]
    checks.equal(
        f"{resource.name} pages offset=0 and offset=2: the resources, each once", sorted(seen), sorted(ids)
    )
