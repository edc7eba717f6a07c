"""`mimcheck diff` between two runs the plugin really wrote: the requirement a change broke is listed
first as a regression, a requirement that appeared is new, changed cases are named by case id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.cli import main

pytest_plugins = ["pytester"]

RUN = """
import pytest
from conformance import checks
from conformance.requirements import requirement

BROKEN = {broken}


@requirement("MIM1-ENT-941", clause="1", level="MUST", title="stable")
def test_stable(http):
    pass


@requirement("MIM1-ENT-942", clause="1", level="MUST", title="breaks in the second release")
@pytest.mark.parametrize("form", ["json", "jsonld"])
def test_breaks(http, form):
    if BROKEN and form == "jsonld":
        checks.fail("the product broke")
{extra}
"""

EXTRA = """

@requirement("MIM1-ENT-943", clause="1", level="MUST", title="new in the second suite version")
def test_new(http):
    pass
"""


def _run(pytester: pytest.Pytester, out: Path, broken: bool, extra: str = "") -> Path:
    pytester.makepyfile(test_scenarios=RUN.format(broken=broken, extra=extra))
    pytester.runpytest_inprocess("--mim-target-url", "http://127.0.0.1:9", "--mim-out", str(out))
    assert (out / "certificate.json").is_file()
    return out


def test_diff_lists_the_regression_first(
    pytester: pytest.Pytester, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _run(pytester, tmp_path / "old", broken=False)
    new = _run(pytester, tmp_path / "new", broken=True, extra=EXTRA)
    capsys.readouterr()
    assert main(["diff", str(old), str(new)]) == 1, "a regression exits 1"
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0] == "verdict: CONFORMANT -> NOT CONFORMANT"
    assert lines[1].startswith("REGRESSION MIM1-ENT-942: PASS -> FAIL")
    assert "new        MIM1-ENT-943" in text
    assert "MIM1-ENT-942[jsonld]: PASS -> FAIL" in text and "MIM1-ENT-942[json]:" not in text
    assert main(["diff", str(old), str(new), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in data["requirements"]] == ["MIM1-ENT-942"]
    assert data["added_requirements"] == ["MIM1-ENT-943"]
    assert main(["diff", str(new), str(old), "--format", "html"]) == 0, "the other way round improves"
    page = capsys.readouterr().out
    assert "<script" not in page and "MIM1-ENT-942" in page


def test_diff_of_a_folder_without_a_certificate_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(tmp_path), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no certificate.json" in err and len(err.strip().splitlines()) == 1
