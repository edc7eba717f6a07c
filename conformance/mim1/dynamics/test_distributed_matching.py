"""MIM1 distributed operations: a registration's ``propertyNames`` decide which requests it matches
(ETSI GS CIM 009 V1.8.1 clauses 4.3.6.2, 5.2.10 RegistrationInfo): a query for attributes the
registration does not name, or a write of such an attribute, is not passed on to its context source;
a query for a named attribute is. See notes/mim1.md.
"""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.test_distributed import Federation, asked, entity, listed, value_of
from conformance.ngsild.api import JSON, NgsiLd
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import query
from conformance.outcomes import precondition
from conformance.requirements import requirement

CAP = "ngsild-distributed-operations"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed

CASES = [
    pytest.param("query-named", id="query-attrs-registered"),
    pytest.param("query-other", id="query-attrs-not-registered"),
    pytest.param("update-other", id="update-attrs-not-registered"),
]


@requirement(
    "MIM1-DST-016",
    clause="4.3.6.2",
    level="SHOULD",
    capability=CAP,
    title="A registration with propertyNames matches only requests about those attributes: others are not "
    "passed on to its context source",
)
@pytest.mark.parametrize("case", CASES)
def test_property_names_match(fed: Federation, ngsild: NgsiLd, case: str) -> None:
    kind = fed.kind("Pn")
    mine, theirs = fed.entity_id("PnLocal"), fed.entity_id("PnRemote")
    fed.local(entity(mine, kind, temperature=1))
    src = fed.source("pn").hold(entity(theirs, kind, power=7), entity(mine, kind, power=8))
    operations = ["redirectionOps"] if case.startswith("update") else None
    fed.register(src, [{"type": kind}], names=["power"], **({"operations": operations} if operations else {}))
    if case == "query-named":
        found = listed(query(ngsild, {"type": kind, "attrs": "power"}))
        checks.member("the answer", found, theirs, kind=dict)
        checks.equal("power of the source's entity", value_of(found[theirs], "power"), 7)
        return
    if case == "query-other":
        found = listed(query(ngsild, {"type": kind, "attrs": "temperature"}))
        checks.equal("ids in the answer", sorted(found), [mine])
        got = asked(src, kind, mine, theirs)
    else:
        resp = ngsild.request(
            "PATCH",
            f"/ngsi-ld/v1/entities/{mine}/attrs",
            headers={"Content-Type": JSON},
            json_body={"temperature": prop(5)},
        )
        precondition(resp.status_code in (204, 207), f"Update Entity Attributes answered {resp.status_code}")
        got = [r for r in src.received() if mine in r.path]
    checks.equal("requests the context source received", [r.method + " " + r.path for r in got], [])
