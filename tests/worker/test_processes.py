"""Workers as separate processes: crashes, many workers, SIGTERM, cut connections, seed."""

from __future__ import annotations

import collections
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg

from tasklib.worker._worker import describe_database
from tests.worker import tasks_subprocess as tasks
from tests.worker.support import (
    count_states,
    fetch,
    read_records,
    start_worker_process,
    stop_process,
    submit_many_sql,
    wait_for_states,
    worker_processes,
)

TASKS_MODULE = "tests.worker.tasks_subprocess"
TASKS_PATH = "tests/worker/tasks_subprocess.py"


def wait_for_records(folder: Path, kind: str, n: int, within: float) -> list[str]:
    deadline = time.monotonic() + within
    while len(records := read_records(folder, kind)) < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"only {len(records)} {kind!r} records after {within} s")
        time.sleep(0.02)
    return records


def wait_for_rows(url: str, query: str, within: float) -> None:
    deadline = time.monotonic() + within
    while not fetch(url, query):
        if time.monotonic() > deadline:
            raise AssertionError(f"no rows for {query!r} after {within} s")
        time.sleep(0.05)


def test_seed_step5_script_logs_start_and_stops_on_sigterm(
    database_url: str, tmp_path: Path
) -> None:
    """Step 5: `python worker.py` prints "Starting TaskWorker <id> with concurrency=4", then
    where its database is, its queues and the tasks it can run."""
    (tmp_path / "myapp").mkdir()
    (tmp_path / "myapp" / "__init__.py").write_text("")
    (tmp_path / "myapp" / "tasks.py").write_text(
        "import tasklib\n\n@tasklib.task\ndef hello(name: str) -> str:\n    return name\n"
    )
    script = tmp_path / "worker.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import asyncio
            from tasklib import Config, TaskWorker

            import myapp.tasks

            async def main():
                config = Config(database_url={database_url!r})
                worker = TaskWorker(config, concurrency=4)
                await worker.run()

            if __name__ == "__main__":
                asyncio.run(main())
            """
        )
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    with worker_processes([proc]):  # type: ignore[list-item]
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "Starting TaskWorker " in first
        assert first.rstrip().endswith("with concurrency=4")
        where, tasks = proc.stdout.readline(), proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        rest = proc.stdout.read()
        assert proc.wait(30) == 0
    assert f"database: {describe_database(database_url)}; queues: all" in where
    assert "password" not in where
    assert tasks.rstrip().endswith("tasks (1): myapp.tasks.hello")
    assert "SIGTERM received" in rest
    assert "stopped" in rest


def test_sigkill_mid_task_another_worker_finishes_it_after_the_lease(
    database_url: str, tmp_path: Path
) -> None:
    submit_many_sql(database_url, tasks.slow_start.name, [{"key": "k1", "seconds": 1.0}])
    log = tmp_path / "workers.log"
    lease = ("--lease-seconds", "2", "--poll-interval", "0.2")
    first = start_worker_process(database_url, TASKS_MODULE, tmp_path, *lease, log=log)
    with worker_processes([first]) as procs:
        wait_for_records(tmp_path, "started", 1, within=30)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert count_states(database_url) == {"running": 1}
        killed_at = time.monotonic()
        second = start_worker_process(database_url, TASKS_MODULE, tmp_path, *lease, log=log)
        procs.append(second)
        wait_for_states(database_url, lambda s: s == {"completed": 1}, 30, "completion")
        took = time.monotonic() - killed_at
        assert stop_process(second) == 0
    (state, retry_count, error, worker_id) = fetch(
        database_url, "SELECT state, retry_count, error, worker_id FROM tasklib.tasks"
    )[0]
    assert state == "completed"
    assert retry_count == 1  # the lost run counts as a failed attempt
    assert error is None
    assert worker_id is not None
    assert read_records(tmp_path, "started") == ["k1", "k1"]
    assert read_records(tmp_path, "finished") == ["k1"]
    # Not before the lease ran out (2 s after the last heartbeat).
    assert took >= 1.0


def test_four_workers_drain_20000_tasks_each_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    n = 20_000
    submit_many_sql(database_url, tasks.count_me.name, [{"key": f"a{i}"} for i in range(n // 2)])
    submit_many_sql(
        database_url, tasks.count_me_sync.name, [{"key": f"s{i}"} for i in range(n // 2)]
    )
    log = tmp_path / "workers.log"
    started = time.monotonic()
    procs = [
        start_worker_process(
            database_url, TASKS_PATH if i % 2 else TASKS_MODULE, tmp_path, "-c", "32", log=log
        )
        for i in range(4)
    ]
    with worker_processes(procs):
        states = wait_for_states(
            database_url, lambda s: s.get("completed") == n, 180, f"{n} completions"
        )
        took = time.monotonic() - started
        assert [stop_process(proc) for proc in procs] == [0, 0, 0, 0]
    assert states == {"completed": n}
    runs = read_records(tmp_path, "ran")
    counts = collections.Counter(runs)
    assert len(counts) == n
    assert [key for key, times in counts.items() if times != 1] == []
    files = list(tmp_path.glob("ran-*.log"))
    assert len(files) == 4, "every worker process took part"
    print(f"\n4 workers drained {n} tasks in {took:.1f} s (incl. start-up)")


def test_sigterm_with_tasks_in_flight_loses_nothing(database_url: str, tmp_path: Path) -> None:
    quick = [{"key": f"quick{i}", "seconds": 0.2} for i in range(3)]
    long = [{"key": f"long{i}", "seconds": 2.0} for i in range(3)]
    submit_many_sql(database_url, tasks.slow_start.name, quick + long)
    submit_many_sql(database_url, tasks.slow_start_sync.name, [{"key": "longsync", "seconds": 2.0}])
    log = tmp_path / "workers.log"
    worker = start_worker_process(
        database_url, TASKS_MODULE, tmp_path, "-c", "8", "--shutdown-grace", "0.6", log=log
    )
    with worker_processes([worker]) as procs:
        wait_for_records(tmp_path, "started", 7, within=30)
        assert stop_process(worker, timeout=20) == 0
        after_stop = count_states(database_url)
        assert "running" not in after_stop
        assert after_stop == {"completed": 3, "pending": 4}
        assert fetch(
            database_url,
            "SELECT count(*) FROM tasklib.tasks WHERE state = 'pending'"
            " AND (retry_count <> 0 OR worker_id IS NOT NULL)",
        ) == [(0,)]
        again = start_worker_process(database_url, TASKS_MODULE, tmp_path, log=log)
        procs.append(again)
        wait_for_states(database_url, lambda s: s == {"completed": 7}, 30, "all completed")
        assert stop_process(again) == 0
    finished = collections.Counter(read_records(tmp_path, "finished"))
    assert set(finished) == {f"quick{i}" for i in range(3)} | {f"long{i}" for i in range(3)} | {
        "longsync"
    }
    assert "stopped (4 unfinished task(s) handed back)" in log.read_text()


def test_worker_recovers_from_terminated_connections(database_url: str, tmp_path: Path) -> None:
    n = 3000
    log = tmp_path / "workers.log"
    worker = start_worker_process(database_url, TASKS_MODULE, tmp_path, "-c", "8", log=log)
    kills = 0
    with worker_processes([worker]), psycopg.connect(database_url, autocommit=True) as conn:
        wait_for_rows(database_url, "SELECT 1 FROM tasklib.workers", within=30)
        for batch in range(6):
            submit_many_sql(
                database_url,
                tasks.slow_start.name,
                [{"key": f"b{batch}-{i}", "seconds": 0.001} for i in range(n // 6)],
            )
            time.sleep(0.3)
            killed = conn.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name LIKE 'tasklib:worker:%%'"
            ).fetchone()
            kills += killed[0] if killed else 0
        wait_for_states(database_url, lambda s: s == {"completed": n}, 120, "all completed")
        assert worker.poll() is None, "the worker survived"
        assert stop_process(worker) == 0
    assert kills >= 6
    text = log.read_text()
    assert "lost" in text
    assert "is back" in text
    finished = collections.Counter(read_records(tmp_path, "finished"))
    assert len(finished) == n
