"""MIM3 delete."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.mim3 import cases
from conformance.run_ids import RunIds
from conformance.tmf.api import Tmf
from conformance.tmf.resources import Resource


@pytest.mark.parametrize("resource", cases.params(cases.DELETE))
def test_delete(tmf: Tmf, run_ids: RunIds, resource: Resource) -> None:
    created = cases.create(tmf, resource, run_ids)
    url = cases.item_url(tmf, resource, created["id"])
    resp = tmf.delete(url)
    checks.status_is(resp, 204)
    checks.empty_body(resp)
    checks.status_is(tmf.get(url), 404)
