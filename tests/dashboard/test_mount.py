"""The app mounts in a FastAPI (or Starlette) application: its links and cookie carry the prefix."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tasklib.dashboard import create_app
from tests.dashboard.conftest import ADMIN_TOKEN, Seeded


async def test_mounted_under_a_prefix(database_url: str, seeded: Seeded) -> None:
    dashboard = create_app(database_url, admin_token=ADMIN_TOKEN, refresh_seconds=0)
    host = FastAPI()

    @host.get("/")
    def home() -> dict[str, str]:
        return {"app": "host"}

    host.mount("/ops/tasks", dashboard)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=host), base_url="http://testserver"
    ) as http:
        assert (await http.get("/")).json() == {"app": "host"}
        overview = await http.get("/ops/tasks/")
        assert overview.status_code == 200
        links = set(re.findall(r'(?:href|src|action)="(/[^"]*)"', overview.text))
        assert links, "no links"
        assert all(link.startswith("/ops/tasks/") for link in links), links
        assert (await http.get("/ops/tasks/static/dashboard.css")).status_code == 200
        detail = await http.get(f"/ops/tasks/tasks/{seeded.failed}")
        assert "CardDeclinedError" in detail.text
        login = await http.post("/ops/tasks/login", data={"token": ADMIN_TOKEN})
        assert login.headers["location"] == "/ops/tasks/?notice=login"
        assert "path=/ops/tasks" in login.headers["set-cookie"].lower()
    await dashboard.state.dashboard.data.client.aclose()
