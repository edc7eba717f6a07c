"""What the entity scenario modules share: an entity sent as plain JSON or as JSON-LD with the
core @context in its body."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.ngsild.api import JSON, JSONLD, NgsiLdOps, with_context

BOTH_FORMS = [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")]


def send_form(entity: dict[str, Any], content_type: str) -> dict[str, Any]:
    """The entity as sent in that content type (JSON-LD: with the core @context in the body)."""
    return with_context(entity, None) if content_type == JSONLD else entity


def bad_create(ngsild: NgsiLdOps, entity: dict[str, Any], content_type: str) -> None:
    """Create Entity must refuse the entity: 400 BadRequestData."""
    resp = ngsild.create(send_form(entity, content_type), content_type=content_type)
    checks.ngsild_problem(resp, 400, "BadRequestData")
