"""MIM3 retrieve (GET by href and by id), 404 on unknown ids, and the JSON media type."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim3 import cases
from conformance.outcomes import precondition
from conformance.run_ids import RunIds
from conformance.tmf.api import Tmf
from conformance.tmf.resources import Resource


@pytest.mark.parametrize(
    ("resource", "via"), cases.params(cases.RETRIEVE, [("href", ("href",)), ("id", ("id",))])
)
def test_retrieve(tmf: Tmf, run_ids: RunIds, resource: Resource, via: str) -> None:
    body = resource.body(run_ids.next())
    resp = tmf.create(resource.api.capability, resource.name, body)
    precondition(resp.status_code in (200, 201), f"creating a {resource.name} answered {resp.status_code}")
    created = checks.json_object(resp)
    precondition(bool(created.get("id")), f"the created {resource.name} has no id")
    if via == "href":
        href = checks.member(f"created {resource.name}", created, "href")
        expected_tail = f"/{resource.name}/{created['id']}"
        if not isinstance(href, str) or not href.endswith(expected_tail):
            checks.fail(
                f"href {href!r} does not name the created resource (expected it to end in {expected_tail})"
            )
        got = tmf.get(href)
    else:
        got = tmf.get(cases.item_url(tmf, resource, created["id"]))
    checks.status_is(got, 200)
    retrieved = checks.tmf_identity(f"retrieved {resource.name}", checks.json_object(got))
    checks.equal(f"retrieved {resource.name} id", retrieved.get("id"), created["id"])
    checks.echoes(f"retrieved {resource.name}", retrieved, body)


@pytest.mark.parametrize(
    ("resource", "method"),
    cases.params(
        cases.UNKNOWN,
        [("get", ("GET",)), ("patch", ("PATCH",)), ("delete", ("DELETE",))],
        keep=lambda r, method: {"PATCH": r.patchable, "DELETE": r.deletable}.get(method, True),
    ),
)
def test_unknown_id_is_404(tmf: Tmf, run_ids: RunIds, resource: Resource, method: str) -> None:
    url = cases.item_url(tmf, resource, run_ids.next())
    if method == "GET":
        resp = tmf.get(url)
    elif method == "PATCH":
        resp = tmf.patch(url, {resource.change[0]: resource.change[1]})
    else:
        resp = tmf.delete(url)
    checks.tmf_error(resp, 404)


@pytest.mark.parametrize("resource", cases.params(cases.CONTENT_TYPE))
def test_json_content_type(
    tmf: Tmf, run_ids: RunIds, resource: Resource, case_evidence: CaseEvidence
) -> None:
    marker = run_ids.next()
    body = resource.body(run_ids.next(), marker)
    created = tmf.create(resource.api.capability, resource.name, body)
    precondition(
        created.status_code in (200, 201), f"creating a {resource.name} answered {created.status_code}"
    )
    try:
        identifier = created.json().get("id")
    except (ValueError, AttributeError):
        identifier = None
    precondition(isinstance(identifier, str) and bool(identifier), f"the created {resource.name} has no id")
    patched_answers = []
    if resource.patchable:
        now = cases.current(tmf, resource, identifier)
        patched = cases.send_patch(
            tmf,
            resource,
            cases.item_url(tmf, resource, identifier),
            now,
            {resource.change[0]: resource.change[1]},
            note=case_evidence.note,
        )
        precondition(
            patched.status_code == 200, f"patching the {resource.name} answered {patched.status_code}"
        )
        patched_answers.append(patched)
    for resp in (
        created,
        tmf.get(cases.item_url(tmf, resource, identifier)),
        tmf.get(cases.collection(tmf, resource), params={resource.marker: marker}),
        *patched_answers,
    ):
        checks.content_type_is(resp, "application/json")
