"""MIM3 create (POST) on every resource of every declared TM Forum API."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.mim3 import cases
from conformance.run_ids import RunIds
from conformance.tmf.api import Tmf
from conformance.tmf.resources import RESOURCES, Resource


@pytest.mark.parametrize("resource", cases.params(cases.CREATE))
def test_create(tmf: Tmf, run_ids: RunIds, resource: Resource) -> None:
    body = resource.body(run_ids.next())
    resp = tmf.create(resource.api.capability, resource.name, body)
    checks.status_is(resp, 201)
    created = checks.tmf_identity(f"created {resource.name}", checks.json_object(resp))
    checks.echoes(f"created {resource.name}", created, body)


def _without_each_mandatory() -> list[tuple[str, tuple[str]]]:
    names = sorted({m for r in RESOURCES for m in r.mandatory})
    return [(f"without-{m}", (m,)) for m in names]


@pytest.mark.parametrize(
    ("resource", "missing"),
    cases.params(cases.MANDATORY, _without_each_mandatory(), keep=lambda r, missing: missing in r.mandatory),
)
def test_create_without_mandatory_attribute(
    tmf: Tmf, run_ids: RunIds, resource: Resource, missing: str
) -> None:
    body = resource.body(run_ids.next())
    del body[missing]
    resp = tmf.create(resource.api.capability, resource.name, body)
    checks.tmf_error(resp, 400)
