"""Submit, inspect, cancel and wait for tasks: Client, AsyncClient, and the module-level API.

``_core`` checks inputs, builds each call's statement and parses rows (no I/O); ``Client``
and ``AsyncClient`` run those statements on their own pools; ``_default`` is the
module-level API (``tasklib.submit_task`` and friends) on default clients.
"""

from tasklib.client._async import AsyncClient
from tasklib.client._default import (
    aclose,
    cancel_task,
    cancel_task_async,
    close,
    default_async_client,
    default_client,
    get_config,
    get_task,
    get_task_async,
    init,
    list_tasks,
    list_tasks_async,
    retry_task,
    retry_task_async,
    submit_many,
    submit_many_sync,
    submit_task,
    submit_task_sync,
    wait_for_result,
    wait_for_result_sync,
    wait_for_task,
    wait_for_task_sync,
)
from tasklib.client._sync import Client

__all__ = [
    "AsyncClient",
    "Client",
    "aclose",
    "cancel_task",
    "cancel_task_async",
    "close",
    "default_async_client",
    "default_client",
    "get_config",
    "get_task",
    "get_task_async",
    "init",
    "list_tasks",
    "list_tasks_async",
    "retry_task",
    "retry_task_async",
    "submit_many",
    "submit_many_sync",
    "submit_task",
    "submit_task_sync",
    "wait_for_result",
    "wait_for_result_sync",
    "wait_for_task",
    "wait_for_task_sync",
]
