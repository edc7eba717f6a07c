"""Hand-made certificates and sealed run folders, for the matrix and tender unit tests."""

from __future__ import annotations

import json
from pathlib import Path

from conformance import evidence
from conformance.records import Certificate, MimResult, RequirementResult
from conformance.requirements import DEFAULT_SPEC, Requirement
from conformance.signing import package, seal
from conformance.verdicts import Verdict, mim_verdict, run_verdict

# id -> (level, capability)
CATALOGUE = {
    "MIM1-ENT-001": ("MUST", None),
    "MIM1-ENT-002": ("SHOULD", None),
    "MIM1-DISC-012": ("MUST", "ngsild-source-identity"),
    "MIM3-CAT-001": ("MUST", "tmf620"),
}


def certificate(
    name: str,
    verdicts: dict[str, str],
    declared: list[str],
    *,
    narrowed: str | None = None,
    finished: str = "2027-01-10T12:00:00Z",
    suite_version: str = "0.1.0",
) -> Certificate:
    results = []
    for rid, verdict in sorted(verdicts.items()):
        level, capability = CATALOGUE[rid]
        mim = rid.split("-")[0].lower()
        req = Requirement(rid, mim, DEFAULT_SPEC[mim], "1.0", level, capability, f"title of {rid}")
        v = Verdict(verdict)
        results.append(
            RequirementResult(
                req,
                v,
                [rid],
                evidence=[f"evidence/{rid}.json"],
                warning=(v == Verdict.FAIL and level == "SHOULD"),
            )
        )
    mims = {}
    for mim in sorted({r.requirement.mim for r in results}):
        mine = [r for r in results if r.requirement.mim == mim]
        vs = [r.verdict for r in mine]
        mims[mim] = MimResult(
            mim_verdict((r.requirement.level, r.verdict) for r in mine),
            vs.count(Verdict.PASS),
            vs.count(Verdict.FAIL),
            vs.count(Verdict.NOT_APPLICABLE),
            vs.count(Verdict.INCONCLUSIVE),
        )
    overall = run_verdict((m.verdict for m in mims.values()), narrowed=bool(narrowed))
    return Certificate(
        suite={"name": "mimcheck", "version": suite_version},
        run_id="run-" + name.replace(" ", "-"),
        target={"name": name, "vendor": "v", "version": "1"},
        declared_capabilities=declared,
        spec_versions={},
        started=finished,
        finished=finished,
        verdict=overall,
        exit_code=0,
        mims=mims,
        requirements=results,
        cases={"total": len(results)},
        evidence_digest="",
        narrowed=narrowed,
    )


def sealed_run(folder: Path, cert: Certificate, extra: dict | None = None) -> Path:
    """A run folder as `mimcheck run` leaves it: evidence, certificate (with its evidence digest),
    manifest."""
    (folder / "evidence").mkdir(parents=True)
    for r in cert.requirements:
        (folder / "evidence" / f"{r.id}.json").write_text(
            json.dumps({"case_id": r.id, "verdict": str(r.verdict)}), encoding="utf-8"
        )
    cert.evidence_digest = evidence.digest(folder)
    data = cert.to_json() | (extra or {})
    (folder / "certificate.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    seal(folder, None)
    return folder


def packaged(tmp: Path, stem: str, cert: Certificate, extra: dict | None = None) -> Path:
    folder = sealed_run(tmp / f"{stem}-run", cert, extra)
    return package(folder, tmp / f"{stem}.zip")
