"""The Smart Data Models provenance of a certificate (conformance/sdm_provenance.py): which models a
MIM2 run used, their round trip through certificate.json, the HTML table, and old certificates
(without the member) still readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from handmade_certs import certificate

from conformance import sdm_provenance
from conformance.certificate_html import render_html
from conformance.records import CaseResult, Certificate
from conformance.requirements import DEFAULT_SPEC, Requirement
from conformance.sdm_registry import Models
from conformance.verdicts import Verdict


def _result(case_id: str, verdict: Verdict = Verdict.PASS) -> CaseResult:
    rid = case_id.split("[", 1)[0]
    mim = rid.split("-")[0].lower()
    return CaseResult(case_id, Requirement(rid, mim, DEFAULT_SPEC[mim], "1.0", "MUST", None, "t"), verdict)


@pytest.fixture
def models(tmp_path: Path) -> Models:
    return Models([tmp_path / "empty"])


def test_models_named_by_the_mim2_cases_that_ran(models: Models) -> None:
    results = [
        _result("MIM2-SDM-001[ParkingSpot]"),
        _result("MIM2-SDM-010[Alert-concise]", Verdict.FAIL),
        _result("MIM2-SDM-009[Vehicle-normalized]", Verdict.NOT_APPLICABLE),  # not checked
        _result("MIM1-ENT-001[ParkingSpot]"),  # not MIM2
    ]
    assert sdm_provenance.model_names(results, models.names()) == ["Alert", "ParkingSpot"]


def test_provenance_rows_come_from_the_registry(models: Models) -> None:
    (row,) = sdm_provenance.provenance(models, ["ParkingSpot"])
    entry = models["ParkingSpot"]
    assert row == {
        "name": "ParkingSpot",
        "schemaVersion": entry.schema_version,
        "source": entry.source,
        "commit": entry.commit,
        "sha256": entry.sha256,
        "bundled": True,
        "formatChecks": "strict",
    }
    assert row["commit"] and len(row["sha256"]) == 64


def test_no_models_without_mim2() -> None:
    assert sdm_provenance.models_of_run([_result("MIM1-ENT-001")]) == []


def _certified(models: Models) -> Certificate:
    cert = certificate("p", {"MIM1-ENT-001": "PASS"}, [])
    cert.target["base_urls"] = {}
    cert.models = sdm_provenance.provenance(models, ["OffStreetParking", "ParkingSpot"])
    return cert


def test_certificate_round_trip_keeps_the_models(models: Models) -> None:
    cert = _certified(models)
    data = json.loads(json.dumps(cert.to_json()))
    assert [m["name"] for m in data["models"]] == ["OffStreetParking", "ParkingSpot"]
    again = Certificate.from_json(data)
    assert again.models == cert.models
    assert again.to_json() == cert.to_json()


def test_old_certificate_without_models_is_readable() -> None:
    data = certificate("p", {"MIM1-ENT-001": "PASS"}, []).to_json()
    assert "models" not in data  # a run without MIM2 writes no member
    assert Certificate.from_json(data).models == []


def test_html_shows_the_models_table(models: Models) -> None:
    cert = _certified(models)
    page = render_html(cert)
    assert "Smart Data Models checked against" in page
    assert models["ParkingSpot"].sha256 in page
    cert.models = []
    assert "Smart Data Models checked against" not in render_html(cert)
