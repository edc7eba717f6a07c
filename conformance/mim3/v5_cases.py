"""Requirements of the MIM3 TM Forum v5 cases (MIM3-V5-001..056) and the parametrisation of the v5
scenarios over the resources of every v5 API.

Each v5 API (capability `tmfNNN-v5`, conformance/tmf/v5_resources.py) has seven requirements, one per
family below: MIM3-V5-(7 * the API's index + the family's number), e.g. TMF620 001..007, TMF622
008..014, ..., TMF639 050..056.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import checks
from conformance.cleanup import Cleanup
from conformance.outcomes import NotApplicable, precondition
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.requirements import Requirement, declare
from conformance.tmf import v5_schema
from conformance.tmf.v5_api import TmfV5
from conformance.tmf.v5_resources import V5_APIS, V5Api, V5Resource, v5_resources_of

PER_API = 7


@dataclass(frozen=True)
class V5Family:
    number: int  # 1..7
    clause: str  # with {resources}, {api} (e.g. "TMF620 v5.0.0")
    title: str  # with {api} (the API title) and {resources}


CREATE = V5Family(
    1,
    "POST /{resources} 201 (schemas <Resource>_FVO and <Resource>, Extensible: @type); TMF630 Part 1 create",
    "{api} v5: creating a {resources} answers 201 with the resource, carrying id, href and the @type "
    "sent, echoing the request",
)
MANDATORY = V5Family(
    2,
    "POST /{resources} 400 (required list of <Resource>_FVO, @type from Extensible_FVO; Error schema)",
    "{api} v5: creating a {resources} without @type or without one of its mandatory attributes answers 400 "
    "with a v5 Error body (code, reason, @type)",
)
RETRIEVE = V5Family(
    3,
    "GET /{resources}/{{id}} and GET /{resources} (fields), GET, PATCH, DELETE of an unknown id 404 (Error); "
    "TMF630 Part 1",
    "{api} v5: a created {resources} is retrieved by its href and its id, fields= selects attributes "
    "(retrieve and list), "
    "and an unknown id answers 404 with a v5 Error body to GET, PATCH and DELETE",
)
LIST = V5Family(
    4,
    "GET /{resources}?id= (or a mandatory attribute)=, ?offset=&limit= (X-Total-Count, X-Result-Count); "
    "TMF630 Part 1 filtering, pagination",
    "{api} v5: listing {resources} filtered on id (and on a mandatory attribute) returns that resource "
    "only; a page (offset, limit) "
    "answers 200 or 206 with at most limit resources and X-Total-Count, X-Result-Count",
)
UPDATE_DELETE = V5Family(
    5,
    "PATCH /{resources}/{{id}} (application/merge-patch+json, RFC 7396), DELETE /{resources}/{{id}} 204",
    "{api} v5: a merge patch of a {resources} changes the attribute sent, removes the one set to null, "
    "keeps the others and @type, and persists; a delete answers 204, after which the id answers 404",
)
SCHEMA = V5Family(
    6,
    "responses of POST /{resources} 201, GET 200, GET /{{id}} 200, PATCH /{{id}} 200 (schemas of the {api} "
    "OAS, discriminator on @type)",
    "{api} v5: the create, retrieve, list and patch answers of every {resources} conform to the response "
    "schemas of the v5 OpenAPI file, the subtype its @type names included",
)
HREF = V5Family(
    7,
    "href of /{resources} resources (Addressable); TMF630 Part 1",
    "{api} v5: the href of a {resources} in create, retrieve and list answers names that resource at the "
    "host and root the client used, and retrieves it",
)

FAMILIES = (CREATE, MANDATORY, RETRIEVE, LIST, UPDATE_DELETE, SCHEMA, HREF)


def requirement_id(api: V5Api, family: V5Family) -> str:
    return f"MIM3-V5-{PER_API * api.index + family.number:03d}"


def _declare(api: V5Api, family: V5Family, names: list[str]) -> Requirement:
    in_path = names[0] if len(names) == 1 else "{" + "|".join(names) + "}"
    in_title = names[0] if len(names) == 1 else f"resource ({', '.join(names)})"
    return declare(
        requirement_id(api, family),
        spec=api.spec,
        clause=family.clause.format(resources=in_path, api=f"{api.number.upper()} v{api.version}"),
        level="MUST",
        capability=api.capability,
        title=family.title.format(api=api.title, resources=in_title),
    )


def params(
    family: V5Family,
    extra: Callable[[V5Resource], Iterable[tuple[str, tuple[Any, ...]]]] = lambda r: (("", ()),),
) -> list[Any]:
    """pytest params (resource, *extra) for every resource of every v5 API, each marked with the
    requirement of its API; `extra(resource)` gives (id suffix, values) variants."""
    out = []
    for api in V5_APIS:
        resources = v5_resources_of(api)
        mark = pytest.mark.requirement(_declare(api, family, [r.name for r in resources]))
        for resource in resources:
            for suffix, values in extra(resource):
                case_id = resource.id + (f"-{suffix}" if suffix else "")
                out.append(pytest.param(resource, *values, id=case_id, marks=mark))
    return out


# -- shared steps -------------------------------------------------------------------------------


def client(http: RecordingClient, profile: TargetProfile, cleanup: Cleanup) -> TmfV5:
    base = profile.base_url("mim3")
    if base is None:
        raise NotApplicable("the target profile declares no base_url for mim3")
    return TmfV5(http, base, cleanup=cleanup, roots=profile.tmf_roots)


def create(tmf: TmfV5, resource: V5Resource, body: dict[str, Any]) -> dict[str, Any]:
    """Create a resource as a precondition."""
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


def collection(tmf: TmfV5, resource: V5Resource) -> str:
    return tmf.collection(resource.api.capability, resource.name)


def item_url(tmf: TmfV5, resource: V5Resource, identifier: str) -> str:
    return tmf.item(resource.api.capability, resource.name, identifier)


def sent(resource: V5Resource, body: dict[str, Any]) -> dict[str, Any]:
    """What the answer must echo: the body without what the server may set itself (lastUpdate)."""
    return {k: v for k, v in body.items() if k not in resource.server_set}


def patch_body(resource: V5Resource, sent: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A merge patch: the changes, plus the attributes the _MVO schema requires (@type; TMF629 also name
    and engagedParty) with the values sent on create, unchanged."""
    required = v5_schema.update_required(resource.api.capability, resource.name)
    body = {k: sent[k] for k in required if k in sent and k not in changes}
    body.update(changes)
    return body


def v5_error(resource: V5Resource, resp: Any, *statuses: int) -> None:
    """A v5 Error answer: the status, code and reason non-empty strings, and the body conforming to the
    Error schema of the API's OAS (which requires @type)."""
    body = checks.tmf_error(resp, *statuses)
    found = v5_schema.error_problems(resource.api.capability, body)
    if found:
        checks.fail(
            f"{checks.where(resp)}: the error body is no v5 Error: " + "; ".join(found),
            exchange=checks.where(resp),
        )
