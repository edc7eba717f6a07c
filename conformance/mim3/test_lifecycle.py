"""MIM3 catalog lifecycle: TMF633 and TMF634 catalog entities (lifecycleStatus).

The v4 swaggers type lifecycleStatus as a free string (no enumeration) and list it in every
<Resource>_Update schema; the catalog user guides name the lifecycle In study, In design, In test,
Active, Launched, Retired, Obsolete, Rejected. The scenario walks the forward path only, which both
a product that enforces that lifecycle and one that stores any string accept; refused or backward
transitions are not checked (nothing in the v4 swaggers makes a product refuse them)."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.mim3 import cases
from conformance.run_ids import RunIds
from conformance.tmf.api import Tmf
from conformance.tmf.resources import Resource

CREATED = "In study"
FORWARD = ("In design", "In test", "Active", "Retired")


@pytest.mark.parametrize("resource", cases.params(cases.LIFECYCLE_STATUS))
def test_lifecycle_moves_forward(tmf: Tmf, run_ids: RunIds, resource: Resource) -> None:
    body = resource.body(run_ids.next())
    body["lifecycleStatus"] = CREATED
    created = cases.create_from(tmf, resource, body)
    checks.equal(f"lifecycleStatus of the created {resource.name}", created.get("lifecycleStatus"), CREATED)
    url = cases.item_url(tmf, resource, created["id"])
    previous = CREATED
    for status in FORWARD:
        resp = tmf.patch(url, {"lifecycleStatus": status})
        if resp.status_code != 200:
            checks.fail(
                f"{resource.name}: the lifecycleStatus change {previous} -> {status} answered "
                f"{resp.status_code}: {resp.text[:200]!r}"
            )
        checks.equal(
            f"{resource.name} lifecycleStatus in the patch response ({previous} -> {status})",
            checks.json_object(resp).get("lifecycleStatus"),
            status,
        )
        checks.equal(
            f"{resource.name} lifecycleStatus retrieved after {previous} -> {status}",
            cases.current(tmf, resource, created["id"]).get("lifecycleStatus"),
            status,
        )
        previous = status
