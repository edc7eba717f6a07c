"""The requirement catalogue in docs/ is generated from the scenarios' declarations, never edited
by hand: this test fails when it is out of date."""

from __future__ import annotations

from pathlib import Path

from conformance.cli import catalogue_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "requirements.md"


def test_requirements_doc_is_generated_from_the_code() -> None:
    expected = catalogue_markdown(["mim1", "mim2", "mim3"]) + "\n"
    assert DOC.is_file() and DOC.read_text(encoding="utf-8") == expected, (
        "docs/requirements.md is out of date: run "
        "`.venv/bin/mimcheck requirements --format markdown > docs/requirements.md`"
    )
