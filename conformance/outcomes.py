"""Outcomes a scenario can raise besides PASS and FAIL.

Both derive from pytest's skip exception so that pytest, JUnit and Allure never count them as a
failure of the product; the suite's own verdict logic tells them apart by type.
"""

from __future__ import annotations

from _pytest.outcomes import Skipped


class Inconclusive(Skipped):
    """The requirement could not be checked: target unreachable, deadline hit, precondition broken."""

    def __init__(self, reason: str) -> None:
        super().__init__(msg=f"INCONCLUSIVE: {reason}", pytrace=False)
        self.reason = reason


class NotApplicable(Skipped):
    """The product does not declare the capability that the requirement belongs to."""

    def __init__(self, reason: str) -> None:
        super().__init__(msg=f"NOT_APPLICABLE: {reason}", pytrace=False)
        self.reason = reason


def precondition(ok: bool, reason: str) -> None:
    """Stop a scenario as INCONCLUSIVE when something it builds on (not what it checks) is broken."""
    if not ok:
        raise Inconclusive(f"precondition broken: {reason}")
