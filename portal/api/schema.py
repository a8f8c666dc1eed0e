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


# How a client goes from one answer to the next request (OpenAPI 3 links): the ids an
# answer carries and the operations that take them. Clients can follow them, and
# schemathesis's stateful phase chains requests by them (start → case → task → claim →
# complete), so it reaches records that random ids never hit. (source operationId,
# response codes, link name, target operationId, {target parameter: runtime expression})
LINKS: list[tuple[str, tuple[str, ...], str, str, dict[str, str]]] = [
    ("v1_processes_list", ("200",), "StartFirstProcess", "v1_processes_start_create",
     {"key": "$response.body#/0/key"}),
    ("v1_processes_start_create", ("200", "201"), "GetInstance", "v1_instances_retrieve",
     {"id": "$response.body#/id"}),
    ("v1_processes_start_create", ("200", "201"), "GetFirstCurrentTask", "v1_tasks_retrieve",
     {"id": "$response.body#/current_tasks/0/id"}),
    ("v1_instances_retrieve", ("200",), "GetFirstCurrentTask", "v1_tasks_retrieve",
     {"id": "$response.body#/current_tasks/0/id"}),
    ("v1_instances_mine_list", ("200",), "GetFirstInstance", "v1_instances_retrieve",
     {"id": "$response.body#/results/0/id"}),
    ("v1_instances_list", ("200",), "GetFirstInstance", "v1_instances_retrieve",
     {"id": "$response.body#/results/0/id"}),
    ("v1_tasks_list", ("200",), "GetFirstTask", "v1_tasks_retrieve", {"id": "$response.body#/results/0/id"}),
    ("v1_tasks_list", ("200",), "ClaimFirstTask", "v1_tasks_claim_create", {"id": "$response.body#/results/0/id"}),
    ("v1_tasks_retrieve", ("200",), "ClaimTask", "v1_tasks_claim_create", {"id": "$response.body#/id"}),
    ("v1_tasks_retrieve", ("200",), "GetInstance", "v1_instances_retrieve", {"id": "$response.body#/instance"}),
    ("v1_tasks_claim_create", ("200",), "CompleteTask", "v1_tasks_complete_create", {"id": "$response.body#/id"}),
    ("v1_tasks_claim_create", ("200",), "UnclaimTask", "v1_tasks_unclaim_create", {"id": "$response.body#/id"}),
    ("v1_tasks_unclaim_create", ("200",), "GetTask", "v1_tasks_retrieve", {"id": "$response.body#/id"}),
    ("v1_tasks_complete_create", ("200",), "GetInstance", "v1_instances_retrieve", {"id": "$response.body#/id"}),
    ("v1_units_list", ("200",), "GetFirstUnit", "v1_units_retrieve", {"code": "$response.body#/results/0/code"}),
    ("v1_units_create", ("201",), "GetUnit", "v1_units_retrieve", {"code": "$response.body#/code"}),
    ("v1_positions_create", ("201",), "EndPosition", "v1_positions_end_create", {"id": "$response.body#/id"}),
    ("v1_positions_list", ("200",), "EndFirstPosition", "v1_positions_end_create",
     {"id": "$response.body#/results/0/id"}),
]


def document_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Add `LINKS` to the responses they start from. A link whose operation or response
    is not in the document is an error: a renamed view must not drop its links silently.
    A POSTPROCESSING_HOOKS entry."""
    operations = {operation["operationId"]: operation
                  for item in result.get("paths", {}).values() for operation in item.values()
                  if isinstance(operation, dict) and "operationId" in operation}
    for source, statuses, name, target, parameters in LINKS:
        if source not in operations or target not in operations:
            raise LookupError(f"OpenAPI link {name}: no operation {source!r} or {target!r}")
        for status in statuses:
            response = operations[source]["responses"][status]
            response.setdefault("links", {})[name] = {"operationId": target, "parameters": parameters}
    return result
