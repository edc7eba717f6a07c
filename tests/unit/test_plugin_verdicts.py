"""The plugin's case verdicts: a failed check or an answer of the wrong shape is a FAIL, a scenario whose own environment
breaks (a fixture file missing) is INCONCLUSIVE, an
undeclared capability is NOT_APPLICABLE, a broken precondition is INCONCLUSIVE."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

SCENARIOS = """
import pytest
from conformance.outcomes import precondition
from conformance.requirements import requirement


@requirement("MIM1-ENT-901", clause="1", level="MUST", title="passes")
def test_pass(http):
    pass


@requirement("MIM1-ENT-902", clause="1", level="MUST", title="a check fails")
def test_fail(http):
    assert 1 == 2, "the target said 2"


@requirement("MIM1-ENT-903", clause="1", level="MUST", title="the scenario breaks")
def test_broken(http):
    open("/nonexistent/fixture.json")


@requirement("MIM1-ENT-906", clause="1", level="MUST", title="the answer has another shape")
def test_shape(http):
    body = 21.5  # what a broker answered where an attribute object was required
    body.get("value")


@requirement("MIM1-ENT-904", clause="1", level="MUST", title="precondition", capability=None)
def test_precondition(http):
    precondition(False, "could not create the entity")


@requirement("MIM1-ENT-905", clause="1", level="MUST", title="optional", capability="ngsild-temporal")
def test_not_declared(http):
    raise AssertionError("never runs")
"""


def test_case_verdicts(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_scenarios=SCENARIOS)
    out = tmp_path / "out"
    pytester.runpytest_inprocess(
        "--mim-target-url", "http://127.0.0.1:9", "--mim-out", str(out), "-p", "no:randomly"
    )
    cert = json.loads((out / "certificate.json").read_text(encoding="utf-8"))
    verdicts = {r["id"]: r["verdict"] for r in cert["requirements"]}
    assert verdicts == {
        "MIM1-ENT-901": "PASS",
        "MIM1-ENT-902": "FAIL",
        "MIM1-ENT-903": "INCONCLUSIVE",
        "MIM1-ENT-904": "INCONCLUSIVE",
        "MIM1-ENT-905": "NOT_APPLICABLE",
        "MIM1-ENT-906": "FAIL",
    }
    reasons = {r["id"]: " ".join(r.get("reasons", [])) for r in cert["requirements"]}
    assert "suite error" in reasons["MIM1-ENT-903"]
    assert "precondition broken" in reasons["MIM1-ENT-904"]
    assert "not declared" in reasons["MIM1-ENT-905"]
