"""Verdicts per test case, per requirement and per MIM."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    INCONCLUSIVE = "INCONCLUSIVE"


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """Combine case verdicts into one requirement (or MIM) verdict.

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


def exit_code(verdicts: Iterable[Verdict]) -> int:
    """Exit code of a run: 0 conformant, 1 a requirement failed, 3 something was inconclusive."""
    seen = set(verdicts)
    if Verdict.FAIL in seen:
        return 1
    if Verdict.INCONCLUSIVE in seen:
        return 3
    return 0
