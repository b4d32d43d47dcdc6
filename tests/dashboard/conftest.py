"""Fixtures of the dashboard tests: the app on the emptied test database, an HTTP client, and
tasks in every state made by a real worker."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from uuid import UUID

import httpx
import pytest

import tasklib
from tasklib import Config, TaskWorker
from tasklib.dashboard import create_app
from tests.dashboard import tasks as t

ADMIN_TOKEN = "test-admin-token"


@dataclass(frozen=True)
class Seeded:
    """Tasks of every state, by what they are."""

    completed: list[UUID]
    failed: UUID
    pending: list[UUID]
    tagged: list[UUID]


def seed(url: str) -> Seeded:
    """Submit and run tasks: completed ones, a permanent failure, delayed pending ones."""
    t.declined.clear()
    t.declined.add("4000-0002")
    with tasklib.Client(Config(database_url=url)) as client:
        completed = [client.submit_task(t.resize, path=f"/img/{n}.png", width=64) for n in range(6)]
        welcome = {"campaign": "welcome"}
        tagged = [
            client.submit_task(t.send_email, to=f"user{n}@example.com", tags=welcome)
            for n in range(3)
        ]
        failed = client.submit_task(t.charge, card="4000-0002", cents=1250)
        pending = [
            client.submit_task(t.report, day=f"2026-12-0{n}", delay_seconds=3600) for n in (1, 2)
        ]
        worker = TaskWorker(Config(database_url=url), 4, handle_signals=False)
        asyncio.run(worker.run_until_idle())
    return Seeded(completed + tagged, failed, pending, tagged)


@pytest.fixture
def seeded(database_url: str) -> Seeded:
    return seed(database_url)


@pytest.fixture
async def http(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the dashboard with actions enabled (not logged in)."""
    app = create_app(database_url, admin_token=ADMIN_TOKEN, refresh_seconds=0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await app.state.dashboard.data.client.aclose()


async def log_in(http: httpx.AsyncClient) -> str:
    """Log the client in; return the CSRF token of its session."""
    response = await http.post("/login", data={"token": ADMIN_TOKEN})
    assert response.status_code == 303, response.text
    page = await http.get("/tasks")
    return csrf_of(page.text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


class WorkerThread:
    """A TaskWorker running on an event loop of its own thread, for the browser test."""

    def __init__(self, url: str) -> None:
        self.worker = TaskWorker(Config(database_url=url), 4, handle_signals=False)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> WorkerThread:
        self.thread.start()
        self.running = asyncio.run_coroutine_threadsafe(self.worker.run(), self.loop)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.worker.stop(), self.loop).result(30)
            self.running.result(30)  # raises what the worker raised, if anything
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(30)
            self.loop.close()


@pytest.fixture
def worker_thread(database_url: str) -> Iterator[WorkerThread]:
    with WorkerThread(database_url) as running:
        yield running
