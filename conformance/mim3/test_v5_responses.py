"""MIM3 TM Forum v5 answers: the create, retrieve, list and patch answers of every resource conform to
the response schemas of the API's v5 OpenAPI file, following its @type discriminators (MIM3-V5 family
6), and the href of a resource names it at the root the client used (family 7)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.cleanup import Cleanup
from conformance.mim3 import v5_cases as v5
from conformance.mim3.href_checks import check_hrefs
from conformance.outcomes import precondition
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.run_ids import RunIds
from conformance.tmf import v5_schema
from conformance.tmf.v5_api import TmfV5
from conformance.tmf.v5_resources import V5Resource

EXPECTED = {"create": (201,), "retrieve": (200,), "list": (200, 206), "patch": (200,)}


@pytest.fixture
def tmf5(http: RecordingClient, profile: TargetProfile, cleanup: Cleanup) -> TmfV5:
    return v5.client(http, profile, cleanup)


def _answers(tmf5: TmfV5, resource: V5Resource, run_ids: RunIds) -> list[tuple[str, Any]]:
    """(operation, response) of a create, a retrieve, a list filtered on the id and a merge patch of one
    new resource."""
    body = resource.body(run_ids.next())
    created = tmf5.create(resource.api.capability, resource.name, body)
    precondition(created.status_code == 201, f"creating a {resource.name} answered {created.status_code}")
    try:
        identifier = created.json().get("id")
    except (ValueError, AttributeError):
        identifier = None
    precondition(isinstance(identifier, str) and bool(identifier), f"the created {resource.name} has no id")
    url = v5.item_url(tmf5, resource, identifier)
    return [
        ("create", created),
        ("retrieve", tmf5.get(url)),
        ("list", tmf5.get(v5.collection(tmf5, resource), params={"id": identifier})),
        ("patch", tmf5.patch(url, v5.patch_body(resource, body, dict([resource.change])))),
    ]


@pytest.mark.parametrize("resource", v5.params(v5.SCHEMA))
def test_v5_responses_conform(
    tmf5: TmfV5, run_ids: RunIds, resource: V5Resource, case_evidence: CaseEvidence
) -> None:
    capability = resource.api.capability
    checked = []
    for operation, resp in _answers(tmf5, resource, run_ids):
        precondition(
            resp.status_code in EXPECTED[operation],
            f"the {operation} of a {resource.name} answered {resp.status_code}",
        )
        if not v5_schema.declares(capability, resource.name, operation):
            continue
        found = v5_schema.problems(capability, resource.name, operation, checks.json_body(resp))
        if found:
            checks.fail(
                f"the {operation} answer ({resp.status_code}) of a {resource.name} breaks the response schema "
                "of the v5 OpenAPI file: " + "; ".join(found),
                exchange=checks.where(resp),
            )
        checked.append(operation)
    case_evidence.note(
        f"{', '.join(checked)} answers of {resource.name} (@type {resource.type}) validated against "
        f"{v5_schema.source(capability)}"
    )


@pytest.mark.parametrize("resource", v5.params(v5.HREF))
def test_v5_href_names_the_resource(
    tmf5: TmfV5, run_ids: RunIds, resource: V5Resource, case_evidence: CaseEvidence
) -> None:
    created = tmf5.create(resource.api.capability, resource.name, resource.body(run_ids.next()))
    precondition(created.status_code == 201, f"creating a {resource.name} answered {created.status_code}")
    identifier = checks.json_object(created).get("id")
    precondition(isinstance(identifier, str) and bool(identifier), f"the created {resource.name} has no id")
    assert isinstance(identifier, str)  # the precondition above
    collection = v5.collection(tmf5, resource)
    expected = v5.item_url(tmf5, resource, identifier)
    check_hrefs(tmf5.get, created, collection, expected, identifier, resource.name, case_evidence)
