"""tasklib.contrib.fastapi on small apps of its own: the lifespan (with an app's own inside it,
and failing at startup when the database cannot be reached) and the request's transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest

import tasklib
from tasklib.contrib.fastapi import Transaction, lifespan

fastapi = pytest.importorskip("fastapi")


@pytest.fixture(autouse=True)
def _process_config_restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The lifespan calls tasklib.init: the process's Config is put back after each test."""
    from tasklib.client import _default

    monkeypatch.setattr(_default, "_config", _default._config)
    yield
    tasklib.close()


@tasklib.task(name="contrib_fastapi.note")
def note(text: str) -> str:
    return text


@pytest.fixture
def app(database_url: str) -> Any:
    started: list[str] = []

    @asynccontextmanager
    async def own(app: Any) -> AsyncIterator[dict[str, Any]]:
        started.append("own")
        yield {"greeting": "hi"}
        started.append("own stopped")

    app = fastapi.FastAPI(lifespan=lifespan(tasklib.Config(database_url=database_url), then=own))
    app.state.started = started

    @app.post("/note")
    async def post_note(text: str, conn: Transaction, fail: bool = False) -> dict[str, str]:
        task_id = await tasklib.submit_task(note, text=text, connection=conn)
        if fail:
            raise fastapi.HTTPException(status_code=400, detail="refused after the submit")
        return {"task_id": str(task_id)}

    @app.get("/greeting")
    async def greeting(request: fastapi.Request) -> dict[str, str]:
        return {"greeting": request.state.greeting}

    return app


def _names(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT args->>'text' FROM tasklib.tasks")]


def test_a_request_that_fails_after_submitting_leaves_no_task(app: Any, database_url: str) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        assert client.post("/note?text=kept").status_code == 200
        refused = client.post("/note?text=dropped&fail=true")
        assert refused.status_code == 400
    assert _names(database_url) == ["kept"]


def test_the_apps_own_lifespan_runs_inside_with_its_state(app: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        assert client.get("/greeting").json() == {"greeting": "hi"}
        assert app.state.started == ["own"]
    assert app.state.started == ["own", "own stopped"]


def test_startup_fails_when_the_database_cannot_be_reached() -> None:
    from fastapi.testclient import TestClient

    config = tasklib.Config(
        database_url="postgresql://nobody@127.0.0.1:1/none", connect_timeout_seconds=1
    )
    app = fastapi.FastAPI(lifespan=lifespan(config))
    with pytest.raises(tasklib.DatabaseUnavailableError):
        TestClient(app).__enter__()
