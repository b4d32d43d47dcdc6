"""Running workers in production (issue 15 item 12): `tasklib worker --processes N`, settings
from TASKLIB_* variables, and the systemd unit and Kubernetes Deployment of examples/deploy,
whose command lines are run here against the test database."""

from __future__ import annotations

import collections
import configparser
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.worker import tasks_subprocess as tasks
from tests.worker.support import (
    ROOT,
    fetch,
    read_records,
    submit_many_sql,
    wait_for_states,
    worker_processes,
    write_app,
)

DEPLOY = ROOT / "examples" / "deploy"
TASKLIB = Path(sys.executable).parent / "tasklib"
WORKER = [sys.executable, "-m", "tasklib", "worker", "tests.worker.tasks_subprocess"]


def start(
    args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            args, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )


def wait_for(
    condition: Callable[[], Any], proc: subprocess.Popen[bytes], log: Path, what: str
) -> Any:
    deadline = time.monotonic() + 60
    while not (value := condition()):
        assert proc.poll() is None, (
            f"exited ({proc.returncode}) waiting for {what}:\n{log.read_text()}"
        )
        assert time.monotonic() < deadline, f"no {what} after 60 s:\n{log.read_text()}"
        time.sleep(0.05)
    return value


def worker_pids(url: str) -> list[int]:
    return sorted(int(pid) for (pid,) in fetch(url, "SELECT info->>'pid' FROM tasklib.workers"))


def test_processes_2_drain_tasks_and_stop_on_sigterm(database_url: str, tmp_path: Path) -> None:
    n = 40
    submit_many_sql(
        database_url, tasks.slow_start.name, [{"key": f"k{i}", "seconds": 0.1} for i in range(n)]
    )
    log = tmp_path / "worker.log"
    supervisor = start(
        [*WORKER, "--processes", "2", "-c", "4", "--worker-id", "pair"],
        {"TASKLIB_DATABASE_URL": database_url, "TASKLIB_TEST_RECORD_DIR": str(tmp_path)},
        log,
    )
    with worker_processes([supervisor]):
        wait_for_states(database_url, lambda s: s == {"completed": n}, 60, "all completed")
        assert sorted(w for (w,) in fetch(database_url, "SELECT worker FROM tasklib.workers")) == [
            "pair-1",
            "pair-2",
        ]
        children = worker_pids(database_url)
        assert supervisor.pid not in children
        began = time.monotonic()
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(30) == 0, log.read_text()
        took = time.monotonic() - began
    text = log.read_text()
    assert text.count("Starting TaskWorker pair-") == 2
    assert "started 2 worker processes" in text
    assert text.count("SIGTERM received") == 2
    assert "all 2 worker processes stopped" in text
    assert took < 10, text
    assert fetch(database_url, "SELECT count(*) FROM tasklib.workers") == [(0,)]
    finished = collections.Counter(read_records(tmp_path, "finished"))
    assert sorted(finished) == sorted(f"k{i}" for i in range(n))
    assert set(finished.values()) == {1}
    assert len(list(tmp_path.glob("finished-*.log"))) == 2, "both processes took part"


def test_a_failed_worker_process_stops_the_others_and_the_command_fails(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    supervisor = start(
        [sys.executable, "-m", "tasklib", "worker", "tests.worker.tasks_subprocess", "-p", "2"],
        {"TASKLIB_DATABASE_URL": database_url, "TASKLIB_TEST_RECORD_DIR": str(tmp_path)},
        log,
    )
    with worker_processes([supervisor]):
        wait_for(lambda: len(worker_pids(database_url)) == 2, supervisor, log, "two workers")
        pids = worker_pids(database_url)
        os.kill(pids[0], signal.SIGKILL)
        code = supervisor.wait(30)
    assert code == 1, log.read_text()
    text = log.read_text()
    assert f"worker process {pids[0]} exited with code -9; stopping the others" in text
    assert text.count("SIGTERM received") == 1  # the other one stopped gracefully
    assert fetch(database_url, "SELECT worker FROM tasklib.workers") != []  # the killed one's row


def test_worker_settings_from_the_environment(database_url: str, tmp_path: Path) -> None:
    submit_many_sql(
        database_url, tasks.slow_start.name, [{"key": "long", "seconds": 3}], queue="emails"
    )
    log = tmp_path / "worker.log"
    env = {
        "TASKLIB_DATABASE_URL": database_url,
        "TASKLIB_TEST_RECORD_DIR": str(tmp_path),
        "TASKLIB_WORKER_CONCURRENCY": "3",
        "TASKLIB_WORKER_QUEUES": "emails, default",
        "TASKLIB_WORKER_ID": "from-env",
        "TASKLIB_LEASE_SECONDS": "12",
        "TASKLIB_WORKER_SHUTDOWN_GRACE": "0",
        "TASKLIB_LOG_FORMAT": "json",
        "TASKLIB_LOG_LEVEL": "debug",
    }
    proc = start(
        [sys.executable, "-m", "tasklib", "worker", "tests.worker.tasks_subprocess"], env, log
    )
    with worker_processes([proc]):
        lease = wait_for(
            lambda: fetch(
                database_url,
                "SELECT extract(epoch FROM locked_until - started_at) FROM tasklib.tasks"
                " WHERE state = 'running'",
            ),
            proc,
            log,
            "the task to start",
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    assert 11 < float(lease[0][0]) < 13
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    (banner,) = [e for e in entries if e["message"].startswith("Starting TaskWorker")]
    assert (banner["worker_id"], banner["concurrency"], banner["queues"]) == (
        "from-env",
        3,
        ["emails", "default"],
    )
    assert any(e.get("event") == "started" for e in entries)  # DEBUG lines on


def test_help_names_the_environment_variables() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tasklib", "worker", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    for variable in (
        "TASKLIB_DATABASE_URL",
        "TASKLIB_WORKER_CONCURRENCY",
        "TASKLIB_WORKER_PROCESSES",
        "TASKLIB_WORKER_QUEUES",
        "TASKLIB_WORKER_ID",
        "TASKLIB_LEASE_SECONDS",
        "TASKLIB_POLL_INTERVAL",
        "TASKLIB_NO_LISTEN",
        "TASKLIB_WORKER_SHUTDOWN_GRACE",
        "TASKLIB_WORKER_CANCEL_GRACE",
        "TASKLIB_WORKER_MAX_TASKS_PER_CHILD",
        "TASKLIB_LOG_LEVEL",
        "TASKLIB_LOG_FORMAT",
    ):
        assert variable in result.stdout
        assert variable in (ROOT / "docs" / "worker.md").read_text()


# -- examples/deploy -------------------------------------------------------------------------


def _systemd_unit() -> configparser.RawConfigParser:
    unit = configparser.RawConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    # Environment= repeats, which configparser keeps only once: read those lines separately.
    unit.read_string((DEPLOY / "tasklib-worker.service").read_text())
    return unit


def _unit_environment() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in (DEPLOY / "tasklib-worker.service").read_text().splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            env[key] = value
    return env


def test_the_systemd_unit_verifies_and_its_command_runs_a_worker(
    database_url: str, tmp_path: Path
) -> None:
    unit = _systemd_unit()
    service = unit["Service"]
    assert service["KillSignal"] == "SIGTERM"
    assert service["RestartPreventExitStatus"] == "1 2"
    assert float(service["TimeoutStopSec"]) > float(
        _unit_environment()["TASKLIB_WORKER_SHUTDOWN_GRACE"]
    )
    program, *args = shlex.split(service["ExecStart"])
    assert Path(program).name == "tasklib"
    app = write_app(tmp_path / "srv")
    env_file = tmp_path / "worker.env"
    env_file.write_text(f"TASKLIB_DATABASE_URL={database_url}\n")
    # The unit as installed here: this environment's tasklib, a temporary folder, this user.
    local = (
        (DEPLOY / "tasklib-worker.service")
        .read_text()
        .replace(program, str(TASKLIB))
        .replace(service["WorkingDirectory"], str(app))
        .replace(service["EnvironmentFile"], str(env_file))
        .replace(f"User={service['User']}", f"User={_user()}")
        .replace(f"Group={service['Group']}", f"Group={_group()}")
    )
    installed = tmp_path / "tasklib-worker.service"
    installed.write_text(local)
    if shutil.which("systemd-analyze"):
        verify = subprocess.run(
            ["systemd-analyze", "verify", str(installed)], capture_output=True, text=True
        )
        assert verify.returncode == 0, verify.stderr
        assert verify.stderr.strip() == "", verify.stderr
    env = {**_unit_environment(), "TASKLIB_DATABASE_URL": database_url}
    _run_a_task_and_stop(
        [str(TASKLIB), *args], env, app, tmp_path, processes=int(env["TASKLIB_WORKER_PROCESSES"])
    )


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _group() -> str:
    import grp

    return grp.getgrgid(os.getgid()).gr_name


def _load_yaml(path: Path) -> Any:
    """Parse YAML with the parser this machine has: PyYAML here, else the system Python's."""
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        pass
    else:
        return yaml.safe_load(path.read_text())
    for python in ("/usr/bin/python3", shutil.which("python3")):
        if python and Path(python).exists():
            found = subprocess.run(
                [
                    python,
                    "-c",
                    "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))",
                ],
                input=path.read_text(),
                capture_output=True,
                text=True,
            )
            if found.returncode == 0:
                return json.loads(found.stdout)
    pytest.skip("no YAML parser installed (PyYAML, or python3-yaml for the system Python)")


def test_the_kubernetes_deployment_parses_and_its_command_runs_a_worker(
    database_url: str, tmp_path: Path
) -> None:
    manifest = _load_yaml(DEPLOY / "kubernetes.yaml")
    assert (manifest["apiVersion"], manifest["kind"]) == ("apps/v1", "Deployment")
    spec = manifest["spec"]
    assert spec["selector"]["matchLabels"] == spec["template"]["metadata"]["labels"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    env: dict[str, str] = {}
    for variable in container["env"]:
        if "value" in variable:
            env[variable["name"]] = str(variable["value"])
        else:
            assert variable["valueFrom"]["secretKeyRef"]["key"] == "url"
            assert variable["name"] == "TASKLIB_DATABASE_URL"
            env[variable["name"]] = database_url
    assert pod["terminationGracePeriodSeconds"] > float(env["TASKLIB_WORKER_SHUTDOWN_GRACE"])
    program, *args = container["command"]
    assert program == "tasklib"
    app = write_app(tmp_path / "app")
    _run_a_task_and_stop(
        [str(TASKLIB), *args], env, app, tmp_path, processes=int(env["TASKLIB_WORKER_PROCESSES"])
    )


def _run_a_task_and_stop(
    command: list[str], env: dict[str, str], app: Path, tmp_path: Path, processes: int
) -> None:
    url = env["TASKLIB_DATABASE_URL"]
    (task_id,) = fetch(url, "SELECT tasklib.submit('myapp.tasks.hello', '{\"name\": \"deploy\"}')")[
        0
    ]
    log = tmp_path / "worker.log"
    proc = start(command, {**env, "TASKLIB_TEST_RECORD_DIR": str(tmp_path)}, log, cwd=app)
    with worker_processes([proc]):
        wait_for(
            lambda: fetch(
                url, "SELECT 1 FROM tasklib.tasks WHERE id = %s AND state = 'completed'", (task_id,)
            ),
            proc,
            log,
            "the task to complete",
        )
        wait_for(lambda: len(worker_pids(url)) == processes, proc, log, "every worker process")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    assert fetch(url, "SELECT result FROM tasklib.tasks WHERE id = %s", (task_id,)) == [
        ({"value": "Hello deploy!"},)
    ]
    assert fetch(url, "SELECT count(*) FROM tasklib.workers") == [(0,)]
