"""MIM3 order cancellation tasks: the task resources of the v4 swaggers (TMF622 cancelProductOrder,
TMF641 cancelServiceOrder, TMF652 cancelResourceOrder: POST, GET list, GET by id; no PATCH, no
DELETE) and the state of the order they cancel."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim3 import cases
from conformance.outcomes import precondition
from conformance.run_ids import RunIds
from conformance.tmf.api import JSON, Tmf
from conformance.tmf.resources import ORDER_INITIAL_STATE, ORDER_STATES, Resource

# TaskStateType of the v4 files: acknowledged (TMF622, TMF652) or accepted (TMF641 4.0.0, 4.1.0)
TASK_RECEIVED = ("acknowledged", "accepted")
TASK_STATES = (*TASK_RECEIVED, "inProgress", "done", "terminatedWithError")
# the order states a cancellation under way may show (ProductOrderStateType and its siblings)
CANCELLING = ("assessingCancellation", "pendingCancellation", "cancelled")


def task_name(order: Resource) -> str:
    return "cancel" + order.name[0].upper() + order.name[1:]


def _ids(what: str, resp: Any) -> set[str]:
    return {str(i.get("id")) for i in cases.listed(what, resp)}


@pytest.mark.parametrize("resource", cases.params(cases.CANCEL_TASK))
def test_cancel_order_task(
    tmf: Tmf, run_ids: RunIds, resource: Resource, case_evidence: CaseEvidence
) -> None:
    order = cases.create(tmf, resource, run_ids)
    precondition(
        order.get("state") == ORDER_INITIAL_STATE, f"the created {resource.name} is not acknowledged"
    )
    task = task_name(resource)
    root = tmf.root(resource.api.capability, resource.name)
    reference = {"id": order["id"]}
    if isinstance(order.get("href"), str):
        reference["href"] = order["href"]
    body = {resource.name: reference, "cancellationReason": "Cancelled by the MIM conformance suite"}
    resp = tmf.http.post(f"{root}/{task}", json_body=body, headers={"Content-Type": JSON, "Accept": JSON})
    checks.status_is(resp, 201)
    created = checks.tmf_identity(f"the created {task}", checks.json_object(resp))
    task_id = created["id"]
    for what, representation in (("created", created), ("retrieved", None)):
        if representation is None:
            got = tmf.get(f"{root}/{task}/{task_id}")
            checks.status_is(got, 200)
            representation = checks.json_object(got)
            checks.equal(f"the retrieved {task}: id", representation.get("id"), task_id)
        target = checks.member(f"the {what} {task}", representation, resource.name, dict)
        checks.equal(f"the {what} {task}: {resource.name}.id", target.get("id"), order["id"])
        state = representation.get("state")
        if state is not None and state not in TASK_STATES:
            checks.fail(f"the {what} {task}: state {state!r} is not one of {', '.join(TASK_STATES)}")

    # listed: filtered on its id (TMF630), else in the whole collection
    listed = _ids(f"{task} list with id={task_id}", tmf.get(f"{root}/{task}", params={"id": task_id}))
    if task_id not in listed:
        listed = _ids(f"{task} list", tmf.get(f"{root}/{task}"))
        if task_id not in listed:
            checks.fail(f"the created {task} {task_id} is not listed by GET {task}")

    task_state = created.get("state")
    now = cases.current(tmf, resource, order["id"]).get("state")
    if now not in ORDER_STATES:
        checks.fail(f"the {resource.name} after its cancellation: state {now!r} is not an order state")
    if task_state == "done" and now != "cancelled":
        checks.fail(f"the {task} is done but the {resource.name} is in state {now!r}, not cancelled")
    if task_state == "terminatedWithError" and now != ORDER_INITIAL_STATE:
        checks.fail(
            f"the {task} ended in terminatedWithError but the {resource.name} moved from "
            f"{ORDER_INITIAL_STATE} to {now!r}"
        )
    if task_state not in ("done", "terminatedWithError") and now not in (ORDER_INITIAL_STATE, *CANCELLING):
        checks.fail(
            f"the {task} is {task_state!r} but the {resource.name} is in state {now!r}, "
            f"neither {ORDER_INITIAL_STATE} nor one of {', '.join(CANCELLING)}"
        )
    case_evidence.note(f"{task} state {task_state!r}; the {resource.name} is then {now!r}")
