"""The verdict policy, rule by rule: cases -> requirement -> MIM -> run -> exit code."""

from __future__ import annotations

import pytest

from conformance.verdicts import (
    RunVerdict,
    Verdict,
    combine,
    exit_code,
    is_warning,
    mim_verdict,
    requirement_verdict,
    run_verdict,
)

P, F, N, INC = Verdict.PASS, Verdict.FAIL, Verdict.NOT_APPLICABLE, Verdict.INCONCLUSIVE


@pytest.mark.parametrize(
    ("cases", "expected"),
    [
        ([P, P], P),
        ([P, F], F),
        ([F, INC], F),
        ([P, INC], INC),
        ([N, N], N),
        ([P, N], P),
        ([N, INC], INC),
        ([], INC),
    ],
)
def test_cases_make_a_requirement_verdict(cases: list[Verdict], expected: Verdict) -> None:
    assert combine(cases) == expected
    assert requirement_verdict(cases) == expected


def test_a_requirement_whose_cases_did_not_all_run_never_passes() -> None:
    assert requirement_verdict([P, P], cases_not_run=1) == INC
    assert requirement_verdict([N], cases_not_run=1) == INC
    assert requirement_verdict([P, F], cases_not_run=3) == F


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        ([("MUST", P), ("MUST", P)], P),
        ([("MUST", P), ("MUST", F)], F),
        ([("MUST", P), ("SHOULD", F)], P),  # a failed SHOULD is a warning
        ([("MUST", P), ("MAY", F)], P),  # MAY is informative
        ([("MUST", P), ("MAY", INC)], P),
        ([("MUST", P), ("SHOULD", INC)], INC),
        ([("MUST", INC), ("SHOULD", F)], INC),
        ([("MUST", F), ("MUST", INC)], F),
        ([("MUST", N), ("SHOULD", N)], N),
        ([], N),
    ],
)
def test_levels_count_in_the_mim_verdict(requirements: list[tuple[str, Verdict]], expected: Verdict) -> None:
    assert mim_verdict(requirements) == expected


def test_only_a_failed_should_is_a_warning() -> None:
    assert is_warning("SHOULD", F)
    assert not is_warning("MUST", F) and not is_warning("SHOULD", P) and not is_warning("MAY", F)


@pytest.mark.parametrize(
    ("mims", "kw", "expected", "code"),
    [
        ([P, P], {}, RunVerdict.CONFORMANT, 0),
        ([P, N], {}, RunVerdict.CONFORMANT, 0),
        ([P, F], {}, RunVerdict.NOT_CONFORMANT, 1),
        ([F], {"narrowed": True}, RunVerdict.NOT_CONFORMANT, 1),
        ([P], {"narrowed": True}, RunVerdict.PARTIAL, 3),
        ([P, INC], {}, RunVerdict.INCOMPLETE, 3),
        ([P], {"interrupted": True}, RunVerdict.INCOMPLETE, 3),
        ([N, N], {}, RunVerdict.NOTHING_CERTIFIED, 3),
        ([], {}, RunVerdict.NOTHING_CERTIFIED, 3),
    ],
)
def test_run_verdict_and_exit_code(mims: list[Verdict], kw: dict, expected: RunVerdict, code: int) -> None:
    verdict = run_verdict(mims, **kw)
    assert verdict == expected
    assert exit_code(verdict) == code
    assert verdict != RunVerdict.CONFORMANT or not kw, "a narrowed or interrupted run is never CONFORMANT"
