"""What a scenario can raise, and what each means for the verdict.

- ``CheckFailed``: an explicit check found the target deviating: the only source of FAIL.
- ``Inconclusive``: the requirement could not be checked (target unreachable, deadline, a broken
  precondition); it names its root cause (``blocked_by``).
- ``NotApplicable``: the product does not declare the capability.
Any other exception escaping a scenario is a suite error: INCONCLUSIVE, never a FAIL of the product.

Inconclusive and NotApplicable derive from pytest's skip exception so that pytest, JUnit and Allure
never count them as a failure of the product; the verdict policy tells them apart by type.
"""

from __future__ import annotations

from typing import Any

from _pytest.outcomes import Skipped


class CheckFailed(AssertionError):
    """The target deviates from the requirement under test.

    Carries what was expected, what was seen and the exchange (method and URL) it was seen in, when
    the check knows them; the requirement is added by the plugin, which knows the case."""

    def __init__(
        self,
        message: str,
        *,
        expected: Any = None,
        seen: Any = None,
        exchange: str | None = None,
        requirement: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.seen = seen
        self.exchange = exchange
        self.requirement = requirement

    def details(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message}
        for key in ("requirement", "expected", "seen", "exchange"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value if isinstance(value, str | int | float | bool) else repr(value)[:500]
        return data


class Inconclusive(Skipped):
    """The requirement could not be checked: target unreachable, deadline hit, precondition broken.

    ``blocked_by`` is the root cause: cases blocked by the same cause are grouped under it."""

    def __init__(self, reason: str, *, blocked_by: str | None = None) -> None:
        super().__init__(msg=f"INCONCLUSIVE: {reason}", pytrace=False)
        self.reason = reason
        self.blocked_by = blocked_by or reason


class NotApplicable(Skipped):
    """The product does not declare the capability that the requirement belongs to."""

    def __init__(self, reason: str) -> None:
        super().__init__(msg=f"NOT_APPLICABLE: {reason}", pytrace=False)
        self.reason = reason


def precondition(ok: bool, reason: str) -> None:
    """Stop a scenario as INCONCLUSIVE when something it builds on (not what it checks) is broken;
    ``reason`` names the broken precondition (e.g. "create entity answered 422")."""
    if not ok:
        raise Inconclusive(f"precondition broken: {reason}", blocked_by=reason)
