"""Allure labels of a scenario, derived from its requirement declaration."""

from __future__ import annotations

import pytest

from conformance.requirements import Requirement


def allure_marks(req: Requirement) -> list[pytest.MarkDecorator]:
    """Allure labels of a scenario: epic MIM, feature area, story requirement, severity, spec link.

    Given as markers at collection, so that cases stopped in set-up (NOT_APPLICABLE) carry them too."""
    marks = [
        pytest.mark.allure_label(req.mim.upper(), label_type="epic"),
        pytest.mark.allure_label(req.area, label_type="feature"),
        pytest.mark.allure_label(f"{req.id} {req.title}", label_type="story"),
        pytest.mark.allure_label(
            {"MUST": "critical", "SHOULD": "normal", "MAY": "minor"}[req.level], label_type="severity"
        ),
        pytest.mark.allure_label(req.id, label_type="requirement"),
        pytest.mark.allure_label(req.level, label_type="tag"),
    ]
    if req.capability:
        marks.append(pytest.mark.allure_label(req.capability, label_type="tag"))
    if req.spec_link:
        marks.append(
            pytest.mark.allure_link(req.spec_link, link_type="link", name=f"{req.spec} clause {req.clause}")
        )
    return marks
