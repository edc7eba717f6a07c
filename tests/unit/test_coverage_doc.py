"""docs/coverage.md is generated from the requirement declarations and the clause data file, never
edited by hand: these tests fail when it is stale, when a requirement cites a clause the data file
does not list, and when the clause text normalisation breaks."""

from __future__ import annotations

from pathlib import Path

from conformance.cli import collect_entries
from conformance.coverage import Clause, build_coverage, cited_numbers, coverage_markdown, load_clauses
from conformance.requirements import CatalogueEntry, declare

DOC = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"
REGENERATE = "`.venv/bin/mimcheck coverage --format markdown > docs/coverage.md`"


def test_coverage_doc_is_generated_from_the_code() -> None:
    expected = coverage_markdown() + "\n"
    assert DOC.is_file() and DOC.read_text(encoding="utf-8") == expected, (
        f"docs/coverage.md is out of date: run {REGENERATE}"
    )


def test_every_cited_clause_is_in_the_data_file_and_in_scope() -> None:
    coverage = build_coverage(collect_entries(["mim1", "mim2", "mim3"]))
    assert not coverage.problems, (
        "add these clauses to conformance/data/cim009-v1.8.1-clauses.toml (scope in), then run "
        f"{REGENERATE}:\n" + "\n".join(coverage.problems)
    )


def test_the_clauses_the_etsi_suite_tests_are_accounted_for() -> None:
    listed = {c.number for c in load_clauses()}
    etsi = "4.2.1 4.3.3 4.3.6.2 4.5.7 4.5.9 4.5.18 4.5.20 4.5.23 4.5.24 4.7 4.16 4.18 5.2.2 5.5.11 5.6.14"
    etsi += " 5.11.2 5.11.3 5.11.4 5.11.5 5.11.6 5.11.7 6.3.3 6.3.12 6.3.18 6.3.20 6.4.3.3 6.5.3.3"
    etsi += " 6.5.3.4 6.6.3.2 6.7.3.1 6.7.3.3 6.19.3.1 6.23 6.23.3"
    assert set(etsi.split()) <= listed, set(etsi.split()) - listed
    for clause in load_clauses():
        assert clause.scope == "in" or clause.reason, clause.number


def test_clause_texts_are_normalised() -> None:
    known = ["5.6.6", "5.6.7", "5.6.8", "5.6.9", "5.6.10", "5.6.11", "7.1", "7.2"]
    assert cited_numbers("5.6.7-5.6.10", known) == ["5.6.7", "5.6.8", "5.6.9", "5.6.10"]
    assert cited_numbers("7.1/7.2", known) == ["7.1", "7.2"]
    assert cited_numbers("4.9", known) == ["4.9"]
    clauses = [Clause("4.9", "q", "in"), Clause("5.7", "consumption", "in"), Clause("5.7.2", "Query", "in")]
    reqs = [
        declare("MIM1-QRY-001", clause="4.9 (extension: not in the grammar)", level="MUST", title="t"),
        declare(
            "MIM2-SDM-001", clause="schema; ETSI GS CIM 009 V1.8.1 clause 5.7.2", level="MUST", title="t"
        ),
        declare("MIM1-QRY-002", clause="5.7.99", level="MUST", title="t"),
    ]
    coverage = build_coverage([CatalogueEntry(requirement=r) for r in reqs], clauses)
    rows = {row.clause.number: row for row in coverage.rows}
    assert [r.id for r in rows["4.9"].direct] == ["MIM1-QRY-001"]
    assert [r.id for r in rows["5.7.2"].direct] == ["MIM2-SDM-001"]
    assert rows["5.7"].status == "sub-clauses" and rows["5.7"].through == ["5.7.2"]
    assert len(coverage.problems) == 1 and "5.7.99" in coverage.problems[0]
