"""The dashboard in a real browser: Playwright driving Debian's chromium.

An operator opens the overview, filters the task list down to the failed task, opens its
traceback, logs in, retries it (a worker runs in the test) and watches it complete as the page
refreshes itself. Each step leaves a screenshot in $TASKLIB_SCREENSHOTS_DIR, by default
.ci/out/screenshots/dashboard/ of the checkout (docs/operations.md describes each one).

Playwright's own browser download cannot be used here; the test launches the chromium binary
of the machine ($TASKLIB_CHROMIUM, else chromium on the PATH) and is skipped, saying so, without
one, unless $TASKLIB_TEST_BROWSER=required (as .ci/run sets), when it fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasklib.dashboard import create_app
from tests.dashboard import tasks as t
from tests.dashboard.conftest import ADMIN_TOKEN, Seeded, WorkerThread, seed

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(
    os.environ.get("TASKLIB_SCREENSHOTS_DIR", ROOT / ".ci" / "out" / "screenshots" / "dashboard")
)
CHROMIUM_ENV = "TASKLIB_CHROMIUM"
REQUIRED_ENV = "TASKLIB_TEST_BROWSER"


def chromium_path() -> str | None:
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        return given
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def chromium() -> str:
    path = chromium_path()
    if path is None or not os.access(path, os.X_OK):
        reason = (
            f"no chromium binary (apt-get install chromium, or set ${CHROMIUM_ENV}): the "
            "browser test drives the machine's chromium, since Playwright's own download is "
            "unreachable"
        )
        if os.environ.get(REQUIRED_ENV) == "required":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def served(database_url: str) -> Iterator[str]:
    """The dashboard served by uvicorn on a free port, actions enabled, refreshing every second."""
    import uvicorn

    app = create_app(database_url, admin_token=ADMIN_TOKEN, refresh_seconds=1)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        assert thread.is_alive(), "uvicorn stopped at start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)


@pytest.mark.slow
def test_operator_finds_a_failure_retries_it_and_watches_it_complete(
    chromium: str, database_url: str, served: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    seeded: Seeded = seed(database_url)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()

    with WorkerThread(database_url), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("dialog", lambda dialog: dialog.accept())

        # 1. The overview: counts by state, the charts, queues, names, recent failures.
        page.goto(served + "/")
        expect(page.locator('[data-count="failed_permanent"]')).to_have_text("1")
        expect(page.locator('[data-count="completed"]')).to_have_text("9")
        expect(page.locator("svg.chart")).to_have_count(2)
        expect(page.locator("#failures")).to_contain_text("CardDeclinedError")
        page.screenshot(path=SCREENSHOTS / "1-overview.png", full_page=True)

        # 2. The task list, filtered in its form to the permanent failures of billing.
        page.get_by_role("link", name="Tasks", exact=True).first.click()
        expect(page.locator("tr[data-task-id]")).to_have_count(12)
        page.locator('select[name="state"]').select_option("failed")
        page.locator('select[name="queue"]').select_option("billing")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"/tasks\?state=failed&.*queue=billing"))
        rows = page.locator("tr[data-task-id]")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("dashboard.charge")
        page.screenshot(path=SCREENSHOTS / "2-tasks-filtered.png", full_page=True)

        # 3. The failed task: its traceback, arguments, attempts and timings.
        rows.first.locator("a").click()
        expect(page).to_have_url(f"{served}/tasks/{seeded.failed}")
        expect(page.locator("#state")).to_have_text("failed")
        expect(page.locator("#traceback")).to_contain_text("Traceback (most recent call last)")
        expect(page.locator("#traceback")).to_contain_text(
            "CardDeclinedError: card 4000-0002 declined for 1250 cents"
        )
        expect(page.locator("#args")).to_contain_text('"card": "4000-0002"')
        expect(page.locator("#retry")).to_have_count(0)  # read-only until logged in
        page.screenshot(path=SCREENSHOTS / "3-task-failed.png", full_page=True)

        # 4. Log in with the admin token; back on the task, retry it once the card works.
        page.get_by_role("link", name="Log in to act").click()
        page.get_by_label("Admin token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".notice")).to_have_text("Logged in: actions are enabled.")
        page.goto(f"{served}/tasks/{seeded.failed}")
        t.declined.clear()
        page.locator("#retry").click()
        expect(page.locator(".notice")).to_have_text("Task queued again.")

        # 5. The worker runs it; the page's live refresh shows it complete, with its result.
        expect(page.locator("#state")).to_have_text("completed", timeout=30_000)
        expect(page.locator("#result")).to_contain_text('"charged": 1250')
        expect(page.locator("#attempts")).to_contain_text("CardDeclinedError")  # attempt 1
        page.screenshot(path=SCREENSHOTS / "4-task-completed.png", full_page=True)

        # The other pages, for the record.
        page.goto(served + "/workers")
        expect(page.locator("#workers tbody tr").first).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "5-workers.png", full_page=True)
        page.goto(served + "/queues")
        expect(page.locator('tr[data-queue="billing"]')).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "6-queues.png", full_page=True)
        page.goto(served + "/")
        expect(page.locator('[data-count="completed"]')).to_have_text("10")
        page.screenshot(path=SCREENSHOTS / "7-overview-after.png", full_page=True)
        browser.close()

    assert console_errors == []
    assert sorted(p.name for p in SCREENSHOTS.glob("*.png")) == [
        "1-overview.png",
        "2-tasks-filtered.png",
        "3-task-failed.png",
        "4-task-completed.png",
        "5-workers.png",
        "6-queues.png",
        "7-overview-after.png",
    ]
