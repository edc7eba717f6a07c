"""MIM3 TMF620 Product Catalog Management: productOffering."""

from __future__ import annotations

from typing import Any

from conformance import checks, fixtures
from conformance.outcomes import precondition
from conformance.requirements import SPEC_TMF620, requirement
from conformance.run_ids import RunIds
from conformance.tmf.api import Tmf


def _offering(run_ids: RunIds) -> dict[str, Any]:
    return fixtures.load("tmf/productOffering.json", name=f"offering {run_ids.next()}")


@requirement(
    "MIM3-CAT-001",
    spec=SPEC_TMF620,
    clause="productOffering POST",
    level="MUST",
    capability="tmf620",
    title="Creating a productOffering answers 201 with the resource, carrying id, href and @type, echoing the request",
)
def test_create_offering(tmf: Tmf, run_ids: RunIds) -> None:
    body = _offering(run_ids)
    resp = tmf.create("tmf620", "productOffering", body)
    checks.status_is(resp, 201)
    checks.content_type_is(resp, "application/json")
    created = checks.json_object(resp)
    for key in ("id", "href", "@type"):
        value = checks.member("created productOffering", created, key)
        if not isinstance(value, str) or not value:
            checks.fail(f"created productOffering: {key} must be a non-empty string, got {value!r}")
    for key, value in body.items():
        checks.equal(f"created productOffering echoes {key}", created.get(key), value)


@requirement(
    "MIM3-CAT-002",
    spec=SPEC_TMF620,
    clause="productOffering GET by id",
    level="MUST",
    capability="tmf620",
    title="The href of a created productOffering retrieves it",
)
def test_retrieve_offering_by_href(tmf: Tmf, run_ids: RunIds) -> None:
    body = _offering(run_ids)
    resp = tmf.create("tmf620", "productOffering", body)
    precondition(resp.status_code in (200, 201), f"creating a productOffering answered {resp.status_code}")
    created = checks.json_object(resp)
    precondition(
        bool(created.get("href")) and bool(created.get("id")), "the created productOffering has no href/id"
    )
    expected_tail = f"/productOffering/{created['id']}"
    if not str(created["href"]).endswith(expected_tail):
        checks.fail(
            f"href {created['href']!r} does not name the created resource (expected it to end in {expected_tail})"
        )
    got = tmf.get(created["href"])
    checks.status_is(got, 200)
    offering = checks.json_object(got)
    checks.equal("retrieved productOffering id", offering.get("id"), created.get("id"))
    checks.equal("retrieved productOffering name", offering.get("name"), body["name"])


@requirement(
    "MIM3-CAT-003",
    spec=SPEC_TMF620,
    clause="productOffering GET by id",
    level="MUST",
    capability="tmf620",
    title="Retrieving an unknown productOffering answers 404",
)
def test_unknown_offering_is_404(tmf: Tmf, run_ids: RunIds) -> None:
    resp = tmf.get(f"{tmf.collection('tmf620', 'productOffering')}/{run_ids.next()}")
    checks.status_is(resp, 404)
