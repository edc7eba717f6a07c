from __future__ import annotations

import pytest

from conformance.certificate import build_certificate, render_html
from conformance.profiles import from_url
from conformance.verdicts import Verdict, combine, exit_code

P, F, N, INC = Verdict.PASS, Verdict.FAIL, Verdict.NOT_APPLICABLE, Verdict.INCONCLUSIVE


@pytest.mark.parametrize(
    ("cases", "expected"),
    [
        ([P, P], P),
        ([P, F], F),
        ([F, INC], F),
        ([P, INC], INC),
        ([N, N], N),
        ([P, N], P),
        ([N, INC], INC),
        ([], INC),
    ],
)
def test_combine(cases: list[Verdict], expected: Verdict) -> None:
    assert combine(cases) == expected


def test_exit_codes() -> None:
    assert exit_code([P, N]) == 0
    assert exit_code([P, F, INC]) == 1
    assert exit_code([P, INC]) == 3


def _result(req_id: str, mim: str, verdict: str, n: int = 0) -> dict:
    return {
        "nodeid": f"conformance/{mim}/test_x.py::test_{req_id}[{n}]",
        "requirement": {
            "id": req_id,
            "mim": mim,
            "spec": "S",
            "clause": "1.2",
            "level": "MUST",
            "capability": None,
            "title": f"title {req_id}",
            "area": "Entities",
        },
        "verdict": verdict,
        "reason": "" if verdict == "PASS" else "why",
        "evidence": f"evidence/{req_id}{n}.json",
    }


def test_certificate_aggregates_cases_per_requirement_and_mim() -> None:
    results = [
        _result("MIM1-ENT-001", "mim1", "PASS", 0),
        _result("MIM1-ENT-001", "mim1", "FAIL", 1),
        _result("MIM1-ENT-002", "mim1", "PASS"),
        _result("MIM3-CAT-001", "mim3", "NOT_APPLICABLE"),
    ]
    cert = build_certificate(
        profile=from_url("http://x"), results=results, started=0, finished=1, run_id="r", evidence_digest="d"
    )
    reqs = {r["id"]: r for r in cert["requirements"]}
    assert reqs["MIM1-ENT-001"]["verdict"] == "FAIL"
    assert len(reqs["MIM1-ENT-001"]["tests"]) == 2
    assert reqs["MIM1-ENT-002"]["verdict"] == "PASS"
    assert cert["mims"]["mim1"] == {
        "verdict": "FAIL",
        "pass": 1,
        "fail": 1,
        "not_applicable": 0,
        "inconclusive": 0,
    }
    assert cert["mims"]["mim3"]["verdict"] == "NOT_APPLICABLE"
    assert cert["verdict"] == "FAIL"
    page = render_html(cert)
    assert "<script" not in page and "http://" not in page.replace("http://x", "")
    assert "MIM1-ENT-001" in page
