"""The certificate's ``load`` member (the capacity statement): a typed record that round-trips, that
`mimcheck tender` reads, and that `mimcheck capacity --into` shows in certificate.html as well."""

from __future__ import annotations

import json
from pathlib import Path

from handmade_certs import certificate, sealed_run

from conformance.capacity_cert import check_run_folder, write_statement
from conformance.certificate_html import render_html
from conformance.records import Certificate, LoadStatement
from conformance.signing import (
    ALGORITHM,
    fingerprint,
    generate_keypair,
    load_private_key,
    public_raw,
    seal,
    verify,
)
from conformance.tender import Clause
from conformance.tender_check import _load

REFERENCE = {
    "name": "OASC MIM embedded reference platform",
    "vendor": "OASC",
    "version": "0.1.0",
    "base_urls": {"mim1": "http://127.0.0.1:1026"},
}
STATEMENT = {
    "throughput_rps": 673.5,
    "p95_ms": 130.0,
    "p50_ms": 22.0,
    "p99_ms": 210.0,
    "failure_ratio": 0.0,
    "users": 120,
    "profile": "ngsi_ld_entities",
    "thresholds": {"max_failure_ratio": 0.01, "max_p95_ms": 200.0},
    "method": "mimcheck capacity: highest throughput of a step within both thresholds",
    "measured": "2026-12-01T03:00:00Z",
}


def test_a_certificate_with_a_load_statement_round_trips() -> None:
    cert = certificate("product", {"MIM1-ENT-001": "PASS"}, [])
    cert.load = LoadStatement.from_json(STATEMENT)
    data = cert.to_json()
    assert data["load"] == STATEMENT
    again = Certificate.from_json(json.loads(json.dumps(data)))
    assert again == cert and again.to_json() == data


def test_a_certificate_without_one_has_no_load_member() -> None:
    cert = certificate("product", {"MIM1-ENT-001": "PASS"}, [])
    assert "load" not in cert.to_json()
    assert Certificate.from_json(cert.to_json()).load is None


def test_a_malformed_statement_is_not_evidence_and_does_not_reject_the_certificate() -> None:
    data = certificate("product", {"MIM1-ENT-001": "PASS"}, []).to_json()
    data["load"] = {"throughput_rps": "fast", "p95_ms": True, "users": "many", "thresholds": [1]}
    load = Certificate.from_json(data).load
    assert load is not None and load.throughput_rps is None and load.p95_ms is None and load.users is None
    clause = Clause("load", ">= 100 requests/s", True, {"throughput_rps": 100})
    result = _load(clause, load)
    assert result.answer == "not evidenced" and "throughput_rps" in result.why
    assert _load(clause, None).answer == "not evidenced"
    assert _load(clause, LoadStatement.from_json(STATEMENT)).answer == "met"


def test_certificate_html_shows_the_statement() -> None:
    cert = certificate("product", {"MIM1-ENT-001": "PASS"}, [])
    cert.target = dict(REFERENCE)
    assert "Load capacity" not in render_html(cert)
    cert.load = LoadStatement.from_json(STATEMENT)
    page = render_html(cert)
    assert "Load capacity" in page and "673.5 requests/s" in page and "p95 130 ms" in page
    assert "ngsi_ld_entities" in page


def _run(tmp_path: Path, key: object = None) -> Path:
    cert = certificate("product", {"MIM1-ENT-001": "PASS"}, [])
    cert.target = dict(REFERENCE)
    if key is not None:
        cert.signer = {"algorithm": ALGORITHM, "fingerprint": fingerprint(public_raw(key))}
    folder = sealed_run(tmp_path / "run", cert)
    (folder / "certificate.html").write_text(render_html(cert), encoding="utf-8")
    seal(folder, key)
    return folder


def test_into_an_unsigned_run_renders_certificate_html_again_and_the_run_verifies(tmp_path: Path) -> None:
    folder = _run(tmp_path)
    assert "Load capacity" not in (folder / "certificate.html").read_text(encoding="utf-8")
    write_statement(check_run_folder(folder, None, REFERENCE), STATEMENT, tmp_path)
    assert "673.5 requests/s" in (folder / "certificate.html").read_text(encoding="utf-8")
    result = verify(folder)
    assert result.ok and not result.signed


def test_into_a_signed_run_is_re_signed_over_the_new_html(tmp_path: Path) -> None:
    private, _ = generate_keypair(tmp_path / "keys")
    key = load_private_key(str(private), None)
    folder = _run(tmp_path, key)
    write_statement(check_run_folder(folder, str(private), REFERENCE), STATEMENT, tmp_path)
    assert "673.5 requests/s" in (folder / "certificate.html").read_text(encoding="utf-8")
    result = verify(folder)
    assert result.ok and result.signed and result.fingerprint == fingerprint(public_raw(key))
    # the new page is covered: changing it afterwards is caught
    (folder / "certificate.html").write_text("<html></html>", encoding="utf-8")
    assert not verify(folder).ok
