"""MIM1 context source registrations: register, retrieve, update, delete, discovery queries
(ETSI GS CIM 009 V1.8.1 clauses 5.2.9, 5.2.10, 5.9.2-5.9.4, 5.10.1, 5.10.2, 4.3.6.3)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import created
from conformance.ngsild.api import JSON, JSONLD
from conformance.ngsild.subscriptions import Dynamics
from conformance.requirements import requirement
from conformance.run_ids import RunIds

CAP = "ngsild-csource-registrations"
SOURCE = "http://127.0.0.1:9/mimcheck-source"  # never contacted: distributed operations are not exercised


def unique_type(ids: RunIds) -> str:
    return "MimcheckSrc" + re.sub(r"[^A-Za-z0-9]", "", ids.next())


def registration_id(ids: RunIds) -> str:
    return f"urn:ngsi-ld:ContextSourceRegistration:{ids.next()}"


def _registration(ids: RunIds, **members: Any) -> dict[str, Any]:
    entity_type = unique_type(ids)
    body: dict[str, Any] = {
        "id": registration_id(ids),
        "type": "ContextSourceRegistration",
        "information": [
            {
                "entities": [{"type": entity_type}],
                "propertyNames": ["temperature"],
                "relationshipNames": ["isPartOf"],
            }
        ],
        "endpoint": SOURCE,
    }
    body.update(members)
    return body


def _registered(dyn: Dynamics, body: dict[str, Any]) -> dict[str, Any]:
    created(dyn.create_registration(body), f"registering {body['id']}")
    return body


def _retrieved(dyn: Dynamics, reg_id: str) -> dict[str, Any]:
    resp = dyn.get_registration(reg_id)
    checks.status_is(resp, 200)
    return checks.json_object(resp)


def _type_of(body: dict[str, Any]) -> str:
    return str(body["information"][0]["entities"][0]["type"])


@requirement(
    "MIM1-CSR-001",
    clause="5.9.2, 6.8",
    level="MUST",
    capability=CAP,
    title="Register Context Source answers 201 Created with a Location header naming the registration",
)
@pytest.mark.parametrize("content_type", [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")])
def test_register(dyn: Dynamics, run_ids: RunIds, content_type: str) -> None:
    body = _registration(run_ids)
    resp = dyn.create_registration(body, content_type=content_type)
    checks.status_is(resp, 201)
    checks.location_names(resp, body["id"])


@requirement(
    "MIM1-CSR-002",
    clause="5.9.2",
    level="MUST",
    capability=CAP,
    title="Registering with an id that already exists answers 409 AlreadyExists",
)
def test_register_existing(dyn: Dynamics, run_ids: RunIds) -> None:
    body = _registered(dyn, _registration(run_ids))
    checks.ngsild_problem(dyn.create_registration(body), 409, "AlreadyExists")


INFORMATION = [
    pytest.param("type", id="entities-by-type"),
    pytest.param("id", id="entities-by-id"),
    pytest.param("idPattern", id="entities-by-idPattern"),
    pytest.param("names-only", id="property-names-only"),
]


@requirement(
    "MIM1-CSR-003",
    clause="5.10.1, 6.9",
    level="MUST",
    capability=CAP,
    title="Retrieve Context Source Registration returns the registration as registered (information, endpoint)",
)
@pytest.mark.parametrize("shape", INFORMATION)
def test_retrieve_registration(dyn: Dynamics, run_ids: RunIds, shape: str) -> None:
    body = _registration(run_ids)
    info = body["information"][0]
    entity_type = _type_of(body)
    if shape == "id":
        info["entities"] = [{"id": f"urn:ngsi-ld:{entity_type}:{run_ids.next()}", "type": entity_type}]
    elif shape == "idPattern":
        info["entities"] = [{"idPattern": f"^urn:ngsi-ld:{entity_type}:.*", "type": entity_type}]
    elif shape == "names-only":
        info.pop("entities")
        info.pop("relationshipNames")
    _registered(dyn, body)
    got = _retrieved(dyn, body["id"])
    checks.equal("id", got.get("id"), body["id"])
    checks.equal("type", got.get("type"), "ContextSourceRegistration")
    checks.equal("endpoint", got.get("endpoint"), SOURCE)
    information = checks.member("registration", got, "information")
    if not isinstance(information, list) or len(information) != 1 or not isinstance(information[0], dict):
        checks.fail(f"information: expected one RegistrationInfo, got {information!r}")
    got_info = information[0]
    for key in ("entities", "propertyNames", "relationshipNames"):
        if key in info:
            # arrays the spec gives no order for: compared as sets of members
            checks.equal(f"information[0].{key}", _as_set(got_info.get(key)), _as_set(info[key]))
        else:
            checks.absent("information[0]", got_info, key)


@requirement(
    "MIM1-CSR-004",
    clause="5.10.1",
    level="MUST",
    capability=CAP,
    title="Retrieving, updating or deleting a registration that does not exist answers 404 ResourceNotFound",
)
@pytest.mark.parametrize("operation", ["retrieve", "update", "delete"])
def test_missing_registration(dyn: Dynamics, run_ids: RunIds, operation: str) -> None:
    missing = registration_id(run_ids)
    if operation == "retrieve":
        resp = dyn.get_registration(missing)
    elif operation == "update":
        resp = dyn.patch_registration(missing, {"registrationName": "x"})
    else:
        resp = dyn.delete_registration(missing)
    checks.ngsild_problem(resp, 404, "ResourceNotFound")


@requirement(
    "MIM1-CSR-005",
    clause="5.9.3, 6.9",
    level="MUST",
    capability=CAP,
    title="Update Context Source Registration answers 204 and the change is visible on retrieval",
)
@pytest.mark.parametrize(
    ("fragment", "member"),
    [
        pytest.param({"registrationName": "renamed"}, "registrationName", id="name"),
        pytest.param({"endpoint": "http://127.0.0.1:9/mimcheck-moved"}, "endpoint", id="endpoint"),
        pytest.param({"expiresAt": "2099-01-01T00:00:00.000Z"}, "expiresAt", id="expiresAt"),
    ],
)
def test_update_registration(dyn: Dynamics, run_ids: RunIds, fragment: dict[str, Any], member: str) -> None:
    body = _registered(dyn, _registration(run_ids))
    checks.status_is(dyn.patch_registration(body["id"], fragment), 204)
    got = _retrieved(dyn, body["id"])
    value = got.get(member)
    if member == "expiresAt":
        from conformance.ngsild.subscriptions import parse_time

        checks.equal("expiresAt", parse_time(value), parse_time(fragment[member]))
    else:
        checks.equal(member, value, fragment[member])


@requirement(
    "MIM1-CSR-006",
    clause="5.9.4, 6.9",
    level="MUST",
    capability=CAP,
    title="Delete Context Source Registration answers 204 and the registration is gone afterwards",
)
def test_delete_registration(dyn: Dynamics, run_ids: RunIds) -> None:
    body = _registered(dyn, _registration(run_ids))
    checks.status_is(dyn.delete_registration(body["id"]), 204)
    checks.status_is(dyn.get_registration(body["id"]), 404)


def _invalid(ids: RunIds, case: str) -> dict[str, Any]:
    body = _registration(ids)
    if case == "no-information":
        body.pop("information")
    elif case == "empty-information":
        body["information"] = []
    elif case == "no-endpoint":
        body.pop("endpoint")
    elif case == "unknown-mode":
        body["mode"] = "mimcheckMode"
    elif case == "wrong-type":
        body["type"] = "Subscription"
    return body


@requirement(
    "MIM1-CSR-007",
    clause="5.9.2",
    level="MUST",
    capability=CAP,
    title="Register Context Source refuses an invalid registration with 400 BadRequestData",
)
@pytest.mark.parametrize(
    "case", ["no-information", "empty-information", "no-endpoint", "unknown-mode", "wrong-type"]
)
def test_invalid_registration(dyn: Dynamics, run_ids: RunIds, case: str) -> None:
    checks.ngsild_problem(dyn.create_registration(_invalid(run_ids, case)), 400, "BadRequestData")


@requirement(
    "MIM1-CSR-008",
    clause="4.3.6.3",
    level="MUST",
    capability=CAP,
    title="An exclusive registration that does not name entity ids and attributes is refused with 400 "
    "(BadRequestData or InvalidRequest)",
)
@pytest.mark.parametrize("case", ["type-only", "idPattern", "no-attributes"])
def test_exclusive_rules(dyn: Dynamics, run_ids: RunIds, case: str, case_evidence: CaseEvidence) -> None:
    body = _registration(run_ids, mode="exclusive")
    info = body["information"][0]
    entity_type = _type_of(body)
    if case == "idPattern":
        info["entities"] = [{"idPattern": ".*", "type": entity_type}]
    elif case == "no-attributes":
        info["entities"] = [{"id": f"urn:ngsi-ld:{entity_type}:{run_ids.next()}", "type": entity_type}]
        info.pop("propertyNames")
        info.pop("relationshipNames")
    # Clause 4.3.6.3 states the constraint, not the error it raises: either 400 error type is accepted.
    error = checks.ngsild_problem_one_of(
        dyn.create_registration(body), 400, "BadRequestData", "InvalidRequest"
    )
    case_evidence.note(
        f"exclusive registration refused with 400 {error} (BadRequestData or InvalidRequest accepted)"
    )


@requirement(
    "MIM1-CSR-009",
    clause="5.2.9",
    level="MUST",
    capability=CAP,
    title="A registration keeps its mode (inclusive by default, exclusive, redirect, auxiliary)",
)
@pytest.mark.parametrize("mode", [None, "inclusive", "exclusive", "redirect", "auxiliary"])
def test_registration_mode(dyn: Dynamics, run_ids: RunIds, mode: str | None) -> None:
    body = _registration(run_ids)
    if mode is not None:
        body["mode"] = mode
    if mode == "exclusive":
        entity_type = _type_of(body)
        body["information"][0]["entities"] = [
            {"id": f"urn:ngsi-ld:{entity_type}:{run_ids.next()}", "type": entity_type}
        ]
    _registered(dyn, body)
    got = _retrieved(dyn, body["id"])
    checks.equal("mode", got.get("mode", "inclusive"), mode or "inclusive")


@requirement(
    "MIM1-CSR-010",
    clause="5.2.9",
    level="MUST",
    capability=CAP,
    title="A registration keeps its observationInterval and managementInterval",
)
@pytest.mark.parametrize("member", ["observationInterval", "managementInterval"])
def test_registration_intervals(dyn: Dynamics, run_ids: RunIds, member: str) -> None:
    from conformance.ngsild.subscriptions import parse_time

    interval = {"startAt": "2020-01-01T00:00:00.000Z", "endAt": "2030-01-01T00:00:00.000Z"}
    body = _registered(dyn, _registration(run_ids, **{member: interval}))
    got = checks.member("registration", _retrieved(dyn, body["id"]), member, kind=dict)
    for key in ("startAt", "endAt"):
        checks.equal(f"{member}.{key}", parse_time(got.get(key)), parse_time(interval[key]))


@requirement(
    "MIM1-CSR-011",
    clause="5.10.2, 5.12, 6.8",
    level="MUST",
    capability=CAP,
    title="Query Context Source Registrations returns the registrations matching type, attrs, id, q or geo",
)
@pytest.mark.parametrize(
    ("query", "matches"),
    [
        pytest.param("type", True, id="type"),
        pytest.param("type-other", False, id="type-other"),
        pytest.param("attrs", True, id="attrs"),
        pytest.param("attrs-other", False, id="attrs-other"),
        pytest.param("id", True, id="entity-id"),
        # q names attributes the entities must have: matched against propertyNames/relationshipNames
        pytest.param("q", True, id="q"),
        pytest.param("q-other", False, id="q-other"),
        pytest.param("geo", True, id="geo-intersects"),
        pytest.param("geo-far", False, id="geo-far"),
    ],
)
def test_query_registrations(dyn: Dynamics, run_ids: RunIds, query: str, matches: bool) -> None:
    body = _registration(
        run_ids,
        location={
            "type": "Polygon",
            "coordinates": [[[2.0, 41.2], [2.4, 41.2], [2.4, 41.6], [2.0, 41.6], [2.0, 41.2]]],
        },
    )
    entity_type = _type_of(body)
    entity_id = f"urn:ngsi-ld:{entity_type}:{run_ids.next()}"
    body["information"][0]["entities"] = [{"id": entity_id, "type": entity_type}]
    _registered(dyn, body)
    params: dict[str, Any] = {"type": entity_type}
    if query == "type-other":
        params = {"type": unique_type(run_ids)}
    elif query == "attrs":
        params["attrs"] = "temperature"
    elif query == "attrs-other":
        params["attrs"] = "mimcheckNothing"
    elif query == "id":
        params["id"] = entity_id
    elif query == "q":
        params["q"] = "temperature>20"
    elif query == "q-other":
        params["q"] = "mimcheckNothing>20"
    elif query in ("geo", "geo-far"):
        lon, lat = (2.17, 41.38) if query == "geo" else (-70.0, -30.0)
        params.update({"georel": "intersects", "geometry": "Point", "coordinates": f"[{lon},{lat}]"})
    resp = dyn.query_registrations(params)
    checks.status_is(resp, 200)
    items = checks.json_array(resp)
    if matches:
        checks.contains_ids(f"registrations matching {params}", items, {body["id"]})
    else:
        checks.lacks_ids(f"registrations matching {params}", items, {body["id"]})


def _as_set(value: Any) -> Any:
    """An array as the sorted list of its members (JSON-encoded), so that order does not count."""
    if not isinstance(value, list):
        return value
    return sorted(json.dumps(item, sort_keys=True) for item in value)
