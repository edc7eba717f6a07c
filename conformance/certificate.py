"""The certificate of a run, built from the case results through the verdict policy, and written as
certificate.json (machine-readable) and certificate.html (for people), plus Allure's environment and
executor files."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from conformance import SUITE_NAME, __version__, evidence
from conformance.certificate_html import render_html
from conformance.profiles import TargetProfile
from conformance.records import CaseResult, Certificate, MimResult, RequirementResult, RootCause
from conformance.redaction import Redactor
from conformance.requirements import DEFAULT_SPEC, SPEC_SDM, Requirement
from conformance.verdicts import (
    Verdict,
    exit_code,
    is_warning,
    mim_verdict,
    requirement_verdict,
    run_verdict,
)

__all__ = ["build_certificate", "render_html", "write_run_outputs", "root_cause_key"]

_RUN_SCOPED = re.compile(r"mimcheck-[0-9A-Za-z]+(?:-gw\d+)?-\d{3,}")


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def root_cause_key(cause: str) -> str:
    """A root cause with run-scoped ids folded, so that cases blocked by the same broken step of
    different data group together."""
    return _RUN_SCOPED.sub("<run-scoped id>", cause)


def build_certificate(
    *,
    profile: TargetProfile,
    results: list[CaseResult],
    started: float,
    finished: float,
    run_id: str,
    evidence_digest: str,
    plan: dict[str, dict[str, Any]] | None = None,
    deselected: dict[str, str] | None = None,
    narrowed_by: list[str] | None = None,
    interrupted: bool = False,
    models: list[dict[str, Any]] | None = None,
) -> Certificate:
    """The certificate from the case results of a run.

    ``plan`` maps every case id the run meant to run to its node id and requirement: a planned case
    without a result did not run (an interrupted run), and its requirement cannot PASS.
    ``deselected`` maps the case ids a narrowed run left out to their requirement ids."""
    plan = plan or {}
    by_req: dict[str, list[CaseResult]] = defaultdict(list)
    reqs: dict[str, Requirement] = {}
    for result in results:
        by_req[result.requirement.id].append(result)
        reqs[result.requirement.id] = result.requirement
    not_run_cases: dict[str, list[str]] = defaultdict(list)
    for case, planned in plan.items():
        req = Requirement.from_json(planned["requirement"])
        reqs.setdefault(req.id, req)
        if not any(r.case_id == case for r in by_req.get(req.id, [])):
            not_run_cases[req.id].append(case)
    requirements: list[RequirementResult] = []
    for req_id in sorted(reqs):
        req = reqs[req_id]
        cases = sorted(by_req.get(req_id, []), key=lambda r: r.case_id)
        missing = sorted(not_run_cases.get(req_id, []))
        partly_deselected = [c for c, r in (deselected or {}).items() if r == req_id]
        verdict = requirement_verdict((c.verdict for c in cases), len(missing) + len(partly_deselected))
        entry = RequirementResult(
            requirement=req,
            verdict=verdict,
            cases=[c.case_id for c in cases],
            evidence=[c.evidence for c in cases if c.evidence],
            not_run=missing + sorted(partly_deselected),
            warning=is_warning(req.level, verdict),
        )
        entry.reasons = [f"{c.case_id}: {c.reason}" for c in cases if c.verdict != Verdict.PASS and c.reason][
            :20
        ]
        if missing:
            entry.reasons.append(
                f"not run: {len(missing)} of {len(missing) + len(cases)} cases (run interrupted)"
            )
        if partly_deselected:
            entry.reasons.append(f"not run: {len(partly_deselected)} cases left out by narrowing the run")
        entry.blocked_by = sorted(
            {
                root_cause_key(c.blocked_by)
                for c in cases
                if c.verdict == Verdict.INCONCLUSIVE and c.blocked_by
            }
        )
        requirements.append(entry)
    mims: dict[str, MimResult] = {}
    for mim in sorted({r.requirement.mim for r in requirements}):
        mine = [r for r in requirements if r.requirement.mim == mim]
        verdicts = [r.verdict for r in mine]
        mims[mim] = MimResult(
            verdict=mim_verdict((r.requirement.level, r.verdict) for r in mine),
            passed=verdicts.count(Verdict.PASS),
            failed=verdicts.count(Verdict.FAIL),
            not_applicable=verdicts.count(Verdict.NOT_APPLICABLE),
            inconclusive=verdicts.count(Verdict.INCONCLUSIVE),
            warnings=sum(1 for r in mine if r.warning),
        )
    ran = {r.requirement.id for r in requirements}
    never_run = sorted({rid for rid in (deselected or {}).values() if rid not in ran})
    narrowed = ", ".join(narrowed_by or []) or ("deselection" if deselected else None)
    overall = run_verdict(
        (m.verdict for m in mims.values()), narrowed=bool(narrowed), interrupted=interrupted
    )
    counts = {str(v): sum(1 for r in results if r.verdict == v) for v in Verdict}
    counts["total"] = len(results)
    counts["not_run"] = sum(len(v) for v in not_run_cases.values()) + len(deselected or {})
    return Certificate(
        suite={"name": SUITE_NAME, "version": __version__},
        run_id=run_id,
        target=profile.identity(),
        declared_capabilities=list(profile.capabilities),
        spec_versions=_spec_versions(requirements, models),
        started=_iso(started),
        finished=_iso(finished),
        verdict=overall,
        exit_code=exit_code(overall),
        mims=mims,
        requirements=requirements,
        cases=counts,
        evidence_digest=evidence_digest,
        interrupted=interrupted,
        narrowed=narrowed,
        not_run=never_run,
        root_causes=_root_causes(results),
        catalogue_digest=_catalogue_digest(requirements),
        models=list(models or []),
    )


def _catalogue_digest(requirements: list[RequirementResult]) -> str:
    from conformance.signing import catalogue_digest

    return catalogue_digest([r.requirement.to_json() for r in requirements])


def _spec_versions(
    requirements: list[RequirementResult], models: list[dict[str, Any]] | None = None
) -> dict[str, str]:
    """Per MIM, the specifications its requirements cite (MIM3 names every TM Forum API). Smart Data
    Models have no version of their own: the MIM2 entry says which schemas, from which source and
    commit, the run checked against (the models member lists each)."""
    specs: dict[str, set[str]] = defaultdict(set)
    for r in requirements:
        specs[r.requirement.mim].add(r.requirement.spec)
    out = {mim: "; ".join(sorted(s)) or DEFAULT_SPEC.get(mim, "") for mim, s in sorted(specs.items())}
    if models and "mim2" in out:
        out["mim2"] = out["mim2"].replace(SPEC_SDM, f"{SPEC_SDM} ({_models_summary(models)})")
    return out


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))


def _models_summary(models: list[dict[str, Any]]) -> str:
    sources = sorted({str(m.get("source") or "") for m in models} - {""})
    commits = sorted({str(m.get("commit") or "")[:12] for m in models} - {""})
    versions = sorted({str(m.get("schemaVersion") or "") for m in models} - {""}, key=_version_key)
    text = f"{len(models)} model schema(s)"
    if sources:
        text += " from " + ", ".join(sources[:3]) + (" ..." if len(sources) > 3 else "")
    if commits:
        text += "; commit " + ", ".join(commits[:3]) + (" ..." if len(commits) > 3 else "")
    if versions:
        text += "; $schemaVersion " + (
            versions[0] if len(versions) == 1 else f"{versions[0]} to {versions[-1]}"
        )
    return text


def _root_causes(results: list[CaseResult]) -> list[RootCause]:
    """INCONCLUSIVE cases grouped under the precondition that broke them, largest group first."""
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        if r.verdict == Verdict.INCONCLUSIVE:
            groups[root_cause_key(r.blocked_by or r.reason or "unknown")].append(r)
    causes = [
        RootCause(
            cause=cause,
            cases=sorted(c.case_id for c in cases),
            requirements=sorted({c.requirement.id for c in cases}),
        )
        for cause, cases in groups.items()
    ]
    return sorted(causes, key=lambda c: (-len(c.cases), c.cause))


def _allure_extras(out_dir: Path, profile: TargetProfile, run_id: str, results: list[CaseResult]) -> None:
    from conformance.allure_results import finish_results, write_extras

    results_dir = out_dir / "allure-results"
    write_extras(
        results_dir, profile=profile, run_id=run_id, suite=f"{SUITE_NAME} {__version__}", results=results
    )
    finish_results(results_dir, out_dir, results)


def write_run_outputs(
    *,
    out_dir: Path,
    profile: TargetProfile,
    results: list[CaseResult],
    started: float,
    finished: float,
    run_id: str,
    redactor: Redactor,
    plan: dict[str, dict[str, Any]] | None = None,
    deselected: dict[str, str] | None = None,
    narrowed_by: list[str] | None = None,
    interrupted: bool = False,
    models: list[dict[str, Any]] | None = None,
) -> Certificate:
    out_dir.mkdir(parents=True, exist_ok=True)
    _allure_extras(out_dir, profile, run_id, results)
    redactor.scrub_tree(out_dir)  # before the digest, so that the digest covers what is kept
    cert = build_certificate(
        profile=profile,
        results=results,
        started=started,
        finished=finished,
        run_id=run_id,
        evidence_digest=evidence.digest(out_dir),
        plan=plan,
        deselected=deselected,
        narrowed_by=narrowed_by,
        interrupted=interrupted,
        models=models,
    )
    (out_dir / "certificate.json").write_text(json.dumps(cert.to_json(), indent=2), encoding="utf-8")
    (out_dir / "certificate.html").write_text(render_html(cert), encoding="utf-8")
    return cert


def rewrite_certificate(out_dir: Path, cert: Certificate) -> None:
    """Write an amended certificate (JSON and HTML) back into its run folder."""
    (out_dir / "certificate.json").write_text(json.dumps(cert.to_json(), indent=2), encoding="utf-8")
    (out_dir / "certificate.html").write_text(render_html(cert), encoding="utf-8")


def read_certificate(out_dir: Path) -> Certificate:
    return Certificate.from_json(json.loads((out_dir / "certificate.json").read_text(encoding="utf-8")))
