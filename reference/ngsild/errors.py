"""NGSI-LD error types (ETSI GS CIM 009 clause 5.5.2) rendered as RFC 7807 ProblemDetails."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

ERROR_BASE = "https://uri.etsi.org/ngsi-ld/errors/"

# Error name -> (default HTTP status, title)
ERROR_TYPES: dict[str, tuple[int, str]] = {
    "InvalidRequest": (400, "Invalid request"),
    "BadRequestData": (400, "Bad request data"),
    "AlreadyExists": (409, "Already exists"),
    "Conflict": (409, "Conflict"),
    "OperationNotSupported": (422, "Operation not supported"),
    "ResourceNotFound": (404, "Resource not found"),
    "InternalError": (500, "Internal error"),
    "TooComplexQuery": (403, "Too complex query"),
    "TooManyResults": (403, "Too many results"),
    "LdContextNotAvailable": (504, "LD context not available"),
    "NoMultiTenantSupport": (501, "No multi-tenant support"),
    "NonexistentTenant": (404, "Nonexistent tenant"),
}


class NgsiLdError(Exception):
    """An error that is answered with a ProblemDetails body."""

    def __init__(self, name: str, detail: str, status: int | None = None, title: str | None = None) -> None:
        super().__init__(detail)
        default_status, default_title = ERROR_TYPES[name]
        self.name = name
        self.detail = detail
        self.status = status if status is not None else default_status
        self.title = title if title is not None else default_title

    def problem(self) -> dict[str, Any]:
        return {
            "type": ERROR_BASE + self.name,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }


def bad_request(detail: str) -> NgsiLdError:
    return NgsiLdError("BadRequestData", detail)


def invalid_request(detail: str) -> NgsiLdError:
    return NgsiLdError("InvalidRequest", detail)


def not_found(detail: str) -> NgsiLdError:
    return NgsiLdError("ResourceNotFound", detail)


def problem_response(error: NgsiLdError, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(error.problem()),
        status_code=error.status,
        media_type="application/json",
        headers=headers,
    )
