"""The requirement catalogue and the capability table in docs/ are generated from the code, never
edited by hand: these tests fail when they are out of date."""

from __future__ import annotations

from pathlib import Path

from conformance.capabilities import CAPABILITIES, RETIRED
from conformance.cli import capabilities_markdown, catalogue_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "requirements.md"


def test_requirements_doc_is_generated_from_the_code() -> None:
    expected = catalogue_markdown(["mim1", "mim2", "mim3"]) + "\n"
    assert DOC.is_file() and DOC.read_text(encoding="utf-8") == expected, (
        "docs/requirements.md is out of date: run "
        "`.venv/bin/mimcheck requirements --format markdown > docs/requirements.md`"
    )


CAPABILITIES_DOC = DOC.with_name("capabilities.md")


def test_capabilities_doc_is_generated_from_the_code() -> None:
    expected = capabilities_markdown() + "\n"
    assert CAPABILITIES_DOC.is_file() and CAPABILITIES_DOC.read_text(encoding="utf-8") == expected, (
        "docs/capabilities.md is out of date: run "
        "`.venv/bin/mimcheck capabilities --format markdown > docs/capabilities.md`"
    )


def test_every_optional_capability_cites_the_clause_that_makes_it_optional() -> None:
    for capability in CAPABILITIES.values():
        assert capability.spec and capability.clause and capability.why, capability.name
        assert all(r in CAPABILITIES for r in capability.requires), capability.name
    assert not set(RETIRED) & set(CAPABILITIES)
