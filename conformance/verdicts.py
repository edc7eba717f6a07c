"""The verdict policy: the one place that turns outcomes into verdicts.

case outcomes -> requirement verdict -> MIM verdict -> run verdict -> exit code.

Everything that shows a verdict (certificate JSON and HTML, Allure, JUnit, the CLI summary and its
exit code) reads what this module decided; none of them decides anything itself.

- A requirement FAILs when any of its cases failed an explicit check; it is INCONCLUSIVE when a
  case could not be checked or did not run; NOT_APPLICABLE when every case is; else PASS.
- Levels count. A failed MUST blocks its MIM and the run. A failed SHOULD keeps its FAIL but is a
  warning: it blocks nothing. MAY requirements are informative: neither their failure nor their
  inconclusiveness blocks anything.
- Run verdicts: NOT CONFORMANT (a MUST failed), PARTIAL (narrowed with -k/--only), INCOMPLETE
  (something applicable was inconclusive or not run, including after an interruption),
  NOTHING CERTIFIED (no applicable requirement), CONFORMANT (everything applicable that blocks
  passed).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    INCONCLUSIVE = "INCONCLUSIVE"


class RunVerdict(StrEnum):
    CONFORMANT = "CONFORMANT"
    NOT_CONFORMANT = "NOT CONFORMANT"
    INCOMPLETE = "INCOMPLETE"
    PARTIAL = "PARTIAL"
    NOTHING_CERTIFIED = "NOTHING CERTIFIED"


EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3

EXIT_CODES: dict[RunVerdict, int] = {
    RunVerdict.CONFORMANT: EXIT_OK,
    RunVerdict.NOT_CONFORMANT: EXIT_FAIL,
    RunVerdict.INCOMPLETE: EXIT_INCONCLUSIVE,
    RunVerdict.PARTIAL: EXIT_INCONCLUSIVE,
    RunVerdict.NOTHING_CERTIFIED: EXIT_INCONCLUSIVE,
}

BLOCKING_LEVELS = ("MUST",)  # a FAIL at these levels blocks the MIM and the run
WARNING_LEVELS = ("SHOULD",)  # a FAIL at these levels is a warning
INFORMATIVE_LEVELS = ("MAY",)  # never blocks, neither by FAIL nor by INCONCLUSIVE


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """The verdict of a requirement from the verdicts of its cases.

    Any FAIL fails the whole; otherwise any INCONCLUSIVE makes it inconclusive; a whole made only of
    NOT_APPLICABLE cases is not applicable; anything else passes. An empty whole is inconclusive:
    nothing was checked.
    """
    seen = set(verdicts)
    if Verdict.FAIL in seen:
        return Verdict.FAIL
    if Verdict.INCONCLUSIVE in seen:
        return Verdict.INCONCLUSIVE
    if not seen:
        return Verdict.INCONCLUSIVE
    if seen == {Verdict.NOT_APPLICABLE}:
        return Verdict.NOT_APPLICABLE
    return Verdict.PASS


def requirement_verdict(case_verdicts: Iterable[Verdict], cases_not_run: int = 0) -> Verdict:
    """A requirement whose cases did not all run is never PASS: INCONCLUSIVE ("not run") unless a
    case that did run FAILed."""
    verdict = combine(case_verdicts)
    if cases_not_run and verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE):
        return Verdict.INCONCLUSIVE
    return verdict


def is_warning(level: str, verdict: Verdict) -> bool:
    return verdict == Verdict.FAIL and level in WARNING_LEVELS


def blocks(level: str, verdict: Verdict) -> bool:
    """Whether this requirement verdict keeps its MIM (and the run) from passing."""
    if level in INFORMATIVE_LEVELS:
        return False
    if verdict == Verdict.FAIL:
        return level in BLOCKING_LEVELS
    return verdict == Verdict.INCONCLUSIVE


def mim_verdict(requirements: Iterable[tuple[str, Verdict]]) -> Verdict:
    """The verdict of a MIM from (level, verdict) of its requirements."""
    items = list(requirements)
    if any(v == Verdict.FAIL and level in BLOCKING_LEVELS for level, v in items):
        return Verdict.FAIL
    if any(blocks(level, v) for level, v in items):
        return Verdict.INCONCLUSIVE
    if not items or all(v == Verdict.NOT_APPLICABLE for _, v in items):
        return Verdict.NOT_APPLICABLE
    return Verdict.PASS


def run_verdict(mims: Iterable[Verdict], *, narrowed: bool = False, interrupted: bool = False) -> RunVerdict:
    """The verdict of a run from its MIM verdicts."""
    seen = list(mims)
    if Verdict.FAIL in seen:
        return RunVerdict.NOT_CONFORMANT
    if narrowed:
        return RunVerdict.PARTIAL
    if interrupted or Verdict.INCONCLUSIVE in seen:
        return RunVerdict.INCOMPLETE
    if not seen or all(v == Verdict.NOT_APPLICABLE for v in seen):
        return RunVerdict.NOTHING_CERTIFIED
    return RunVerdict.CONFORMANT


def exit_code(verdict: RunVerdict) -> int:
    return EXIT_CODES[verdict]
