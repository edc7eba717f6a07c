from __future__ import annotations

import json

import pytest

from conformance.cli import collect_catalogue, main
from conformance.requirements import RequirementError, declare

KEYS = {"id", "mim", "spec", "clause", "level", "capability", "title", "tests"}


def test_catalogue_lists_every_requirement_with_its_tests() -> None:
    catalogue = collect_catalogue(["mim1", "mim2", "mim3"])
    assert catalogue, "no requirement collected"
    ids = [r["id"] for r in catalogue]
    assert len(ids) == len(set(ids))
    for entry in catalogue:
        assert set(entry) == KEYS
        assert entry["tests"], f"{entry['id']} has no test"
        assert entry["mim"] == entry["id"][:4].lower()
        assert all("::" in t for t in entry["tests"])


def test_requirements_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["requirements", "--format", "json", "--mim", "mim1"]) == 0
    catalogue = json.loads(capsys.readouterr().out)
    assert {r["mim"] for r in catalogue} == {"mim1"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ENT-1",), "must look like"),
        (("MIM1-XYZ-001",), "unknown area"),
    ],
)
def test_malformed_declarations_are_refused(args: tuple[str], message: str) -> None:
    with pytest.raises(RequirementError, match=message):
        declare(*args, clause="1", level="MUST", title="t")


def test_bad_level_and_capability_are_refused() -> None:
    with pytest.raises(RequirementError, match="level"):
        declare("MIM1-ENT-999", clause="1", level="MUSTNT", title="t")  # type: ignore[arg-type]
    with pytest.raises(RequirementError, match="capability"):
        declare("MIM1-ENT-999", clause="1", level="MUST", title="t", capability="telepathy")
