"""certificate.html without a browser: failures first, N/A rows name the missing capability, evidence
and specification links, the policy forbidding every load; MIM2's specification names the model
schemas. The page in Chromium: tests/browser/test_pages.py."""

from __future__ import annotations

import re

from handmade_certs import certificate

from conformance.certificate import _spec_versions
from conformance.certificate_html import render_html
from conformance.records import RequirementResult
from conformance.requirements import SPEC_SDM, SPEC_TMF620, Requirement
from conformance.verdicts import Verdict


def _page() -> str:
    cert = certificate(
        "P",
        {
            "MIM1-ENT-001": "PASS",
            "MIM1-ENT-002": "FAIL",
            "MIM1-DISC-012": "NOT_APPLICABLE",
            "MIM3-CAT-001": "FAIL",
        },
        ["tmf620"],
    )
    cert.target["base_urls"] = {"mim1": "http://b/", "mim3": "http://t/"}
    cat = next(r for r in cert.requirements if r.id == "MIM3-CAT-001")
    cat.cases = ["MIM3-CAT-001[tmf620 a/b]"]
    cat.evidence = ["evidence/MIM3-CAT-001[tmf620_a_b].json"]
    return render_html(cert)


def test_rows_failures_first_with_links_and_the_missing_capability() -> None:
    page = _page()
    order = re.findall(r"<tr class='req (\w+)' id='r-([\w-]+)'", page)
    assert order == [
        ("FAIL", "MIM3-CAT-001"),
        ("WARNING", "MIM1-ENT-002"),
        ("PASS", "MIM1-ENT-001"),
        ("NOT_APPLICABLE", "MIM1-DISC-012"),
    ]
    assert "does not declare the capability <code>ngsild-source-identity</code>" in page
    assert "<a href='evidence/MIM3-CAT-001%5Btmf620_a_b%5D.json'>MIM3-CAT-001[tmf620 a/b]</a>" in page
    assert "product-catalog-management-api-TMF620/v4.0" in page and "clause 1.0" in page
    assert "<details class='grp' data-group='FAIL' open>" in page
    assert "<details class='grp' data-group='PASS'>" in page  # collapsed
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "default-src 'none'" in csp.group(1) and "connect-src" not in csp.group(1)
    assert "<script src" not in page and "<link" not in page and "@media print" in page
    assert "<a href='#r-MIM3-CAT-001'>" in page  # the failed list links to the row


def test_mim2_specification_names_the_model_schemas() -> None:
    req = Requirement("MIM2-SDM-001", "mim2", SPEC_SDM, "4.5.1", "MUST", None, "t")
    tmf = Requirement("MIM3-CAT-001", "mim3", SPEC_TMF620, "1", "MUST", "tmf620", "t")
    results = [RequirementResult(req, Verdict.PASS, []), RequirementResult(tmf, Verdict.PASS, [])]
    models = [
        {
            "name": "A",
            "schemaVersion": "0.1.10",
            "source": "smart-data-models/x",
            "commit": "d49af3c051dfc06d",
        },
        {
            "name": "B",
            "schemaVersion": "0.1.3",
            "source": "smart-data-models/x",
            "commit": "d49af3c051dfc06d",
        },
    ]
    versions = _spec_versions(results, models)
    assert versions["mim2"] == (
        "Smart Data Models (2 model schema(s) from smart-data-models/x; commit d49af3c051df; "
        "$schemaVersion 0.1.3 to 0.1.10)"
    )
    assert versions["mim3"] == SPEC_TMF620
    assert _spec_versions(results)["mim2"] == SPEC_SDM
