"""MIM3 JSON Patch (RFC 6902, application/json-patch+json): optional in the v4 user guides, certified
under the capability tmf-json-patch for every declared API with PATCH."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.mim3 import cases
from conformance.outcomes import NotApplicable, precondition
from conformance.profiles import TargetProfile
from conformance.run_ids import RunIds
from conformance.tmf.api import JSON, Tmf
from conformance.tmf.resources import Resource

JSON_PATCH = "application/json-patch+json"


def _pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _json_patch(tmf: Tmf, url: str, document: Any) -> Any:
    return tmf.http.patch(url, json_body=document, headers={"Content-Type": JSON_PATCH, "Accept": JSON})


def _persisted(tmf: Tmf, resource: Resource, identifier: str) -> dict[str, Any]:
    got = tmf.get(cases.item_url(tmf, resource, identifier))
    checks.status_is(got, 200)
    return checks.json_object(got)


@pytest.mark.parametrize("resource", cases.params(cases.JSON_PATCH))
def test_json_patch(tmf: Tmf, run_ids: RunIds, resource: Resource, profile: TargetProfile) -> None:
    if not profile.declares(resource.api.capability):
        raise NotApplicable(f"capability {resource.api.capability!r} is not declared by the target")
    body = resource.body(run_ids.next())
    created = cases.create_from(tmf, resource, body)
    url = cases.item_url(tmf, resource, created["id"])
    before = cases.current(tmf, resource, created["id"])
    precondition(resource.remove in before, f"the created {resource.name} lacks {resource.remove}")
    key, value = resource.change

    # set one attribute, remove another
    resp = _json_patch(
        tmf,
        url,
        [
            # replace needs the member to exist (RFC 6902 4.3); add sets a new one
            {"op": "replace" if key in before else "add", "path": _pointer(key), "value": value},
            {"op": "remove", "path": _pointer(resource.remove)},
        ],
    )
    checks.status_is(resp, 200)
    for what, representation in (
        ("the JSON Patch response", checks.json_object(resp)),
        ("retrieved after the JSON Patch", _persisted(tmf, resource, created["id"])),
    ):
        where = f"{resource.name} {what}"
        checks.equal(f"{where}: id", representation.get("id"), created["id"])
        checks.equal(f"{where}: {key} (patched)", representation.get(key), value)
        if representation.get(resource.remove) is not None:
            checks.fail(
                f"{where}: {resource.remove} was removed by the patch, got {representation[resource.remove]!r}"
            )
        kept = {k: v for k, v in body.items() if k not in (key, resource.remove)}
        checks.echoes(f"{where} (attributes not patched)", representation, kept)

    # add it back
    restored = body[resource.remove]
    resp = _json_patch(tmf, url, [{"op": "add", "path": _pointer(resource.remove), "value": restored}])
    checks.status_is(resp, 200)
    after_add = _persisted(tmf, resource, created["id"])
    checks.echoes(
        f"{resource.name} retrieved after a JSON Patch add of {resource.remove}",
        after_add,
        {resource.remove: restored, key: value},
    )

    # a malformed patch document (an object, not an array of operations): 400, nothing changes
    bad = _json_patch(tmf, url, {"op": "replace", "path": _pointer(key), "value": "not-applied"})
    if bad.status_code < 400:
        checks.fail(
            f"{resource.name}: a malformed JSON Patch document (an object, not an array) answered "
            f"{bad.status_code}; RFC 5789 section 2.2 and TMF630 call for 400"
        )
    checks.tmf_error(bad, 400)
    checks.equal(
        f"{resource.name} {key} after the malformed JSON Patch",
        _persisted(tmf, resource, created["id"]).get(key),
        value,
    )
