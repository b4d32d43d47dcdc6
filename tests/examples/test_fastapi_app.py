"""examples/fastapi_app/app.py answers bad and unknown task ids with JSON errors, without blocking.

The happy path (submit, run, read the state) is tests/client/test_seed_fastapi.py's.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

import tasklib

APP_PATH = Path(__file__).resolve().parents[2] / "examples" / "fastapi_app" / "app.py"


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The app, loaded as module "app" as `uvicorn app:app` loads it, behind a TestClient."""
    from fastapi.testclient import TestClient

    monkeypatch.setenv("TASKLIB_DATABASE_URL", database_url)
    spec = importlib.util.spec_from_file_location("app", APP_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "app", module)
    spec.loader.exec_module(module)
    with TestClient(module.app) as test_client:
        yield test_client
    tasklib.close()


def test_an_id_that_is_not_a_uuid_is_422_with_the_reason(client: Any) -> None:
    response = client.get("/task/not-a-uuid")
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["path", "task_id"]
    assert "UUID" in problem["msg"]


def test_an_unknown_id_is_404_naming_it(client: Any) -> None:
    unknown = uuid.uuid4()
    response = client.get(f"/task/{unknown}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"no task with id {unknown}"}


def test_the_endpoints_use_the_async_api(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def blocking(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("an async endpoint called TaskLib's blocking API")

    monkeypatch.setattr(tasklib, "get_task", blocking)
    monkeypatch.setattr(tasklib, "submit_task_sync", blocking)
    queued = client.post("/send-email?to=user@example.com&subject=Hello")
    assert queued.status_code == 200, queued.text
    task_id = queued.json()["task_id"]
    state = client.get(f"/task/{task_id}")
    assert state.status_code == 200, state.text
    assert state.json() == {"id": task_id, "state": "pending", "result": None, "error": None}
