"""MIM1 UpdateResult attribute names (ETSI GS CIM 009 V1.8.1 clause 6.3.6, as the V1.8.1 OpenAPI cites it
for the 207 answers of Append and Update Entity Attributes): "Names of the Attributes included in the
UpdateResult structure are represented as Fully Qualified Names as per clause 6.3.6".

MIM1-ATTR-002 and -006 accept short names as well as fully qualified ones (what they check is which
attribute is named). This SHOULD checks the form: short names give a warning, not a FAIL, since the
rule sits in a response description of the OpenAPI rather than in an operation's clause text."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.entity_forms import BOTH_FORMS, send_form
from conformance.ngsild.api import NgsiLdOps, made
from conformance.ngsild.jsonld import Oracle
from conformance.ngsild.payloads import probe, prop
from conformance.requirements import requirement
from conformance.run_ids import RunIds


def _name(item: Any) -> Any:
    return item.get("attributeName") if isinstance(item, dict) else item


@requirement(
    "MIM1-ATTR-041",
    clause="6.3.6",
    level="SHOULD",
    title="The attributes a 207 UpdateResult names (updated and notUpdated) are named by their Fully "
    "Qualified Names",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
@pytest.mark.parametrize("operation", ["append-no-overwrite", "update-missing"])
def test_update_result_names_are_fully_qualified(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, operation: str, case_evidence: CaseEvidence
) -> None:
    entity = made(ngsild, probe(run_ids))
    if operation == "append-no-overwrite":  # status exists (kept), mode is new (appended)
        fragment = {"status": prop("stopped"), "mode": prop("eco")}
        resp = ngsild.append_attrs(
            entity["id"],
            send_form(fragment, content_type),
            content_type=content_type,
            params={"options": "noOverwrite"},
        )
    else:  # status exists (updated), missingAttr does not (not updated, or appended: 204)
        fragment = {"status": prop("stopped"), "missingAttr": prop(1)}
        resp = ngsild.update_attrs(entity["id"], send_form(fragment, content_type), content_type=content_type)
        checks.status_is(resp, 207, 204)
        if resp.status_code == 204:  # the ETSI reading, accepted by MIM1-ATTR-006
            case_evidence.note("204: the missing attribute was appended, so there is no UpdateResult to read")
            return
    updated, not_updated = checks.update_result(resp)
    oracle = Oracle()
    expected = {oracle.expand_term(name) for name in fragment}  # under the core @context
    named = {_name(item) for item in [*updated, *not_updated]}
    short = sorted(n for n in named if isinstance(n, str) and n in fragment)
    if short:
        checks.fail(f"UpdateResult names {short} by short names; clause 6.3.6 asks for {sorted(expected)}")
    checks.equal("the attributes the UpdateResult names", named, expected)
