"""MIM1 distributed Query Entities (GET, and POST /entityOperations/query with the Query member ``csf``, clause
5.2.23) with a context source filter (ETSI GS CIM 009 V1.8.1 clause 5.7.2; the
OpenAPI's ``csf`` parameter of GET /entities, "Context Source filter as per clause 4.9"): only the
registrations that the filter matches are asked.

Two sources hold one entity each of the same type; their registrations differ only in an additional
member (``mimcheckGroup``, allowed by the CsourceRegistration schema's additionalProperties). See
notes/mim1.md.
"""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.test_distributed import Federation, asked, entity, listed
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.query import query, query_post
from conformance.requirements import requirement

CAP = "ngsild-distributed-operations"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed


@requirement(
    "MIM1-DST-014",
    clause="5.7.2",
    level="SHOULD",
    capability=CAP,
    title="Query Entities with csf asks only the context sources whose registrations match the filter",
)
@pytest.mark.parametrize(
    "group", [pytest.param("a", id="csf-selects-a"), pytest.param("b", id="csf-selects-b")]
)
def test_csf_selects_sources(fed: Federation, ngsild: NgsiLd, group: str) -> None:
    kind, mine = fed.kind("Csf"), fed.entity_id("CsfLocal")
    fed.local(entity(mine, kind, temperature=1))
    held = {}
    sources = {}
    for name in ("a", "b"):
        held[name] = fed.entity_id(f"Csf{name.upper()}")
        sources[name] = fed.source(f"csf-{name}").hold(entity(held[name], kind, temperature=2))
        fed.register(sources[name], [{"type": kind}], mimcheckGroup=name)
    other = "b" if group == "a" else "a"
    found = listed(query(ngsild, {"type": kind, "csf": f'mimcheckGroup=="{group}"'}))
    checks.equal("ids in the answer", sorted(found), sorted([mine, held[group]]))
    checks.equal(
        f"requests the source of group {other} received",
        [r.method + " " + r.path for r in asked(sources[other], kind)],
        [],
    )


@requirement(
    "MIM1-DST-034",
    clause="5.7.2",
    level="SHOULD",
    capability=CAP,
    title="Query Entities via POST with a csf member in the Query asks only the context sources whose "
    "registrations match the filter",
)
@pytest.mark.parametrize(
    "group", [pytest.param("a", id="csf-selects-a"), pytest.param("b", id="csf-selects-b")]
)
def test_csf_post_query(fed: Federation, ngsild: NgsiLd, group: str) -> None:
    kind, mine = fed.kind("Csfp"), fed.entity_id("CsfpLocal")
    fed.local(entity(mine, kind, temperature=1))
    held = {}
    sources = {}
    for name in ("a", "b"):
        held[name] = fed.entity_id(f"Csfp{name.upper()}")
        sources[name] = fed.source(f"csfp-{name}").hold(entity(held[name], kind, temperature=2))
        fed.register(sources[name], [{"type": kind}], mimcheckGroup=name)
    other = "b" if group == "a" else "a"
    resp = query_post(ngsild, {"entities": [{"type": kind}], "csf": f'mimcheckGroup=="{group}"'})
    found = listed(resp)
    checks.equal("ids in the answer", sorted(found), sorted([mine, held[group]]))
    checks.equal(
        f"requests the source of group {other} received",
        [r.method + " " + r.path for r in asked(sources[other], kind)],
        [],
    )
