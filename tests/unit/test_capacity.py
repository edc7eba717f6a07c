"""`mimcheck capacity`: the search (pure, on a modelled target and a fake clock), the statement it
writes into a certificate (read back by `mimcheck tender`), and one short run end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import asdict
from pathlib import Path

import pytest
from handmade_certs import certificate, sealed_run

from conformance.capacity import SearchPlan, Step, StepFailed, capacity_statement, search, step_from_report
from conformance.capacity_cert import check_run_folder, write_statement
from conformance.cli import main
from conformance.load_stats import Thresholds
from conformance.load_svg import capacity_chart
from conformance.records import LoadStatement
from conformance.runcontext import RunError
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


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def modelled(knee: int, clock: Clock, seconds: float = 25.0) -> tuple[list[int], object]:
    """A target whose p95 passes 200 ms above ``knee`` users; throughput 10 req/s per user."""
    asked: list[int] = []

    def measure(users: int) -> Step:
        asked.append(users)
        clock.now += seconds
        p95 = 50.0 if users <= knee else 400.0
        return Step(users, p95 <= 200, 10.0 * users, 5.0, p95, p95 * 1.5, 0.0, 100 * users)

    return asked, measure


def test_steps_up_then_bisects_to_the_knee() -> None:
    clock = Clock()
    asked, measure = modelled(37, clock)
    result = search(SearchPlan(start_users=5, budget_seconds=10_000), measure, clock, say=lambda _: None)
    assert asked[:5] == [5, 10, 20, 40, 30]  # doubling until 40 breaks, then between 20 and 40
    assert result.best is not None and result.best.users in range(34, 38)
    assert result.best.throughput_rps == 10.0 * result.best.users
    assert all(s.holds for s in result.steps if s.users <= 37)
    assert "bisected" in result.stopped_because


def test_the_budget_bounds_the_search() -> None:
    clock = Clock()
    asked, measure = modelled(10_000, clock)
    result = search(
        SearchPlan(start_users=1, budget_seconds=100, step_seconds=20), measure, clock, say=lambda _: None
    )
    assert clock.now <= 100 + 25  # no step started that could not end within the budget (+ its overrun)
    assert len(asked) == 3 and "budget" in result.stopped_because
    assert result.best is not None and result.best.users == asked[-1]


def test_a_target_breaking_at_the_first_step_has_no_capacity() -> None:
    clock = Clock()
    _, measure = modelled(0, clock)
    result = search(SearchPlan(start_users=5), measure, clock, say=lambda _: None)
    assert result.best is None and "first step" in result.stopped_because
    assert capacity_statement(result, Thresholds(), "p") is None


def test_holding_up_to_max_users_stops_there() -> None:
    clock = Clock()
    asked, measure = modelled(10_000, clock)
    result = search(
        SearchPlan(start_users=5, max_users=12, budget_seconds=10_000), measure, clock, say=lambda _: None
    )
    assert asked == [5, 10, 12] and "--max-users 12" in result.stopped_because


def test_the_best_point_is_the_highest_throughput_that_held_not_the_most_users() -> None:
    clock = Clock()
    figures = {5: (100.0, 50.0), 10: (180.0, 90.0), 20: (150.0, 190.0), 40: (120.0, 900.0)}

    def measure(users: int) -> Step:
        clock.now += 1
        rps, p95 = figures.get(users, (140.0, 195.0))
        return Step(users, p95 <= 200, rps, 1.0, p95, p95, 0.0, 10)

    result = search(SearchPlan(start_users=5, budget_seconds=1000), measure, clock, say=lambda _: None)
    assert result.best is not None and result.best.users == 10 and result.best.throughput_rps == 180.0


def test_a_step_cut_short_or_empty_is_not_a_measurement() -> None:
    report = {"cut_short": "1 of 2 workers connected", "total": {"requests": 5}, "breaches": []}
    with pytest.raises(StepFailed, match="cut short"):
        step_from_report(4, report, "steps/01-4u")
    with pytest.raises(StepFailed, match="no request"):
        step_from_report(4, {"total": {"requests": 0}, "breaches": []}, "steps/01-4u")


def test_the_statement_is_what_tender_reads() -> None:
    clock = Clock()
    _, measure = modelled(20, clock)
    result = search(SearchPlan(start_users=5, budget_seconds=10_000), measure, clock, say=lambda _: None)
    statement = capacity_statement(result, Thresholds(0.01, 200.0), "ngsi_ld_entities")
    assert statement is not None
    clause = Clause(
        "load", ">= 150 requests/s at p95 <= 100 ms", True, {"throughput_rps": 150, "p95_ms": 100}
    )
    assert _load(clause, LoadStatement.from_json(statement)).answer == "met"
    clause = Clause("load", ">= 500 requests/s", True, {"throughput_rps": 500})
    assert _load(clause, LoadStatement.from_json(statement)).answer == "not met"


def test_the_capacity_chart_is_svg_with_the_chosen_point() -> None:
    steps = [asdict(Step(u, u < 30, 10.0 * u, 2.0, 10.0 * u, 12.0 * u, 0.0, 1)) for u in (5, 10, 20, 40, 30)]
    svg = capacity_chart(steps, steps[2], 200.0)
    assert svg is not None
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "200 req/s, p95 200 ms" in svg and "40u x" in svg
    assert capacity_chart([], None, 200.0) is None


# ----------------------------------------------------------------------------------- --into


def _run_folder(tmp_path: Path, target: dict | None = None, key: object = None) -> Path:
    cert = certificate("product", {"MIM1-ENT-001": "PASS"}, [])
    cert.target = dict(target or REFERENCE)
    if key is not None:
        cert.signer = {"algorithm": ALGORITHM, "fingerprint": fingerprint(public_raw(key))}
    folder = sealed_run(tmp_path / "run", cert)
    if key is not None:
        seal(folder, key)
    return folder


def _statement() -> dict:
    return {"throughput_rps": 123.0, "p95_ms": 45.0}


def test_into_an_unsigned_run_refreshes_its_manifest(tmp_path: Path) -> None:
    folder = _run_folder(tmp_path)
    amend = check_run_folder(folder, None, REFERENCE)
    (tmp_path / "cap").mkdir()
    (tmp_path / "cap" / "capacity.json").write_text("{}", encoding="utf-8")
    write_statement(amend, _statement(), tmp_path / "cap")
    assert json.loads((folder / "certificate.json").read_text())["load"]["throughput_rps"] == 123.0
    assert (folder / "load" / "capacity.json").is_file()
    assert verify(folder).ok


def test_into_a_signed_run_needs_its_key_and_is_re_signed(tmp_path: Path) -> None:
    private, _ = generate_keypair(tmp_path / "keys")
    key = load_private_key(str(private), None)
    folder = _run_folder(tmp_path, key=key)
    with pytest.raises(RunError, match="re-signed: pass --sign-key"):
        check_run_folder(folder, None, REFERENCE)
    other, _ = generate_keypair(tmp_path / "other")
    with pytest.raises(RunError, match="not the key that signed"):
        check_run_folder(folder, str(other), REFERENCE)
    write_statement(check_run_folder(folder, str(private), REFERENCE), _statement(), tmp_path)
    result = verify(folder)
    assert result.ok and result.signed and result.fingerprint == fingerprint(public_raw(key))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("tamper", "does not verify"),
        ("other-product", "the certificate is for"),
        ("no-certificate", "no certificate.json"),
    ],
)
def test_into_refuses_a_run_it_cannot_honestly_amend(tmp_path: Path, change: str, message: str) -> None:
    folder = _run_folder(
        tmp_path, target={**REFERENCE, "name": "other", "version": "9"} if change == "other-product" else None
    )
    if change == "tamper":
        (folder / "evidence" / "MIM1-ENT-001.json").write_text("{}", encoding="utf-8")
    if change == "no-certificate":
        (folder / "certificate.json").unlink()
    with pytest.raises(RunError, match=message):
        check_run_folder(folder, None, REFERENCE)


@pytest.mark.parametrize(
    "args",
    [
        ["--budget", "5s"],
        ["--start-users", "50", "--max-users", "10"],
        ["--max-p95-ms", "0"],
        ["--profile", "nope"],
    ],
)
def test_bad_usage_exits_2_with_one_line(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["capacity", *args, "--out", str(tmp_path)]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.slow
def test_capacity_end_to_end_into_a_certificate_that_tender_reads(tmp_path: Path) -> None:
    folder = _run_folder(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "capacity", "--step-duration", "3s", "--budget", "30s"]
        + ["--start-users", "1", "--max-users", "2", "--max-p95-ms", "5000", "--out", str(tmp_path / "cap")]
        + ["--into", str(folder)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "step 1: 1 users" in done.stdout and "Capacity:" in done.stdout
    document = json.loads((tmp_path / "cap" / "capacity.json").read_text(encoding="utf-8"))
    assert [s["users"] for s in document["steps"]] == [1, 2]
    assert document["result"]["users"] in (1, 2)
    assert (tmp_path / "cap" / "capacity-chart.svg").is_file()
    load = json.loads((folder / "certificate.json").read_text(encoding="utf-8"))["load"]
    assert load["throughput_rps"] == document["result"]["throughput_rps"] > 0
    assert verify(folder).ok


def test_a_statement_written_into_a_run_meets_a_tender_load_clause(tmp_path: Path) -> None:
    from conformance.signing import package

    folder = _run_folder(tmp_path)
    write_statement(
        check_run_folder(folder, None, REFERENCE), {"throughput_rps": 150.0, "p95_ms": 80.0}, tmp_path
    )
    package(folder, tmp_path / "a.zip")
    tender = tmp_path / "tender.toml"
    tender.write_text(
        "[tender]\nname = 'unit'\nas_of = 2027-02-01\n[requires]\nload = { throughput_rps = 100, p95_ms = 100 }\n"
        "[[bid]]\nname = 'OASC MIM embedded reference platform'\npackage = 'a.zip'\n",
        encoding="utf-8",
    )
    code = main(["tender", str(tender), str(tmp_path / "a.zip"), "--out", str(tmp_path / "t")])
    data = json.loads((tmp_path / "t" / "tender.json").read_text(encoding="utf-8"))
    (bid,) = data["bids"]
    assert bid["status"] == "ACCEPTED", bid
    assert [c["answer"] for c in bid["clauses"]] == ["met"] and code == 0


def test_a_signed_run_without_its_key_is_refused_before_any_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private, _ = generate_keypair(tmp_path / "keys")
    folder = _run_folder(tmp_path, key=load_private_key(str(private), None))
    before = (folder / "certificate.json").read_bytes()
    code = main(["capacity", "--into", str(folder), "--out", str(tmp_path / "cap"), "--budget", "1m"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "must be re-signed" in err[0]
    assert (
        not list((tmp_path / "cap").glob("steps/*")) and (folder / "certificate.json").read_bytes() == before
    )
