"""What `mimcheck audit` keeps and writes: counts, not entities.

However many entities a platform holds, the audit keeps per model the number checked and
conformant (per form and overall), and the violations grouped by JSON path (array positions as
``*``) and schema rule, each with its count and a few example entity ids. Every invalid entity is
written, as it is found, one JSON line each, to ``audit-invalid.ndjson``: the exact list of the broken
ones, on disk rather than in memory. At the end ``audit.json`` and a self-contained ``audit.html``.
"""

from __future__ import annotations

import html
import json
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from conformance.sdm_validate import Result

EXAMPLES = 3  # example entity ids kept per violation
MAX_GROUPS = 500  # distinct (path, rule) groups kept per model; the rest are counted together
TOP = 20  # violations shown per model
INVALID_FILE = "audit-invalid.ndjson"
_INDEX = re.compile(r"(?<=/)\d+(?=/|$)|^\d+(?=/|$)")


@dataclass
class Violation:
    path: str
    rule: str
    message: str  # as first seen
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "rule": self.rule,
            "count": self.count,
            "message": self.message,
            "examples": self.examples,
        }


@dataclass
class ModelTally:
    name: str
    schema_version: str | None = None
    entities: int = 0
    conformant: int = 0
    skipped: int = 0
    forms: dict[str, dict[str, int]] = field(default_factory=dict)
    groups: dict[tuple[str, str], Violation] = field(default_factory=dict)
    other: int = 0  # violations past MAX_GROUPS distinct groups

    def add(self, entity_id: str, result: Result, rules: list[tuple[str, str, str]]) -> None:
        self.schema_version = self.schema_version or result.schema_version
        form = self.forms.setdefault(result.form or "?", {"checked": 0, "conformant": 0})
        form["checked"] += 1
        form["conformant"] += 0 if result.errors or result.skipped else 1
        for path, rule, message in rules:
            key = (_INDEX.sub("*", path), rule)
            group = self.groups.get(key)
            if group is None:
                if len(self.groups) >= MAX_GROUPS:
                    self.other += 1
                    continue
                group = self.groups[key] = Violation(key[0], rule, message)
            group.count += 1
            if len(group.examples) < EXAMPLES and entity_id not in group.examples:
                group.examples.append(entity_id)

    def to_json(self) -> dict[str, Any]:
        checked = self.entities - self.skipped
        top = sorted(self.groups.values(), key=lambda v: (-v.count, v.path, v.rule))
        return {
            "model": self.name,
            "schemaVersion": self.schema_version,
            "entities": self.entities,
            "conformant": self.conformant,
            "invalid": checked - self.conformant,
            "skipped": self.skipped,
            "conformantShare": round(self.conformant / checked, 4) if checked else None,
            "forms": self.forms,
            "violations": [v.to_json() for v in top[:TOP]],
            "violationGroups": len(self.groups),
            "violationsNotGrouped": self.other,
        }


class AuditReport:
    """The tally of an audit, and its files in ``folder``."""

    def __init__(self, folder: Path, target: str, forms: list[str]) -> None:
        self.folder = folder
        self.target = target
        self.forms = forms
        self.models: dict[str, ModelTally] = {}
        self.started = time.time()
        self.finished: float | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self._invalid: IO[str] = (folder / INVALID_FILE).open("w", encoding="utf-8")

    def add(
        self, model: str, entity_id: Any, results: list[tuple[Result, list[tuple[str, str, str]]]]
    ) -> bool:
        """One entity in each form it was read in; returns whether it conforms in all of them."""
        tally = self.models.setdefault(model, ModelTally(model))
        tally.entities += 1
        ident = str(entity_id)
        if all(result.skipped for result, _ in results):
            tally.skipped += 1
        for result, rules in results:
            tally.add(ident, result, rules)
        bad = {r.form or "?": r.errors for r, _ in results if r.errors}
        if not bad and not any(r.skipped for r, _ in results):
            tally.conformant += 1
        if bad:
            line = {"id": entity_id, "model": model, "schemaVersion": tally.schema_version, "errors": bad}
            self._invalid.write(json.dumps(line) + "\n")
        return not bad

    @property
    def invalid(self) -> int:
        return sum(t.entities - t.skipped - t.conformant for t in self.models.values())

    def to_json(self, provenance: list[dict[str, Any]]) -> dict[str, Any]:
        models = [self.models[name].to_json() for name in sorted(self.models)]
        return {
            "target": self.target,
            "forms": self.forms,
            "started": _stamp(self.started),
            "finished": _stamp(self.finished or time.time()),
            "summary": {
                "entities": sum(m["entities"] for m in models),
                "conformant": sum(m["conformant"] for m in models),
                "invalid": sum(m["invalid"] for m in models),
                "skipped": sum(m["skipped"] for m in models),
            },
            "models": models,
            "provenance": provenance,
            "invalidEntities": INVALID_FILE,
        }

    def close(self, provenance: list[dict[str, Any]]) -> dict[str, Any]:
        """Finish the files; returns what audit.json holds."""
        self.finished = time.time()
        self._invalid.close()
        data = self.to_json(provenance)
        (self.folder / "audit.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        (self.folder / "audit.html").write_text(render_html(data), encoding="utf-8")
        return data


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def render_text(data: dict[str, Any]) -> str:
    lines = []
    for m in data["models"]:
        share = "-" if m["conformantShare"] is None else f"{100 * m['conformantShare']:.1f}%"
        lines.append(
            f"{m['model']} {m['schemaVersion'] or ''}: {m['entities']} entities, {m['conformant']} conformant "
            f"({share}), {m['invalid']} invalid, {m['skipped']} skipped"
        )
        for v in m["violations"][:5]:
            lines.append(
                f"    {v['count']:>6} x {v['path']} [{v['rule']}] e.g. {v['examples'][0]}: {v['message']}"
            )
    s = data["summary"]
    lines.append(
        f"mimcheck: {s['entities']} entities: {s['conformant']} conformant, {s['invalid']} invalid, "
        f"{s['skipped']} skipped"
    )
    return "\n".join(lines)


def render_junit(data: dict[str, Any]) -> str:
    """A testsuite per model: a test case per violation group (failing), one for the conformant ones."""
    root = ET.Element("testsuites", name="mimcheck audit")
    for m in data["models"]:
        suite = ET.SubElement(root, "testsuite", name=m["model"])
        ok = ET.SubElement(suite, "testcase", classname=m["model"], name="conformant entities")
        ok.set("tests", str(m["conformant"]))
        for v in m["violations"]:
            case = ET.SubElement(suite, "testcase", classname=m["model"], name=f"{v['path']} [{v['rule']}]")
            failure = ET.SubElement(case, "failure", message=f"{v['count']} entities: {v['message']}")
            failure.text = "examples: " + ", ".join(v["examples"])
        suite.set("tests", str(1 + len(m["violations"])))
        suite.set("failures", str(len(m["violations"])))
    return ET.tostring(root, encoding="unicode")


def render_html(data: dict[str, Any]) -> str:
    e = html.escape
    s = data["summary"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>mimcheck audit</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}td.n{text-align:right}"
        ".bad{color:#a00}.ok{color:#060}code{font-size:.9em}</style></head><body>",
        f"<h1>Smart Data Models audit of {e(data['target'])}</h1>",
        f"<p>{e(data['started'])} to {e(data['finished'])}; forms read: {e(', '.join(data['forms']))}. "
        f"{s['entities']} entities: <span class='ok'>{s['conformant']} conformant</span>, "
        f"<span class='bad'>{s['invalid']} invalid</span>, {s['skipped']} skipped. Every invalid entity, "
        f"with its errors: <code>{e(data['invalidEntities'])}</code>.</p>",
        "<table><tr><th>Model</th><th>Schema version</th><th>Entities</th><th>Conformant</th><th>Share</th>"
        "<th>Invalid</th><th>Skipped</th></tr>",
    ]
    for m in data["models"]:
        share = "-" if m["conformantShare"] is None else f"{100 * m['conformantShare']:.1f}%"
        parts.append(
            f"<tr><td>{e(m['model'])}</td><td>{e(str(m['schemaVersion'] or ''))}</td><td class='n'>{m['entities']}"
            f"</td><td class='n'>{m['conformant']}</td><td class='n'>{share}</td><td class='n'>{m['invalid']}</td>"
            f"<td class='n'>{m['skipped']}</td></tr>"
        )
    parts.append("</table>")
    for m in data["models"]:
        if not m["violations"]:
            continue
        parts.append(
            f"<h2>{e(m['model'])}: most frequent violations</h2><table><tr><th>Count</th>"
            "<th>JSON path</th><th>Rule</th><th>Message (first seen)</th><th>Example entities</th></tr>"
        )
        for v in m["violations"]:
            parts.append(
                f"<tr><td class='n'>{v['count']}</td><td><code>{e(v['path'])}</code></td><td>{e(v['rule'])}</td>"
                f"<td>{e(v['message'])}</td><td>{'<br>'.join(e(x) for x in v['examples'])}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
