"""MIM3 TM Forum v5: create, @type and mandatory attributes, retrieve (fields, unknown id), list
(filter, pagination), merge patch and delete, for every resource of every declared v5 API
(MIM3-V5 families 1 to 5, conformance/mim3/v5_cases.py)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urljoin

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.cleanup import Cleanup
from conformance.mim3 import v5_cases as v5
from conformance.outcomes import precondition
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.run_ids import RunIds
from conformance.tmf.v5_api import TmfV5
from conformance.tmf.v5_resources import V5Resource

# attributes fields= may return besides those asked for (TMF630 attribute selection, Part 2 polymorphism)
ALWAYS_ALLOWED = {"id", "href", "@type", "@baseType", "@schemaLocation", "@referredType"}
DELETE_SETTLE_SECONDS = 3.0  # after a 202 to DELETE, how long the resource may still be there


@pytest.fixture
def tmf5(http: RecordingClient, profile: TargetProfile, cleanup: Cleanup) -> TmfV5:
    return v5.client(http, profile, cleanup)


@pytest.mark.parametrize("resource", v5.params(v5.CREATE))
def test_v5_create(tmf5: TmfV5, run_ids: RunIds, resource: V5Resource) -> None:
    body = resource.body(run_ids.next())
    resp = tmf5.create(resource.api.capability, resource.name, body)
    checks.status_is(resp, 201)
    created = checks.tmf_identity(f"created {resource.name}", checks.json_object(resp))
    checks.echoes(f"created {resource.name}", created, v5.sent(resource, body))


def _without_each(resource: V5Resource) -> list[tuple[str, tuple[Any, ...]]]:
    return [(f"without-{m.removeprefix('@')}", (m,)) for m in resource.mandatory]


@pytest.mark.parametrize(("resource", "missing"), v5.params(v5.MANDATORY, _without_each))
def test_v5_create_without_mandatory(
    tmf5: TmfV5, run_ids: RunIds, resource: V5Resource, missing: str
) -> None:
    body = resource.body(run_ids.next())
    del body[missing]
    resp = tmf5.create(resource.api.capability, resource.name, body)
    v5.v5_error(resource, resp, 400)


@pytest.mark.parametrize("resource", v5.params(v5.RETRIEVE))
def test_v5_retrieve(tmf5: TmfV5, run_ids: RunIds, resource: V5Resource) -> None:
    body = resource.body(run_ids.next())
    created = v5.create(tmf5, resource, body)
    url = v5.item_url(tmf5, resource, created["id"])
    href = checks.member(f"created {resource.name}", created, "href", str)
    # a relative href resolves against the collection the resource was created in (RFC 3986)
    for via, target in (("href", urljoin(v5.collection(tmf5, resource), href)), ("id", url)):
        got = tmf5.get(target)
        checks.status_is(got, 200)
        retrieved = checks.tmf_identity(f"{resource.name} retrieved by {via}", checks.json_object(got))
        checks.equal(f"{resource.name} retrieved by {via}: id", retrieved.get("id"), created["id"])
        checks.echoes(f"{resource.name} retrieved by {via}", retrieved, v5.sent(resource, body))
    wanted = set(resource.fields)
    selected = tmf5.get(url, params={"fields": ",".join(resource.fields)})
    checks.status_is(selected, 200)
    got_fields = checks.json_object(selected)
    missing = wanted - set(got_fields)
    if missing:
        checks.fail(
            f"fields={','.join(resource.fields)}: {sorted(missing)} not returned",
            exchange=checks.where(selected),
        )
    extra = set(got_fields) - wanted - ALWAYS_ALLOWED
    if extra:
        checks.fail(
            f"fields={','.join(resource.fields)}: attributes not asked for returned: {sorted(extra)}",
            exchange=checks.where(selected),
        )
    listed = tmf5.get(
        v5.collection(tmf5, resource), params={"id": created["id"], "fields": ",".join(resource.fields)}
    )
    checks.status_is(listed, 200, 206)
    for item in checks.json_array(listed):
        extra = set(item) - wanted - ALWAYS_ALLOWED if isinstance(item, dict) else set()
        if extra:
            checks.fail(
                f"list with fields={','.join(resource.fields)}: attributes not asked for returned: {sorted(extra)}",
                exchange=checks.where(listed),
            )
    unknown = v5.item_url(tmf5, resource, run_ids.next())
    v5.v5_error(resource, tmf5.get(unknown), 404)
    v5.v5_error(resource, tmf5.patch(unknown, v5.patch_body(resource, body, dict([resource.change]))), 404)
    v5.v5_error(resource, tmf5.delete(unknown), 404)


@pytest.mark.parametrize("resource", v5.params(v5.LIST))
def test_v5_list(tmf5: TmfV5, run_ids: RunIds, resource: V5Resource) -> None:
    body = resource.body(run_ids.next())
    created = v5.create(tmf5, resource, body)
    v5.create(tmf5, resource, resource.body(run_ids.next()))  # another one, which the filter must leave out
    collection = v5.collection(tmf5, resource)
    resp = tmf5.get(collection, params={"id": created["id"]})
    checks.status_is(resp, 200, 206)
    items = checks.json_array(resp)
    ids = [i.get("id") if isinstance(i, dict) else i for i in items]
    checks.equal(f"{resource.name} list filtered on id=: ids", ids, [created["id"]])
    if resource.filter_on is not None:
        value = body[resource.filter_on]  # run-scoped: only the first resource has it
        by_value = tmf5.get(collection, params={resource.filter_on: value})
        checks.status_is(by_value, 200, 206)
        ids = [i.get("id") if isinstance(i, dict) else i for i in checks.json_array(by_value)]
        checks.equal(f"{resource.name} list filtered on {resource.filter_on}=: ids", ids, [created["id"]])
    page = tmf5.get(collection, params={"offset": 0, "limit": 1})
    checks.status_is(page, 200, 206)
    listed = checks.json_array(page)
    if len(listed) > 1:
        checks.fail(f"limit=1 returned {len(listed)} {resource.name} resources", exchange=checks.where(page))
    total = checks.count_header(page, "X-Total-Count")
    result = checks.count_header(page, "X-Result-Count")
    checks.equal(f"{resource.name} page: X-Result-Count (resources in the page)", result, len(listed))
    if total < 2 or len(listed) != 1:
        checks.fail(
            f"{resource.name} page offset=0 limit=1: X-Total-Count {total} and {len(listed)} resources, "
            "while two were just created",
            exchange=checks.where(page),
        )


def _gone(tmf5: TmfV5, url: str, accepted: bool) -> Any:
    """GET the deleted resource; after a 202 (deletion accepted, not yet done) for a short while."""
    deadline = time.monotonic() + (DELETE_SETTLE_SECONDS if accepted else 0)
    while True:
        got = tmf5.get(url)
        if got.status_code == 404 or time.monotonic() >= deadline:
            return got
        time.sleep(0.2)


@pytest.mark.parametrize("resource", v5.params(v5.UPDATE_DELETE))
def test_v5_patch_and_delete(
    tmf5: TmfV5, run_ids: RunIds, resource: V5Resource, case_evidence: CaseEvidence
) -> None:
    body = resource.body(run_ids.next())
    created = v5.create(tmf5, resource, body)
    url = v5.item_url(tmf5, resource, created["id"])
    precondition(resource.remove in body, f"the {resource.name} fixture lacks {resource.remove}")
    key, value = resource.change
    resp = tmf5.patch(url, v5.patch_body(resource, body, {key: value, resource.remove: None}))
    checks.status_is(resp, 200)
    got = tmf5.get(url)
    checks.status_is(got, 200)
    kept = {k: v for k, v in v5.sent(resource, body).items() if k not in (key, resource.remove)}
    for what, representation in (
        ("patch response", checks.json_object(resp)),
        ("retrieved after the patch", checks.json_object(got)),
    ):
        where = f"{resource.name} {what}"
        checks.equal(f"{where}: id", representation.get("id"), created["id"])
        checks.equal(f"{where}: {key} (patched)", representation.get(key), value)
        if representation.get(resource.remove) is not None:
            checks.fail(
                f"{where}: {resource.remove} was patched to null and should be removed, got {representation[resource.remove]!r}"
            )
        checks.echoes(f"{where} (attributes not patched, @type included)", representation, kept)
    deleted = tmf5.delete(url)
    checks.status_is(deleted, 204, 202)
    if deleted.status_code == 202:
        case_evidence.note("DELETE answered 202 Accepted (the v5 OAS lists 202 and 204)")
    after = _gone(tmf5, url, deleted.status_code == 202)
    v5.v5_error(resource, after, 404)
