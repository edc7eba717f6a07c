"""Shared helpers of the MIM2 scenarios: a model's payload, created on the target, and how the
suite names its schema."""

from __future__ import annotations

from typing import Any

from conformance import sdm
from conformance.ngsild.api import NgsiLd
from conformance.outcomes import precondition
from conformance.run_ids import RunIds
from conformance.sdm_registry import ModelError, Models

NAMES_EXCLUDED = ("id", "type", "@context")


def model_payload(models: Models, model: str, run_ids: RunIds) -> dict[str, Any]:
    entry = models[model]
    entity = sdm.fill_placeholders(entry.fixture_path.read_text(encoding="utf-8"), model, run_ids.entity_id)
    try:
        errors = models.validation_errors(model, sdm.to_key_values(entity))
    except ModelError as exc:
        precondition(False, str(exc))
    precondition(
        not errors, f"the {model} payload ({entry.fixture_path.name}) itself breaks the schema: {errors}"
    )
    return entity


def created_entity(
    ngsild: NgsiLd, models: Models, model: str, run_ids: RunIds, context: str | None = None
) -> dict[str, Any]:
    """A model's entity, created (with the model's @context in a Link header when given)."""
    entity = model_payload(models, model, run_ids)
    created = ngsild.create_entity(entity, context=context)
    precondition(
        created.status_code in (200, 201, 204),
        f"creating the {model} answered {created.status_code}: {created.text[:300]!r}",
    )
    return entity


def schema_name(models: Models, model: str) -> str:
    return f"{model} schema {models[model].schema_version}"


def attribute_names(entity: dict[str, Any]) -> list[str]:
    return sorted(name for name in entity if name not in NAMES_EXCLUDED)
