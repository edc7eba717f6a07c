"""MIM3 partial update: JSON merge patch (RFC 7396, the PATCH format TMF630 makes mandatory)."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim3 import cases
from conformance.outcomes import precondition
from conformance.run_ids import RunIds
from conformance.tmf.api import Tmf
from conformance.tmf.resources import Resource


@pytest.mark.parametrize("resource", cases.params(cases.MERGE_PATCH))
def test_merge_patch(tmf: Tmf, run_ids: RunIds, resource: Resource, case_evidence: CaseEvidence) -> None:
    body = resource.body(run_ids.next())
    created = cases.create_from(tmf, resource, body)
    url = cases.item_url(tmf, resource, created["id"])
    before = cases.current(tmf, resource, created["id"])
    precondition(resource.remove in before, f"the created {resource.name} lacks {resource.remove}")
    key, value = resource.change
    resp = cases.send_patch(
        tmf, resource, url, before, {key: value, resource.remove: None}, note=case_evidence.note
    )
    checks.status_is(resp, 200)
    patched = checks.json_object(resp)
    got = tmf.get(url)
    checks.status_is(got, 200)
    for what, representation in (
        ("patch response", patched),
        ("retrieved after the patch", checks.json_object(got)),
    ):
        where = f"{resource.name} {what}"
        checks.equal(f"{where}: id", representation.get("id"), created["id"])
        checks.equal(f"{where}: {key} (patched)", representation.get(key), value)
        if representation.get(resource.remove) is not None:
            checks.fail(
                f"{where}: {resource.remove} was patched to null and should be removed, got "
                f"{representation[resource.remove]!r}"
            )
        kept = {k: v for k, v in body.items() if k not in (key, resource.remove)}
        checks.echoes(f"{where} (attributes not patched)", representation, kept)


@pytest.mark.parametrize("resource", cases.params(cases.PATCH_ID))
def test_id_is_not_patchable(
    tmf: Tmf, run_ids: RunIds, resource: Resource, case_evidence: CaseEvidence
) -> None:
    created = cases.create(tmf, resource, run_ids)
    other = run_ids.next()
    url = cases.item_url(tmf, resource, created["id"])
    before = cases.current(tmf, resource, created["id"])
    resp = cases.send_patch(tmf, resource, url, before, {"id": other}, note=case_evidence.note)
    if resp.status_code == 200:
        checks.equal(
            f"{resource.name} id after a patch of id", checks.json_object(resp).get("id"), created["id"]
        )
    else:
        checks.tmf_error(resp, 400, 409)
    got = tmf.get(url)
    checks.status_is(got, 200)
    checks.equal(f"{resource.name} id after a patch of id", checks.json_object(got).get("id"), created["id"])
    checks.status_is(tmf.get(cases.item_url(tmf, resource, other)), 404)
