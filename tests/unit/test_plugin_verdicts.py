"""Verdicts from what the plugin really emits: scenarios run in a pytester session, the certificate
it writes is read back through the Certificate record.

FAIL comes only from an explicit check; a scenario helper's KeyError is a suite error
(INCONCLUSIVE); a wrong-shaped answer read through a check is still a FAIL; levels count; a narrowed
or interrupted run is never CONFORMANT; a run with nothing applicable certifies nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.records import Certificate
from conformance.verdicts import RunVerdict

pytest_plugins = ["pytester"]

SCENARIOS = """
import pytest
from conformance import checks
from conformance.outcomes import precondition
from conformance.requirements import requirement


def helper_that_breaks(body):
    return body["missing"]  # the suite's own bug: a plain dict, not an answer read through a check


@requirement("MIM1-ENT-901", clause="1", level="MUST", title="passes")
@pytest.mark.parametrize("form", ["json", "jsonld"])
def test_pass(http, form):
    pass


@requirement("MIM1-ENT-902", clause="1", level="MUST", title="a check fails")
def test_fail(http):
    checks.equal("the answer", 2, 1)


@requirement("MIM1-ENT-903", clause="1", level="MUST", title="the suite's environment breaks")
def test_broken(http):
    open("/nonexistent/fixture.json")


@requirement("MIM1-ENT-904", clause="1", level="MUST", title="precondition, twice")
@pytest.mark.parametrize("n", [1, 2])
def test_precondition(http, n, run_ids):
    precondition(False, f"create entity {run_ids.entity_id('T')} answered 422")


@requirement("MIM1-ENT-905", clause="1", level="MUST", title="optional", capability="ngsild-temporal")
def test_not_declared(http):
    raise AssertionError("never runs")


@requirement("MIM1-ENT-906", clause="1", level="MUST", title="the answer has another shape")
def test_shape(http):
    body = checks.checked({"value": 1}, "GET /x")  # what a json_object() check hands a scenario
    body["object"]


@requirement("MIM1-ENT-907", clause="1", level="MUST", title="a scenario helper raises KeyError")
def test_key_error(http):
    helper_that_breaks({})


@requirement("MIM1-ENT-908", clause="1", level="MUST", title="a plain assert is not a check")
def test_plain_assert(http):
    assert 1 == 2
"""

SHOULD_ONLY = """
from conformance import checks
from conformance.requirements import requirement


@requirement("MIM1-ENT-911", clause="1", level="MUST", title="passes")
def test_must(http):
    pass


@requirement("MIM1-ENT-912", clause="1", level="SHOULD", title="a should | with a pipe")
def test_should(http):
    checks.fail("the product did something it should not")


@requirement("MIM1-ENT-913", clause="1", level="MAY", title="a may")
def test_may(http):
    checks.fail("optional behaviour missing")
"""

UNDECLARED = """
from conformance.requirements import requirement


@requirement("MIM1-ENT-921", clause="1", level="MUST", title="optional", capability="ngsild-temporal")
def test_a(http):
    pass


@requirement("MIM3-CAT-921", clause="1", level="MUST", title="no mim3 base url")
def test_b(http):
    pass
"""

INTERRUPTED = """
from conformance.requirements import requirement


@requirement("MIM1-ENT-931", clause="1", level="MUST", title="first")
def test_a(http):
    pass


@requirement("MIM1-ENT-932", clause="1", level="MUST", title="interrupts")
def test_b(http):
    raise KeyboardInterrupt


@requirement("MIM1-ENT-933", clause="1", level="MUST", title="never reached")
def test_c(http):
    pass
"""


def run(
    pytester: pytest.Pytester, tmp_path: Path, source: str, *args: str, subprocess: bool = False
) -> Certificate:
    pytester.makepyfile(test_scenarios=source)
    out = tmp_path / "out"
    runner = pytester.runpytest_subprocess if subprocess else pytester.runpytest_inprocess
    runner("--mim-target-url", "http://127.0.0.1:9", "--mim-out", str(out), *args)
    data = json.loads((out / "certificate.json").read_text(encoding="utf-8"))
    cert = Certificate.from_json(data)
    assert cert.to_json() == data, "the certificate record round-trips through its JSON"
    return cert


def test_case_verdicts(pytester: pytest.Pytester, tmp_path: Path) -> None:
    cert = run(pytester, tmp_path, SCENARIOS)
    verdicts = {r.id: str(r.verdict) for r in cert.requirements}
    assert verdicts == {
        "MIM1-ENT-901": "PASS",
        "MIM1-ENT-902": "FAIL",
        "MIM1-ENT-903": "INCONCLUSIVE",
        "MIM1-ENT-904": "INCONCLUSIVE",
        "MIM1-ENT-905": "NOT_APPLICABLE",
        "MIM1-ENT-906": "FAIL",
        "MIM1-ENT-907": "INCONCLUSIVE",
        "MIM1-ENT-908": "INCONCLUSIVE",
    }
    reasons = {r.id: " ".join(r.reasons) for r in cert.requirements}
    assert "suite error" in reasons["MIM1-ENT-903"]
    assert "suite error" in reasons["MIM1-ENT-907"] and "KeyError" in reasons["MIM1-ENT-907"]
    assert "precondition broken" in reasons["MIM1-ENT-904"]
    assert "not declared" in reasons["MIM1-ENT-905"]
    assert "expected member 'object'" in reasons["MIM1-ENT-906"]
    assert cert.verdict == RunVerdict.NOT_CONFORMANT and cert.exit_code == 1
    # Stable case ids: the requirement id plus the parameter id, and the evidence named by them.
    by_id = {r.id: r for r in cert.requirements}
    assert by_id["MIM1-ENT-901"].cases == ["MIM1-ENT-901[json]", "MIM1-ENT-901[jsonld]"]
    assert by_id["MIM1-ENT-902"].cases == ["MIM1-ENT-902"]
    assert by_id["MIM1-ENT-901"].evidence == [
        "evidence/MIM1-ENT-901[json].json",
        "evidence/MIM1-ENT-901[jsonld].json",
    ]
    # Root causes: both precondition cases under one cause (run-scoped ids folded), listed first.
    causes = {c.cause: c for c in cert.root_causes}
    cause = causes["create entity urn:ngsi-ld:T:<run-scoped id> answered 422"]
    assert cause.cases == ["MIM1-ENT-904[1]", "MIM1-ENT-904[2]"]
    assert cert.root_causes[0] is cause
    # The failure carries what was expected and seen, and the suite error its traceback.
    out = tmp_path / "out"
    failed = json.loads((out / "evidence" / "MIM1-ENT-902.json").read_text(encoding="utf-8"))
    assert failed["failure"]["expected"] == "1" and failed["failure"]["seen"] == "2"
    assert failed["failure"]["requirement"] == "MIM1-ENT-902"
    broken = json.loads((out / "evidence" / "MIM1-ENT-907.json").read_text(encoding="utf-8"))
    assert "helper_that_breaks" in broken["traceback"]


def test_a_failed_should_is_a_warning_and_may_never_blocks(pytester: pytest.Pytester, tmp_path: Path) -> None:
    cert = run(pytester, tmp_path, SHOULD_ONLY)
    assert cert.verdict == RunVerdict.CONFORMANT and cert.exit_code == 0
    assert [r.id for r in cert.warnings] == ["MIM1-ENT-912"]
    assert {r.id: str(r.verdict) for r in cert.requirements}["MIM1-ENT-913"] == "FAIL"
    assert cert.mims["mim1"].warnings == 1 and str(cert.mims["mim1"].verdict) == "PASS"
    page = (tmp_path / "out" / "certificate.html").read_text(encoding="utf-8")
    assert ">CONFORMANT<" in page and "Warnings" in page and "MIM1-ENT-912" in page


def test_nothing_applicable_certifies_nothing(pytester: pytest.Pytester, tmp_path: Path) -> None:
    cert = run(pytester, tmp_path, UNDECLARED)
    assert cert.verdict == RunVerdict.NOTHING_CERTIFIED and cert.exit_code == 3
    page = (tmp_path / "out" / "certificate.html").read_text(encoding="utf-8")
    assert "NOTHING CERTIFIED" in page and ">CONFORMANT<" not in page


def test_a_narrowed_run_is_partial(pytester: pytest.Pytester, tmp_path: Path) -> None:
    cert = run(pytester, tmp_path, SHOULD_ONLY, "-k", "test_must")
    assert cert.verdict == RunVerdict.PARTIAL and cert.exit_code == 3
    assert cert.narrowed == "-k test_must"
    assert cert.not_run == ["MIM1-ENT-912", "MIM1-ENT-913"]


def test_only_file_narrows_by_case_id(pytester: pytest.Pytester, tmp_path: Path) -> None:
    only = tmp_path / "only.txt"
    only.write_text("MIM1-ENT-901[json]\nMIM1-ENT-902\n", encoding="utf-8")
    cert = run(pytester, tmp_path, SCENARIOS, "--mim-only-file", str(only))
    by_id = {r.id: r for r in cert.requirements}
    assert str(by_id["MIM1-ENT-901"].verdict) == "INCONCLUSIVE", "one of its two cases did not run"
    assert by_id["MIM1-ENT-901"].not_run == ["MIM1-ENT-901[jsonld]"]
    assert str(by_id["MIM1-ENT-902"].verdict) == "FAIL"
    assert cert.verdict == RunVerdict.NOT_CONFORMANT
    assert "MIM1-ENT-903" in cert.not_run


def test_an_interrupted_run_is_incomplete(pytester: pytest.Pytester, tmp_path: Path) -> None:
    cert = run(pytester, tmp_path, INTERRUPTED, subprocess=True)
    assert cert.interrupted
    assert cert.verdict == RunVerdict.INCOMPLETE and cert.exit_code == 3
    verdicts = {r.id: str(r.verdict) for r in cert.requirements}
    assert verdicts["MIM1-ENT-931"] == "PASS"
    assert verdicts["MIM1-ENT-933"] == "INCONCLUSIVE", "a case that never ran cannot pass"


def test_plain_pytest_without_a_target_stops_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_scenarios=SHOULD_ONLY)
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if "no target" in line]
    assert len(errors) == 1, result.errlines


def test_the_plugin_chooses_mims(pytester: pytest.Pytester, tmp_path: Path) -> None:
    cert = run(pytester, tmp_path, UNDECLARED, "--mim", "mim3")
    assert [r.id for r in cert.requirements] == ["MIM3-CAT-921"]
    assert cert.narrowed is None, "choosing MIMs is not narrowing"
