"""Corrections drf-spectacular cannot infer, applied to the generated OpenAPI document."""

from __future__ import annotations

from typing import Any

PAGE_NOT_FOUND = {
    "description": "La página pedida no existe (page=0, negativa o después de la última).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def document_page_not_found(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Every paginated list answers 404 for a page that does not exist (DRF's
    PageNumberPagination), which no view declares: add it wherever `page` is a parameter.
    A POSTPROCESSING_HOOKS entry."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            parameters = operation.get("parameters", []) if isinstance(operation, dict) else []
            if any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
                operation["responses"].setdefault("404", PAGE_NOT_FOUND)
    return result
