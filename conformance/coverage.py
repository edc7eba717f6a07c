"""Clause coverage of ETSI GS CIM 009 V1.8.1: which requirements cite each clause (docs/coverage.md).

The clauses are data (``data/cim009-v1.8.1-clauses.toml``): number, title, and whether the clause
is in scope or out of scope (with the reason). The citations come from the requirement catalogue:
the ``clause`` of each NGSI-LD requirement, and for requirements of other specifications the CIM 009
V1.8.1 clauses their ``clause`` text names. A clause text is normalised to clause numbers: prose
after the number in parentheses or after a semicolon is dropped ("4.9 (extension: ...)" cites 4.9), "7.1/7.2" and "7.1, 7.2" cite both,
and a range "5.6.7-5.6.10" cites every listed clause between its ends.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from dataclasses import dataclass, field

from conformance import SUITE_NAME, __version__, package_data
from conformance.requirements import SPEC_NGSILD, CatalogueEntry, Requirement, RequirementError
from conformance.verdicts import EXIT_OK, EXIT_USAGE

CLAUSES_FILE = ("data", "cim009-v1.8.1-clauses.toml")

NUMBER = r"\d+(?:\.\d+)*"
_CITATION = re.compile(rf"({NUMBER})(?:\s*(?:-|–|\.\.)\s*({NUMBER}))?")
_IN_OTHER_SPEC = re.compile(rf"CIM 009 V1\.8\.1,? clauses? ((?:{NUMBER}(?:\s*(?:-|–|,|/|and)\s*)?)+)")


class CoverageError(ValueError):
    """The clause data file is malformed."""


@dataclass(frozen=True)
class Clause:
    number: str
    title: str
    scope: str  # "in" or "out"
    reason: str = ""
    checked: bool = False  # the V1.8.1 OpenAPI names this clause with this subject

    @property
    def key(self) -> tuple[int, ...]:
        return number_key(self.number)


@dataclass
class ClauseCoverage:
    clause: Clause
    direct: list[Requirement] = field(default_factory=list)  # requirements citing the clause itself
    through: list[str] = field(default_factory=list)  # cited sub-clauses (numbers)

    @property
    def status(self) -> str:
        if self.clause.scope == "out":
            return "out"
        if self.direct:
            return "covered"
        return "sub-clauses" if self.through else "not covered"


@dataclass
class Coverage:
    rows: list[ClauseCoverage]
    problems: list[str]  # cited clauses missing from the data file, citations of out-of-scope clauses

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.rows if r.status in statuses)


def number_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


def load_clauses() -> list[Clause]:
    path = package_data.path(*CLAUSES_FILE)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CoverageError(f"{path}: {exc}") from None
    clauses: dict[str, Clause] = {}
    for raw in data.get("clause", []):
        number, title, scope = raw.get("number", ""), raw.get("title", ""), raw.get("scope", "")
        where = f"{path.name}: clause {number!r}"
        if not re.fullmatch(NUMBER, number) or not title:
            raise CoverageError(f"{where}: needs a number (like 5.6.1) and a title")
        if scope not in ("in", "out") or (scope == "out") != bool(raw.get("reason")):
            raise CoverageError(f'{where}: scope is "in", or "out" with a reason')
        if number in clauses:
            raise CoverageError(f"{where}: listed twice")
        clauses[number] = Clause(number, title, scope, raw.get("reason", ""), bool(raw.get("checked")))
    return sorted(clauses.values(), key=lambda c: c.key)


def cited_numbers(text: str, known: list[str]) -> list[str]:
    """The clause numbers a clause text cites; a range expands over the known clauses between its
    ends (same depth), so both ends must be known."""
    cited: list[str] = []
    for match in _CITATION.finditer(text):
        first, last = match.group(1), match.group(2)
        if last is None:
            cited.append(first)
            continue
        lo, hi = number_key(first), number_key(last)
        between = [n for n in known if len(number_key(n)) == len(lo) and lo <= number_key(n) <= hi]
        cited += between if first in known and last in known else [first, last]
    return list(dict.fromkeys(cited))


def citations(req: Requirement, known: list[str]) -> list[str]:
    """The CIM 009 V1.8.1 clauses a requirement cites (for an NGSI-LD requirement, the numbers before
    any parenthesis or semicolon: what follows is prose)."""
    if req.spec == SPEC_NGSILD:
        return cited_numbers(re.split(r"[(;]", req.clause)[0], known)
    found: list[str] = []
    for match in _IN_OTHER_SPEC.finditer(req.clause):
        found += cited_numbers(match.group(1), known)
    return found


def build_coverage(entries: list[CatalogueEntry], clauses: list[Clause] | None = None) -> Coverage:
    clauses = clauses if clauses is not None else load_clauses()
    known = [c.number for c in clauses]
    rows = {c.number: ClauseCoverage(c) for c in clauses}
    problems: list[str] = []
    for entry in entries:
        req = entry.requirement
        for number in citations(req, known):
            row = rows.get(number)
            if row is None:
                problems.append(
                    f"{req.id} cites clause {number} ({req.clause!r}), which "
                    "conformance/data/cim009-v1.8.1-clauses.toml does not list"
                )
                continue
            if row.clause.scope == "out":
                problems.append(f"{req.id} cites clause {number}, which the data file puts out of scope")
            if req not in row.direct:
                row.direct.append(req)
            parts = number.split(".")
            for depth in range(1, len(parts)):
                parent = rows.get(".".join(parts[:depth]))
                if parent is not None and number not in parent.through:
                    parent.through.append(number)
    for row in rows.values():
        row.direct.sort(key=lambda r: r.id)
        row.through.sort(key=number_key)
    return Coverage(rows=list(rows.values()), problems=problems)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _requirements_cell(row: ClauseCoverage) -> str:
    status = row.status
    if status == "out":
        return f"out of scope: {row.clause.reason}"
    if status == "not covered":
        return "**NOT COVERED**"
    parts = [f"{r.id} ({r.level})" for r in row.direct]
    if len(row.through) > 8:
        parts.append(f"through {len(row.through)} cited sub-clauses")
    elif row.through:
        parts.append(f"through sub-clauses {', '.join(row.through)}")
    return ", ".join(parts)


def render_markdown(coverage: Coverage, generator: str) -> str:
    """The coverage page (docs/coverage.md)."""
    in_scope = coverage.count("covered", "sub-clauses", "not covered")
    covered = coverage.count("covered", "sub-clauses")
    lines = [
        f"# Clause coverage of {SPEC_NGSILD}",
        "",
        f"Generated by `mimcheck coverage --format markdown` ({generator}) from the requirement",
        "declarations and `conformance/data/cim009-v1.8.1-clauses.toml`; do not edit by hand.",
        "",
        f"**{in_scope} clauses in scope, {covered} covered, {in_scope - covered} not covered, "
        f"{coverage.count('out')} out of scope** ({len(coverage.rows)} clauses listed).",
        "",
        "A clause is covered when a requirement cites it (its id and level are listed) or one of its",
        "sub-clauses (named). **NOT COVERED** marks an in-scope clause no requirement cites yet: the",
        "to-do list. Titles are our own short descriptions; a title marked † was not checked against",
        "the V1.8.1 text (see the comments of the data file). Clauses not listed are not accounted for.",
        "",
        "| Clause | Title | Requirements |",
        "|---|---|---|",
    ]
    for row in coverage.rows:
        c = row.clause
        title = c.title if c.checked else f"{c.title} †"
        lines.append(f"| {c.number} | {_cell(title)} | {_cell(_requirements_cell(row))} |")
    if coverage.problems:
        lines += ["", "## Problems", "", *[f"- {p}" for p in coverage.problems]]
    lines.append("")
    return "\n".join(lines)


def render_text(coverage: Coverage) -> str:
    lines = []
    for row in coverage.rows:
        c = row.clause
        lines.append(f"{c.number:<10} {row.status:<12} {c.title}: {_requirements_cell(row)}")
    lines += [f"PROBLEM {p}" for p in coverage.problems]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ mimcheck coverage


def _catalogue() -> list[CatalogueEntry]:
    from conformance.cli import collect_entries
    from conformance.profiles import MIMS

    return collect_entries(list(MIMS))


def coverage_markdown() -> str:
    """docs/coverage.md as it should read now."""
    return render_markdown(build_coverage(_catalogue()), f"{SUITE_NAME} {__version__}")


def cmd_coverage(ns: argparse.Namespace) -> int:
    try:
        coverage = build_coverage(_catalogue())
    except (RequirementError, CoverageError) as exc:
        print(f"mimcheck: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    if ns.format == "markdown":
        print(render_markdown(coverage, f"{SUITE_NAME} {__version__}"))
    else:
        print(render_text(coverage))
    return EXIT_OK


def add_coverage_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cov = sub.add_parser(
        "coverage", help="print which requirements cite each ETSI GS CIM 009 V1.8.1 clause (docs/coverage.md)"
    )
    cov.add_argument("--format", choices=("markdown", "text"), default="text")
    cov.set_defaults(func=cmd_coverage)
