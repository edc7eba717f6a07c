"""One test case's outcome: what the plugin learns across its setup, call and teardown, and how an
exception raised there becomes the case's verdict. FAIL comes only from ``CheckFailed`` (an explicit
check); every other exception is INCONCLUSIVE and names its root cause."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.auth import AuthError
from conformance.callback_server import CallbackServerError
from conformance.outcomes import CheckFailed, Inconclusive, NotApplicable
from conformance.redaction import Redactor
from conformance.requirements import Requirement
from conformance.verdicts import Verdict


@dataclass
class CaseState:
    """What the run learns about one test case across its setup, call and teardown."""

    case_id: str
    nodeid: str
    requirement: Requirement
    verdict: Verdict | None = None
    reason: str = ""
    blocked_by: str | None = None
    failure: dict[str, Any] | None = None
    trace: str | None = None
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duration: float = 0.0


class CaseEvidence:
    """What a scenario adds to its case's evidence: notes and named attachments (the public way for
    scenarios and their fixtures to record more than the HTTP exchanges; the ``case_evidence``
    fixture hands one to each case)."""

    def __init__(self, case: Callable[[], CaseState | None], redactor: Redactor) -> None:
        self._case = case
        self._redactor = redactor

    def note(self, text: str) -> None:
        case = self._case()
        if case is not None:
            case.notes.append(text)

    def attach(self, name: str, text: str) -> None:
        """A note in the evidence file and an attachment in the Allure report."""
        self.note(f"{name}:\n{text}")
        try:
            import allure

            allure.attach(self._redactor.text(text), name=name, attachment_type=allure.attachment_type.TEXT)
        except Exception:  # noqa: BLE001 - evidence must never break a verdict
            pass


def exc_text(excinfo: pytest.ExceptionInfo[BaseException] | None) -> str:
    if excinfo is None:
        return ""
    return f"{excinfo.typename}: {excinfo.value}"[:2000]


def judge(case: CaseState, excinfo: pytest.ExceptionInfo[BaseException] | None, when: str) -> None:
    """The outcome of a case whose setup or call did not pass."""
    exc = excinfo.value if excinfo is not None else None
    if isinstance(exc, NotApplicable):
        case.verdict, case.reason = Verdict.NOT_APPLICABLE, exc.reason
    elif isinstance(exc, Inconclusive):
        case.verdict, case.reason, case.blocked_by = Verdict.INCONCLUSIVE, exc.reason, exc.blocked_by
    elif isinstance(exc, CheckFailed) and when == "call":
        exc.requirement = case.requirement.id
        case.verdict, case.reason, case.failure = Verdict.FAIL, str(exc)[:2000], exc.details()
    elif isinstance(exc, AuthError):
        case.verdict, case.reason = Verdict.INCONCLUSIVE, f"authentication: {exc}"
        case.blocked_by = f"authentication: {exc}"
    elif isinstance(exc, CallbackServerError):
        case.verdict, case.reason = Verdict.INCONCLUSIVE, str(exc)
        case.blocked_by = str(exc)
    elif isinstance(exc, pytest.skip.Exception):
        case.verdict = Verdict.INCONCLUSIVE
        case.reason = f"skipped without a verdict: {exc}"
    else:
        # Anything else is the suite's own error (a scenario helper's KeyError, a missing fixture
        # file): never blamed on the product.
        case.verdict = Verdict.INCONCLUSIVE
        case.reason = f"suite error ({when}): {exc_text(excinfo)}"
        case.blocked_by = f"suite error: {excinfo.typename if excinfo else 'unknown'}"
        if excinfo is not None:
            case.trace = "".join(traceback.format_exception(excinfo.value))[-8000:]
