"""MIM1 distributed operations and a registration's ``management`` (RegistrationManagementInfo, ETSI GS CIM
009 V1.8.1 clause 5.2.34; clause 4.3.6.4): ``localOnly`` makes the forwarded request act only on the
source's own data (``local=true`` on the request sent to it), ``cooldown`` keeps the target from asking a
source again within that many milliseconds of a failure. See notes/mim1.md.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.test_distributed import Federation, asked, entity, listed
from conformance.ngsild.api import JSON, NgsiLd
from conformance.ngsild.context_source import Source, SourceRequest
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import query
from conformance.outcomes import precondition
from conformance.requirements import requirement

CAP = "ngsild-distributed-operations"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed
OPS = [pytest.param("query", id="query"), pytest.param("update", id="update-attrs")]


def _run(
    fed: Federation, ngsild: NgsiLd, stem: str, op: str, management: dict[str, Any]
) -> tuple[str, Source, list[str]]:
    """A local entity and the same entity at the source, an inclusive registration with this management
    (and redirectionOps for a write), then the operation once."""
    kind, eid = fed.kind(stem), fed.entity_id(stem)
    fed.local(entity(eid, kind, temperature=1))
    src = fed.source(stem.lower()).hold(entity(eid, kind, temperature=1))
    members: dict[str, Any] = {"management": management}
    if op == "update":
        members["operations"] = ["redirectionOps"]
    fed.register(src, [{"type": kind, "id": eid}], **members)
    return eid, src, [kind]


def _do(ngsild: NgsiLd, op: str, kind: str, eid: str) -> requests.Response:
    if op == "query":
        return query(ngsild, {"type": kind})
    return ngsild.request(
        "PATCH",
        f"/ngsi-ld/v1/entities/{eid}/attrs",
        headers={"Content-Type": JSON},
        json_body={"temperature": prop(5)},
    )


def _got(src: Source, op: str, kind: str, eid: str) -> list[SourceRequest]:
    if op == "query":
        return asked(src, kind)
    return [r for r in src.received() if r.method == "PATCH" and eid in r.path]


@requirement(
    "MIM1-DST-017",
    clause="4.3.6.4",
    level="SHOULD",
    capability=CAP,
    title="A request forwarded for a registration with management.localOnly=true carries local=true",
)
@pytest.mark.parametrize("op", OPS)
def test_local_only_registration(fed: Federation, ngsild: NgsiLd, op: str) -> None:
    eid, src, (kind,) = _run(fed, ngsild, "Lon", op, {"localOnly": True})
    resp = _do(ngsild, op, kind, eid)
    got = _got(src, op, kind, eid)
    precondition(
        bool(got), f"the target did not forward the request to the registered source ({resp.status_code})"
    )
    checks.equal("local parameter of the forwarded request", got[0].param("local"), "true")


@requirement(
    "MIM1-DST-018",
    clause="5.2.34",
    level="MUST",
    capability=CAP,
    title="Within management.cooldown ms of a failed forwarded request the source is not asked again",
)
@pytest.mark.parametrize("op", OPS)
def test_cooldown(fed: Federation, ngsild: NgsiLd, case_evidence: CaseEvidence, op: str) -> None:
    eid, src, (kind,) = _run(fed, ngsild, "Cool", op, {"cooldown": 60000})
    src.status = 500
    first = _do(ngsild, op, kind, eid)
    before = len(_got(src, op, kind, eid))
    precondition(
        before > 0, f"the target did not forward the first request to the source ({first.status_code})"
    )
    second = _do(ngsild, op, kind, eid)
    if op == "query":
        checks.contains_ids("the answer within the cooldown", list(listed(second).values()), {eid})
    case_evidence.note(f"the request within the cooldown answered {second.status_code}")
    checks.equal(
        "requests the context source received within the cooldown", len(_got(src, op, kind, eid)) - before, 0
    )
