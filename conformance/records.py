"""Typed records of a run, each owning its JSON form in both directions.

Requirement (declared at a scenario) -> CaseResult (one test case) -> RequirementResult -> MimResult
-> Certificate. The same ``to_json``/``from_json`` pair serves the xdist transport (a case result
travels from a worker to the controller as JSON), the certificate file, the catalogue and the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from conformance.requirements import Requirement
from conformance.verdicts import RunVerdict, Verdict

_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]=+@]")


def case_id(requirement_id: str, param_id: str | None) -> str:
    """The stable identity of a test case: the requirement id plus the parameter id, independent of
    module and function names, e.g. ``MIM1-ENT-001[property-number-json]``."""
    return f"{requirement_id}[{param_id}]" if param_id else requirement_id


def evidence_name(case: str) -> str:
    """The evidence file name of a case: its id, made safe for every file system."""
    safe = _UNSAFE.sub("_", case)
    if len(safe) > 150:
        import hashlib

        safe = safe[:130] + "-" + hashlib.sha1(case.encode("utf-8")).hexdigest()[:12]
    return safe + ".json"


@dataclass
class CaseResult:
    """What the run learned about one test case."""

    case_id: str
    requirement: Requirement
    verdict: Verdict
    reason: str = ""
    blocked_by: str | None = None  # the root cause of an INCONCLUSIVE case
    nodeid: str = ""
    evidence: str | None = None  # path relative to the run folder
    exchanges: int = 0
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "requirement": self.requirement.to_json(),
            "verdict": str(self.verdict),
            "reason": self.reason,
            "blocked_by": self.blocked_by,
            "nodeid": self.nodeid,
            "evidence": self.evidence,
            "exchanges": self.exchanges,
            "duration_s": self.duration_s,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseResult:
        return cls(
            case_id=data["case_id"],
            requirement=Requirement.from_json(data["requirement"]),
            verdict=Verdict(data["verdict"]),
            reason=data.get("reason", ""),
            blocked_by=data.get("blocked_by"),
            nodeid=data.get("nodeid", ""),
            evidence=data.get("evidence"),
            exchanges=int(data.get("exchanges", 0)),
            duration_s=float(data.get("duration_s", 0.0)),
            notes=list(data.get("notes", [])),
        )


@dataclass
class RequirementResult:
    requirement: Requirement
    verdict: Verdict
    cases: list[str]
    evidence: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    blocked_by: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # planned cases that produced no result
    warning: bool = False  # a FAIL at a level that does not block (SHOULD)

    @property
    def id(self) -> str:
        return self.requirement.id

    def to_json(self) -> dict[str, Any]:
        req = self.requirement
        data: dict[str, Any] = {
            "id": req.id,
            "verdict": str(self.verdict),
            "mim": req.mim,
            "area": req.area,
            "spec": req.spec,
            "clause": req.clause,
            "level": req.level,
            "capability": req.capability,
            "title": req.title,
            "cases": list(self.cases),
            "evidence": list(self.evidence),
        }
        if self.reasons:
            data["reasons"] = list(self.reasons)
        if self.blocked_by:
            data["blocked_by"] = list(self.blocked_by)
        if self.not_run:
            data["not_run"] = list(self.not_run)
        if self.warning:
            data["warning"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequirementResult:
        return cls(
            requirement=Requirement.from_json(data),
            verdict=Verdict(data["verdict"]),
            cases=list(data.get("cases", [])),
            evidence=list(data.get("evidence", [])),
            reasons=list(data.get("reasons", [])),
            blocked_by=list(data.get("blocked_by", [])),
            not_run=list(data.get("not_run", [])),
            warning=bool(data.get("warning", False)),
        )


@dataclass
class MimResult:
    verdict: Verdict
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    inconclusive: int = 0
    warnings: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "requirements": {
                "pass": self.passed,
                "fail": self.failed,
                "not_applicable": self.not_applicable,
                "inconclusive": self.inconclusive,
                "warnings": self.warnings,
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MimResult:
        counts = data.get("requirements", {})
        return cls(
            verdict=Verdict(data["verdict"]),
            passed=int(counts.get("pass", 0)),
            failed=int(counts.get("fail", 0)),
            not_applicable=int(counts.get("not_applicable", 0)),
            inconclusive=int(counts.get("inconclusive", 0)),
            warnings=int(counts.get("warnings", 0)),
        )


@dataclass
class RootCause:
    """One broken precondition and the cases it blocked."""

    cause: str
    cases: list[str]
    requirements: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"cause": self.cause, "cases": list(self.cases), "requirements": list(self.requirements)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RootCause:
        return cls(cause=data["cause"], cases=list(data["cases"]), requirements=list(data["requirements"]))


def _figure(value: Any) -> float | None:
    """A load figure as a number; None for anything that is not one (booleans included)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass
class LoadStatement:
    """What `mimcheck capacity --into` adds to a certificate: the highest throughput a step held
    within the thresholds, with its percentiles. ``throughput_rps`` and ``p95_ms`` are what tender
    clauses compare; the other members say how it was measured. A figure that is not a number reads
    as None (a tender then finds it "not evidenced"), so a malformed member never rejects a whole
    certificate."""

    throughput_rps: float | None
    p95_ms: float | None
    p50_ms: float | None = None
    p99_ms: float | None = None
    failure_ratio: float | None = None
    users: int | None = None
    profile: str = ""
    thresholds: dict[str, float] = field(default_factory=dict)
    method: str = ""
    measured: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "throughput_rps": self.throughput_rps,
            "p95_ms": self.p95_ms,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "failure_ratio": self.failure_ratio,
            "users": self.users,
            "profile": self.profile,
            "thresholds": dict(self.thresholds),
            "method": self.method,
            "measured": self.measured,
        }

    @classmethod
    def from_json(cls, data: Any) -> LoadStatement | None:
        if not isinstance(data, dict):
            return None
        users = data.get("users")
        limits = data.get("thresholds")
        return cls(
            throughput_rps=_figure(data.get("throughput_rps")),
            p95_ms=_figure(data.get("p95_ms")),
            p50_ms=_figure(data.get("p50_ms")),
            p99_ms=_figure(data.get("p99_ms")),
            failure_ratio=_figure(data.get("failure_ratio")),
            users=users if isinstance(users, int) and not isinstance(users, bool) else None,
            profile=str(data.get("profile") or ""),
            thresholds={
                str(k): float(v)
                for k, v in (limits.items() if isinstance(limits, dict) else ())
                if _figure(v) is not None
            },
            method=str(data.get("method") or ""),
            measured=str(data.get("measured") or ""),
        )


@dataclass
class Certificate:
    suite: dict[str, str]
    run_id: str
    target: dict[str, Any]
    declared_capabilities: list[str]
    spec_versions: dict[str, str]
    started: str
    finished: str
    verdict: RunVerdict
    exit_code: int
    mims: dict[str, MimResult]
    requirements: list[RequirementResult]
    cases: dict[str, int]  # case counts by verdict, plus "total" and "not_run"
    evidence_digest: str
    interrupted: bool = False
    narrowed: str | None = None  # how the run was narrowed (-k / --only), None for a whole run
    not_run: list[str] = field(default_factory=list)  # requirements none of whose cases ran
    root_causes: list[RootCause] = field(default_factory=list)
    catalogue_digest: str = ""  # sha256 over the requirement declarations the run checked
    signer: dict[str, str] | None = None  # algorithm and public key fingerprint of a signed run
    # the Smart Data Models a MIM2 run checked against: name, schemaVersion, source, commit, sha256,
    # bundled (conformance/sdm_provenance.py); empty for a run without MIM2, and in older certificates
    models: list[dict[str, Any]] = field(default_factory=list)
    # the capacity statement `mimcheck capacity --into` wrote into the run (None: not measured)
    load: LoadStatement | None = None

    @property
    def warnings(self) -> list[RequirementResult]:
        return [r for r in self.requirements if r.warning]

    @property
    def failed(self) -> list[RequirementResult]:
        """Failed requirements that block (MUST)."""
        return [r for r in self.requirements if r.verdict == Verdict.FAIL and not r.warning]

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": dict(self.suite),
            "run_id": self.run_id,
            "target": self.target,
            "declared_capabilities": list(self.declared_capabilities),
            "spec_versions": dict(self.spec_versions),
            "started": self.started,
            "finished": self.finished,
            "interrupted": self.interrupted,
            "narrowed": self.narrowed,
            "verdict": str(self.verdict),
            "exit_code": self.exit_code,
            "mims": {mim: m.to_json() for mim, m in self.mims.items()},
            "warnings": [r.id for r in self.warnings],
            "root_causes": [c.to_json() for c in self.root_causes],
            "not_run": list(self.not_run),
            "requirements": [r.to_json() for r in self.requirements],
            "cases": dict(self.cases),
            "evidence_digest": {"algorithm": "sha256", "value": self.evidence_digest},
            "catalogue_digest": {"algorithm": "sha256", "value": self.catalogue_digest},
            "signer": self.signer,
            **({"models": [dict(m) for m in self.models]} if self.models else {}),
            **({"load": self.load.to_json()} if self.load is not None else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Certificate:
        return cls(
            suite=dict(data["suite"]),
            run_id=data["run_id"],
            target=data["target"],
            declared_capabilities=list(data["declared_capabilities"]),
            spec_versions=dict(data["spec_versions"]),
            started=data["started"],
            finished=data["finished"],
            verdict=RunVerdict(data["verdict"]),
            exit_code=int(data["exit_code"]),
            mims={mim: MimResult.from_json(m) for mim, m in data["mims"].items()},
            requirements=[RequirementResult.from_json(r) for r in data["requirements"]],
            cases=dict(data["cases"]),
            evidence_digest=data["evidence_digest"]["value"],
            interrupted=bool(data.get("interrupted", False)),
            narrowed=data.get("narrowed"),
            not_run=list(data.get("not_run", [])),
            root_causes=[RootCause.from_json(c) for c in data.get("root_causes", [])],
            catalogue_digest=(data.get("catalogue_digest") or {}).get("value", ""),
            signer=data.get("signer"),
            models=[dict(m) for m in data.get("models") or [] if isinstance(m, dict)],
            load=LoadStatement.from_json(data.get("load")),
        )
