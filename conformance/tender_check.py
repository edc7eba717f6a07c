"""Each tender clause against one admitted bid: met, not met or not evidenced, and why.

Everything is read from the bid's certificate: MIM verdicts, declared capabilities and the
requirement verdicts behind them, the suite version, when the run finished, and load figures when
the certificate carries them (``load``: ``throughput_rps`` and ``p95_ms``; a certificate without
them leaves a load clause "not evidenced"). A narrowed run certifies nothing: its MIM and capability
clauses are "not evidenced" unless the tender accepts partial runs (rehearsals).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from conformance.admission import Admitted
from conformance.records import Certificate, LoadStatement
from conformance.tender import MET, NOT_EVIDENCED, NOT_MET, Clause, Tender
from conformance.verdicts import BLOCKING_LEVELS, Verdict, blocks


@dataclass
class ClauseResult:
    clause: Clause
    answer: str  # met / not met / not evidenced
    why: str
    requirements: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "clause": self.clause.label,
            "kind": self.clause.kind,
            "subject": self.clause.subject,
            "mandatory": self.clause.mandatory,
            "answer": self.answer,
            "why": self.why,
            "requirements": list(self.requirements),
        }


@dataclass
class BidOutcome:
    bid: str
    package: str
    admitted: Admitted
    clauses: list[ClauseResult] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.admitted.ok and all(c.answer == MET for c in self.clauses if c.clause.mandatory)

    @property
    def status(self) -> str:
        return "ACCEPTED" if self.accepted else "REJECTED"

    def to_json(self) -> dict[str, Any]:
        cert = self.admitted.cert
        return {
            "bid": self.bid,
            "package": self.package,
            "status": self.status,
            "verified": cert is not None,
            "signed": self.admitted.signed,
            "fingerprint": self.admitted.fingerprint,
            "product": self.admitted.product or None,
            "certificate": (
                {
                    "run_id": cert.run_id,
                    "verdict": str(cert.verdict),
                    "finished": cert.finished,
                    "suite_version": cert.suite.get("version"),
                    "narrowed": cert.narrowed,
                }
                if cert
                else None
            ),
            "reasons": list(self.reasons),
            "clauses": [c.to_json() for c in self.clauses],
        }


def _complete(cert: Certificate, tender: Tender) -> str | None:
    """Why the certificate cannot evidence conformance at all, or None."""
    if cert.interrupted:
        return "the run was interrupted"
    if cert.narrowed and not tender.accept_partial_runs:
        return f"the run was narrowed ({cert.narrowed}): a partial run certifies nothing"
    return None


def _mim(clause: Clause, cert: Certificate, tender: Tender) -> ClauseResult:
    mim = clause.subject
    mine = [r for r in cert.requirements if r.requirement.mim == mim]
    result = cert.mims.get(mim)
    if result is None or not mine:
        return ClauseResult(clause, NOT_EVIDENCED, f"the certificate does not cover {mim.upper()}")
    failed = [r.id for r in mine if r.verdict == Verdict.FAIL and r.requirement.level in BLOCKING_LEVELS]
    if failed:
        return ClauseResult(
            clause, NOT_MET, f"{len(failed)} MUST requirement(s) of {mim.upper()} failed", failed
        )
    open_ = [r.id for r in mine if blocks(r.requirement.level, r.verdict)]
    if open_:
        return ClauseResult(clause, NOT_EVIDENCED, f"{len(open_)} requirement(s) could not be checked", open_)
    incomplete = _complete(cert, tender)
    passed = [r.id for r in mine if r.verdict == Verdict.PASS]
    if incomplete:
        return ClauseResult(clause, NOT_EVIDENCED, incomplete, passed)
    if result.verdict != Verdict.PASS:
        return ClauseResult(clause, NOT_EVIDENCED, f"{mim.upper()} verdict {result.verdict}", passed)
    warned = [r.id for r in mine if r.warning]
    note = f" ({len(warned)} SHOULD warning(s): {', '.join(warned)})" if warned else ""
    return ClauseResult(clause, MET, f"{mim.upper()} PASS: {len(passed)} requirement(s) passed{note}", passed)


def _capability(clause: Clause, cert: Certificate, tender: Tender) -> ClauseResult:
    cap = clause.subject
    mine = [r for r in cert.requirements if r.requirement.capability == cap]
    ids = [r.id for r in mine]
    if cap not in cert.declared_capabilities:
        return ClauseResult(clause, NOT_MET, f"the product does not declare {cap}", ids)
    if not mine:
        return ClauseResult(clause, NOT_EVIDENCED, f"declared, but no requirement of {cap} was run", [])
    failed = [r.id for r in mine if r.verdict == Verdict.FAIL and r.requirement.level in BLOCKING_LEVELS]
    if failed:
        return ClauseResult(
            clause, NOT_MET, f"declared, but {len(failed)} MUST requirement(s) of it failed", failed
        )
    open_ = [r.id for r in mine if blocks(r.requirement.level, r.verdict)]
    if open_:
        return ClauseResult(
            clause, NOT_EVIDENCED, f"{len(open_)} requirement(s) of it could not be checked", open_
        )
    passed = [r.id for r in mine if r.verdict == Verdict.PASS]
    if not passed:
        return ClauseResult(clause, NOT_EVIDENCED, "declared, but none of its requirements passed", ids)
    incomplete = _complete(cert, tender)
    if incomplete:
        return ClauseResult(clause, NOT_EVIDENCED, incomplete, passed)
    return ClauseResult(clause, MET, f"declared; {len(passed)} requirement(s) of it passed", passed)


def _version_tuple(v: str) -> tuple[int, ...]:
    parts = []
    for p in v.split("."):
        digits = "".join(ch for ch in p if ch.isdigit()) or "0"
        parts.append(int(digits))
    return tuple(parts + [0] * (4 - len(parts)))


def _suite_version(clause: Clause, cert: Certificate) -> ClauseResult:
    have = str(cert.suite.get("version", ""))
    if not have:
        return ClauseResult(clause, NOT_EVIDENCED, "the certificate names no suite version")
    ok = _version_tuple(have) >= _version_tuple(clause.subject)
    return ClauseResult(clause, MET if ok else NOT_MET, f"certified with suite version {have}")


def _age(clause: Clause, cert: Certificate, tender: Tender) -> ClauseResult:
    try:
        finished = dt.datetime.fromisoformat(cert.finished.replace("Z", "+00:00")).date()
    except ValueError:
        return ClauseResult(
            clause, NOT_EVIDENCED, f"the certificate's finish time {cert.finished!r} is unreadable"
        )
    age = (tender.as_of - finished).days
    if age < 0:
        return ClauseResult(clause, NOT_EVIDENCED, f"the run finished on {finished}, after {tender.as_of}")
    ok = age <= int(clause.subject)
    return ClauseResult(
        clause, MET if ok else NOT_MET, f"the run finished on {finished}: {age} day(s) before {tender.as_of}"
    )


def _load(clause: Clause, load: LoadStatement | None) -> ClauseResult:
    if load is None:
        return ClauseResult(clause, NOT_EVIDENCED, "the certificate carries no load figures")
    problems, seen = [], []
    for key, better in (("throughput_rps", "higher"), ("p95_ms", "lower")):
        if key not in clause.figures:
            continue
        value = load.throughput_rps if key == "throughput_rps" else load.p95_ms
        if value is None:
            return ClauseResult(clause, NOT_EVIDENCED, f"the certificate's load figures have no {key}")
        seen.append(f"{key} {value:g}")
        wanted = clause.figures[key]
        if (better == "higher" and value < wanted) or (better == "lower" and value > wanted):
            problems.append(f"{key} {value:g} (required {'>=' if better == 'higher' else '<='} {wanted:g})")
    if problems:
        return ClauseResult(clause, NOT_MET, "; ".join(problems))
    return ClauseResult(clause, MET, "certified " + ", ".join(seen))


def evaluate_bid(tender: Tender, bid: str, admitted: Admitted) -> BidOutcome:
    outcome = BidOutcome(bid, admitted.source, admitted)
    if not admitted.ok or admitted.cert is None:
        outcome.reasons.append(f"rejected: {admitted.reason}")
        return outcome
    cert = admitted.cert
    for clause in tender.clauses:
        if clause.kind == "mim":
            result = _mim(clause, cert, tender)
        elif clause.kind == "capability":
            result = _capability(clause, cert, tender)
        elif clause.kind == "suite-version":
            result = _suite_version(clause, cert)
        elif clause.kind == "certificate-age":
            result = _age(clause, cert, tender)
        else:
            result = _load(clause, cert.load)
        outcome.clauses.append(result)
        if clause.mandatory and result.answer != MET:
            ids = f" [{', '.join(result.requirements[:8])}{' ...' if len(result.requirements) > 8 else ''}]"
            outcome.reasons.append(
                f"mandatory clause {clause.label}: {result.answer}: {result.why}"
                + (ids if result.requirements else "")
            )
    return outcome
