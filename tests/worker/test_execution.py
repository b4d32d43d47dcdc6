"""The worker runs tasks as the seed describes: results, retries, timeouts, priority, delay."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tasklib
from tasklib import Config, ConfigurationError, TaskWorker
from tasklib.errors import SchemaMissingError
from tests.worker import tasks_inprocess as t
from tests.worker.support import fetch, running_worker, wait_until


def task_row(task_id: object) -> tasklib.Task:
    return tasklib.get_task(task_id)  # type: ignore[arg-type]


def terminal(task_id: object) -> bool:
    return tasklib.is_terminal(task_row(task_id))


async def test_async_and_sync_results_are_recorded(url: str) -> None:
    greeting = await tasklib.submit_task(t.greet, name="Alice")
    answer = await tasklib.submit_task(t.when_did_i_run)
    async with running_worker(url):
        await wait_until(lambda: terminal(greeting) and terminal(answer), what="both tasks")
    assert task_row(greeting).result == {"value": "Hello Alice!"}
    done = task_row(answer)
    assert done.state == "completed"
    assert isinstance(done.result and done.result["value"], float)


async def test_batches_of_null_and_real_results_are_recorded(url: str) -> None:
    # A batch of tasks that all return None is completed without sending results; mixed
    # batches send every result. Both must store {"value": ...} for each task.
    nothing = await tasklib.submit_many(t.returns_nothing.prepare(n=n) for n in range(50))
    numbers = await tasklib.submit_many(t.echo_number.prepare(n=n) for n in range(50))
    async with running_worker(url):
        await wait_until(
            lambda: all(terminal(i) for i in [*nothing, *numbers]), what="all 100 tasks"
        )
    assert {task_row(i).result["value"] is None for i in nothing} == {True}  # type: ignore[index]
    assert [task_row(i).result for i in numbers] == [{"value": n} for n in range(50)]


async def test_retry_schedule_follows_backoff_until_terminal(url: str) -> None:
    task_id = await tasklib.submit_task(t.always_fails)
    async with running_worker(url):
        await wait_until(lambda: terminal(task_id), what="terminal failure")
    final = task_row(task_id)
    assert final.state == "failed"
    assert final.retry_count == 3
    assert "RuntimeError: this task always fails" in (final.error or "")
    assert "Traceback (most recent call last)" in (final.error or "")
    times = [when for when, _ in t.calls["always_fails"]]
    assert len(times) == 4  # max_retries + 1 runs
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # base 0.05 s x 2^retry_count: at least 0.05, 0.1 and 0.2 s between the attempts.
    for gap, expected in zip(gaps, (0.05, 0.1, 0.2), strict=True):
        assert gap >= expected * 0.9, (gaps, expected)


async def test_flaky_call_succeeds_after_retries(url: str) -> None:
    """Advanced 1: retries with backoff until the call succeeds."""
    task_id = await tasklib.submit_task(t.flaky_api_call, fail_times=2)
    async with running_worker(url):
        await wait_until(lambda: terminal(task_id), what="completion after retries")
    final = task_row(task_id)
    assert final.state == "completed"
    assert final.result == {"value": {"attempts": 3}}
    assert final.retry_count == 2


async def test_async_timeout_fails_and_retries_under_the_rules(url: str) -> None:
    task_id = await tasklib.submit_task(t.slow_async, seconds=5)
    async with running_worker(url):
        await wait_until(lambda: terminal(task_id), within=10, what="timeouts")
    final = task_row(task_id)
    assert final.state == "failed"
    assert final.retry_count == 1  # max_retries=1: two attempts, both timed out
    assert len(t.calls["slow_async"]) == 2
    assert "exceeded its timeout of 0.3 s" in (final.error or "")


async def test_sync_timeout_kills_the_child_process(url: str, tmp_path: Path) -> None:
    """Advanced 2: a sync task past timeout_seconds fails; its process is killed."""
    pid_file = tmp_path / "pid"
    task_id = await tasklib.submit_task(t.process_file, file_path=str(pid_file), seconds=30)
    async with running_worker(url):
        await wait_until(lambda: terminal(task_id), within=20, what="sync timeout")
    final = task_row(task_id)
    assert final.state == "failed"
    assert "exceeded its timeout of 0.5 s" in (final.error or "")
    child = int(pid_file.read_text())
    assert child != os.getpid()
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


async def test_sync_task_with_timeout_returns_its_result(url: str, tmp_path: Path) -> None:
    task_id = await tasklib.submit_task(t.process_file, file_path=str(tmp_path / "f"), seconds=0)
    async with running_worker(url):
        await wait_until(lambda: terminal(task_id), within=20, what="completion")
    assert task_row(task_id).result == {"value": f"processed {tmp_path / 'f'}"}


async def test_priority_order_with_one_slot(url: str) -> None:
    """Advanced 4: higher priority runs first; equal priorities in submission order."""
    for label, priority in [("low", -10), ("mid-1", 0), ("high", 100), ("mid-2", 0), ("top", 500)]:
        await tasklib.submit_task(t.ordered, label=label, priority=priority)
    async with running_worker(url, concurrency=1):
        await wait_until(lambda: len(t.calls.get("ordered", [])) == 5, what="five runs")
    assert [label for _, label in t.calls["ordered"]] == ["top", "high", "mid-1", "mid-2", "low"]


async def test_delayed_task_runs_once_due(url: str) -> None:
    """Advanced 3: a delayed task does not start before its time, and starts soon after."""
    task_id = await tasklib.submit_task(t.when_did_i_run, delay_seconds=0.6)
    # With a 60 s poll, only the computed due time can wake the worker within the wait.
    async with running_worker(url, poll_interval_seconds=60.0):
        await wait_until(lambda: terminal(task_id), within=20, what="the delayed task")
    final = task_row(task_id)
    assert final.state == "completed"
    assert final.started_at is not None
    assert final.started_at >= final.scheduled_at


async def test_risky_task_error_is_the_traceback_and_retry_in_5_seconds(url: str) -> None:
    """Error Handling: task.error holds the traceback, next_retry_at is now + 5 s."""
    task_id = await tasklib.submit_task(t.risky_task, fail=True)
    async with running_worker(url):
        await wait_until(lambda: task_row(task_id).state == "failed", what="the failure")
    failed = task_row(task_id)
    assert tasklib.is_failed(failed)
    assert not tasklib.is_terminal(failed)
    assert failed.error is not None
    assert failed.error.startswith("Traceback (most recent call last)")
    assert "ValueError: Random failure!" in failed.error
    assert failed.next_retry_at is not None
    assert failed.completed_at is None
    (delay,) = fetch(
        url,
        "SELECT extract(epoch FROM next_retry_at - started_at)::float8 FROM tasklib.tasks"
        " WHERE id = %s",
        (task_id,),
    )[0]
    assert 5.0 <= delay < 6.0


async def test_a_task_without_code_here_is_left_pending(url: str) -> None:
    """The worker claims only the names it can run: another worker's task is not destroyed."""
    (task_id,) = fetch(url, "SELECT tasklib.submit('nobody.registered', '{}', max_retries => 5)")[0]
    known = await tasklib.submit_task(t.greet, name="Bob")
    async with running_worker(url):
        await wait_until(lambda: terminal(known), what="the known task")
    final = task_row(task_id)
    assert (final.state, final.retry_count) == ("pending", 0)
    assert final.attempt <= 1  # claimed at most once, handed straight back


async def test_arguments_that_do_not_validate_fail_without_retries(url: str) -> None:
    (task_id,) = fetch(
        url,
        'SELECT tasklib.submit(%s, \'{"name": 123, "extra": 1}\', max_retries => 5)',
        (t.greet.name,),
    )[0]
    async with running_worker(url):
        await wait_until(lambda: terminal(task_id), what="the failure")
    final = task_row(task_id)
    assert final.state == "failed"
    assert final.max_retries == 0
    assert "invalid arguments for task" in (final.error or "")
    assert "name" in (final.error or "")
    assert "extra" in (final.error or "")


@pytest.mark.parametrize("fn", [t.returns_unstorable, t.returns_nan])
async def test_result_that_cannot_be_stored_fails_clearly(
    url: str, fn: tasklib.TaskDefinition[..., object]
) -> None:
    task_id = await tasklib.submit_task(fn)
    async with running_worker(url):
        await wait_until(lambda: terminal(task_id), what="the failure")
    final = task_row(task_id)
    assert final.state == "failed"
    assert final.max_retries == final.retry_count
    assert "cannot be stored as JSON" in (final.error or "")


async def test_text_that_utf8_cannot_encode_is_stored_escaped_or_refused(url: str) -> None:
    # A lone surrogate in an error text or a result must fail that task, not the worker.
    error = await tasklib.submit_task(t.raises_unencodable)
    result = await tasklib.submit_task(t.returns_unencodable)
    done = await tasklib.submit_task(t.greet, name="z")
    worker = TaskWorker(Config(database_url=url), handle_signals=False)
    runs = {run.task_id: run for run in await worker.run_until_idle()}
    assert {run.state for run in runs.values()} == {"failed", "completed"}
    assert "ValueError: bad \\ud800 text" in (task_row(error).error or "")
    assert "ResultNotStorable" in (task_row(result).error or "")
    assert task_row(result).max_retries == task_row(result).retry_count
    assert runs[done].result == "Hello z!"


async def test_stop_hands_unfinished_tasks_back(url: str) -> None:
    ids = [await tasklib.submit_task(t.sleeper, seconds=30) for _ in range(3)]
    quick = await tasklib.submit_task(t.sleeper, seconds=0.05)
    async with running_worker(url, shutdown_grace_seconds=0.5) as worker:
        await wait_until(lambda: len(t.calls.get("sleeper", [])) == 4, what="all started")
        await wait_until(lambda: worker.running_tasks == 3, what="the quick one done")
    assert task_row(quick).state == "completed"
    for task_id in ids:
        row = task_row(task_id)
        assert row.state == "pending"
        assert row.worker_id is None
        assert row.retry_count == 0
    assert fetch(url, "SELECT count(*) FROM tasklib.workers")[0][0] == 0


async def test_worker_announces_itself(url: str) -> None:
    async with running_worker(url, queues=["default", "emails"], worker_id="w-announce"):
        await wait_until(
            lambda: bool(fetch(url, "SELECT 1 FROM tasklib.workers WHERE worker = 'w-announce'")),
            what="the workers row",
        )
        (queues, concurrency) = fetch(
            url, "SELECT queues, concurrency FROM tasklib.workers WHERE worker = 'w-announce'"
        )[0]
    assert queues == ["default", "emails"]
    assert concurrency == 4


async def test_worker_only_takes_its_queues(url: str) -> None:
    (other,) = fetch(
        url, "SELECT tasklib.submit(%s, '{\"name\": \"x\"}', queue => 'other')", (t.greet.name,)
    )[0]
    mine = await tasklib.submit_task(t.greet, name="y")
    worker = TaskWorker(Config(database_url=url), queues=["default"], handle_signals=False)
    # A drain only ends on a claim that found nothing due in the worker's queues.
    runs = await worker.run_until_idle()
    assert [run.task_id for run in runs] == [mine]
    assert task_row(other).state == "pending"


async def test_worker_on_a_database_without_the_schema_says_so(
    make_database: Callable[[str], str],
) -> None:
    empty = make_database("noschema")
    worker = TaskWorker(Config(database_url=empty), handle_signals=False)
    with pytest.raises(SchemaMissingError, match=r"(?i)run `tasklib migrate`"):
        await asyncio.wait_for(worker.run(), 30)


def test_bad_worker_options_are_rejected() -> None:
    config = Config(database_url="postgresql://localhost/x")
    with pytest.raises(ConfigurationError, match="concurrency"):
        TaskWorker(config, 0)
    with pytest.raises(ConfigurationError, match="queues"):
        TaskWorker(config, queues="default")
    with pytest.raises(ConfigurationError, match="no database configured"):
        TaskWorker(Config(database_url=None))


async def test_worker_records_its_task_types(url: str) -> None:
    async with running_worker(url):
        await wait_until(
            lambda: bool(fetch(url, "SELECT 1 FROM tasklib.workers")), what="the announcement"
        )
    (max_retries, backoff, schema) = fetch(
        url,
        "SELECT max_retries, backoff_base_seconds, args_schema FROM tasklib.task_types"
        " WHERE name = %s",
        (t.always_fails.name,),
    )[0]
    assert (max_retries, backoff) == (3, 0.05)
    assert schema["type"] == "object"


async def test_claims_pause_while_results_cannot_be_recorded(url: str) -> None:
    # The results connection hangs while claims still work: the worker must stop taking tasks
    # once concurrency + 2 report batches of outcomes wait, not claim (and hold) the whole queue.
    ids = await tasklib.submit_many(t.returns_nothing.prepare(n=n) for n in range(300))
    worker = TaskWorker(
        Config(database_url=url),
        10,
        report_batch_size=5,
        handle_signals=False,
        shutdown_grace_seconds=5.0,
    )
    results_written = asyncio.Event()
    record_results = worker._report_db.run

    async def hanging_results_connection(operation: Any) -> Any:
        await results_written.wait()
        return await record_results(operation)

    claims_paused = asyncio.Event()
    wait_for_progress = worker._reporter.wait_for_progress

    async def pausing_claims() -> None:
        claims_paused.set()
        await wait_for_progress()

    worker._report_db.run = hanging_results_connection  # type: ignore[method-assign]
    worker._reporter.wait_for_progress = pausing_claims  # type: ignore[method-assign]
    run = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(claims_paused.wait(), 20)
        # Paused until a batch is recorded, which cannot happen yet: this count is final.
        held = fetch(url, "SELECT count(*) FROM tasklib.tasks WHERE state = 'running'")[0][0]
        assert 10 + 2 * 5 <= held <= 10 + 2 * 5 + 10, held
        results_written.set()
        await wait_until(lambda: all(terminal(i) for i in ids), what="all 300 tasks")
    finally:
        results_written.set()
        await worker.stop()
        await run
    assert {task_row(i).state for i in ids} == {"completed"}
