"""TaskLib: background tasks for Python with PostgreSQL as the only infrastructure."""

from tasklib.config import Config
from tasklib.errors import (
    ArgumentSchemaError,
    ConfigurationError,
    DatabaseUnavailableError,
    InvalidArgumentError,
    InvalidStateError,
    NotATaskError,
    TaskFailedError,
    TaskLibError,
    TaskNotFoundError,
    TaskTimeoutError,
    TaskValidationError,
    UnknownTaskError,
)
from tasklib.migrate import migrate, rollback
from tasklib.models import (
    Task,
    TaskState,
    has_error,
    has_result,
    is_cancelled,
    is_completed,
    is_failed,
    is_pending,
    is_running,
    is_terminal,
)
from tasklib.registry import TaskDefinition, task

__all__ = [
    "ArgumentSchemaError",
    "Config",
    "ConfigurationError",
    "DatabaseUnavailableError",
    "InvalidArgumentError",
    "InvalidStateError",
    "NotATaskError",
    "Task",
    "TaskDefinition",
    "TaskFailedError",
    "TaskLibError",
    "TaskNotFoundError",
    "TaskState",
    "TaskTimeoutError",
    "TaskValidationError",
    "UnknownTaskError",
    "has_error",
    "has_result",
    "is_cancelled",
    "is_completed",
    "is_failed",
    "is_pending",
    "is_running",
    "is_terminal",
    "migrate",
    "rollback",
    "task",
]
