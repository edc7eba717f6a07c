"""MIM3 event hubs (TMF630 notifications) of the thirteen APIs: a listener registered with
POST {root}/hub receives the events the API's v4 swagger lists for a resource (create, attribute
value change, delete), each with eventId, eventTime, eventType and event.<resource>, within the
profile's notification window; after DELETE {root}/hub/{id} it receives nothing more
(MIM3-HUB-001..013, one per API).

The unsubscription is checked once per API (with its first resource), overlapped with the events of
the main listener: a second listener is registered and deleted before the resource is created, so
the main listener's events about that resource show when the product sent them; the deleted one must
get none of them within a grace after the first arrived (GRACE_FLOOR_SECONDS, or GRACE_FACTOR times
the delay the product showed, if longer; at most the notification window)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from conformance import checks
from conformance.callback_server import CallbackServer
from conformance.case_outcome import CaseEvidence
from conformance.mim3 import cases
from conformance.outcomes import precondition
from conformance.profiles import TargetProfile
from conformance.requirements import declare
from conformance.run_ids import RunIds
from conformance.tmf import swagger
from conformance.tmf.api import JSON, Tmf
from conformance.tmf.listener import Event, Listener, resource_of
from conformance.tmf.resources import APIS, Resource, resources_of

# The state attribute and a next state of the resources whose state attribute is unambiguous (the
# order lifecycle of notes/mim3.md, ServiceStateType, ProductStatusType, catalog lifecycleStatus,
# TMF670 status, Individual/OrganizationStateType); a patch of it must bring the <Type>StateChangeEvent (TMF670: StatusChangeEvent).
STATE_CHANGES: dict[str, tuple[str, str]] = {
    "productOrder": ("state", "inProgress"),
    "serviceOrder": ("state", "inProgress"),
    "resourceOrder": ("state", "inProgress"),
    "service": ("state", "active"),
    "product": ("status", "pendingActive"),
    "productOffering": ("lifecycleStatus", "Retired"),
    "productOfferingPrice": ("lifecycleStatus", "Retired"),
    "paymentMethod": ("status", "Suspended"),
    "individual": ("status", "validated"),  # IndividualStateType
    "organization": ("status", "validated"),  # OrganizationStateType
}

# After the main listener has the first event about the resource created after the other listener's
# hub was deleted, how long that one is given to (wrongly) get it: the floor, or this many times the
# delay between the create answer and that event, if longer (a product that ignores the deletion
# sends to both hubs alike); never more than the notification window.
GRACE_FLOOR_SECONDS = 0.5
GRACE_FACTOR = 3.0


def _params() -> list[Any]:
    out = []
    for number, api in enumerate(APIS, start=1):
        names = [r.name for r in resources_of(api)]
        in_path = names[0] if len(names) == 1 else "{" + "|".join(names) + "}"
        requirement = declare(
            f"MIM3-HUB-{number:03d}",
            spec=api.spec,
            clause=f"POST /hub, DELETE /hub/{{id}}, /listener/{in_path}*Event of the {api.title.split()[0]} "
            "v4 swagger; TMF630 Part 1 notifications",
            level="SHOULD",
            capability=api.capability,
            title=f"{api.title}: a listener registered at /hub receives the create, change and delete events "
            "the swagger lists for every resource (eventId, eventTime, eventType, event.<resource>) within "
            "the notification window, and none after DELETE /hub/{id}",
        )
        mark = pytest.mark.requirement(requirement)
        out += [pytest.param(r, id=r.id, marks=mark) for r in resources_of(api)]
    return out


@pytest.fixture
def listener(callback_server: CallbackServer, case_evidence: CaseEvidence) -> Iterator[Listener]:
    """The case's listener; what it received goes into the case's evidence."""
    with Listener(callback_server) as running:
        yield running
        received = [
            {
                "path": e.path,
                "body": e.body if e.body is not None else e.raw[:2000].decode("utf-8", "replace"),
            }
            for e in running.all()
        ]
        if received:
            case_evidence.attach("events delivered to the listener", json.dumps(received, indent=1)[:200_000])


def _register(tmf: Tmf, resource: Resource, callback: str) -> tuple[str, str]:
    """POST {root}/hub; (the hub's id, its URL). Deleted at teardown if the case does not."""
    root = tmf.root(resource.api.capability, resource.name)
    resp = tmf.http.post(
        f"{root}/hub", json_body={"callback": callback}, headers={"Content-Type": JSON, "Accept": JSON}
    )
    checks.status_is(resp, 201)
    hub = checks.json_object(resp)
    hub_id = checks.member("the registered hub (EventSubscription)", hub, "id", str)
    url = f"{root}/hub/{hub_id}"
    if tmf.cleanup is not None:
        tmf.cleanup.push(f"delete hub {hub_id}", lambda: tmf.http.delete(url))
    return hub_id, url


def _about(event: Event, key: str, identifier: str) -> bool:
    found = resource_of(event, key)
    return found is not None and found.get("id") == identifier


def _expect(
    listener: Listener, callback: str, event_types: set[str], key: str, identifier: str, window: float
) -> str:
    """Wait for an event of one of these types about this resource; check its envelope; its type."""

    def typed(event: Event) -> bool:
        return isinstance(event.body, dict) and event.body.get("eventType") in event_types

    wanted = " or ".join(sorted(event_types))
    event = listener.wait(callback, lambda e: typed(e) and _about(e, key, identifier), window)
    if event is None:
        strays = [e for e in listener.received(callback) if typed(e) and resource_of(e, key) is None]
        if strays:
            checks.fail(f"a {wanted} arrived without the resource in event.{key}: {strays[0].raw[:300]!r}")
        checks.fail(
            f"no {wanted} about {key} {identifier} arrived within the notification window ({window:g} s); "
            f"the listener received {len(listener.received(callback))} event(s)"
        )
    assert event is not None and isinstance(event.body, dict)  # checked above
    what = f"the {event.body['eventType']} about {key} {identifier}"
    event_id = checks.member(what, event.body, "eventId")
    if not isinstance(event_id, str | int) or event_id in ("", None):
        checks.fail(f"{what}: eventId {event_id!r} is not an identifier")
    checks.is_datetime(f"{what}: eventTime", checks.member(what, event.body, "eventTime"))
    return str(event.body["eventType"])


def _types(resource: Resource, *suffixes: str) -> tuple[set[str], bool]:
    """The event types with these suffixes the swagger files list for the resource (any of them is
    accepted) and whether every v4 file of the API lists one (only then is the event required)."""
    prefix = resource.name[0].upper() + resource.name[1:]
    names = {prefix + s for s in suffixes}
    lists = swagger.event_lists(resource.api.capability, resource.name)
    return names & set().union(*lists), all(names & listed for listed in lists)


def _grace(delay: float, window: float) -> float:
    return min(window, max(GRACE_FLOOR_SECONDS, GRACE_FACTOR * max(delay, 0.0)))


@pytest.mark.parametrize("resource", _params())
def test_hub_events(
    tmf: Tmf,
    run_ids: RunIds,
    resource: Resource,
    listener: Listener,
    profile: TargetProfile,
    case_evidence: CaseEvidence,
) -> None:
    window = profile.notifications.window_seconds
    key = resource.name
    callback = listener.endpoint(run_ids.next())
    hub_id, hub_url = _register(tmf, resource, callback)
    # DELETE /hub/{id}: 204, then no event reaches that callback; checked once per API, with its
    # first resource, on a second hub deleted before anything is created
    gone: tuple[str, str, Any] | None = None
    if resource == resources_of(resource.api)[0]:
        gone_callback = listener.endpoint(run_ids.next())
        gone_id, gone_url = _register(tmf, resource, gone_callback)
        removed_first = tmf.delete(gone_url)
        checks.status_is(removed_first, 204)
        gone = (gone_id, gone_callback, removed_first)

    seen = []
    created = cases.create(tmf, resource, run_ids)
    created_at = time.monotonic()
    identifier = created["id"]
    about: list[str] = [identifier]
    create_types, create_required = _types(resource, "CreateEvent")
    if create_required:
        seen.append(_expect(listener, callback, create_types, key, identifier, window))
    first = None
    if gone is not None:
        # the first event about the resource at the live hub: when the product sent its events
        first = listener.wait(callback, lambda e: _about(e, key, identifier), window)
        precondition(first is not None, f"the live listener got no event about the {key} created")
    change_types, change_required = _types(resource, "AttributeValueChangeEvent", "ChangeEvent")
    if resource.patchable and change_required:
        url = cases.item_url(tmf, resource, identifier)
        now = cases.current(tmf, resource, identifier)
        patched = cases.send_patch(tmf, resource, url, now, {resource.change[0]: resource.change[1]})
        precondition(patched.status_code == 200, f"patching the {key} answered {patched.status_code}")
        seen.append(_expect(listener, callback, change_types, key, identifier, window))
    state_types, state_required = _types(resource, "StateChangeEvent", "StatusChangeEvent")
    if resource.patchable and state_required and key in STATE_CHANGES:
        # on a resource of its own: a product may refuse to delete a resource in the new state
        attribute, value = STATE_CHANGES[key]
        stateful = cases.create(tmf, resource, run_ids)["id"]
        about.append(stateful)
        url = cases.item_url(tmf, resource, stateful)
        now = cases.current(tmf, resource, stateful)
        precondition(now.get(attribute) != value, f"the {key} is already {attribute}={value}")
        patched = cases.send_patch(tmf, resource, url, now, {attribute: value})
        precondition(
            patched.status_code == 200, f"patching the {key} {attribute} answered {patched.status_code}"
        )
        seen.append(_expect(listener, callback, state_types, key, stateful, window))
    delete_types, delete_required = _types(resource, "DeleteEvent")
    if resource.deletable and delete_required:
        gone_resp = tmf.delete(cases.item_url(tmf, resource, identifier))
        precondition(
            gone_resp.status_code in (200, 204), f"deleting the {key} answered {gone_resp.status_code}"
        )
        seen.append(_expect(listener, callback, delete_types, key, identifier, window))

    removed = tmf.delete(hub_url)
    checks.status_is(removed, 204)
    if gone is None or first is None:
        case_evidence.note(f"events received: {', '.join(seen) or 'none required'}")
        return
    gone_id, gone_callback, removed_first = gone
    grace = _grace(first.arrived - created_at, window)
    time.sleep(max(0.0, first.arrived + grace - time.monotonic()))
    stale = [e for e in listener.received(gone_callback) if any(_about(e, key, i) for i in about)]
    if stale:
        checks.fail(
            f"after DELETE /hub/{gone_id} answered {removed_first.status_code}, its callback still received "
            f"{stale[0].body.get('eventType') if isinstance(stale[0].body, dict) else stale[0].raw[:200]!r} "
            f"about {key} {(resource_of(stale[0], key) or {}).get('id')}"
        )
    case_evidence.note(
        f"events received: {', '.join(seen) or 'none required'}; none at the hub deleted before the "
        f"{key} was created ({grace:.2f} s after the first event at the live hub)"
    )
