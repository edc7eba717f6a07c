"""MIM1 multi-tenancy (ETSI GS CIM 009 clauses 4.14, 5.5.10, 6.3.14), for products declaring the
capability ngsild-multi-tenancy. The scenarios that need tenants of their own create them by
creating an entity in them: how tenants come into being is implementation-specific (clause 5.5.10),
so they also need the capability ngsild-implicit-tenants. Tenants carry the run id; entities are
deleted at teardown (the API has no operation that deletes a tenant)."""

from __future__ import annotations

import re

import pytest

from conformance import checks
from conformance.ngsild.api import API_ROOT, NgsiLdOps, made
from conformance.ngsild.payloads import probe, prop
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

CAP = "ngsild-multi-tenancy"
IMPLICIT = "ngsild-implicit-tenants"  # the scenario creates its tenants by creating entities


def tenant_name(run_ids: RunIds) -> str:
    """A fresh tenant name: lower-case letters and digits only, so that every product accepts it."""
    return re.sub(r"[^a-z0-9]", "", run_ids.next().lower())


@requirement(
    "MIM1-TEN-001",
    clause="4.14",
    level="MUST",
    capability=IMPLICIT,
    title="Entities of one tenant are invisible to the default tenant and to other tenants, both ways",
)
@pytest.mark.parametrize("reader", ["default", "other-tenant"])
def test_tenants_are_isolated(ngsild: NgsiLdOps, run_ids: RunIds, reader: str) -> None:
    tenant_a, tenant_b = tenant_name(run_ids), tenant_name(run_ids)
    entity = made(ngsild, probe(run_ids), tenant=tenant_a)
    made(ngsild, probe(run_ids), tenant=tenant_b)  # tenant B exists too
    read_as = "" if reader == "default" else tenant_b
    checks.status_is(ngsild.retrieve(entity["id"], tenant=read_as), 404)
    # the same id in the reader's tenant is a different entity, invisible to tenant A's
    twin = {**probe(run_ids, status=prop("twin")), "id": entity["id"]}
    made(ngsild, twin, tenant=read_as)
    mine = ngsild.retrieve(entity["id"], tenant=tenant_a)
    checks.status_is(mine, 200)
    checks.equal("status in tenant A", checks.json_object(mine)["status"].get("value"), "running")
    theirs = ngsild.retrieve(entity["id"], tenant=read_as)
    checks.status_is(theirs, 200)
    checks.equal(f"status in the {reader} tenant", checks.json_object(theirs)["status"].get("value"), "twin")


@requirement(
    "MIM1-TEN-002",
    clause="5.5.10",
    level="MUST",
    capability=IMPLICIT,
    title="Creating an entity in a tenant that does not exist yet creates the tenant implicitly",
)
@pytest.mark.parametrize("read", ["retrieve", "types"])
def test_tenant_created_implicitly(ngsild: NgsiLdOps, run_ids: RunIds, read: str) -> None:
    tenant = tenant_name(run_ids)
    entity = probe(run_ids)
    resp = ngsild.create(entity, tenant=tenant)
    checks.status_is(resp, 200, 201, 204)
    # the entity lives in the new tenant only, not in the default tenant
    checks.status_is(ngsild.retrieve(entity["id"], tenant=""), 404)
    if read == "retrieve":
        got = ngsild.retrieve(entity["id"], tenant=tenant)
        checks.status_is(got, 200)
        checks.equal("id", checks.json_object(got).get("id"), entity["id"])
    else:
        got = ngsild.types(tenant=tenant)
        checks.status_is(got, 200)
        checks.equal("typeList of the new tenant", checks.json_object(got).get("typeList"), [entity["type"]])


@requirement(
    "MIM1-TEN-003",
    clause="5.5.10",
    level="SHOULD",
    capability=CAP,
    title="Reading from a tenant that does not exist answers 404 NonexistentTenant",
)
@pytest.mark.parametrize("target", ["query", "types", "attributes"])
def test_nonexistent_tenant(ngsild: NgsiLdOps, run_ids: RunIds, target: str) -> None:
    tenant = tenant_name(run_ids)
    if target == "query":
        resp = ngsild.send("GET", f"{API_ROOT}/entities", params={"type": "MimcheckProbe"}, tenant=tenant)
    elif target == "types":
        resp = ngsild.types(tenant=tenant)
    else:
        resp = ngsild.attributes(tenant=tenant)
    checks.ngsild_problem(resp, 404, "NonexistentTenant")


@requirement(
    "MIM1-TEN-004",
    clause="6.3.14",
    level="MUST",
    capability=IMPLICIT,
    title="A response to a request with an NGSILD-Tenant header carries the same NGSILD-Tenant header",
)
@pytest.mark.parametrize("operation", ["create", "retrieve", "append"])
def test_tenant_header_echoed(ngsild: NgsiLdOps, run_ids: RunIds, operation: str) -> None:
    tenant = tenant_name(run_ids)
    entity = probe(run_ids)
    if operation == "create":
        resp = ngsild.create(entity, tenant=tenant)
        precondition(200 <= resp.status_code < 300, f"create in a new tenant answered {resp.status_code}")
    else:
        made(ngsild, entity, tenant=tenant)
        if operation == "retrieve":
            resp = ngsild.retrieve(entity["id"], tenant=tenant)
        else:
            resp = ngsild.append_attrs(entity["id"], {"mode": prop("eco")}, tenant=tenant)
        precondition(200 <= resp.status_code < 300, f"{operation} in the tenant answered {resp.status_code}")
    checks.equal("NGSILD-Tenant response header", checks.header(resp, "NGSILD-Tenant"), tenant)
