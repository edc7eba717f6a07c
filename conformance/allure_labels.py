"""Allure labels of a scenario, derived from its requirement declaration, and readable parameters.

Suites follow the domain (parentSuite = MIM, suite = area, subSuite = requirement id), not the Python
package. The case id and readable parameter values travel in one hidden label that
``conformance.allure_results`` reads (and removes) when the run ends: it renames the case, rewrites its
parameters and sets its status from the verdict."""

from __future__ import annotations

import dataclasses
import enum
import json
from functools import lru_cache
from typing import Any

import pytest

from conformance.requirements import SPEC_NGSILD, Requirement, case_id_of

CASE_LABEL = "mimcheck-case"  # hidden label: {"case": case id, "params": {name: readable value}}
SEVERITY = {"MUST": "critical", "SHOULD": "normal", "MAY": "minor"}
MAX_PARAM_CHARS = 300


@lru_cache(maxsize=1)
def _clause_titles() -> dict[str, str]:
    try:
        from conformance.coverage import load_clauses

        return {c.number: c.title for c in load_clauses()}
    except Exception:  # noqa: BLE001 - a link name must never stop a run
        return {}


def link_name(req: Requirement) -> str:
    """The name of a case's link to its spec: the clause and, for CIM 009, the clause's subject."""
    name = f"{req.spec} clause {req.clause}"
    if req.spec == SPEC_NGSILD:
        first = req.clause.replace(";", ",").split(",")[0].strip().split(" ")[0]
        title = _clause_titles().get(first)
        if title:
            name += f": {title}"
    return name


def allure_marks(req: Requirement, item: pytest.Item | None = None) -> list[pytest.MarkDecorator]:
    """Allure labels of a scenario: suites MIM / area / requirement, behaviours epic / feature / story,
    severity from the level, the spec link named by its clause.

    Given as markers at collection, so that cases stopped in set-up (NOT_APPLICABLE) carry them too."""
    marks = [
        pytest.mark.allure_label(req.mim.upper(), label_type="parentSuite"),
        pytest.mark.allure_label(req.area, label_type="suite"),
        pytest.mark.allure_label(f"{req.id} {req.title}", label_type="subSuite"),
        pytest.mark.allure_label(req.mim.upper(), label_type="epic"),
        pytest.mark.allure_label(req.area, label_type="feature"),
        pytest.mark.allure_label(f"{req.id} {req.title}", label_type="story"),
        pytest.mark.allure_label(SEVERITY[req.level], label_type="severity"),
        pytest.mark.allure_label(req.id, label_type="requirement"),
        pytest.mark.allure_label(req.level, label_type="tag"),
    ]
    if req.capability:
        marks.append(pytest.mark.allure_label(req.capability, label_type="tag"))
    if req.spec_link:
        marks.append(pytest.mark.allure_link(req.spec_link, link_type="link", name=link_name(req)))
    if item is not None:
        hidden = {"case": case_id_of(item) or req.id, "params": readable_params(item)}
        marks.append(pytest.mark.allure_label(json.dumps(hidden), label_type=CASE_LABEL))
    return marks


def readable_params(item: pytest.Item) -> dict[str, str]:
    """A case's parameters as short readable values (Allure would show object dumps)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return {}
    return {name: readable(value, callspec.id) for name, value in callspec.params.items()}


def readable(value: Any, param_id: str = "") -> str:
    """One parameter value as a reader would name it."""
    text = _readable(value, param_id)
    return text if len(text) <= MAX_PARAM_CHARS else text[: MAX_PARAM_CHARS - 3] + "..."


def _readable(value: Any, param_id: str) -> str:
    if value is None or isinstance(value, str | int | float | bool):
        return str(value)
    if isinstance(value, enum.Enum):
        return str(value.name)
    if callable(value) and not dataclasses.is_dataclass(value):
        name = getattr(value, "__name__", "")
        if name and name != "<lambda>":
            return f"{name}()"
        return f"a function (case [{param_id}])" if param_id else "a function"
    name = next(
        (getattr(value, a) for a in ("name", "id", "title") if isinstance(getattr(value, a, None), str)), None
    )
    if name is not None:
        capability = getattr(getattr(value, "api", None), "capability", None)
        return f"{capability} {name}" if isinstance(capability, str) else name
    try:
        return json.dumps(_plain(value), ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        return repr(value)


def _plain(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return _readable(value, "")
