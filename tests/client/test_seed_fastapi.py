"""The seed's FastAPI integration: examples/fastapi_app/app.py driven through HTTP."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

import tasklib
from tests.client.simulated_worker import run_due_tasks

APP_PATH = Path(__file__).resolve().parents[2] / "examples" / "fastapi_app" / "app.py"


@pytest.fixture
def app_module(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("TASKLIB_DATABASE_URL", database_url)
    # Loaded as "app", as `uvicorn app:app` does, so the task keeps its name "app.send_email".
    spec = importlib.util.spec_from_file_location("app", APP_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "app", module)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the seed's @app.on_event
        spec.loader.exec_module(module)
    yield module
    tasklib.close()


def test_submit_and_check_status_over_http(
    app_module: ModuleType, conn: psycopg.Connection[Any]
) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app_module.app) as client:
        response = client.post("/send-email?to=user@example.com&subject=Hello")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "queued"
        task_id = body["task_id"]

        status = client.get(f"/task/{task_id}").json()
        assert status == {"id": task_id, "state": "pending", "result": None, "error": None}

        assert [str(ran) for ran in run_due_tasks(conn)] == [task_id]

        status = client.get(f"/task/{task_id}").json()
        assert status == {
            "id": task_id,
            "state": "completed",
            "result": {"value": True},
            "error": None,
        }

    stored = tasklib.get_task(task_id)
    assert stored.name == "app.send_email"
    assert stored.args == {"to": "user@example.com", "subject": "Hello"}


def test_bad_request_is_rejected_before_queueing(
    app_module: ModuleType, conn: psycopg.Connection[Any]
) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app_module.app) as client:
        assert client.post("/send-email?to=user@example.com").status_code == 422
    assert conn.execute("SELECT count(*) FROM tasklib.tasks").fetchone() == (0,)
