"""Django tasks run by ``manage.py tasklib_worker`` (a real subprocess), results read back
through Django's API: return values, errors, async tasks, the ORM inside a task.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import pytest

from tests.contrib.conftest import PROJECT, manage, project_env
from tests.support.waiting import wait_until


def test_tasks_run_by_the_worker_until_idle_and_read_back(project: str) -> None:
    from django.db import transaction
    from shop import tasks
    from shop.models import Order

    from tasklib.contrib.django._compat import TaskResultStatus

    with transaction.atomic():
        order = Order.objects.create(item="book")
        paid = tasks.mark_paid.enqueue(order.id)
    added = tasks.add.enqueue(2, b=3)
    failed = tasks.explode.enqueue("card declined")
    greeted = tasks.greet.enqueue("ann")
    reported = tasks.report.enqueue()
    counted = tasks.count_in_child.enqueue("book")
    in_worker = tasks.worker_pid.enqueue()

    done = manage(project, "tasklib_worker", "--until-idle")
    assert f"shop.tasks.add {added.id}: completed" in done.stdout
    assert f"shop.tasks.explode {failed.id}: failed" in done.stdout

    added.refresh()
    assert added.status == TaskResultStatus.SUCCESSFUL
    assert added.return_value == 5
    assert added.attempts == 1
    assert added.worker_ids[0]
    assert added.started_at is not None
    assert added.finished_at is not None
    assert added.errors == []

    result = tasks.explode.get_result(failed.id)
    assert result.status == TaskResultStatus.FAILED
    [error] = result.errors
    assert error.exception_class is ValueError
    assert "card declined" in error.traceback
    with pytest.raises(ValueError, match="failed"):
        _ = result.return_value

    assert tasks.greet.get_result(greeted.id).return_value == "hello ann, 1 orders"
    assert tasks.report.get_result(reported.id).return_value == {"orders": 1}
    assert tasks.mark_paid.get_result(paid.id).return_value == "book"
    order.refresh_from_db()
    assert order.paid

    # A sync task with a timeout ran in a child process of the worker, Django set up there too.
    count, pid, parent = tasks.count_in_child.get_result(counted.id).return_value
    worker = tasks.worker_pid.get_result(in_worker.id).return_value
    assert count == 1
    assert (parent, pid != worker) == (worker, True)


def test_worker_runs_tasks_as_they_come_and_stops_on_sigterm(project: str) -> None:
    from shop import tasks

    from tasklib.contrib.django._compat import TaskResultStatus

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "tasklib_worker", "--queue", "default", "-c", "2"],
        cwd=PROJECT,
        env=project_env(project),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []

    def read() -> None:
        assert worker.stdout is not None
        output.extend(iter(worker.stdout.readline, ""))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_until(
            lambda: any("Starting TaskWorker" in line for line in output),
            what="the worker's banner",
            timeout=60,
            detail=lambda: "".join(output),
        )
        result = tasks.add.enqueue(20, 22)
        reported = tasks.report.enqueue()  # queue "reports": not this worker's

        def finished() -> bool:
            result.refresh()
            return result.is_finished

        wait_until(finished, what="add to finish", timeout=60, detail=lambda: "".join(output))
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == 42
        assert tasks.report.get_result(reported.id).status == TaskResultStatus.READY
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
        reader.join(timeout=10)
    assert code == 0, "".join(output)
    assert any("shop.tasks.add" in line for line in output)


def test_worker_names_a_task_module_it_cannot_import(django_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "tasklib_worker", "--until-idle", "no_such_module"],
        cwd=PROJECT,
        env=project_env(django_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "cannot import task module 'no_such_module'" in done.stderr
