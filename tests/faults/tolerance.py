"""The tolerance matrix: the mirror image of the kill matrix. Legal variations of a product's
answers (tolerance/*.toml, each citing why it is legal) are injected one at a time by the fault proxy
between the suite and the reference; a correct product that reads the spec differently must never be
failed, so each variation must leave the verdicts unchanged: no FAIL, no INCONCLUSIVE.

    python tests/faults/tolerance.py [--ci] [--jobs 2] [--out reports/tolerance-matrix] [--variation NAME ...]

For each variation: the requirements that FAILed or went INCONCLUSIVE (a false FAIL of the suite),
how often the proxy changed an exchange (a variation that changes nothing proves nothing), and the
cases with their reasons. A variation marked ``known_false_fail`` in the catalogue is a suite bug
left open: reported on its own, not counted as a regression. The unmodified reference behind the same
proxy is the baseline: it must be CONFORMANT. Each job has a reference platform of its own (a FAIL
is then the variation's doing, not another run's on the same platform). Writes matrix.json and
matrix.md into the output folder; exits 1 when a variation produced a FAIL or an INCONCLUSIVE, was
not exercised, or the baseline is not clean.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matrix import run_suite  # noqa: E402
from proxy import FaultProxy, Rule  # noqa: E402

from conformance.embedded import EmbeddedReference, free_port  # noqa: E402

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
TOLERANCE_DIR = Path(__file__).with_name("tolerance")
ALL_MIMS = ("mim1", "mim2", "mim3")
BAD_VERDICTS = ("FAIL", "INCONCLUSIVE")


@dataclass(frozen=True)
class Variation:
    """A legal variation of a product's behaviour, with the reason it is legal."""

    name: str
    area: str  # the catalogue file it comes from
    legal_because: str
    mims: tuple[str, ...]
    rules: tuple[Rule, ...]
    notify_rules: tuple[Rule, ...] = ()  # between the target and the suite's notification receiver
    ci: bool = False
    select: str | None = None  # a pytest -k expression: only the scenarios concerned
    known_false_fail: str | None = None  # a suite bug left open: why it is not fixed yet


def _resolve(value: object) -> object:
    """A rule value with every ``{"$json": path, "$member": key}`` replaced by that member of that
    JSON file of the repository (e.g. the core @context, to give it inline)."""
    if isinstance(value, dict):
        if "$json" in value:
            document = json.loads((ROOT / value["$json"]).read_text(encoding="utf-8"))
            return document[value["$member"]] if "$member" in value else document
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def _rules(entries: list[dict]) -> tuple[Rule, ...]:
    return tuple(Rule.from_dict(_resolve(entry)) for entry in entries)  # type: ignore[arg-type]


def load_variations(folder: Path = TOLERANCE_DIR) -> list[Variation]:
    """Every variation of every tolerance/*.toml file (one file per area)."""
    variations: list[Variation] = []
    names: set[str] = set()
    for path in sorted(folder.glob("*.toml")):
        for entry in tomllib.loads(path.read_text(encoding="utf-8")).get("variation", []):
            name = entry["name"]
            if name in names:
                raise ValueError(f"{path}: variation {name!r} is listed twice")
            names.add(name)
            unknown = set(entry) - {
                "name",
                "legal_because",
                "mims",
                "rule",
                "notify_rule",
                "ci",
                "select",
                "known_false_fail",
            }
            if unknown:
                raise ValueError(f"{path}: variation {name!r} has unknown keys {sorted(unknown)}")
            variations.append(
                Variation(
                    name=name,
                    area=path.stem,
                    legal_because=" ".join(entry["legal_because"].split()),
                    mims=tuple(entry.get("mims", list(ALL_MIMS))),
                    rules=_rules(entry.get("rule", [])),
                    notify_rules=_rules(entry.get("notify_rule", [])),
                    ci=bool(entry.get("ci", False)),
                    select=entry.get("select"),
                    known_false_fail=entry.get("known_false_fail"),
                )
            )
    return variations


@dataclass
class VariationResult:
    name: str
    area: str
    legal_because: str
    mims: list[str]
    select: str | None
    failed: list[str]
    inconclusive: list[str]
    exit_code: int
    seconds: float
    proxy_hits: int  # rules that matched
    proxy_changes: int  # exchanges the proxy really altered
    cases: dict = field(default_factory=dict)
    verdict_changes: list[str] = field(default_factory=list)  # other verdicts unlike the baseline
    reasons: dict[str, list[str]] = field(default_factory=dict)  # requirement -> "case: reason"
    known_false_fail: str | None = None
    error: str | None = None
    verdicts: dict[str, str] = field(default_factory=dict, repr=False)  # requirement -> verdict

    @property
    def bad(self) -> list[str]:
        return sorted(set(self.failed) | set(self.inconclusive))

    @property
    def exercised(self) -> bool:
        return self.proxy_hits > 0 and self.proxy_changes > 0

    @property
    def result(self) -> str:
        if self.error:
            return "ERROR"
        if not self.exercised:
            return "NOT EXERCISED"
        if self.bad:
            return "KNOWN FALSE FAIL" if self.known_false_fail else "FALSE FAIL"
        return "tolerated (known false fail fixed?)" if self.known_false_fail else "tolerated"

    @property
    def regression(self) -> bool:
        """Whether this result makes the matrix unclean."""
        return bool(self.error) or not self.exercised or (bool(self.bad) and not self.known_false_fail)

    def compare(self, baseline: dict[str, str]) -> None:
        """Note the verdicts (other than FAIL and INCONCLUSIVE) unlike the baseline's."""
        self.verdict_changes = sorted(
            f"{rid}: {baseline[rid]} -> {v}"
            for rid, v in self.verdicts.items()
            if rid in baseline and baseline[rid] != v and v not in BAD_VERDICTS
        )

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("verdicts")
        return {**data, "result": self.result, "exercised": self.exercised}


def _verdicts(cert: dict) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in cert.get("requirements", [])}


def _reasons(cert: dict, run_dir: Path, requirements: list[str]) -> dict[str, list[str]]:
    """For each requirement, its cases that did not pass, with the reason the suite gave."""
    out: dict[str, list[str]] = {}
    for entry in cert.get("requirements", []):
        if entry["id"] not in requirements:
            continue
        lines = []
        for evidence in entry.get("evidence", []):
            path = run_dir / evidence
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if record.get("verdict") in BAD_VERDICTS:
                reason = " ".join(str(record.get("reason") or record.get("blocked_by") or "").split())
                lines.append(f"{record.get('case_id')} {record['verdict']}: {reason[:400]}")
        out[entry["id"]] = lines
    return out


def run_variation(
    variation: Variation,
    upstream: str,
    work: Path,
    only: list[str] | None = None,
) -> VariationResult:
    """Run the variation's MIMs (or its select subset) through the proxy; judge the verdicts."""
    start = time.monotonic()
    folder = work / variation.name
    with FaultProxy(upstream, list(variation.rules)) as proxy:
        if variation.notify_rules:
            # The receiver binds a fixed port; the target is told to notify the second proxy instead.
            port = free_port()
            with FaultProxy(f"http://127.0.0.1:{port}", list(variation.notify_rules)) as notify_proxy:
                code, cert = run_suite(
                    proxy.base_url,
                    variation.mims,
                    variation.select,
                    folder,
                    notifications=(f"127.0.0.1:{port}", notify_proxy.base_url),
                    only=only,
                )
            hits = proxy.hits + notify_proxy.hits
            changes = proxy.changes + notify_proxy.changes
        else:
            code, cert = run_suite(proxy.base_url, variation.mims, variation.select, folder, only=only)
            hits, changes = proxy.hits, proxy.changes
    verdicts = _verdicts(cert)
    failed = sorted(r for r, v in verdicts.items() if v == "FAIL")
    inconclusive = sorted(r for r, v in verdicts.items() if v == "INCONCLUSIVE")
    result = VariationResult(
        name=variation.name,
        area=variation.area,
        legal_because=variation.legal_because,
        mims=list(variation.mims),
        select=variation.select,
        failed=failed,
        inconclusive=inconclusive,
        exit_code=code,
        seconds=round(time.monotonic() - start, 2),
        proxy_hits=hits,
        proxy_changes=changes,
        cases=cert.get("cases", {}),
        known_false_fail=variation.known_false_fail,
        verdicts=verdicts,
    )
    result.reasons = _reasons(cert, folder / "run", result.bad)
    if not cert:
        result.error = f"no certificate (exit {code}); see {folder / 'output.txt'}"
    return result


def run_baseline(upstream: str, work: Path, mims: tuple[str, ...]) -> tuple[int, dict, float]:
    """The unmodified reference behind the same proxy, without rules."""
    start = time.monotonic()
    with FaultProxy(upstream, []) as proxy:
        code, cert = run_suite(proxy.base_url, mims, None, work / "_baseline")
    return code, cert, round(time.monotonic() - start, 1)


def on_references(upstreams: list[str], tasks: list[Callable[[str], T]]) -> list[T]:
    """Run the tasks (each given a reference's base URL), as many at a time as there are references,
    each on a reference of its own: a FAIL is then the variation's doing, never that of another run
    listing or forwarding the same platform's data at the same time. Results in the tasks' order."""
    free: Queue[str] = Queue()
    for upstream in upstreams:
        free.put(upstream)

    def on_one(task: Callable[[str], T]) -> T:
        upstream = free.get()
        try:
            return task(upstream)
        finally:
            free.put(upstream)

    with ThreadPoolExecutor(max_workers=len(upstreams)) as pool:
        return list(pool.map(on_one, tasks))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict) -> str:
    base = report["baseline"]
    lines = [
        "# Tolerance matrix",
        "",
        "Legal variations of a product's answers, injected one at a time by the fault proxy between the",
        "suite and the embedded reference (`tests/faults/tolerance/*.toml`). A correct product is never",
        "failed: each variation must leave 0 FAIL and 0 INCONCLUSIVE requirements.",
        "",
        f"{report['variations']} variations, {report['seconds']} s (jobs: {report['jobs']}). "
        + (
            f"Baseline (the unmodified reference behind the proxy, {', '.join(base['mims'])}): "
            f"{base['verdict']}, {base['cases']} cases, {len(base['bad'])} FAIL/INCONCLUSIVE, "
            f"{base['seconds']} s."
            if base["ran"]
            else "Baseline not run."
        ),
        "",
        f"Tolerated: {len(report['tolerated'])}. False FAILs: {len(report['false_fails'])}. "
        f"Known false FAILs (open suite bugs): {len(report['known_false_fails'])}. "
        f"Not exercised: {len(report['not_exercised'])}. Errors: {len(report['errors'])}.",
        "",
        "| variation | area | legal because | scope | hits / changed | s | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        scope = ", ".join(r["mims"]) + (f" `-k {r['select']}`" if r["select"] else "")
        result = r["result"]
        if r["failed"] or r["inconclusive"]:
            result += ": " + ", ".join(
                [f"FAIL {x}" for x in r["failed"]] + [f"INCONCLUSIVE {x}" for x in r["inconclusive"]]
            )
        lines.append(
            f"| {r['name']} | {r['area']} | {_cell(r['legal_because'])} | {scope} | "
            f"{r['proxy_hits']} / {r['proxy_changes']} | {r['seconds']} | {_cell(result)} |"
        )
    details = [r for r in report["results"] if r["failed"] or r["inconclusive"] or r["known_false_fail"]]
    if details:
        lines += ["", "## False FAILs", ""]
        for r in details:
            lines.append(f"### {r['name']} ({r['result']})")
            if r["known_false_fail"]:
                lines.append(f"Known false FAIL: {r['known_false_fail']}")
            for rid, reasons in r["reasons"].items():
                lines.append(f"- {rid}")
                lines += [f"  - {_cell(reason)}" for reason in reasons[:5]]
            lines.append("")
    changed = [r for r in report["results"] if r["verdict_changes"]]
    if changed:
        lines += ["", "## Other verdict changes (not counted)", ""]
        lines += [f"- {r['name']}: {', '.join(r['verdict_changes'])}" for r in changed]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ci", action="store_true", help="only the variations marked ci = true")
    parser.add_argument("--variation", action="append", help="only this variation (repeatable)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "reports" / "tolerance-matrix"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the run of the unmodified reference")
    ns = parser.parse_args(argv)
    variations = load_variations()
    if ns.ci:
        variations = [v for v in variations if v.ci]
    if ns.variation:
        unknown = set(ns.variation) - {v.name for v in variations}
        if unknown:
            parser.error(f"no such variation: {', '.join(sorted(unknown))}")
        variations = [v for v in variations if v.name in set(ns.variation)]
    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    mims = tuple(m for m in ALL_MIMS if any(m in v.mims for v in variations))
    started = time.monotonic()
    jobs = max(1, ns.jobs)
    with tempfile.TemporaryDirectory(prefix="tolerance-matrix-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        upstreams = [
            stack.enter_context(EmbeddedReference(log=work / f"reference{n}.log")).base_url
            for n in range(jobs)
        ]
        tasks: list[Callable[[str], Any]] = []
        if not ns.no_baseline:
            tasks.append(lambda u: run_baseline(u, work, mims or ALL_MIMS))
        tasks += [lambda u, v=v: run_variation(v, u, work) for v in variations]
        done = on_references(upstreams, tasks)
        base_code, base_cert, base_seconds = (0, {}, 0.0) if ns.no_baseline else done.pop(0)
        results: list[VariationResult] = done
        logs = out / "logs"
        shutil.rmtree(logs, ignore_errors=True)
        for result in results:  # the suite's output of every variation that did not pass clean
            output = work / result.name / "output.txt"
            if (result.regression or result.bad) and output.is_file():
                logs.mkdir(exist_ok=True)
                shutil.copy(output, logs / f"{result.name}.txt")
                result.error = result.error and result.error.replace(
                    str(output), str(logs / f"{result.name}.txt")
                )
    baseline = _verdicts(base_cert) if base_cert else None
    if baseline is not None:
        for result in results:
            result.compare(baseline)
    base_bad = sorted(rid for rid, v in (baseline or {}).items() if v in BAD_VERDICTS)
    report = {
        "variations": len(variations),
        "jobs": ns.jobs,
        "seconds": round(time.monotonic() - started, 1),
        "baseline": {
            "ran": not ns.no_baseline,
            "mims": list(mims or ALL_MIMS),
            "verdict": base_cert.get("verdict", "no certificate") if not ns.no_baseline else None,
            "exit_code": base_code,
            "cases": base_cert.get("cases", {}).get("total", 0),
            "bad": base_bad,
            "seconds": base_seconds,
        },
        "results": [r.as_json() for r in results],
        "tolerated": [r.name for r in results if r.result.startswith("tolerated")],
        "false_fails": [r.name for r in results if r.result == "FALSE FAIL"],
        "known_false_fails": [r.name for r in results if r.known_false_fail],
        "not_exercised": [r.name for r in results if r.result == "NOT EXERCISED"],
        "errors": [r.name for r in results if r.error],
    }
    (out / "matrix.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "matrix.md").write_text(render_markdown(report), encoding="utf-8")
    print(render_markdown(report))
    baseline_clean = ns.no_baseline or (base_cert.get("verdict") == "CONFORMANT" and not base_bad)
    clean = baseline_clean and not any(r.regression for r in results)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
