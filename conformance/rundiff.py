"""`mimcheck diff OLD NEW`: what changed between two runs (a vendor's release against the last one).

Compares two run folders (or their certificate.json files) through the Certificate record:
requirements whose verdict changed, regressions first; requirements new or removed in the catalogue;
cases whose verdict changed (read from the evidence files, named by stable case ids); declared
capabilities added or removed; and the run verdicts. Text, JSON or a self-contained HTML page.
"""

from __future__ import annotations

import argparse
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.records import Certificate
from conformance.runcontext import usage

# How bad a verdict is: a change towards a higher rank is a regression.
RANK = {"PASS": 0, "NOT_APPLICABLE": 1, "INCONCLUSIVE": 2, "FAIL": 3}


@dataclass
class Change:
    id: str
    old: str
    new: str
    title: str = ""

    @property
    def regression(self) -> bool:
        return RANK.get(self.new, 0) > RANK.get(self.old, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "old": self.old,
            "new": self.new,
            "regression": self.regression,
            "title": self.title,
        }


@dataclass
class RunDiff:
    old_verdict: str
    new_verdict: str
    requirements: list[Change] = field(default_factory=list)
    cases: list[Change] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    capabilities_added: list[str] = field(default_factory=list)
    capabilities_removed: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.requirements if c.regression]

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": {"old": self.old_verdict, "new": self.new_verdict},
            "requirements": [c.to_json() for c in self.requirements],
            "cases": [c.to_json() for c in self.cases],
            "added_requirements": self.added,
            "removed_requirements": self.removed,
            "capabilities": {"added": self.capabilities_added, "removed": self.capabilities_removed},
        }


def load_run(path: str) -> tuple[Certificate, dict[str, str]]:
    """A run's certificate and its case verdicts (from the evidence files, when present)."""
    given = Path(path)
    cert_path = given if given.is_file() else given / "certificate.json"
    if not cert_path.is_file():
        raise usage(f"{path}: no certificate.json there; give a run folder or a certificate.json")
    try:
        cert = Certificate.from_json(json.loads(cert_path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise usage(
            f"{cert_path}: not a certificate this suite wrote ({type(exc).__name__}: {exc})"
        ) from None
    cases: dict[str, str] = {}
    for req in cert.requirements:
        for evidence in req.evidence:
            try:
                doc = json.loads((cert_path.parent / evidence).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(doc, dict) and "case_id" in doc and "verdict" in doc:
                cases[str(doc["case_id"])] = str(doc["verdict"])
    return cert, cases


def _ordered(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (not c.regression, c.id))


def diff_runs(
    old: Certificate, new: Certificate, old_cases: dict[str, str], new_cases: dict[str, str]
) -> RunDiff:
    before = {r.id: r for r in old.requirements}
    after = {r.id: r for r in new.requirements}
    result = RunDiff(old_verdict=str(old.verdict), new_verdict=str(new.verdict))
    for rid in sorted(before.keys() & after.keys()):
        if before[rid].verdict != after[rid].verdict:
            result.requirements.append(
                Change(rid, str(before[rid].verdict), str(after[rid].verdict), after[rid].requirement.title)
            )
    result.requirements = _ordered(result.requirements)
    result.added = sorted(after.keys() - before.keys())
    result.removed = sorted(before.keys() - after.keys())
    for case in sorted(old_cases.keys() & new_cases.keys()):
        if old_cases[case] != new_cases[case]:
            result.cases.append(Change(case, old_cases[case], new_cases[case]))
    result.cases = _ordered(result.cases)
    result.capabilities_added = sorted(set(new.declared_capabilities) - set(old.declared_capabilities))
    result.capabilities_removed = sorted(set(old.declared_capabilities) - set(new.declared_capabilities))
    return result


def render_text(d: RunDiff) -> str:
    lines = [f"verdict: {d.old_verdict} -> {d.new_verdict}"]
    if not (
        d.requirements or d.cases or d.added or d.removed or d.capabilities_added or d.capabilities_removed
    ):
        lines.append("no change in requirements, cases or capabilities")
    for c in d.requirements:
        tag = "REGRESSION" if c.regression else "improved  " if RANK[c.new] < RANK[c.old] else "changed   "
        lines.append(f"{tag} {c.id}: {c.old} -> {c.new}  {c.title}")
    lines += [f"new        {rid}" for rid in d.added]
    lines += [f"removed    {rid}" for rid in d.removed]
    lines += [f"capability + {c}" for c in d.capabilities_added]
    lines += [f"capability - {c}" for c in d.capabilities_removed]
    if d.cases:
        lines.append(f"{len(d.cases)} case(s) changed:")
        lines += [f"  {c.id}: {c.old} -> {c.new}" for c in d.cases[:200]]
    return "\n".join(lines)


def render_html(d: RunDiff, old_name: str, new_name: str) -> str:
    e = html.escape
    rows = "".join(
        f"<tr class='{'r' if c.regression else ''}'><td>{e(c.id)}</td><td>{e(c.old)}</td><td>{e(c.new)}</td>"
        f"<td>{e(c.title)}</td></tr>"
        for c in d.requirements
    )
    cases = "".join(f"<li>{e(c.id)}: {e(c.old)} &rarr; {e(c.new)}</li>" for c in d.cases)
    lists = "".join(
        f"<h2>{e(title)}</h2><ul>{''.join(f'<li>{e(x)}</li>' for x in items)}</ul>"
        for title, items in (
            ("New requirements", d.added),
            ("Removed requirements", d.removed),
            ("Capabilities declared now", d.capabilities_added),
            ("Capabilities no longer declared", d.capabilities_removed),
        )
        if items
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>mimcheck diff</title><style>
body{{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;
overflow-wrap:anywhere}}tr.r td{{color:#b00020;font-weight:bold}}li{{overflow-wrap:anywhere}}
@page{{size:A4;margin:14mm 12mm}}@media print{{body{{margin:0;max-width:none;padding:0;font-size:10pt}}
tr{{break-inside:avoid}}}}
</style></head><body>
<h1>What changed between two runs</h1>
<p>{e(old_name)} &rarr; {e(new_name)}: {e(d.old_verdict)} &rarr; {e(d.new_verdict)};
{len(d.regressions)} regression(s), {len(d.requirements)} requirement verdict(s) changed.</p>
<h2>Requirements whose verdict changed (regressions first)</h2>
<table><tr><th>Id</th><th>Before</th><th>Now</th><th>Requirement</th></tr>{rows}</table>
{lists}
<h2>Cases whose verdict changed</h2><ul>{cases}</ul>
</body></html>
"""


def cmd_diff(ns: argparse.Namespace) -> int:
    old, old_cases = load_run(ns.old)
    new, new_cases = load_run(ns.new)
    result = diff_runs(old, new, old_cases, new_cases)
    if ns.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    elif ns.format == "html":
        print(render_html(result, ns.old, ns.new))
    else:
        print(render_text(result))
    return 1 if result.regressions else 0


def add_diff_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "diff",
        help="what changed between two runs: verdicts (regressions first), requirements, cases, capabilities",
        description="Compare two run folders (or certificate.json files). Exit 1 when a requirement regressed.",
    )
    parser.add_argument("old", help="the earlier run folder or its certificate.json")
    parser.add_argument("new", help="the later run folder or its certificate.json")
    parser.add_argument("--format", choices=("text", "json", "html"), default="text")
    parser.set_defaults(func=cmd_diff)
