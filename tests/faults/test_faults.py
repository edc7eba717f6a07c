"""Each scenario can FAIL: faults from the catalogue, injected by the proxy, make exactly the
expected requirements FAIL; the unmodified reference behind the same proxy makes none FAIL.

CI runs the faults marked ``ci = true`` here; `tox -e kill-matrix` runs the whole catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalogue import load_faults
from matrix import fault_tests, run_fault, run_suite, sentinel_tests
from proxy import FaultProxy

from conformance.cli import collect_catalogue
from conformance.embedded import EmbeddedReference

CI_FAULTS = [pytest.param(f, id=f.name) for f in load_faults() if f.ci]


def test_catalogue_is_well_formed() -> None:
    faults = load_faults()
    assert faults
    for fault in faults:
        assert fault.expect_fail and (fault.rules or fault.notify_rules) and fault.imitates


def test_unmodified_reference_behind_the_proxy_passes(reference: EmbeddedReference, tmp_path: Path) -> None:
    with FaultProxy(reference.base_url, []) as proxy:
        code, cert = run_suite(proxy.base_url, ("mim1", "mim2", "mim3"), None, tmp_path)
    assert code == 0, cert
    assert cert["verdict"] == "CONFORMANT"


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    return collect_catalogue(["mim1", "mim2", "mim3"])


@pytest.mark.parametrize("fault", CI_FAULTS)
def test_fault_makes_expected_requirements_fail(
    fault, reference: EmbeddedReference, tmp_path: Path, catalogue: list[dict]
) -> None:
    only = fault_tests(fault, catalogue, sentinel_tests(catalogue))
    result = run_fault(fault, reference.base_url, tmp_path, only)
    assert result.error is None, result.error
    assert result.proxy_hits > 0, f"fault {fault.name} never matched a request: the rule is wrong"
    assert not result.survivor, f"{fault.name}: expected {result.expected} to FAIL, FAILed: {result.failed}"
    levels = {entry["id"]: entry["level"] for entry in catalogue}
    blocking = [r for r in result.expected if levels[r] == "MUST"]
    # A failed MUST makes the run NOT CONFORMANT (1); failed SHOULDs only are warnings, and this
    # narrowed run is then PARTIAL (3): never CONFORMANT.
    assert result.exit_code == (1 if blocking else 3)
    output = (tmp_path / fault.name / "output.txt").read_text(encoding="utf-8")
    for requirement in result.expected:
        label = "FAIL" if levels[requirement] == "MUST" else "WARNING"
        if levels[requirement] == "MAY":
            continue  # informative: in the certificate, not in the summary
        assert f"{label} {requirement}" in output, "the summary must name the failed requirement"
    assert not result.collateral, f"{fault.name}: collateral failures {result.collateral}"
