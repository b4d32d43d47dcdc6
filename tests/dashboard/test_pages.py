"""The pages read what the views and the client say: counts, lists, details, workers, queues."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import psycopg
import pytest

from tasklib.dashboard._app import _error_line
from tasklib.dashboard._filters import id_at
from tests.dashboard.conftest import Seeded


def count_on_card(html: str, key: str) -> int:
    found = re.search(rf'data-count="{key}">([^<]*)<', html)
    assert found, f"no {key} card"
    return int(found.group(1).replace("\u2009", ""))


def listed_ids(html: str) -> list[str]:
    return re.findall(r'data-task-id="([0-9a-f-]{36})"', html)


async def test_overview_counts_agree_with_queue_status(
    http: httpx.AsyncClient, seeded: Seeded, database_url: str
) -> None:
    response = await http.get("/")
    assert response.status_code == 200
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT pending, running, completed, failed_retrying, failed_permanent, cancelled,"
            " total FROM tasklib.queue_status"
        ).fetchone()
    assert row is not None
    keys = ("pending", "running", "completed", "failed_retrying", "failed_permanent")
    for key, value in zip((*keys, "cancelled", "total"), row, strict=True):
        assert count_on_card(response.text, key) == value, key
    assert (count_on_card(response.text, "completed"), row[4]) == (9, 1)
    # Charts, queues, names and the failure are on the page.
    assert response.text.count('<svg class="chart"') == 2
    assert "<title>" in response.text
    assert "completed: 9" in response.text
    for name in ("dashboard.resize", "dashboard.charge", "billing", "reports", "mail"):
        assert name in response.text
    assert "CardDeclinedError: card 4000-0002 declined for 1250 cents" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


async def test_task_list_filters_by_state_name_queue_tags_and_time(
    http: httpx.AsyncClient, seeded: Seeded
) -> None:
    async def ids(**params: str) -> set[str]:
        response = await http.get("/tasks", params=params)
        assert response.status_code == 200, response.text
        return set(listed_ids(response.text))

    everything = {str(i) for i in [*seeded.completed, seeded.failed, *seeded.pending]}
    assert await ids() == everything
    assert await ids(state="failed") == {str(seeded.failed)}
    assert await ids(state="pending") == {str(i) for i in seeded.pending}
    assert await ids(name="dashboard.charge") == {str(seeded.failed)}
    assert await ids(queue="reports") == {str(i) for i in seeded.pending}
    assert await ids(tags="campaign=welcome") == {str(i) for i in seeded.tagged}
    assert await ids(tags="campaign=welcome", state="completed") == {str(i) for i in seeded.tagged}
    assert await ids(tags="campaign=other") == set()
    assert await ids(range="15m") == everything
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    past = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert await ids(**{"from": future}) == set()
    assert await ids(**{"from": past, "to": future}) == everything
    assert await ids(to=past) == set()


async def test_a_filter_that_does_not_parse_says_why(http: httpx.AsyncClient) -> None:
    response = await http.get("/tasks", params={"state": "lost", "from": "yesterday"})
    assert response.status_code == 400
    assert "unknown state &#39;lost&#39;" in response.text
    assert "from: &#39;yesterday&#39; is not a time" in response.text


async def test_keyset_pages_walk_every_task_once_both_ways(
    http: httpx.AsyncClient, database_url: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "SELECT tasklib.submit_many(jsonb_agg(jsonb_build_object('name', 'bulk.n',"
            " 'args', jsonb_build_object('n', n)))) FROM generate_series(1, 120) n"
        )
        newest_first = [
            str(row[0])
            for row in conn.execute("SELECT id FROM tasklib.tasks ORDER BY id DESC").fetchall()
        ]
    seen: list[list[str]] = []
    link = "/tasks?limit=50"
    while link:
        page = await http.get(link)
        seen.append(listed_ids(page.text))
        older = re.search(r'rel="next" href="([^"]+)"', page.text)
        link = older.group(1).replace("&amp;", "&") if older else ""
    assert [len(ids) for ids in seen] == [50, 50, 20]
    assert [i for ids in seen for i in ids] == newest_first
    # From the last page back: "newer" gives the middle page again, in the same order.
    last = await http.get(f"/tasks?limit=50&before={seen[1][-1]}")
    newer = re.search(r'rel="prev" href="([^"]+)"', last.text)
    assert newer
    middle = await http.get(newer.group(1).replace("&amp;", "&"))
    assert listed_ids(middle.text) == seen[1]


async def test_task_detail_shows_arguments_traceback_attempts_and_timings(
    http: httpx.AsyncClient, seeded: Seeded
) -> None:
    response = await http.get(f"/tasks/{seeded.failed}")
    assert response.status_code == 200
    text = response.text
    assert 'id="traceback"' in text
    assert "Traceback (most recent call last)" in text
    assert "CardDeclinedError: card 4000-0002 declined for 1250 cents" in text
    assert "&#34;card&#34;: &#34;4000-0002&#34;" in text  # the arguments, as JSON
    assert "1 claim; retry 0 of 0" in text
    for label in ("submitted", "scheduled", "started", "finished", "worker"):
        assert f"<th>{label}</th>" in text
    done = await http.get(f"/tasks/{seeded.completed[0]}")
    assert 'id="result"' in done.text
    assert "/img/0.png@64" in done.text


async def test_unknown_task_is_a_404(http: httpx.AsyncClient) -> None:
    missing = await http.get(f"/tasks/{UUID(int=7)}")
    assert missing.status_code == 404
    assert "not found" in missing.text
    assert (await http.get("/tasks/not-a-uuid")).status_code == 404


async def test_workers_and_queues_pages_read_their_views(
    http: httpx.AsyncClient, seeded: Seeded, database_url: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT tasklib.worker_heartbeat('w-dashboard', gen_random_uuid(), NULL, 3)")
        conn.execute("SELECT tasklib.set_queue_limits('billing', concurrency_limit => 2)")
        conn.execute("SELECT tasklib.pause_queue('reports')")
    workers = await http.get("/workers")
    assert workers.status_code == 200
    assert 'id="worker-w-dashboard"' in workers.text
    queues = await http.get("/queues")
    assert re.search(r'data-queue="billing">.*?0 / 2', queues.text, re.S)
    assert re.search(r'data-queue="reports">.*?badge paused', queues.text, re.S)


async def test_time_bounds_are_ids() -> None:
    moment = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    bound = id_at(moment)
    assert bound.int >> 80 == int(moment.timestamp() * 1000)
    assert bound.int & ((1 << 80) - 1) == 0


async def test_schedules_page_lists_the_cron_schedules(
    http: httpx.AsyncClient, database_url: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT tasklib.create_schedule('nightly', 'reports.daily', '17 3 * * *')")
        conn.execute("SELECT tasklib.pause_schedule('nightly')")
    page = await http.get("/schedules")
    assert page.status_code == 200
    assert "reports.daily" in page.text
    assert "17 3 * * *" in page.text
    assert "badge paused" in page.text
    assert 'href="/schedules"' in (await http.get("/")).text


@pytest.mark.parametrize(
    "error",
    [
        "Traceback (most recent call last):\n  File 'x', line 1\nValueError: boom\n\n",
        "  worker lost: lease expired\nsecond line",
        "",
        "\n\n  \t\n",
        "Traceback (most recent call last)\nKeyError: 'k'  \r\n",
    ],
)
def test_error_line_is_the_one_tasklib_error_line_picks(
    conn: psycopg.Connection[tuple[object, ...]], error: str
) -> None:
    row = conn.execute("SELECT coalesce(tasklib._error_line(%s), '')", (error,)).fetchone()
    assert row is not None
    assert _error_line(error) == row[0]


async def test_failed_attempts_are_listed_oldest_first(
    http: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await http.get(f"/tasks/{seeded.failed}")
    attempts = re.search(r'<table id="attempts">(.*?)</table>', page.text, re.S)
    assert attempts
    assert "CardDeclinedError: card 4000-0002 declined for 1250 cents" in attempts.group(1)
