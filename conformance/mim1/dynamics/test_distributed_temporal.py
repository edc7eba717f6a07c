"""MIM1 distributed temporal writes (ETSI GS CIM 009 V1.8.1 clauses 4.3.6.2, 4.20, 6.3.18; 5.6.11, 5.6.12, 5.6.13,
5.6.16): Create or Update (``upsertTemporal``), Add Attributes (``appendAttrsTemporal``), Delete Attribute
(``deleteAttrsTemporal``) and Delete (``deleteTemporal``) of the Temporal Representation of an Entity are distributed
operations: the V1.8.1 OpenAPI gives each the ``local`` parameter ("no Context Source Registrations shall be
considered as matching") and the ``Via`` header of 6.3.18, and Table 4.20-1 names them (the names equal the OpenAPI
operationIds; no operation group of Table 4.20-2 holds them).

The target holds the temporal entity itself; the suite's context source is registered for it (entity id and type,
an ``observationInterval`` covering every instance: a source of Temporal Entity Representations, clause 5.2.9) as an
inclusive registration. A write is done locally (read back with local=true) and passed on, with the same method and
path, when the registration names the operation; not when it names only the entity writes (``redirectionOps``) or
the request says ``local=true``; a passed-on write carries Via. The instance operations (5.6.14, whose Table 4.20-1
name ``updateAttrInstanceTemporal`` differs from its operationId, and 5.6.15) are not checked. Needs the
``ngsild-temporal`` capability too. See notes/mim1.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from conformance import checks
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.dst_support import body_of, expect_request, requests_to, writes
from conformance.mim1.dynamics.support import created
from conformance.mim1.dynamics.test_distributed import Federation
from conformance.mim1.dynamics.test_distributed_modes import OPS
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import NotApplicable, precondition
from conformance.profiles import TargetProfile
from conformance.requirements import requirement
from conformance.run_ids import RunIds

CAP = "ngsild-distributed-operations"
TEMPORAL_CAP = "ngsild-temporal"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed
API = "/ngsi-ld/v1"
ATTR = "reading"
INTERVAL = {"startAt": "2000-01-01T00:00:00Z", "endAt": "2100-01-01T00:00:00Z"}


def instance(value: int, minute: int) -> dict[str, Any]:
    return {"type": "Property", "value": value, "observedAt": f"2020-08-01T12:0{minute}:00.000Z"}


@dataclass(frozen=True)
class Write:
    """One temporal write: the method, its path below /ngsi-ld/v1, its body."""

    name: str

    @property
    def method(self) -> str:
        return "POST" if self.name in ("upsertTemporal", "appendAttrsTemporal") else "DELETE"

    def path(self, eid: str) -> str:
        return {
            "upsertTemporal": "/temporal/entities",
            "appendAttrsTemporal": f"/temporal/entities/{eid}/attrs",
            "deleteAttrsTemporal": f"/temporal/entities/{eid}/attrs/{ATTR}",
            "deleteTemporal": f"/temporal/entities/{eid}",
        }[self.name]

    def body(self, eid: str, kind: str) -> dict[str, Any] | None:
        if self.name == "upsertTemporal":
            return {"id": eid, "type": kind, ATTR: [instance(3, 2)]}
        if self.name == "appendAttrsTemporal":
            return {ATTR: [instance(3, 2)]}
        return None


WRITES = ["upsertTemporal", "appendAttrsTemporal", "deleteAttrsTemporal", "deleteTemporal"]


def setup(
    fed: Federation, dyn: Dynamics, profile: TargetProfile, stem: str, operations: list[str]
) -> tuple[str, str, Any]:
    """A temporal entity of a type of this run held by the target (two instances of 'reading'), then the
    suite's context source registered for it with these operations."""
    if not profile.declares(TEMPORAL_CAP):
        raise NotApplicable(f"capability {TEMPORAL_CAP!r} is not declared by the target")
    kind, eid = fed.kind(stem), fed.entity_id(stem)
    created(
        dyn.create_temporal({"id": eid, "type": kind, ATTR: [instance(1, 0), instance(2, 1)]}),
        f"creating the temporal entity {eid}",
    )
    src = fed.source(f"temporal-{stem.lower()}")
    fed.register(src, [{"type": kind, "id": eid}], operations=operations, observationInterval=INTERVAL)
    return kind, eid, src


def send(ngsild: NgsiLd, write: Write, eid: str, kind: str, **headers: str) -> requests.Response:
    body = write.body(eid, kind)
    if body is not None:
        headers["Content-Type"] = "application/json"
    return ngsild.request(write.method, API + write.path(eid), headers=headers or None, json_body=body)


def local_values(dyn: Dynamics, eid: str) -> list[Any] | None:
    """The values of 'reading' in the temporal entity the target holds itself (local=true); None: it holds
    no such temporal entity (404)."""
    resp = dyn.get_temporal(eid, params={"local": "true"})
    if resp.status_code == 404:
        return None
    checks.status_is(resp, 200)
    got = checks.json_object(resp)
    found = got.get(ATTR, [])
    items = found if isinstance(found, list) else [found]
    return sorted(i.get("value") for i in items if isinstance(i, dict))


def check_local(dyn: Dynamics, write: Write, eid: str) -> None:
    values = local_values(dyn, eid)
    if write.name == "deleteTemporal":
        checks.equal("the target still holds the temporal entity (local=true)", values is not None, False)
        return
    if values is None:
        checks.fail(
            f"the target holds no temporal entity {eid} of its own after {write.name} (local=true: 404)"
        )
    expected = [] if write.name == "deleteAttrsTemporal" else [1, 2, 3]
    checks.equal(f"values of '{ATTR}' in the target's own temporal entity", values, expected)


@requirement(
    "MIM1-DST-046",
    clause="4.3.6.2, 4.20, 5.6.11, 5.6.12, 5.6.13, 5.6.16",
    level="MUST",
    capability=CAP,
    title="A temporal write (upsertTemporal, appendAttrsTemporal, deleteAttrsTemporal, deleteTemporal) is done "
    "locally and passed on to an inclusive registration naming it, with the same method and path",
)
@pytest.mark.parametrize("name", WRITES)
def test_temporal_write_forwarded(
    fed: Federation, dyn: Dynamics, ngsild: NgsiLd, profile: TargetProfile, name: str
) -> None:
    write = Write(name)
    kind, eid, src = setup(fed, dyn, profile, "Tw", [name])
    checks.status_is(send(ngsild, write, eid, kind), 204)
    got = expect_request(src, write.method, write.path(eid))
    if write.body(eid, kind) is not None:
        forwarded = body_of(got)
        if not isinstance(forwarded, dict) or ATTR not in forwarded:
            checks.fail(f"the {name} the context source got holds no '{ATTR}': {forwarded!r}")
    check_local(dyn, write, eid)


@requirement(
    "MIM1-DST-047",
    clause="4.20",
    level="MUST",
    capability=CAP,
    title="A temporal write is not passed on to a registration whose operations name only the entity writes "
    "(redirectionOps and the batch operations)",
)
@pytest.mark.parametrize("name", WRITES)
def test_temporal_write_not_named(
    fed: Federation, dyn: Dynamics, ngsild: NgsiLd, profile: TargetProfile, name: str
) -> None:
    write = Write(name)
    kind, eid, src = setup(fed, dyn, profile, "Twn", OPS)
    checks.status_is(send(ngsild, write, eid, kind), 204)
    checks.equal("write requests the context source received", writes(src), [])
    check_local(dyn, write, eid)


@requirement(
    "MIM1-DST-048",
    clause="6.3.18, 5.5.13",
    level="MUST",
    capability=CAP,
    title="A temporal write with local=true is done locally and not passed on to a registration naming it",
)
@pytest.mark.parametrize("name", WRITES)
def test_temporal_write_local(
    fed: Federation, dyn: Dynamics, ngsild: NgsiLd, profile: TargetProfile, name: str
) -> None:
    write = Write(name)
    kind, eid, src = setup(fed, dyn, profile, "Twl", [name])
    body = write.body(eid, kind)
    headers = {"Content-Type": "application/json"} if body is not None else None
    resp = ngsild.request(
        write.method, API + write.path(eid), headers=headers, params={"local": "true"}, json_body=body
    )
    checks.status_is(resp, 204)
    checks.equal("write requests the context source received", writes(src), [])
    check_local(dyn, write, eid)


@requirement(
    "MIM1-DST-049",
    clause="6.3.18",
    level="MUST",
    capability=CAP,
    title="A temporal write passed on to a context source carries Via: the received field values plus one of "
    "the forwarding broker",
)
@pytest.mark.parametrize("name", ["appendAttrsTemporal", "deleteTemporal"])
def test_temporal_write_via(
    fed: Federation, dyn: Dynamics, ngsild: NgsiLd, profile: TargetProfile, run_ids: RunIds, name: str
) -> None:
    write = Write(name)
    kind, eid, src = setup(fed, dyn, profile, "Twv", [name])
    client_via = f"1.1 mimcheck-client-{run_ids.next()}"
    resp = send(ngsild, write, eid, kind, Via=client_via)
    got = requests_to(src, write.method, write.path(eid))
    precondition(
        bool(got), f"the target did not pass {name} on to the registered source ({resp.status_code})"
    )
    values = [v.strip() for v in (got[0].header("Via") or "").split(",") if v.strip()]
    if values[:1] != [client_via] or len(values) < 2:
        checks.fail(
            f"Via of the passed-on {name}: expected [{client_via!r}, '<the broker>'] (the received field value, "
            f"then the broker's own), got {got[0].header('Via')!r}"
        )


PROXIED = [
    pytest.param("exclusive", "appendAttrsTemporal", id="append-exclusive-attribute"),
    pytest.param("redirect", "appendAttrsTemporal", id="append-redirected-entity"),
    pytest.param("redirect", "deleteTemporal", id="delete-redirected-entity"),
]


@requirement(
    "MIM1-DST-051",
    clause="4.3.6.3, 5.6.12, 5.6.16",
    level="MUST",
    capability=CAP,
    title="A temporal write of data an exclusive or redirect registration naming it holds goes to the context "
    "source only; the rest is written locally",
)
@pytest.mark.parametrize(("mode", "name"), PROXIED)
def test_temporal_write_proxied(
    fed: Federation, dyn: Dynamics, ngsild: NgsiLd, profile: TargetProfile, mode: str, name: str
) -> None:
    if not profile.declares(TEMPORAL_CAP):
        raise NotApplicable(f"capability {TEMPORAL_CAP!r} is not declared by the target")
    write = Write(name)
    kind, eid = fed.kind("Twp"), fed.entity_id("Twp")
    src = fed.source(f"temporal-{mode}")
    info: dict[str, Any] = {}
    if mode == "exclusive":  # the target holds the temporal entity; the source holds its 'power'
        created(
            dyn.create_temporal({"id": eid, "type": kind, ATTR: [instance(1, 0), instance(2, 1)]}),
            f"creating the temporal entity {eid}",
        )
        info["names"] = ["power"]
    fed.register(
        src, [{"type": kind, "id": eid}], mode=mode, operations=[name], observationInterval=INTERVAL, **info
    )
    body = (
        {"power": [instance(7, 2)], ATTR: [instance(3, 2)]} if mode == "exclusive" else write.body(eid, kind)
    )
    headers = {"Content-Type": "application/json"} if body is not None else None
    checks.status_is(
        ngsild.request(write.method, API + write.path(eid), headers=headers, json_body=body), 204
    )
    got = expect_request(src, write.method, write.path(eid))
    if body is not None:
        forwarded = body_of(got)
        wanted = "power" if mode == "exclusive" else ATTR
        if not isinstance(forwarded, dict) or wanted not in forwarded:
            checks.fail(f"the {name} the context source got holds no '{wanted}': {forwarded!r}")
    resp = dyn.get_temporal(eid, params={"local": "true"})
    if mode == "redirect":
        checks.equal(
            "the target holds the temporal entity itself (local=true)", resp.status_code == 404, True
        )
        return
    checks.status_is(resp, 200)
    mine = checks.json_object(resp)
    checks.equal("'power' in the target's own temporal entity (local=true)", "power" in mine, False)
    checks.equal(f"values of '{ATTR}' in the target's own temporal entity", local_values(dyn, eid), [1, 2, 3])
