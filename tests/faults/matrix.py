"""The kill matrix: run the suite against the reference behind the fault proxy, one fault at a time.

    python tests/faults/matrix.py [--ci] [--jobs 2] [--out reports/kill-matrix] [--fault NAME ...]

For each fault: which requirements FAILed, whether the expected ones did (else it is a survivor),
and which others FAILed too (collateral). Also: the unmodified reference (baseline) must give no
FAIL and no INCONCLUSIVE, and every requirement should be killed by some fault. Writes
matrix.json and matrix.md into the output folder; exits 1 when the matrix is not clean.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue import Fault, load_faults  # noqa: E402
from proxy import FaultProxy  # noqa: E402

from conformance.cli import collect_catalogue  # noqa: E402
from conformance.embedded import EmbeddedReference, free_port, reference_profile_toml  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FaultResult:
    name: str
    imitates: str
    expected: list[str]
    failed: list[str]
    inconclusive: list[str]
    exit_code: int
    seconds: float
    proxy_hits: int
    survivor: bool = False
    collateral: list[str] = field(default_factory=list)
    error: str | None = None


def profile_toml(base_url: str, notifications: tuple[str, str] | None = None) -> str:
    """The embedded reference's profile, pointed at base_url; optionally with the notification
    receiver bound at notifications[0] (HOST:PORT) and advertised as notifications[1] (a URL)."""
    text = reference_profile_toml(base_url)  # the profile the reference publishes itself
    if notifications is not None:
        text += f'\n[notifications]\nbind = "{notifications[0]}"\ncallback_url = "{notifications[1]}"\n'
    return text


def run_suite(
    base_url: str,
    mims: tuple[str, ...],
    select: str | None,
    work: Path,
    notifications: tuple[str, str] | None = None,
    only: list[str] | None = None,
) -> tuple[int, dict]:
    work.mkdir(parents=True, exist_ok=True)
    profile = work / "target.toml"
    profile.write_text(profile_toml(base_url, notifications), encoding="utf-8")
    out = work / "run"
    cmd = [sys.executable, "-m", "conformance.cli", "run", "--target", str(profile), "--out", str(out)]
    cmd += ["--mim", ",".join(mims), "--workers", "0"]  # many short runs side by side: one process each
    if only:
        (work / "only.txt").write_text("\n".join(only) + "\n", encoding="utf-8")
        cmd += ["--only-file", str(work / "only.txt")]
    if select:
        cmd += ["-k", select]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=900, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    (work / "output.txt").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    cert_path = out / "certificate.json"
    cert = json.loads(cert_path.read_text(encoding="utf-8")) if cert_path.is_file() else {}
    return proc.returncode, cert


def _ids(cert: dict, verdict: str) -> list[str]:
    return sorted(r["id"] for r in cert.get("requirements", []) if r["verdict"] == verdict)


def sentinel_tests(catalogue: list[dict]) -> list[str]:
    """One test case of the first requirement of every area: runs with every fault, so that
    collateral failures show outside the scenarios a fault concerns."""
    first: dict[str, str] = {}
    for entry in sorted(catalogue, key=lambda e: e["id"]):
        area = entry["id"].rsplit("-", 1)[0]
        if area not in first and entry["tests"]:
            first[area] = entry["tests"][0]
    return sorted(first.values())


def fault_tests(fault: Fault, catalogue: list[dict], sentinel: list[str]) -> list[str]:
    """The test cases of the requirements a fault concerns, plus the sentinel set."""
    concerned = [t for e in catalogue if e["id"] in fault.expect_fail for t in e["tests"]]
    return sorted(set(concerned) | set(sentinel))


def run_fault(fault: Fault, upstream: str, work: Path, only: list[str] | None = None) -> FaultResult:
    start = time.monotonic()
    with FaultProxy(upstream, list(fault.rules)) as proxy:
        if fault.notify_rules:
            # The receiver binds a fixed port; the target is told to notify the second proxy instead.
            port = free_port()
            with FaultProxy(f"http://127.0.0.1:{port}", list(fault.notify_rules)) as notify_proxy:
                code, cert = run_suite(
                    proxy.base_url,
                    fault.mims,
                    fault.select,
                    work / fault.name,
                    notifications=(f"127.0.0.1:{port}", notify_proxy.base_url),
                    only=only,
                )
                hits = proxy.hits + notify_proxy.hits
        else:
            code, cert = run_suite(proxy.base_url, fault.mims, fault.select, work / fault.name, only=only)
            hits = proxy.hits
    failed = _ids(cert, "FAIL")
    result = FaultResult(
        name=fault.name,
        imitates=fault.imitates,
        expected=sorted(fault.expect_fail),
        failed=failed,
        inconclusive=_ids(cert, "INCONCLUSIVE"),
        exit_code=code,
        seconds=round(time.monotonic() - start, 2),
        proxy_hits=hits,
    )
    result.survivor = not fault.expect_fail <= set(failed)
    result.collateral = sorted(set(failed) - fault.expect_fail)
    if not cert:
        result.error = f"no certificate (exit {code}); see {work / fault.name / 'output.txt'}"
    return result


def run_baseline(upstream: str, work: Path, n: int = 0) -> tuple[int, dict]:
    return run_suite(upstream, ("mim1", "mim2", "mim3"), None, work / f"_baseline{n}")


def render_markdown(report: dict) -> str:
    lines = [
        "# Kill matrix",
        "",
        f"{report['faults']} faults ({report['cases_run'] or 'whole MIMs'} cases run), {report['seconds']} s. "
        f"Baseline (unmodified reference, {report['baseline']['runs']} run(s), {report['baseline']['cases']} cases): "
        f"{report['baseline']['fail']} FAIL, {report['baseline']['inconclusive']} INCONCLUSIVE.",
        "",
    ]
    lines += ["| fault | expected | failed | verdict |", "|---|---|---|---|"]
    for r in report["results"]:
        verdict = "SURVIVOR" if r["survivor"] else ("killed, collateral" if r["collateral"] else "killed")
        lines.append(
            f"| {r['name']} | {', '.join(r['expected'])} | {', '.join(r['failed']) or '-'} | {verdict} |"
        )
    lines += [
        "",
        f"Survivors: {', '.join(report['survivors']) or 'none'}",
        f"Requirements with no fault: {', '.join(report['requirements_without_fault']) or 'none'}",
        f"Requirements never killed: {', '.join(report['requirements_never_killed']) or 'none'}",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ci", action="store_true", help="only the faults marked ci = true")
    parser.add_argument("--fault", action="append", help="only this fault (repeatable)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "reports" / "kill-matrix"))
    parser.add_argument("--baseline-runs", type=int, default=1, help="runs of the unmodified reference")
    parser.add_argument(
        "--whole", action="store_true", help="run whole MIMs per fault, not the concerned cases"
    )
    ns = parser.parse_args(argv)
    faults = load_faults()
    if ns.ci:
        faults = [f for f in faults if f.ci]
    if ns.fault:
        faults = [f for f in faults if f.name in set(ns.fault)]
    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    entries = collect_catalogue(["mim1", "mim2", "mim3"])
    catalogue = {r["id"] for r in entries}
    sentinel = sentinel_tests(entries)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="kill-matrix-") as tmp,
        EmbeddedReference(log=Path(tmp) / "reference.log") as ref,
    ):
        work = Path(tmp)
        with ThreadPoolExecutor(max_workers=max(1, ns.jobs)) as pool:
            baselines = [
                cert
                for _, cert in pool.map(
                    lambda n: run_baseline(ref.base_url, work, n), range(ns.baseline_runs)
                )
            ]
            results = list(
                pool.map(
                    lambda f: run_fault(
                        f, ref.base_url, work, None if ns.whole else fault_tests(f, entries, sentinel)
                    ),
                    faults,
                )
            )
    baseline = {
        "requirements": [
            {"id": rid, "verdict": v}
            for cert in baselines
            for rid, v in ((r["id"], r["verdict"]) for r in cert.get("requirements", []))
            if v != "PASS" and v != "NOT_APPLICABLE"
        ],
        "cases": sum(cert.get("cases", {}).get("total", 0) for cert in baselines),
        "runs": len(baselines),
    }
    if any(not cert for cert in baselines):
        baseline["requirements"].append(
            {"id": "(baseline run without certificate)", "verdict": "INCONCLUSIVE"}
        )
    expected_all = set().union(*(f.expect_fail for f in faults)) if faults else set()
    killed = set().union(*(set(r.failed) & set(r.expected) for r in results)) if results else set()
    report = {
        "faults": len(faults),
        "seconds": round(time.monotonic() - started, 1),
        "baseline": {
            "fail": len(_ids(baseline, "FAIL")),
            "inconclusive": len(_ids(baseline, "INCONCLUSIVE")),
            "failed": _ids(baseline, "FAIL"),
            "inconclusive_ids": _ids(baseline, "INCONCLUSIVE"),
            "cases": baseline.get("cases", 0),
            "runs": baseline["runs"],
        },
        "cases_run": None if ns.whole else sum(len(fault_tests(f, entries, sentinel)) for f in faults),
        "results": [asdict(r) for r in results],
        "survivors": [r.name for r in results if r.survivor],
        "unknown_requirements": sorted(expected_all - catalogue),
        "requirements_without_fault": sorted(catalogue - expected_all),
        "requirements_never_killed": sorted(catalogue - killed),
    }
    (out / "matrix.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "matrix.md").write_text(render_markdown(report), encoding="utf-8")
    print(render_markdown(report))
    clean = (
        not report["survivors"]
        and not report["unknown_requirements"]
        and report["baseline"]["fail"] == 0
        and report["baseline"]["inconclusive"] == 0
        and (ns.ci or ns.fault or not report["requirements_without_fault"])
    )
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
