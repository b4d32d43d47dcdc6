"""TaskLibBackend through Django's own API, in-process: enqueue, get_result, transactions,
the mapping of options and states, and what the backend refuses (with Django's exceptions).

Tasks here are not run (tests/contrib/test_django_worker.py runs them with manage.py
tasklib_worker); their rows are changed through TaskLib's own API where a state is needed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import psycopg
import pytest

import tasklib
from tasklib.client import Client
from tasklib.config import Config

pytestmark = pytest.mark.usefixtures("project")


def _row(url: str, task_id: str) -> tasklib.Task:
    with Client(Config(database_url=url)) as client:
        return client.get_task(task_id)


def _count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM tasklib.tasks").fetchone()
    assert row is not None
    return int(row[0])


def test_enqueue_queues_a_row_named_by_the_task_path(project: str) -> None:
    from shop import tasks

    result = tasks.add.enqueue(2, b=3)

    from tasklib.contrib.django._compat import TaskResultStatus

    assert result.status == TaskResultStatus.READY
    assert result.backend == "default"
    row = _row(project, result.id)
    assert row.name == "shop.tasks.add"
    assert row.args == {"args": [2], "kwargs": {"b": 3}}
    assert (row.state, row.queue, row.priority) == ("pending", "default", 0)


def test_get_result_answers_from_the_row(project: str) -> None:
    from shop import tasks

    from tasklib.contrib.django._compat import TaskResultStatus

    enqueued = tasks.add.enqueue(1, 2)
    result = tasks.add.get_result(enqueued.id)
    assert result.id == enqueued.id
    assert result.status == TaskResultStatus.READY
    assert (result.args, result.kwargs) == ([1, 2], {})
    assert result.task.func is tasks.add.func
    assert result.enqueued_at is not None
    assert result.started_at is None
    assert result.finished_at is None
    assert result.attempts == 0
    assert not result.is_finished
    with pytest.raises(ValueError, match="not finished"):
        _ = result.return_value


def test_priority_queue_and_run_after_reach_the_row(project: str) -> None:
    from django.utils import timezone
    from shop import tasks

    later = timezone.now() + dt.timedelta(hours=1)
    result = tasks.report.using(run_after=later).enqueue()
    row = _row(project, result.id)
    assert (row.queue, row.priority) == ("reports", 10)
    assert abs((row.scheduled_at - later).total_seconds()) < 5
    read = tasks.report.get_result(result.id)
    assert read.task.queue_name == "reports"
    assert read.task.priority == 10
    assert read.task.run_after is not None

    lowered = tasks.add.using(priority=-100).enqueue(0, 0)
    assert _row(project, lowered.id).priority == -100


def test_backend_options_set_the_retries(project: str) -> None:
    from shop import tasks

    assert _row(project, tasks.explode.enqueue("x").id).max_retries == 0
    assert _row(project, tasks.add.enqueue(1, 1).id).max_retries == 3  # TaskLib's default


def test_an_atomic_block_that_rolls_back_leaves_no_task(project: str) -> None:
    from django.db import transaction
    from shop import tasks
    from shop.models import Order

    def order_and_fail() -> None:
        with transaction.atomic():
            order = Order.objects.create(item="book")
            tasks.mark_paid.enqueue(order.id)
            raise RuntimeError("the view failed")

    with pytest.raises(RuntimeError):
        order_and_fail()

    assert Order.objects.count() == 0
    assert _count(project) == 0


def test_an_atomic_block_that_commits_keeps_the_task_with_the_data(project: str) -> None:
    from django.db import transaction
    from shop import tasks
    from shop.models import Order

    with transaction.atomic():
        order = Order.objects.create(item="lamp")
        result = tasks.mark_paid.enqueue(order.id)
        # Inside the transaction, only this connection sees the task.
        assert tasks.mark_paid.get_result(result.id).args == [order.id]
        assert _count(project) == 0

    assert _count(project) == 1
    assert _row(project, result.id).args == {"args": [order.id], "kwargs": {}}


def test_aenqueue_and_aget_result(project: str) -> None:
    from shop import tasks

    async def enqueue_and_read() -> tuple[Any, Any]:
        enqueued = await tasks.greet.aenqueue("ann")
        return enqueued, await tasks.greet.aget_result(enqueued.id)

    enqueued, read = asyncio.run(enqueue_and_read())
    assert read.id == enqueued.id
    assert read.args == ["ann"]
    assert _row(project, enqueued.id).name == "shop.tasks.greet"


def test_states_map_to_django_statuses(project: str) -> None:
    from shop import tasks

    from tasklib.contrib.django import TaskCancelledError
    from tasklib.contrib.django._compat import TaskResultStatus

    result = tasks.add.enqueue(1, 1)
    with Client(Config(database_url=project)) as client:
        client.cancel_task(result.id)
    cancelled = tasks.add.get_result(result.id)
    assert cancelled.status == TaskResultStatus.FAILED
    assert cancelled.is_finished
    assert cancelled.finished_at is not None
    [error] = cancelled.errors
    assert error.exception_class is TaskCancelledError
    with pytest.raises(ValueError, match="failed"):
        _ = cancelled.return_value


def test_every_state_has_a_status() -> None:
    from tasklib.contrib.django._compat import TaskResultStatus
    from tasklib.contrib.django.backend import exception_path, status_of

    def row(state: str, terminal: bool) -> Any:
        return type("Row", (), {"state": state, "terminal": terminal})()

    assert status_of(row("pending", False)) == TaskResultStatus.READY
    assert status_of(row("running", False)) == TaskResultStatus.RUNNING
    assert status_of(row("completed", True)) == TaskResultStatus.SUCCESSFUL
    assert status_of(row("failed", False)) == TaskResultStatus.READY  # a retry is due
    assert status_of(row("failed", True)) == TaskResultStatus.FAILED
    assert status_of(row("cancelled", True)) == TaskResultStatus.FAILED

    traceback = 'Traceback (most recent call last):\n  File "x.py"\nshop.errors.Declined: no\n'
    assert exception_path(traceback) == "shop.errors.Declined"
    assert exception_path("Traceback ...\nKeyError: 'a'") == "builtins.KeyError"
    assert exception_path("TimeoutError: task 'x' exceeded its timeout") == "builtins.TimeoutError"
    assert exception_path("lease expired: worker w presumed dead") == "tasklib.errors.TaskLibError"
    unknown = "UnknownTaskError: no task named 'x' is registered in worker w"
    assert exception_path(unknown) == "tasklib.errors.UnknownTaskError"


def test_unknown_and_foreign_ids_do_not_exist(project: str) -> None:
    from shop import tasks

    from tasklib.contrib.django._compat import TaskResultDoesNotExist

    with pytest.raises(TaskResultDoesNotExist):
        tasks.add.get_result("not-an-id")
    with pytest.raises(TaskResultDoesNotExist):
        tasks.add.get_result("00000000-0000-0000-0000-000000000000")

    # A plain TaskLib task in the same table is no Django task.
    with psycopg.connect(project, autocommit=True) as conn:
        row = conn.execute(
            "SELECT tasklib.submit(name => 'shop.tasks.not_a_task', args => '{}')"
        ).fetchone()
    assert row is not None
    with pytest.raises(TaskResultDoesNotExist, match="not a Django task"):
        tasks.add.get_result(str(row[0]))


def test_a_result_of_another_task_is_a_mismatch(project: str) -> None:
    from shop import tasks

    from tasklib.contrib.django._compat import TaskResultMismatch

    result = tasks.add.enqueue(1, 1)
    with pytest.raises(TaskResultMismatch):
        tasks.report.get_result(result.id)


def test_unsupported_features_are_refused_with_djangos_exceptions(project: str) -> None:
    from shop import tasks

    from tasklib.contrib.django._compat import InvalidTask

    def takes_context(context: Any) -> None: ...

    takes_context.__module__ = "shop.tasks"
    takes_context.__qualname__ = "takes_context"
    from tasklib.contrib.django._compat import Task

    with pytest.raises(InvalidTask, match="takes_context"):
        Task(func=takes_context, takes_context=True)  # type: ignore[call-arg]
    with pytest.raises(InvalidTask, match="Queue 'nowhere' is not valid"):
        tasks.add.using(queue_name="nowhere")
    with pytest.raises(InvalidTask, match="priority"):
        tasks.add.using(priority=101)
    with pytest.raises(InvalidTask, match="aware"):
        tasks.add.using(run_after=dt.datetime(2030, 1, 1))
    with pytest.raises(TypeError, match="Unsupported type"):
        tasks.add.enqueue(dt.date(2030, 1, 1), 1)
    assert _count(project) == 0


def test_any_queue_where_queues_is_empty(project: str) -> None:
    from shop import tasks

    result = tasks.explode.using(queue_name="anything").enqueue("x")
    assert _row(project, result.id).queue == "anything"


def test_system_checks_and_makemigrations_are_clean() -> None:
    from django.core.management import call_command

    call_command("check")
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_admin_lists_and_shows_tasks_read_only(project: str) -> None:
    from django.contrib.auth.models import User
    from django.test import Client as WebClient
    from shop import tasks

    result = tasks.add.enqueue(4, 5)
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw")
    try:
        web = WebClient()
        web.force_login(admin)
        listing = web.get("/admin/tasklib/task/")
        assert listing.status_code == 200
        assert result.id in listing.content.decode()
        filtered = web.get("/admin/tasklib/task/?state__exact=pending&q=shop.tasks.add")
        assert result.id in filtered.content.decode()
        by_id = web.get(f"/admin/tasklib/task/?q={result.id}")
        assert result.id in by_id.content.decode()
        assert web.get("/admin/tasklib/task/?q=not-a-uuid").status_code == 200
        detail = web.get(f"/admin/tasklib/task/{result.id}/change/")
        assert detail.status_code == 200
        assert "shop.tasks.add" in detail.content.decode()
        assert 'name="_save"' not in detail.content.decode()  # nothing to save
        assert web.get("/admin/tasklib/task/add/").status_code == 403
        assert web.post(f"/admin/tasklib/task/{result.id}/delete/").status_code == 403
    finally:
        admin.delete()
