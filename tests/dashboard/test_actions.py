"""Actions need the admin token, a logged-in session, its CSRF token and this site's origin."""

from __future__ import annotations

import re

import httpx
import psycopg
import pytest

from tasklib.dashboard import create_app
from tests.dashboard.conftest import ADMIN_TOKEN, Seeded, csrf_of, log_in


def state_of(url: str, task_id: object) -> tuple[object, ...]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT state, cancel_reason, cancelled_by FROM tasklib.tasks WHERE id = %s",
            (task_id,),
        ).fetchone()
    assert row is not None
    return tuple(row)


async def test_read_only_dashboard_offers_and_accepts_no_action(
    database_url: str, seeded: Seeded
) -> None:
    app = create_app(database_url, refresh_seconds=0)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        page = await http.get(f"/tasks/{seeded.failed}")
        assert "read-only" in page.text
        assert 'name="csrf"' not in page.text
        assert '<form method="post"' not in page.text
        refused = await http.post(f"/tasks/{seeded.failed}/retry", data={"csrf": "x"})
        assert refused.status_code == 403
        assert (await http.get("/login")).status_code == 404
    await app.state.dashboard.data.client.aclose()
    assert state_of(database_url, seeded.failed)[0] == "failed"


async def test_a_wrong_token_does_not_log_in(http: httpx.AsyncClient) -> None:
    response = await http.post("/login", data={"token": "guess"})
    assert response.status_code == 403
    assert "tasklib_dashboard" not in response.headers.get("set-cookie", "")


async def test_login_cookie_is_http_only_and_same_site_strict(http: httpx.AsyncClient) -> None:
    response = await http.post("/login", data={"token": ADMIN_TOKEN})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


@pytest.mark.parametrize(
    ("logged_in", "csrf", "origin", "expected"),
    [
        (False, "", None, "Not logged in"),
        (True, "forged", None, "CSRF token does not match"),
        (True, None, "http://evil.example", "came from another site"),
    ],
)
async def test_retry_is_refused_without_session_csrf_or_same_origin(
    http: httpx.AsyncClient,
    seeded: Seeded,
    database_url: str,
    logged_in: bool,
    csrf: str | None,
    origin: str | None,
    expected: str,
) -> None:
    token = await log_in(http) if logged_in else ""
    headers = {"origin": origin} if origin else {}
    response = await http.post(
        f"/tasks/{seeded.failed}/retry",
        data={"csrf": token if csrf is None else csrf},
        headers=headers,
    )
    assert response.status_code == 403
    assert expected in response.text
    assert state_of(database_url, seeded.failed)[0] == "failed"


async def test_retry_and_cancel_with_a_reason(
    http: httpx.AsyncClient, seeded: Seeded, database_url: str
) -> None:
    csrf = await log_in(http)
    page = await http.get(f"/tasks/{seeded.failed}")
    assert 'id="retry"' in page.text
    retried = await http.post(
        f"/tasks/{seeded.failed}/retry",
        data={"csrf": csrf},
        headers={"origin": "http://testserver"},
    )
    assert retried.status_code == 303
    assert retried.headers["location"] == f"/tasks/{seeded.failed}?notice=retried"
    assert state_of(database_url, seeded.failed)[0] == "pending"

    cancelled = await http.post(
        f"/tasks/{seeded.failed}/cancel", data={"csrf": csrf, "reason": "card replaced"}
    )
    assert cancelled.status_code == 303
    assert state_of(database_url, seeded.failed) == ("cancelled", "card replaced", "postgres")
    shown = await http.get(f"/tasks/{seeded.failed}")
    assert "card replaced" in shown.text
    # Refused by the database: a completed task cannot be retried.
    refused = await http.post(f"/tasks/{seeded.completed[0]}/retry", data={"csrf": csrf})
    assert refused.status_code == 409
    assert "only a permanently failed or cancelled task can be retried" in refused.text


async def test_bulk_actions_apply_to_the_filter_and_need_one(
    http: httpx.AsyncClient, seeded: Seeded, database_url: str
) -> None:
    csrf = await log_in(http)
    page = await http.get("/tasks", params={"queue": "reports"})
    assert csrf_of(page.text) == csrf
    assert "Cancel all" in page.text
    unfiltered = await http.post("/tasks/bulk", data={"csrf": csrf, "action": "cancel"})
    assert unfiltered.status_code == 409
    assert "needs a filter" in unfiltered.text

    cancelled = await http.post(
        "/tasks/bulk",
        data={"csrf": csrf, "action": "cancel", "queue": "reports", "reason": "not needed"},
    )
    assert cancelled.status_code == 200
    assert "2 tasks cancelled (queue reports)" in cancelled.text
    for task_id in seeded.pending:
        assert state_of(database_url, task_id) == ("cancelled", "not needed", "postgres")
    # Everything else stayed as it was.
    assert state_of(database_url, seeded.failed)[0] == "failed"

    retried = await http.post(
        "/tasks/bulk", data={"csrf": csrf, "action": "retry", "state": "cancelled"}
    )
    assert "2 tasks queued again (state cancelled)" in retried.text
    for task_id in seeded.pending:
        assert state_of(database_url, task_id)[0] == "pending"


async def test_pause_and_resume_a_queue(http: httpx.AsyncClient, database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT tasklib.set_queue_limits('mail')")
    csrf = await log_in(http)
    page = await http.get("/queues")
    assert re.search(r'data-queue="mail">.*?value="pause"', page.text, re.S)
    paused = await http.post(
        "/queues/action", data={"csrf": csrf, "queue": "mail", "action": "pause"}
    )
    assert paused.headers["location"] == "/queues?notice=paused"
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT paused FROM tasklib.queues WHERE name = 'mail'").fetchone() == (
            True,
        )
    await http.post("/queues/action", data={"csrf": csrf, "queue": "mail", "action": "resume"})
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT paused FROM tasklib.queues WHERE name = 'mail'").fetchone() == (
            False,
        )


async def test_logout_ends_the_session(http: httpx.AsyncClient, seeded: Seeded) -> None:
    csrf = await log_in(http)
    await http.post("/logout", data={"csrf": csrf})
    response = await http.post(f"/tasks/{seeded.failed}/retry", data={"csrf": csrf})
    assert response.status_code == 403
