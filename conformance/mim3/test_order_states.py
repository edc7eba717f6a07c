"""MIM3 order state machines: TMF622 productOrder and TMF641 serviceOrder (the order state
lifecycle of both user guides: created acknowledged; acknowledged -> inProgress; inProgress ->
held, completed, failed; held -> inProgress; rejected, cancelled, completed, failed and partial
are terminal)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.mim3 import cases
from conformance.outcomes import precondition
from conformance.run_ids import RunIds
from conformance.tmf.api import Tmf
from conformance.tmf.resources import ORDER_INITIAL_STATE, ORDER_STATES, Resource

ALLOWED_PATHS = [
    ("to-completed", (("inProgress", "completed"),)),
    ("held-and-back", (("inProgress", "held", "inProgress"),)),
    ("to-failed", (("inProgress", "failed"),)),
]

# (id, transitions that lead there, the refused target state)
ILLEGAL = [
    ("completed-to-inProgress", (("inProgress", "completed"), "inProgress")),
    ("completed-to-acknowledged", (("inProgress", "completed"), "acknowledged")),
    ("failed-to-completed", (("inProgress", "failed"), "completed")),
    ("unknown-state", ((), "shipped")),
]


def _move(tmf: Tmf, resource: Resource, identifier: str, state: str) -> Any:
    url = cases.item_url(tmf, resource, identifier)
    now = cases.current(tmf, resource, identifier)
    return tmf.patch(url, cases.patch_body(resource, now, {"state": state}))


@pytest.mark.parametrize("resource", cases.params(cases.ORDER_INITIAL))
def test_created_order_is_acknowledged(tmf: Tmf, run_ids: RunIds, resource: Resource) -> None:
    created = cases.create(tmf, resource, run_ids)
    checks.equal(f"state of the created {resource.name}", created.get("state"), ORDER_INITIAL_STATE)
    got = cases.current(tmf, resource, created["id"])
    state = got.get("state")
    if state not in ORDER_STATES:
        checks.fail(
            f"state of the retrieved {resource.name}: {state!r} is not one of {', '.join(ORDER_STATES)}"
        )


@pytest.mark.parametrize(("resource", "path"), cases.params(cases.ORDER_ALLOWED, ALLOWED_PATHS))
def test_allowed_transitions(tmf: Tmf, run_ids: RunIds, resource: Resource, path: tuple[str, ...]) -> None:
    created = cases.create(tmf, resource, run_ids)
    precondition(
        created.get("state") == ORDER_INITIAL_STATE, f"the created {resource.name} is not acknowledged"
    )
    previous = ORDER_INITIAL_STATE
    for state in path:
        resp = _move(tmf, resource, created["id"], state)
        if resp.status_code != 200:
            checks.fail(
                f"{resource.name}: the transition {previous} -> {state} is allowed, but PATCH answered "
                f"{resp.status_code}: {resp.text[:200]!r}"
            )
        checks.equal(
            f"{resource.name} state in the patch response ({previous} -> {state})",
            checks.json_object(resp).get("state"),
            state,
        )
        checks.equal(
            f"{resource.name} state retrieved after {previous} -> {state}",
            cases.current(tmf, resource, created["id"]).get("state"),
            state,
        )
        previous = state


@pytest.mark.parametrize(("resource", "leading", "target"), cases.params(cases.ORDER_ILLEGAL, ILLEGAL))
def test_illegal_transitions_are_refused(
    tmf: Tmf, run_ids: RunIds, resource: Resource, leading: tuple[str, ...], target: str
) -> None:
    created = cases.create(tmf, resource, run_ids)
    state = created.get("state")
    precondition(state == ORDER_INITIAL_STATE, f"the created {resource.name} is not acknowledged")
    for step in leading:
        resp = _move(tmf, resource, created["id"], step)
        precondition(
            resp.status_code == 200, f"the allowed transition {state} -> {step} answered {resp.status_code}"
        )
        state = step
    resp = _move(tmf, resource, created["id"], target)
    if resp.status_code == 200:
        checks.fail(
            f"{resource.name}: the transition {state} -> {target} is not allowed, but PATCH answered 200"
        )
    checks.tmf_error(resp, 400, 409)
    checks.equal(
        f"{resource.name} state after the refused transition {state} -> {target}",
        cases.current(tmf, resource, created["id"]).get("state"),
        state,
    )
