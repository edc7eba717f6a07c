"""Which Smart Data Models a run checked against, for the certificate: per model whose MIM2 cases
ran (NOT_APPLICABLE cases aside), its name, ``$schemaVersion``, source repository, commit and the
sha256 of the schema file, read from the model registry (conformance/sdm_registry.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from conformance.records import CaseResult
from conformance.sdm_registry import ModelError, Models, load
from conformance.verdicts import Verdict

_PARAMS = re.compile(r"\[(.*)\]$")


def model_names(results: Iterable[CaseResult], known: Iterable[str]) -> list[str]:
    """The models named by the parameters of the MIM2 cases that ran (case ids ``MIM2-...[<Model>-...]``)."""
    names = set(known)
    used: set[str] = set()
    for result in results:
        if result.requirement.mim != "mim2" or result.verdict == Verdict.NOT_APPLICABLE:
            continue
        match = _PARAMS.search(result.case_id)
        if match:
            used.update(token for token in match.group(1).split("-") if token in names)
    return sorted(used)


def provenance(models: Models, names: Iterable[str]) -> list[dict[str, Any]]:
    """One row a model; ``formatChecks`` says how its "format" keywords were judged."""
    rows = []
    for name in names:
        entry = models[name]
        rows.append(
            {
                "name": entry.name,
                "schemaVersion": entry.schema_version,
                "source": entry.source,
                "commit": entry.commit,
                "sha256": entry.sha256,
                "bundled": entry.bundled,
                "formatChecks": models.format_checks,
            }
        )
    return rows


def models_of_run(
    results: Sequence[CaseResult], models_paths: Sequence[str | Path] = (), format_checks: str = "strict"
) -> list[dict[str, Any]]:
    """The provenance rows of the models a run's MIM2 cases used; none when MIM2 did not run (or the
    registry cannot be read: the MIM2 cases then reported that themselves)."""
    if not any(r.requirement.mim == "mim2" for r in results):
        return []
    try:
        models = load(models_paths, format_checks)
        return provenance(models, model_names(results, models.names()))
    except ModelError:
        return []
