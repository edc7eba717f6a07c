"""MIM3 responses against the v4 swaggers: every create, retrieve, list and patch answer conforms to
the response schema the API's swagger declares for that operation and status (MIM3-RSP-001..013, one
per API), and every href names the resource at the root the client used (MIM3-RSP-014..026)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim3 import cases
from conformance.mim3.href_checks import check_hrefs
from conformance.outcomes import precondition
from conformance.requirements import declare
from conformance.run_ids import RunIds
from conformance.tmf import swagger
from conformance.tmf.api import Tmf
from conformance.tmf.resources import APIS, Api, Resource, resources_of

SCHEMA_BASE = 0  # MIM3-RSP-001..013: the schema requirement of the n-th API of APIS
HREF_BASE = len(APIS)  # MIM3-RSP-014..026: the href requirement of the n-th API


def _params(base: int, declare_for: Callable[[Api, int, list[str]], Any]) -> list[Any]:
    out = []
    for number, api in enumerate(APIS, start=base + 1):
        resources = resources_of(api)
        mark = pytest.mark.requirement(declare_for(api, number, [r.name for r in resources]))
        out += [pytest.param(r, id=r.id, marks=mark) for r in resources]
    return out


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else "{" + "|".join(names) + "}"


def _schema_requirement(api: Api, number: int, names: list[str]) -> Any:
    return declare(
        f"MIM3-RSP-{number:03d}",
        spec=api.spec,
        clause=f"responses of POST /{_names(names)} 201, GET 200, GET /{{id}} 200, PATCH /{{id}} 200 "
        f"(schema of the {api.title.split()[0]} v4 swagger; TMF630 Part 2 polymorphism)",
        level="MUST",
        capability=api.capability,
        title=f"{api.title}: the create, retrieve, list and patch answers of every resource conform to "
        "the response schemas of the v4 swagger (required attributes, types, formats)",
    )


def _href_requirement(api: Api, number: int, names: list[str]) -> Any:
    return declare(
        f"MIM3-RSP-{number:03d}",
        spec=api.spec,
        clause=f"href of /{_names(names)} resources; TMF630 Part 1 (href: the URI of the resource)",
        level="MUST",
        capability=api.capability,
        title=f"{api.title}: the href of a resource in create, retrieve and list answers names that "
        "resource at the host and root the client used, and retrieves it",
    )


def _answers(tmf: Tmf, resource: Resource, run_ids: RunIds, note: Callable[[str], None]) -> list[Any]:
    """(operation, response) of a create, a retrieve, a list filtered on the id and (where the API
    has PATCH) a merge patch of one new resource."""
    body = resource.body(run_ids.next())
    created = tmf.create(resource.api.capability, resource.name, body)
    precondition(created.status_code == 201, f"creating a {resource.name} answered {created.status_code}")
    try:
        identifier = created.json().get("id")
    except (ValueError, AttributeError):
        identifier = None
    precondition(isinstance(identifier, str) and bool(identifier), f"the created {resource.name} has no id")
    url = cases.item_url(tmf, resource, identifier)
    out = [("create", created), ("retrieve", tmf.get(url))]
    out.append(("list", tmf.get(cases.collection(tmf, resource), params={"id": identifier})))
    if resource.patchable:
        now = cases.current(tmf, resource, identifier)
        change = {resource.change[0]: resource.change[1]}
        out.append(("patch", cases.send_patch(tmf, resource, url, now, change, note=note)))
    return out


EXPECTED = {"create": (201,), "retrieve": (200,), "list": (200, 206), "patch": (200,)}


@pytest.mark.parametrize("resource", _params(SCHEMA_BASE, _schema_requirement))
def test_responses_conform_to_swagger(
    tmf: Tmf, run_ids: RunIds, resource: Resource, case_evidence: CaseEvidence
) -> None:
    api = resource.api.capability
    checked = []
    for operation, resp in _answers(tmf, resource, run_ids, case_evidence.note):
        precondition(
            resp.status_code in EXPECTED[operation],
            f"the {operation} of a {resource.name} answered {resp.status_code}",
        )
        if not swagger.declares(api, resource.name, operation):
            continue
        body = checks.json_body(resp)
        found = swagger.problems(api, resource.name, operation, body)
        if found:
            checks.fail(
                f"the {operation} answer ({resp.status_code}) of a {resource.name} breaks the response "
                f"schema of the swagger: " + "; ".join(found),
                exchange=checks.where(resp),
            )
        checked.append(operation)
    case_evidence.note(
        f"{', '.join(checked)} answers of {resource.name} validated against {' or '.join(swagger.sources(api))}"
    )


@pytest.mark.parametrize("resource", _params(HREF_BASE, _href_requirement))
def test_href_names_the_resource(
    tmf: Tmf, run_ids: RunIds, resource: Resource, case_evidence: CaseEvidence
) -> None:
    body = resource.body(run_ids.next())
    created = tmf.create(resource.api.capability, resource.name, body)
    precondition(created.status_code == 201, f"creating a {resource.name} answered {created.status_code}")
    identifier = checks.json_object(created).get("id")
    precondition(isinstance(identifier, str) and bool(identifier), f"the created {resource.name} has no id")
    assert isinstance(identifier, str)  # the precondition above
    collection = cases.collection(tmf, resource)
    expected = cases.item_url(tmf, resource, identifier)
    check_hrefs(tmf.get, created, collection, expected, identifier, resource.name, case_evidence)
