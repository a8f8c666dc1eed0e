"""Errors the engine raises to its callers. Messages are for people (Spanish where shown)."""

from __future__ import annotations


class EngineError(Exception):
    """Base class for every error the engine service API raises on purpose."""


class DeploymentError(EngineError):
    """A BPMN file cannot be deployed. `problems` lists one message per defect."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class UnsafeXmlError(DeploymentError):
    """The XML is oversize or uses DTDs/entities: refused before SpiffWorkflow sees it."""

    def __init__(self, message: str):
        super().__init__([message])


class ConflictError(EngineError):
    """The task or instance is no longer in the state the caller assumed; nothing changed."""


class NotFoundError(EngineError):
    """The definition, instance or task does not exist."""


class StepFailed(EngineError):
    """A step was rolled back and an incident was recorded on the instance."""

    def __init__(self, message: str, incident_id: int | None = None):
        self.incident_id = incident_id
        super().__init__(message)


class ServiceTaskError(EngineError):
    """Raised by (or on behalf of) a service-task handler."""


class ScriptError(EngineError):
    """A script or expression was refused by the sandbox or failed."""


class BudgetExceeded(ScriptError):
    """A script, an expression or a whole step ran past one of its budgets. `limit` names
    the budget in Spanish ("el límite de 1.000.000 operaciones (SCRIPT_MAX_OPERATIONS)")."""

    def __init__(self, limit: str):
        self.limit = limit
        super().__init__(limit)


class MessageNotDelivered(EngineError):
    """No waiting instance or message start event accepts the message."""
