"""examples/fastapi_app/app.py: the lifespan of tasklib.contrib.fastapi, a signup and its task in
one request-scoped transaction, results fetched, and JSON errors for bad and unknown ids.

tests/client/test_seed_fastapi.py drives /send-email over HTTP.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest

import tasklib

APP_PATH = Path(__file__).resolve().parents[2] / "examples" / "fastapi_app" / "app.py"


def _load_app(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app's module, loaded as "app" as `uvicorn app:app` loads it."""
    spec = importlib.util.spec_from_file_location("app", APP_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "app", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The app behind a TestClient (its lifespan runs), on an emptied database."""
    from fastapi.testclient import TestClient

    monkeypatch.setenv("TASKLIB_DATABASE_URL", database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS signups")
    with TestClient(_load_app(monkeypatch).app) as test_client:
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


def test_the_lifespan_opens_the_client_at_startup_and_closes_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from tasklib.client import default_async_client

    monkeypatch.setenv("TASKLIB_DATABASE_URL", database_url)
    module = _load_app(monkeypatch)
    with TestClient(module.app) as test_client:
        # Startup ran on the app's loop: its default client has an open pool already.
        assert test_client.portal.call(_pool_is_open)
        # And the app's own lifespan ran inside TaskLib's: its table is there.
        assert test_client.post("/signup?email=a@example.com").status_code == 200
        client = test_client.portal.call(default_async_client)
    assert client._pool is None  # closed by tasklib.aclose() at shutdown


async def _pool_is_open() -> bool:
    from tasklib.client import default_async_client

    pool = default_async_client()._pool
    return pool is not None and not pool.closed


def test_a_signup_and_its_task_commit_together(client: Any, database_url: str) -> None:
    first = client.post("/signup?email=ann@example.com")
    assert first.status_code == 200, first.text
    task_id = first.json()["task_id"]
    task = tasklib.Client(tasklib.Config(database_url=database_url)).get_task(task_id)
    assert task.args == {"to": "ann@example.com", "subject": "Welcome!"}

    again = client.post("/signup?email=ann@example.com")
    assert again.status_code == 409
    assert again.json() == {"detail": "ann@example.com has signed up already"}
    # The refused request's transaction rolled back: one signup, one task.
    with tasklib.Client(tasklib.Config(database_url=database_url)) as reader:
        assert [t.id for t in reader.list_tasks()] == [uuid.UUID(task_id)]


def test_a_task_result_is_fetched_once_a_worker_ran_it(client: Any, database_url: str) -> None:
    from tasklib.testing import drain_sync

    task_id = client.post("/signup?email=bob@example.com").json()["task_id"]
    [ran] = drain_sync(tasklib.Config(database_url=database_url))
    assert str(ran.id) == task_id
    state = client.get(f"/task/{task_id}")
    assert state.json() == {
        "id": task_id,
        "state": "completed",
        "result": {"value": True},
        "error": None,
    }
