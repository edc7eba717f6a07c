from __future__ import annotations

import json

import pytest

from conformance.cli import collect_catalogue, main
from conformance.requirements import RequirementError, declare

KEYS = {"id", "mim", "area", "spec", "clause", "level", "capability", "title", "cases", "tests"}


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
        assert len(entry["cases"]) == len(entry["tests"])
        assert all(c == entry["id"] or c.startswith(entry["id"] + "[") for c in entry["cases"])


def test_case_ids_are_unique_and_independent_of_function_names() -> None:
    catalogue = collect_catalogue(["mim1", "mim2", "mim3"])
    cases = [c for entry in catalogue for c in entry["cases"]]
    assert len(cases) == len(set(cases))
    assert not any("test_" in c.split("[")[0] for c in cases)


def test_markdown_cells_are_escaped() -> None:
    from conformance.requirements import CatalogueEntry, declare, render_markdown

    req = declare("MIM1-ENT-999", clause="4.9", level="MUST", title="a | b, with a pipe\nand a line break")
    page = render_markdown([CatalogueEntry(requirement=req, cases=["MIM1-ENT-999"], tests=["t::t"])], "g")
    row = next(line for line in page.splitlines() if line.startswith("| MIM1-ENT-999"))
    assert "a \\| b" in row and "\n" not in row
    assert row.count(" | ") == 7, "a table row of eight cells"


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
