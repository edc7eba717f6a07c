"""Requirements of the MIM3 operation families, one per TM Forum API, and the parametrisation of
the scenarios over every resource of every API.

A family (create, retrieve, ...) is checked by one scenario function, parametrised over the
resources; each case carries the requirement of its API (`MIM3-<AREA>-nnn`, capability `tmf6xx`).
The requirement ids are: the API's base number (`Api.base`) plus the family's number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import checks
from conformance.outcomes import precondition
from conformance.requirements import Level, Requirement, declare
from conformance.run_ids import RunIds
from conformance.tmf.api import Tmf
from conformance.tmf.resources import APIS, LIFECYCLE, ORDERS, Api, Resource, resources_of


def _every(resource: Resource) -> bool:
    return True


@dataclass(frozen=True)
class Family:
    number: int
    clause: str  # the operation of the API and the TMF630 part that states the behaviour
    level: Level
    title: str  # with {api} (e.g. "TMF620 Product Catalog Management") and {resources}
    applies: Callable[[Resource], bool] = _every  # the resources the family concerns
    # clause and title for an API whose resources have no PATCH or DELETE (TMF676 v4)
    readonly_clause: str | None = None
    readonly_title: str | None = None
    capability: str | None = None  # an optional capability of its own, instead of the API's


CREATE = Family(
    1,
    "POST /{resources}; TMF630 Part 1 create (POST)",
    "MUST",
    "{api}: creating a {resources} answers 201 with the resource, carrying id, href and @type, "
    "echoing the request",
)
RETRIEVE = Family(
    2,
    "GET /{resources}/{{id}}; TMF630 Part 1 retrieve",
    "MUST",
    "{api}: a created {resources} is retrieved by its href and by its id",
)
UNKNOWN = Family(
    3,
    "GET, PATCH, DELETE /{resources}/{{id}} 404; TMF630 Part 1 error handling",
    "MUST",
    "{api}: retrieving, patching or deleting an unknown {resources} answers 404 with a TMF Error body "
    "(code, reason)",
    readonly_clause="GET /{resources}/{{id}} 404; TMF630 Part 1 error handling",
    readonly_title="{api}: retrieving an unknown {resources} answers 404 with a TMF Error body (code, reason)",
)
MANDATORY = Family(
    4,
    "POST /{resources} 400 (mandatory attributes of the _Create schema); TMF630 Part 1 error handling",
    "MUST",
    "{api}: creating a {resources} without one of its mandatory attributes answers 400 with a TMF Error body",
)
FIELDS = Family(
    5,
    "GET ?fields=; TMF630 Part 1 attribute selection",
    "MUST",
    "{api}: fields= on a {resources} (list and retrieve) returns the requested attributes "
    "and no other attribute than id, href and the @-meta attributes",
)
FILTER = Family(
    6,
    "GET ?id= or ?<mandatory attribute>=value; TMF630 Part 1 filtering (what the TM Forum CTKs filter on)",
    "MUST",
    "{api}: listing a {resources} collection filtered on its id or a mandatory attribute (attribute=value) "
    "returns the matching resources and only them",
)
PAGING = Family(
    7,
    "GET ?offset=&limit=; TMF630 Part 1 pagination (X-Total-Count, X-Result-Count)",
    "MUST",
    "{api}: listing a {resources} collection with offset and limit returns that page, "
    "with X-Total-Count and X-Result-Count",
)
CONTENT_TYPE = Family(
    8,
    "POST, GET, PATCH produces application/json; TMF630 Part 1",
    "MUST",
    "{api}: create, retrieve, list and patch of a {resources} answer Content-Type application/json",
    readonly_clause="POST, GET produces application/json; TMF630 Part 1",
    readonly_title="{api}: create, retrieve and list of a {resources} answer Content-Type application/json",
)
MERGE_PATCH = Family(
    9,
    "PATCH /{resources}/{{id}} (application/merge-patch+json); TMF630 Part 1 partial update, RFC 7396",
    "MUST",
    "{api}: a JSON merge patch of a {resources} changes the attribute sent, removes the one set to "
    "null, keeps the others, and persists",
    applies=lambda r: r.patchable,
)
PATCH_ID = Family(
    10,
    "PATCH /{resources}/{{id}} (id is not patchable: _Update skips id, href); TMF630 Part 1",
    "MUST",
    "{api}: a patch cannot change the id of a {resources}",
    applies=lambda r: r.patchable,
)
DELETE = Family(
    11,
    "DELETE /{resources}/{{id}}; TMF630 Part 1 delete",
    "MUST",
    "{api}: deleting a {resources} answers 204, after which it answers 404",
    applies=lambda r: r.deletable,
)
ORDER_INITIAL = Family(
    12,
    "POST /{resources} state; {api} order state lifecycle",
    "MUST",
    "{api}: a created {resources} is in state acknowledged",
    applies=lambda r: r in ORDERS,
)
ORDER_ALLOWED = Family(
    13,
    "PATCH /{resources}/{{id}} state; {api} order state lifecycle",
    "MUST",
    "{api}: a {resources} follows the transitions of the order state machine "
    "(acknowledged, inProgress, held, completed, failed)",
    applies=lambda r: r in ORDERS,
)
ORDER_ILLEGAL = Family(
    14,
    "PATCH /{resources}/{{id}} state; {api} order state lifecycle",
    "MUST",
    "{api}: a {resources} refuses a transition out of a terminal state and an unknown state "
    "with 400 or 409 and a TMF Error body, and keeps its state",
    applies=lambda r: r in ORDERS,
)
LIFECYCLE_STATUS = Family(
    12,
    "PATCH /{resources}/{{id}} lifecycleStatus (in the _Update schema); TMF630 Part 1 partial update",
    "MUST",
    "{api}: the lifecycleStatus of a {resources} moves forward (In study, In design, In test, Active, Retired) by "
    "merge patch, each step answered 200 and persisted",
    applies=lambda r: r in LIFECYCLE,
)

NESTED_FIELDS = Family(
    15,
    "GET ?fields=<attribute>.<sub-attribute>; TMF630 Part 1 attribute selection (dot notation)",
    "MUST",
    "{api}: fields= naming sub-attributes of a nested object or array of a {resources} (list and retrieve) "
    "returns that attribute with only the named sub-attributes (plus id, href and the @-meta attributes)",
    applies=lambda r: r.name in NESTED_SELECTIONS,
)
COMBINED_FILTER = Family(
    16,
    "GET ?id=&<mandatory attribute>=; TMF630 Part 1 filtering (several attribute filters are combined with AND)",
    "MUST",
    "{api}: a {resources} collection filtered on id alone returns that resource; filtered on id and a "
    "mandatory attribute together it returns the resources matching both (AND), not either",
    applies=lambda r: r.name in COMBINED_FILTERS,
)
CANCEL_TASK = Family(
    17,
    "task resource cancel<Order> of /{resources} (POST, GET, GET by id); {api} order state lifecycle",
    "MUST",
    "{api}: a cancellation task for a {resources} is created (201), retrieved and listed, and the order's state "
    "follows it (cancelled when the task is done; unchanged when it is terminatedWithError)",
    applies=lambda r: r in ORDERS,
)
JSON_PATCH = Family(
    18,
    "PATCH /{resources}/{{id}} (application/json-patch+json, optional in the v4 user guides); RFC 6902, "
    "RFC 5789 error handling",
    "MUST",
    "{api}: a JSON Patch (RFC 6902) of a {resources} applies its replace, remove and add operations and "
    "persists; a malformed patch document answers 400 and changes nothing",
    applies=lambda r: r.patchable,
    capability="tmf-json-patch",
)

# Nested attribute selection: resource -> (attribute holding an object or an array of objects, the
# sub-attributes requested, a sub-attribute of the fixture that must then be left out)
NESTED_SELECTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "productOffering": ("validFor", ("endDateTime",), "startDateTime"),
    "productOfferingPrice": ("price", ("value",), "unit"),
    "productOrder": ("productOrderItem", ("action", "quantity"), "productOffering"),
    "customer": ("validFor", ("startDateTime",), "endDateTime"),
    "serviceOrder": ("serviceOrderItem", ("action",), "service"),
    "serviceCandidate": ("serviceSpecification", ("version",), "name"),
    "resourceCandidate": ("resourceSpecification", ("version",), "name"),
    "resourceOrder": ("orderItem", ("action", "quantity"), "resourceSpecification"),
    "paymentMethod": ("validFor", ("startDateTime",), "endDateTime"),
    "payment": ("totalAmount", ("unit",), "value"),
    "refund": ("totalAmount", ("unit",), "value"),
}
# Combined filters: resource -> the mandatory string attribute (of _Create) filtered on with id
COMBINED_FILTERS: dict[str, str] = {
    **{name: "name" for name in ("catalog", "category", "productSpecification", "productOffering")},
    "productOfferingPrice": "name",
    "individual": "familyName",
    "organization": "tradingName",
    "customer": "name",
    "product": "status",
    "service": "state",
    "resource": "name",
    **{
        name: "name"
        for name in (
            "serviceCatalog",
            "serviceCategory",
            "serviceCandidate",
            "serviceSpecification",
            "resourceCatalog",
            "resourceCategory",
            "resourceCandidate",
            "resourceSpecification",
        )
    },
    "paymentMethod": "name",
}

FAMILIES: tuple[Family, ...] = (
    CREATE,
    RETRIEVE,
    UNKNOWN,
    MANDATORY,
    FIELDS,
    FILTER,
    PAGING,
    CONTENT_TYPE,
    MERGE_PATCH,
    PATCH_ID,
    DELETE,
    ORDER_INITIAL,
    ORDER_ALLOWED,
    ORDER_ILLEGAL,
    LIFECYCLE_STATUS,
    NESTED_FIELDS,
    COMBINED_FILTER,
    CANCEL_TASK,
    JSON_PATCH,
)


def _declare(api: Api, family: Family, resources: list[Resource]) -> Requirement:
    names = [r.name for r in resources]
    in_path = names[0] if len(names) == 1 else "{" + "|".join(names) + "}"
    in_title = names[0] if len(names) == 1 else f"resource ({', '.join(names)})"
    readonly = not any(r.patchable or r.deletable for r in resources)
    clause = (family.readonly_clause if readonly else None) or family.clause
    title = (family.readonly_title if readonly else None) or family.title
    return declare(
        f"MIM3-{api.area}-{api.base + family.number:03d}",
        spec=api.spec,
        clause=clause.format(resources=in_path, api=api.title.split()[0]),
        level=family.level,
        capability=family.capability or api.capability,
        title=title.format(api=api.title, resources=in_title),
    )


def params(
    family: Family,
    extra: Iterable[tuple[str, tuple[Any, ...]]] = (("", ()),),
    keep: Callable[..., bool] | None = None,
) -> list[Any]:
    """pytest params (resource, *extra) for every resource of every API this family concerns, each
    marked with the requirement of its API. `extra` adds (id suffix, values) variants per resource;
    `keep(resource, *values)` drops the variants a resource has no case for. An API left with no
    case declares no requirement for the family."""
    out = []
    for api in APIS:
        cases = [
            (resource, suffix, values)
            for resource in resources_of(api)
            if family.applies(resource)
            for suffix, values in extra
            if keep is None or keep(resource, *values)
        ]
        if not cases:
            continue
        concerned = list(dict.fromkeys(resource for resource, _, _ in cases))
        mark = pytest.mark.requirement(_declare(api, family, concerned))
        for resource, suffix, values in cases:
            case_id = resource.id + (f"-{suffix}" if suffix else "")
            out.append(pytest.param(resource, *values, id=case_id, marks=mark))
    return out


# -- shared steps -------------------------------------------------------------------------------


def create(tmf: Tmf, resource: Resource, run_ids: RunIds, marker: str | None = None) -> dict[str, Any]:
    """Create a resource as a precondition (what the scenario checks is elsewhere)."""
    return create_from(tmf, resource, resource.body(run_ids.next(), marker))


def create_from(tmf: Tmf, resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """Create a resource from this body as a precondition."""
    resp = tmf.create(resource.api.capability, resource.name, body)
    precondition(resp.status_code in (200, 201), f"creating a {resource.name} answered {resp.status_code}")
    try:
        created = resp.json()
    except ValueError:
        created = None
    precondition(
        isinstance(created, dict) and isinstance(created.get("id"), str) and bool(created["id"]),
        f"the created {resource.name} has no id",
    )
    assert isinstance(created, dict)  # the precondition above
    return created


def item_url(tmf: Tmf, resource: Resource, identifier: str) -> str:
    return tmf.item(resource.api.capability, resource.name, identifier)


def collection(tmf: Tmf, resource: Resource) -> str:
    return tmf.collection(resource.api.capability, resource.name)


def current(tmf: Tmf, resource: Resource, identifier: str) -> dict[str, Any]:
    """The resource as the target has it now (a precondition)."""
    resp = tmf.get(item_url(tmf, resource, identifier))
    precondition(resp.status_code == 200, f"retrieving the {resource.name} answered {resp.status_code}")
    try:
        body = resp.json()
    except ValueError:
        body = None
    precondition(isinstance(body, dict), f"retrieving the {resource.name} gave no JSON object")
    assert isinstance(body, dict)  # the precondition above
    return body


def patch_body(resource: Resource, now: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A merge patch: the changes, plus the attributes the _Update schema requires, unchanged."""
    body = {key: now[key] for key in resource.update_required if key in now}
    body.update(changes)
    return body


def send_patch(
    tmf: Tmf,
    resource: Resource,
    url: str,
    now: dict[str, Any],
    changes: dict[str, Any],
    note: Callable[[str], None] | None = None,
) -> Any:
    """PATCH the changes, with the attributes the _Update schema requires, unchanged. Where one
    version of the swagger requires such an attribute and another skips it from _Update (TMF670
    @type), a 400 or 409 to the patch with it is retried once without it; `note` records which
    form the target took."""
    body = patch_body(resource, now, changes)
    resp = tmf.patch(url, body)
    disputed = [k for k in resource.update_disputed if k in body and k not in changes]
    if resp.status_code not in (400, 409) or not disputed:
        return resp
    retry = tmf.patch(url, {k: v for k, v in body.items() if k not in disputed})
    if note is not None:
        note(
            f"the {resource.name} patch with {', '.join(disputed)} (unchanged) answered {resp.status_code}; "
            f"without {', '.join(disputed)} it answered {retry.status_code}"
        )
    return retry


def listed(what: str, resp: Any) -> list[dict[str, Any]]:
    """A list response: 200 (or 206 for a partial page), a JSON array of objects."""
    checks.status_is(resp, 200, 206)
    items = checks.json_array(resp)
    if not all(isinstance(i, dict) for i in items):
        checks.fail(f"{what}: expected an array of resources (JSON objects), got {items!r}"[:400])
    return items
