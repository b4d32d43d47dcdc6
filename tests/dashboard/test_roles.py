"""What the dashboard shows with a less privileged database login: the database decides."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import psycopg
import pytest

from tasklib.dashboard import create_app
from tests.dashboard.conftest import ADMIN_TOKEN, Seeded, log_in
from tests.support.database import login_url

Dashboard = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def dashboard_as(database_url: str) -> Dashboard:
    """A dashboard whose database login is a new role in the given TaskLib role."""

    @asynccontextmanager
    async def serve(granted: str) -> AsyncIterator[httpx.AsyncClient]:
        role = f"dash_{granted.removeprefix('tasklib_')}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'x' IN ROLE {granted}")
        app = create_app(login_url(database_url, role, "x"), admin_token=ADMIN_TOKEN)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as http:
                yield http
        finally:
            await app.state.dashboard.data.client.aclose()
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(f"DROP OWNED BY {role}")
                conn.execute(f"DROP ROLE {role}")

    return serve


async def test_a_monitor_login_shows_the_workers_but_no_task(
    dashboard_as: Dashboard, seeded: Seeded
) -> None:
    async with dashboard_as("tasklib_monitor") as http:
        assert (await http.get("/workers")).status_code == 200
        refused = await http.get(f"/tasks/{seeded.failed}")
        assert refused.status_code == 500
        assert "permission denied" in refused.text


async def test_a_monitor_login_shows_the_overview_and_queues(
    dashboard_as: Dashboard, seeded: Seeded
) -> None:
    async with dashboard_as("tasklib_monitor") as http:
        overview = await http.get("/")
        assert overview.status_code == 200, overview.text
        assert "dashboard.charge" in overview.text
        assert "CardDeclinedError" not in overview.text  # error text is not the monitor's
        assert (await http.get("/queues")).status_code == 200


async def test_actions_of_a_login_without_tasklib_admin_are_refused_by_the_database(
    dashboard_as: Dashboard, seeded: Seeded
) -> None:
    async with dashboard_as("tasklib_worker") as http:
        detail = await http.get(f"/tasks/{seeded.failed}")
        assert "CardDeclinedError" in detail.text  # a worker login reads tasks
        csrf = await log_in(http)
        refused = await http.post(f"/tasks/{seeded.failed}/retry", data={"csrf": csrf})
        assert refused.status_code == 409
        assert "permission denied for function retry" in refused.text
